from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from allegations import evaluate, train
from allegations.errors import InputError, LabelError
from allegations.training._codebook import Codebook, load_codebook
from allegations.training._train import _group_ids, make_folds

from ..conftest import PHRASES, make_corpus


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
    assert ((probs[0] >= 0) & (probs[0] <= 1)).all()
    assert 0 <= frame.loc[0, "confidence"] <= 1
    # Blank narratives: no probabilities, no confidence, nothing to review (issue 19).
    assert np.isnan(probs[1:]).all() and frame["confidence"].iloc[1:].isna().all()
    assert frame["needs_review"].dtype == bool and not frame["needs_review"].iloc[1:].any()


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
    # Exclusive models read the first sentence as a block of its own; multi-label ones do not.
    features = model.pipeline.named_steps["features"]
    assert features.lead_sentences == 1 and len(features.lead_idf_) > 0
    assert "of the first sentence (weight 0.5)" in model.card["model"]["features"]
    assert model.preprocessor.mark_sentences


def test_multilabel_models_have_no_lead_block(trained_model):
    features = trained_model.pipeline.named_steps["features"]
    assert features.lead_sentences == 0 and len(features.lead_idf_) == 0
    # No block, no marks: the documents and the fast path are those of before the block.
    assert trained_model.preprocessor.mark_sentences is False
    assert "." not in trained_model.preprocess(["He left. She stayed."])[0].split()
    assert "first sentence" not in trained_model.card["model"]["features"]


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
    from allegations.training._codebook import Codebook, LabelDefinition

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
    from allegations.text._preprocess import SpacyPreprocessor
    from allegations.training._labels import canonical_labels, to_matrix

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
    from allegations.training._labels import canonical_labels, to_matrix

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


def test_card_gives_bootstrap_intervals_of_the_micro_and_macro_f1(trained_model):
    cv = trained_model.card["cross_validation"]
    for name in ("micro_f1", "macro_f1"):
        low, high = cv[f"{name}_95ci"]
        assert 0.0 <= low <= cv[name] <= high <= 1.0
        assert [round(v, 4) for v in (low, high)] == [low, high]


def _noisy_money(n=200, seed=1, flip=0.2):
    corpus = make_corpus(n, seed=seed)
    sets = _sets(corpus.labels)
    rng = np.random.default_rng(seed)
    for i in range(n):
        if rng.random() < flip:  # label noise: the money label is given or dropped at random
            sets[i] = sorted(set(sets[i]) ^ {"money"})
    return corpus.text.tolist(), sets


def test_precision_goal_threshold_reaches_target_out_of_fold():
    from allegations.training._codebook import Codebook, LabelDefinition

    texts, sets = _noisy_money()
    cb = Codebook(
        "t",
        "1",
        (
            LabelDefinition("money", goal="precision=0.9"),
            LabelDefinition("query"),
            LabelDefinition("threat"),
        ),
    )
    model = train(texts, sets, codebook=cb, seed=0)
    plain = train(texts, sets, seed=0)
    row = next(r for r in model.card["cross_validation"]["per_label"] if r["label"] == "money")
    base = next(r for r in plain.card["cross_validation"]["per_label"] if r["label"] == "money")
    assert row["goal"] == "precision=0.9" and row["goal_met_out_of_fold"]
    assert row["oof_precision_at_threshold"] >= 0.9
    assert base["oof_precision_at_threshold"] < 0.9  # the F1 threshold would not do
    assert row["threshold"] > base["threshold"]
    lo, hi = row["precision_95ci"]
    # The Wilson interval of the cross-validated precision (stats/_intervals.py): it holds
    # the estimate and does not collapse to a point.
    assert lo <= row["precision"] <= hi and lo < hi


def test_card_reports_calibration_and_review_bands(trained_model):
    card = trained_model.card
    for label in trained_model.labels:
        cal = card["calibration"][label]
        assert 0 <= cal["ece"] <= 1 and cal["bins"]
        assert {"mean_predicted", "fraction_positive", "count"} <= set(cal["bins"][0])
        lo, hi = card["review"]["bands"][label]
        assert lo <= card["thresholds"][label] <= hi
    frame = trained_model.predict(["Officer took cash from a friend.", "Officer."])
    # needs_review is the ranked budget: confidence below the card's cut-off.
    cutoff = trained_model.review_cutoff()
    assert cutoff is not None
    assert frame["needs_review"].tolist() == (frame["confidence"] < cutoff).tolist()


