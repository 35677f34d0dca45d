from __future__ import annotations

import numpy as np
import pytest

from allegations.errors import InputError
from allegations.model._thresholds import Goal, choose_threshold, parse_goal


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
