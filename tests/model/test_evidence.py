from __future__ import annotations

import random

import pandas as pd

from allegations import train
from allegations.tables import nested_records

PLANT = "falsified the overtime report"


def _planted_corpus(n=120, seed=0):
    rng = random.Random(seed)
    filler = [
        "The complainant called the district.",
        "A supervisor reviewed the matter.",
        "Officers arrived at the scene.",
        "The case was closed after review.",
        "Witnesses were interviewed by investigators.",
    ]
    texts, sets = [], []
    for i in range(n):
        parts = rng.sample(filler, 3)
        labels = []
        if i % 3 == 0:
            parts.insert(rng.randrange(4), f"The officer {PLANT} for March.")
            labels.append("falsification")
        else:
            parts.insert(rng.randrange(4), "The officer was rude to the caller.")
            labels.append("conduct")
        texts.append(" ".join(parts))
        sets.append(labels)
    return texts, sets


def test_planted_phrase_is_cited_with_its_sentence():
    texts, sets = _planted_corpus()
    model = train(texts, sets, seed=0)
    new = [
        "Officers arrived at the scene. Later the sergeant found that the officer "
        "falsified the overtime report again. The case was closed after review."
    ]
    frame = model.predict(new, evidence=True)
    assert frame.loc[0, "labels"] == "falsification"
    cited = frame.attrs["evidence"][0]
    assert cited and cited[0]["label"] == "falsification"
    assert cited[0]["phrase"].lower() in PLANT
    assert "falsified" in cited[0]["phrase"].lower() or "overtime" in cited[0]["phrase"].lower()
    assert cited[0]["sentence"] == (
        "Later the sergeant found that the officer falsified the overtime report again."
    )
    assert frame.loc[0, "evidence"].startswith('falsification: "')
    records = nested_records(frame, model.labels)
    assert records.loc[0, "evidence"] == cited


def test_evidence_columns_only_when_asked(trained_model):
    plain = trained_model.predict(["Officer took cash from a friend."])
    assert "evidence" not in plain.columns
    frame = trained_model.frame_from_texts(["Officer took cash from a friend.", ""], ["a", "b"])
    assert list(frame.columns[-2:]) == ["evidence", "evidence_sentences"]
    assert frame.loc[1, "evidence"] == ""
    assert isinstance(frame, pd.DataFrame) and frame["id"].tolist() == ["a", "b"]


def test_every_contribution_is_shared_out_with_the_lead_block():
    """Token scores add up to the label's score: the lead block's columns included."""
    import numpy as np

    from allegations.model._config import ModelConfig
    from allegations.model._evidence import _token_scores, label_weights, unigram_columns
    from allegations.text._preprocess import SENTENCE_END

    texts, sets = _planted_corpus()
    config = ModelConfig(lead_sentences=1, exclusive_lead_sentences=1, lead_weight=1.0)
    model = train(texts, sets, seed=0, config=config)
    features = model.pipeline.named_steps["features"]
    assert len(features.lead_idf_)
    new = (
        "The officer falsified the overtime report for March. Officers arrived at the scene. "
        "The case was closed after review."
    )
    _, marked = model.preprocessor.tokens_with_offsets(new)
    X = features.transform([" ".join(t for t, _, _ in marked)])
    assert (X != model.featurize([new])[0]).nnz == 0  # the evidence sees the model's features
    tokens = [t for t, _, _ in marked if t != SENTENCE_END]
    lead = [t for t, _, _ in marked].index(SENTENCE_END)
    weights = label_weights(model.pipeline.named_steps["classify"], len(model.labels))
    first_lead_col = X.shape[1] - len(features.lead_idf_)
    for j in range(len(model.labels)):
        values = (X.data * weights[j, X.indices]).tolist()
        contrib = dict(zip(X.indices.tolist(), values, strict=True))
        scores = _token_scores(features, tokens, lead, contrib, unigram_columns(features))
        np.testing.assert_allclose(scores.sum(), sum(contrib.values()), rtol=1e-9)
        from_lead = sum(v for c, v in contrib.items() if c >= first_lead_col)
        assert from_lead != 0.0
    frame = model.predict([new], evidence=True)
    assert frame.loc[0, "labels"] == "falsification"
    cited = frame.attrs["evidence"][0][0]
    assert cited["sentence"] == "The officer falsified the overtime report for March."


# -- no repeats, bounded text (issue 19.9) ---------------------------------------------------
from allegations.model import _evidence as evidence  # noqa: E402


def test_a_phrase_written_twice_is_cited_once(trained_model):
    text = (
        "Officer took cash from a friend. Case closed. Officer took cash from a friend. "
        "Officer Took  Cash from his ex-wife."
    )
    frame = trained_model.predict([text], evidence=True)
    cited = [e for e in frame.attrs["evidence"][0] if e["label"] == "money"]
    said = [" ".join(e["phrase"].split()).casefold() for e in cited]
    assert cited and len(said) == len(set(said))


def test_evidence_looks_only_at_the_head_of_a_huge_cell(trained_model, monkeypatch):
    monkeypatch.setattr(evidence, "MAX_EVIDENCE_CHARS", 60)
    head = "Officer took cash from a friend. Case closed."
    tail = " Referred to OPR. Officer queried the database on a neighbour."
    frame = trained_model.predict([head + tail], evidence=True)
    assert frame.loc[0, "labels"] == "money;query"
    cited = frame.attrs["evidence"][0]
    assert any(e["label"] == "money" for e in cited)
    # 'queried the database' lies past the head: never cited
    assert not any("quer" in e["phrase"] or "database" in e["phrase"] for e in cited)
    assert all(e["sentence"] in head + " Referred to" for e in cited)
    assert evidence._head("word " * 20) == ("word " * 12).rstrip()
    assert evidence._head(None) is None