@pytest.mark.slow
def test_seed_phrases_help_a_label_with_three_cases():
    from allegations.training._codebook import Codebook, LabelDefinition

    corpus = make_corpus(150, seed=8)
    texts, sets = corpus.text.tolist(), _sets(corpus.labels)
    for i in range(3):  # three cases of a rare label, each phrased differently
        texts[i] += [" He planted a weapon.", " He planted a gun.", " Drugs were planted."][i]
        sets[i] = [*sets[i], "tampering"]
    # The codebook knows wordings the three cases do not use.
    seeds = ("tampered with evidence", "evidence tampering", "altered the evidence", "planted")
    cb = Codebook(
        "t",
        "1",
        (
            LabelDefinition("money"),
            LabelDefinition("query"),
            LabelDefinition("threat"),
            LabelDefinition("tampering", seed_phrases=seeds),
        ),
    )
    with_cb, without = train(texts, sets, codebook=cb), train(texts, sets)
    assert with_cb.card["cross_validation"]["n_seed_examples"] == 4
    new = [
        "Officer tampered with evidence in the locker. Case closed.",
        "The sergeant reported evidence tampering by the officer.",
        "Officer altered the evidence log after the arrest.",
    ]

    def recall(model):
        return model.decide(model.predict_proba(new))[:, model.labels.index("tampering")].mean()

    assert recall(with_cb) > recall(without)
    assert recall(with_cb) >= 2 / 3


def test_exclusive_review_follows_calibrated_chance_of_error():
    from allegations.stats._reliability import REVIEW_ERROR

    rng = np.random.default_rng(0)
    words = {"red": "crimson scarlet", "blue": "navy azure", "green": "olive lime"}
    texts, sets = [], []
    for i in range(60):
        label = list(words)[i % 3]
        texts.append(f"case {i} {rng.choice(words[label].split())} item")
        sets.append([label])
    model = train(texts, sets)
    frame = model.predict(["crimson item", "navy olive item", "item"])
    proba = frame[[f"p_{k}" for k in model.labels]].to_numpy()
    np.testing.assert_allclose(frame["confidence"], proba.max(axis=1), atol=1e-3)
    assert frame["needs_review"].tolist() == (frame["confidence"] < model.review_cutoff()).tolist()
    assert frame.loc[2, "needs_review"]  # no evidence either way: a coin toss
    # A model whose card has no confidence distribution keeps the older rule.
    model.card["review"].pop("confidence_quantiles")
    model.__dict__.pop("_review_quantiles", None)
    top = proba.argmax(axis=1)
    expected = (1 - proba.max(axis=1) + model.ece[top] > REVIEW_ERROR) | (
        (proba + model.ece > REVIEW_ERROR) & (np.arange(3) != top[:, None])
    ).any(axis=1)
    assert (
        model.predict(["crimson item", "navy olive item", "item"])["needs_review"].tolist()
        == expected.tolist()
    )


@pytest.mark.slow
def test_threshold_prior_pulls_f1_thresholds_toward_half():
    from allegations.model._config import ModelConfig

    texts, sets = _noisy_money(seed=2)
    plain = train(texts, sets, seed=0, config=ModelConfig(threshold_prior=0.0))
    pulled = train(texts, sets, seed=0, config=ModelConfig(threshold_prior=1e6))
    for label in plain.labels:
        assert abs(pulled.card["thresholds"][label] - 0.5) < 1e-3
    assert max(abs(t - 0.5) for t in plain.card["thresholds"].values()) > 0.01
    from allegations.training._train import PRIOR_GRID

    assert plain.card["cross_validation"]["threshold_prior"] == 0.0
    assert pulled.card["cross_validation"]["threshold_prior"] == 1e6
    # a negative prior is chosen on the training data's own cross-fitted decisions; the
    # default is none
    auto = train(texts, sets, seed=0, config=ModelConfig(threshold_prior=-1.0))
    assert auto.card["cross_validation"]["threshold_prior"] in PRIOR_GRID
    assert ModelConfig().threshold_prior == 0.0


def test_card_records_each_labels_candidate_and_the_config():
    from allegations.model._config import ModelConfig

    texts, sets = _noisy_money(seed=4)
    model = train(texts, sets, seed=0)
    cv = model.card["cross_validation"]
    config = model.card["model"]["config"]
    assert config["nb_grid"] == [False, True] and config["ensemble"] is True
    assert config["exclusive_C_grid"] == list(ModelConfig().exclusive_C_grid)
    classifier = model.pipeline.named_steps["classify"]
    for j, label in enumerate(model.labels):
        # the fitted classifier is the one the card names, member for member
        assert np.atleast_1d(cv["C"][label]).tolist() == np.atleast_1d(classifier.C[j]).tolist()
        assert (
            np.atleast_1d(cv["nb_scale"][label]).tolist()
            == np.atleast_1d(classifier.nb_scale[j]).tolist()
        )
        members = np.atleast_1d(cv["C"][label])
        assert set(members.tolist()) <= set(config["C_grid"])
    assert "naive-Bayes" in model.card["model"]["classifier"]


