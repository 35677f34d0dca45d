from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from allegations import evaluate, train
from allegations.errors import InputError, LabelError
from allegations.train import _group_ids, make_folds

from .conftest import make_corpus


def _sets(series: pd.Series) -> list[list[str]]:
    return [s.split(";") if s else [] for s in series]


def test_trained_model_learns_the_corpus(trained_model, corpus):
    cv = trained_model.card["cross_validation"]
    assert trained_model.labels == ["money", "query", "threat"]
    assert not trained_model.exclusive
    assert cv["micro_f1"] > 0.9 and cv["macro_f1"] > 0.9
    assert {r["label"] for r in cv["per_label"]} == set(trained_model.labels)
    frame = trained_model.predict(["Officer took cash from a friend. Case closed."])
    assert frame.loc[0, "labels"] == "money"


def test_predict_schema(trained_model):
    frame = trained_model.predict(["Officer searched the system for a neighbour.", "", None])
    assert frame.columns.tolist() == [
        "id",
        "labels",
        "p_money",
        "p_query",
        "p_threat",
        "confidence",
        "needs_review",
    ]
    assert frame["id"].tolist() == [0, 1, 2]
    probs = frame[["p_money", "p_query", "p_threat"]].to_numpy()
    assert ((probs >= 0) & (probs <= 1)).all()
    assert frame["confidence"].between(0, 1).all()
    assert frame["needs_review"].dtype == bool


def test_same_seed_same_model_and_outputs(corpus):
    texts, sets = corpus.text.tolist(), _sets(corpus.labels)
    a, b = train(texts, sets, seed=3), train(texts, sets, seed=3)
    pa, pb = a.predict(texts), b.predict(texts)
    pd.testing.assert_frame_equal(pa, pb)
    assert a.card["cross_validation"] == b.card["cross_validation"]
    np.testing.assert_array_equal(a.thresholds, b.thresholds)


def test_exclusive_when_every_case_has_one_label():
    rng = np.random.default_rng(0)
    words = {"red": "crimson scarlet", "blue": "navy azure", "green": "olive lime"}
    texts, sets = [], []
    for i in range(60):
        label = list(words)[i % 3]
        texts.append(f"case {i} {rng.choice(words[label].split())} item")
        sets.append([label])
    model = train(texts, sets)
    assert model.exclusive
    frame = model.predict(texts)
    assert (frame["labels"].str.count(";") == 0).all()
    assert (frame["labels"] != "").all()
    np.testing.assert_allclose(frame[[f"p_{k}" for k in model.labels]].sum(axis=1), 1, atol=1e-3)


@pytest.mark.parametrize(
    ("sets", "match"),
    [
        ([["a"]] * 12, "at least two labels; the data has 1: 'a'"),
        ([[]] * 12, "at least two labels; the data has 0"),
        ([["a", "b"]] * 6 + [["a"]] * 6, "given to every case"),
    ],
)
def test_label_errors(sets, match):
    with pytest.raises(LabelError, match=match):
        train([f"text {i}" for i in range(len(sets))], sets)


def test_label_never_positive_with_codebook():
    from allegations.codebook import Codebook, LabelDefinition

    cb = Codebook("t", "1", (LabelDefinition("a"), LabelDefinition("b"), LabelDefinition("c")))
    with pytest.raises(LabelError, match="'c' have no positive case"):
        train([f"text {i}" for i in range(12)], [["a"], ["b"]] * 6, codebook=cb)


def test_too_few_rows():
    with pytest.raises(InputError, match="at least 10 labelled rows; got 3"):
        train(["a", "b", "c"], [["x"], ["y"], ["x"]])


def test_duplicates_never_straddle_folds():
    corpus = make_corpus(80, seed=5)
    texts = corpus.text.tolist() + corpus.text.tolist()[:30]  # 30 exact duplicates
    sets = _sets(corpus.labels) + _sets(corpus.labels)[:30]
    from allegations.labels import canonical_labels, to_matrix
    from allegations.preprocess import SpacyPreprocessor

    docs = SpacyPreprocessor().fit([]).transform(texts)
    groups, n_dup, _ = _group_ids(docs, None)
    assert n_dup >= 30
    labels, canon = canonical_labels(sets)
    fold = make_folds(to_matrix(canon, labels), groups, 5, seed=0)
    for i in range(30):
        assert fold[i] == fold[80 + i]
    model = train(texts, sets)
    assert model.card["cross_validation"]["n_grouped_duplicates"] >= 30


def test_user_groups_stay_in_one_fold():
    corpus = make_corpus(100, seed=6)
    groups = [f"G{i // 4}" for i in range(100)]
    from allegations.labels import canonical_labels, to_matrix

    labels, canon = canonical_labels(_sets(corpus.labels))
    fold = make_folds(to_matrix(canon, labels), _group_ids(np.array(corpus.text), groups)[0], 5, 0)
    for g in range(25):
        assert len(set(fold[g * 4 : (g + 1) * 4])) == 1


def test_rare_label_is_flagged_too_few(corpus):
    sets = _sets(corpus.labels)
    texts = corpus.text.tolist()
    for i in range(3):
        sets[i] = [*sets[i], "rare"]
        texts[i] = texts[i] + " Officer set a fire."
    model = train(texts, sets)
    row = next(r for r in model.card["cross_validation"]["per_label"] if r["label"] == "rare")
    assert row["too_few"]
    assert any("too few examples to measure" in n for n in model.card["notes"])


def test_evaluate_reports_unknown_labels(trained_model, corpus):
    sets = _sets(corpus.labels)
    sets[0] = [*sets[0], "arson"]
    report = evaluate(trained_model, corpus.text.tolist(), sets)
    assert report["unknown_labels"] == {"arson": 1}
    assert report["micro_f1"] > 0.9
    assert {"micro_f1", "macro_f1", "per_label"} <= set(report)


def test_model_card_lists_no_training_text(trained_model, corpus):
    import json

    blob = json.dumps(trained_model.card)
    assert not any(text in blob for text in corpus.text)
