from __future__ import annotations

import numpy as np
import pytest

from allegations.errors import InputError
from allegations.model.classifier import (
    Goal,
    ModelConfig,
    PlattCalibrator,
    choose_threshold,
    parse_goal,
)
from allegations.model.features import LemmaFeatures


@pytest.mark.parametrize(
    ("text", "goal"),
    [
        ("f1", Goal("f1")),
        ("precision=0.9", Goal("precision", 0.9)),
        (" Recall = .8 ", Goal("recall", 0.8)),
    ],
)
def test_parse_goal(text, goal):
    assert parse_goal(text) == goal


@pytest.mark.parametrize("text", ["f2", "precision", "precision=1.5", "f1=0.3", ""])
def test_parse_goal_errors(text):
    with pytest.raises(InputError, match="Goal"):
        parse_goal(text)


def _noisy_label(seed=0, n=400):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.3
    p = np.clip(np.where(y, rng.normal(0.65, 0.2, n), rng.normal(0.3, 0.2, n)), 0, 1)
    return y.astype(int), p


def _precision_recall(y, p, t):
    pred = p >= t
    tp = (pred & (y == 1)).sum()
    return tp / max(pred.sum(), 1), tp / max((y == 1).sum(), 1)


def test_precision_goal_reaches_the_target_out_of_fold():
    y, p = _noisy_label()
    t, met = choose_threshold(y, p, Goal("precision", 0.9))
    precision, recall = _precision_recall(y, p, t)
    assert met and precision >= 0.9
    # and it is the most recall one can get at that precision
    t_f1, _ = choose_threshold(y, p, Goal("f1"))
    assert t > t_f1 and recall > 0


def test_recall_goal_reaches_the_target():
    y, p = _noisy_label(1)
    t, met = choose_threshold(y, p, Goal("recall", 0.8))
    assert met and _precision_recall(y, p, t)[1] >= 0.8


def test_f1_threshold_is_best_among_all_cuts():
    y, p = _noisy_label(2)
    t, _ = choose_threshold(y, p, Goal("f1"))

    def f1(th):
        pr, rc = _precision_recall(y, p, th)
        return 2 * pr * rc / (pr + rc) if pr + rc else 0

    assert f1(t) >= max(f1(th) for th in np.unique(p)) - 1e-12


def test_unreachable_goal_falls_back_to_f1():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.5, 0.5, 0.5, 0.5])
    t, met = choose_threshold(y, p, Goal("precision", 0.9))
    assert not met and 0 < t <= 0.5


def test_threshold_sits_between_cases():
    y = np.array([1, 1, 0, 0])
    p = np.array([0.9, 0.7, 0.3, 0.1])
    t, _ = choose_threshold(y, p, Goal("f1"))
    assert t == pytest.approx(0.5)


def test_platt_calibration_is_monotone_and_calibrated():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(2000, 1)) * 3
    y = (rng.random((2000, 1)) < 1 / (1 + np.exp(-scores))).astype(int)
    cal = PlattCalibrator().fit(scores * 0.5 + 1, y)
    proba = cal.transform(scores * 0.5 + 1)
    order = np.argsort(scores[:, 0])
    assert np.all(np.diff(proba[order, 0]) >= -1e-12)
    assert abs(proba.mean() - y.mean()) < 0.02


def _sparse_problem(seed=0, n=200, d=40):
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.15, random_state=seed, format="csr")
    w = rng.normal(size=(d, 2))
    Y = (np.asarray(X @ w) + rng.normal(scale=0.3, size=(n, 2)) > 0.1).astype(int)
    return X, Y


def test_nb_ratio_signs_follow_the_label():
    import scipy.sparse as sp

    from allegations.model.classifier import nb_ratio

    # feature 0 only in positives, feature 1 only in negatives, feature 2 in all
    present = sp.csr_matrix(np.array([[1, 0, 1], [1, 0, 1], [0, 1, 1], [0, 1, 1]], float))
    r = nb_ratio(present, np.array([1, 1, 0, 0]))
    assert r[0] > 0 > r[1] and abs(r[2]) < 1e-12


def test_nb_scaling_folds_into_one_linear_model():
    from sklearn.linear_model import LogisticRegression

    from allegations.model.classifier import PerLabelLogistic, nb_ratio

    X, Y = _sparse_problem()
    folded = PerLabelLogistic(C=2.0, nb_scale=True).fit(X, Y)
    present = X.copy()
    present.data[:] = 1.0
    for j in range(Y.shape[1]):
        r = nb_ratio(present, Y[:, j])
        Xr = X.multiply(r).tocsr()
        lr = LogisticRegression(C=2.0, class_weight="balanced", solver="liblinear").fit(Xr, Y[:, j])
        # the folded weights score raw features exactly as the model fitted on scaled ones
        np.testing.assert_allclose(
            folded.decision_function(X)[:, j], lr.decision_function(Xr), atol=1e-8
        )
    plain = PerLabelLogistic(C=2.0).fit(X, Y)
    assert not np.allclose(plain.coef_, folded.coef_)


def test_member_average_is_the_mean_of_member_logits():
    from allegations.model.classifier import PerLabelLogistic

    X, Y = _sparse_problem(1)
    both = PerLabelLogistic(C=((1.0, 8.0), 2.0), nb_scale=((False, True), False)).fit(X, Y)
    a = PerLabelLogistic(C=1.0).fit(X, Y).decision_function(X)[:, 0]
    b = PerLabelLogistic(C=8.0, nb_scale=True).fit(X, Y).decision_function(X)[:, 0]
    c = PerLabelLogistic(C=2.0).fit(X, Y).decision_function(X)[:, 1]
    scores = both.decision_function(X)
    np.testing.assert_allclose(scores[:, 0], (a + b) / 2, atol=1e-8)
    np.testing.assert_allclose(scores[:, 1], c, atol=1e-8)
    assert both.coef_.shape == (2, X.shape[1])


@pytest.mark.parametrize("n", [0, 3])
def test_config_refuses_an_ngram_length_the_features_do_not_build(n):
    # Only unigrams and bigrams exist: 3 used to be read as 2 while the card said 1-3.
    with pytest.raises(ValueError, match=f"ngram_max is {n}; expected 1 or 2"):
        ModelConfig(ngram_max=n)
    with pytest.raises(ValueError, match=f"ngram_max is {n}; expected 1 or 2"):
        LemmaFeatures(ngram_max=n).fit(["officer stop car", "officer stop car"])


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("lead_sentences", -1, "lead_sentences is -1; expected 0 (no lead block) or more"),
        ("exclusive_lead_sentences", 1.5, "lead_sentences is 1.5; expected a whole number"),
        ("exclusive_lead_sentences", True, "lead_sentences is True; expected a whole number"),
        ("lead_weight", 0, "lead_weight is 0; expected a number above 0"),
        ("lead_weight", float("nan"), "lead_weight is nan; expected a number above 0"),
    ],
)
def test_config_refuses_a_lead_block_the_features_cannot_build(field, value, message):
    import re

    with pytest.raises(ValueError, match=re.escape(message)):
        ModelConfig(**{field: value})
    name = "lead_sentences" if "sentences" in field else field
    with pytest.raises(ValueError, match=re.escape(message)):
        LemmaFeatures(**{name: value}).fit(["officer stop car .", "officer stop car ."])