def test_label_source_is_recorded_from_the_argument_or_the_codebook(corpus, tmp_path):
    texts = corpus.text.tolist()
    sets = [s.split(";") if s else [] for s in corpus.labels]
    book = tmp_path / "codebook.toml"
    book.write_text(
        '[codebook]\nname = "t"\nlabel_source = "hand-labelled by  2 reviewers"\n'
        + "".join(f'[[labels]]\nname = "{x}"\n' for x in sorted(PHRASES)),
        encoding="utf-8",
    )
    cb = load_codebook(book)
    assert cb.to_dict()["label_source"] == "hand-labelled by  2 reviewers"
    assert Codebook.from_dict(cb.to_dict()).extra == cb.extra
    model = train(texts, sets, codebook=cb, seed=0)
    assert model.card["label_source"] == "hand-labelled by 2 reviewers"
    given = train(texts, sets, codebook=cb, seed=0, label_source="the agency's own codes")
    assert given.card["label_source"] == "the agency's own codes"


# -- small data (issue 19.5) -----------------------------------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from allegations.errors import AllegationsError  # noqa: E402
from allegations.model._config import ModelConfig  # noqa: E402
from allegations.training._crossval import fold_count  # noqa: E402

PILOT_WORDS = (
    "officer pushed struck cursed yelled report theft refused slur baton arrest "
    "phone help driver punched kicked"
).split()
#: One candidate model: the property below is about the folds, not the choice of C.
SMALL = ModelConfig(C_grid=(2.0,), exclusive_C_grid=(1.0,), nb_grid=(False,), ensemble=False)


def _pilot(per_class: int = 4) -> tuple[list[str], list[list[str]]]:
    names = ["PHYSICAL ABUSE", "VERBAL ABUSE", "LACK OF SERVICE"]
    texts, sets = [], []
    for j, name in enumerate(names):
        for i in range(per_class):
            texts.append(f"{PILOT_WORDS[j * 4 + i]} {name.lower()} case {i} {PILOT_WORDS[i]}")
            sets.append([name])
    return texts, sets


def test_twelve_row_pilot_trains_with_fewer_folds_and_says_so():
    texts, sets = _pilot(4)
    model = train(texts, sets, seed=0, config=SMALL)
    cv = model.card["cross_validation"]
    assert cv["n_folds"] == 4
    assert any("Small data: 4-fold cross-validation instead of 5" in n for n in model.card["notes"])
    assert not any("Small data" in n for n in train(*_pilot(6), seed=0, config=SMALL).card["notes"])


def test_fold_count_shrinks_to_the_largest_stratum_and_stops_below_two():
    y = np.array([[1, 0]] * 3 + [[0, 1]] * 2)
    assert fold_count(y, np.arange(5), 5) == 3
    assert fold_count(y, np.array([0, 0, 1, 1, 2]), 5) == 3
    with pytest.raises(InputError, match="fewer than two groups"):
        fold_count(y, np.zeros(5), 5)
    with pytest.raises(InputError, match="at least 2 cases of one label"):
        fold_count(np.eye(4, dtype=int), np.arange(4), 5)


def test_exclusive_fold_holding_a_label_with_one_case_scores_the_other_label():
    # 10 'A' and one 'C': a fold trains on 'A' alone (a multinomial model cannot be fitted).
    texts = [f"{w} {i}" for i, w in enumerate(PILOT_WORDS[:11])]
    model = train(texts, [["A"]] * 10 + [["C"]], seed=8, config=SMALL)
    assert model.labels == ["A", "C"] and model.exclusive


@st.composite
def small_label_tables(draw):
    n = draw(st.integers(10, 16))
    names = ["A", "B", "C", "D"][: draw(st.integers(2, 4))]
    multi = draw(st.booleans())
    pick = (
        st.lists(st.sampled_from(names), max_size=3, unique=True)
        if multi
        else st.sampled_from(names).map(lambda x: [x])
    )
    sets = draw(st.lists(pick, min_size=n, max_size=n))
    texts = draw(
        st.lists(
            st.lists(st.sampled_from(PILOT_WORDS), min_size=1, max_size=6).map(" ".join),
            min_size=n,
            max_size=n,
        )
    )
    return texts, sets, draw(st.integers(0, 3))


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_label_tables())
def test_small_label_tables_train_or_fail_clearly(table):
    """Any small table (single- or multi-label, rare labels, duplicates) trains, or stops
    with an allegations error: never an internal error."""
    texts, sets, seed = table
    try:
        model = train(texts, sets, seed=seed, config=SMALL)
    except AllegationsError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert 2 <= model.card["cross_validation"]["n_folds"] <= 5
