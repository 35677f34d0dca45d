from __future__ import annotations

import numpy as np
import pytest

from allegations.stats import _reliability as reliability_module
from allegations.stats._metrics import score_predictions
from allegations.stats._reliability import (
    REVIEW_ERROR,
    bootstrap_intervals,
    f1_intervals,
    paired_f1_difference,
    reliability,
    review_bands,
    wrong_chance,
)


def test_reliability_of_a_calibrated_label_is_near_zero():
    rng = np.random.default_rng(0)
    p = rng.random(20000)
    y = (rng.random(20000) < p).astype(int)
    out = reliability(y, p)
    assert out["ece"] < 0.02
    assert sum(b["count"] for b in out["bins"]) == 20000
    for b in out["bins"]:
        assert b["lower"] <= b["mean_predicted"] <= b["upper"]
        assert abs(b["fraction_positive"] - b["mean_predicted"]) < 0.05


def test_reliability_catches_overconfidence():
    rng = np.random.default_rng(1)
    p = rng.random(5000)
    y = (rng.random(5000) < 0.5).astype(int)  # p says nothing
    assert reliability(y, p)["ece"] > 0.2


def test_bands_contain_threshold_and_widen_with_calibration_error():
    t = np.array([0.1, 0.5, 0.9])
    tight, wide = review_bands(t, np.zeros(3)), review_bands(t, np.full(3, 0.1))
    assert np.all(tight[:, 0] <= t) and np.all(tight[:, 1] >= t)
    assert tight[1].tolist() == pytest.approx([REVIEW_ERROR, 1 - REVIEW_ERROR])
    assert np.all(wide[:, 0] <= tight[:, 0]) and np.all(wide[:, 1] >= tight[:, 1])
    wrong = wrong_chance(np.array([[0.9, 0.2]]), np.array([[1, 0]]))
    assert wrong[0].tolist() == pytest.approx([0.1, 0.2])


def test_bootstrap_intervals_cover_the_point_estimate():
    rng = np.random.default_rng(2)
    y = (rng.random((400, 2)) < 0.3).astype(int)
    pred = np.where(rng.random((400, 2)) < 0.8, y, 1 - y)
    out = bootstrap_intervals(y, pred, n_boot=300, seed=0)
    for j in range(2):
        tp = (y[:, j] & pred[:, j]).sum()
        precision, recall = tp / pred[:, j].sum(), tp / y[:, j].sum()
        lo, hi = out[j]["precision"]
        assert lo < precision < hi and hi - lo < 0.2
        lo, hi = out[j]["recall"]
        assert lo < recall < hi
    assert bootstrap_intervals(y, pred, n_boot=50, seed=3) == bootstrap_intervals(
        y, pred, n_boot=50, seed=3
    )


def _noisy(y: np.ndarray, keep: float, rng: np.random.Generator) -> np.ndarray:
    """Decisions that agree with ``y`` on about ``keep`` of the entries."""
    return np.where(rng.random(y.shape) < keep, y, 1 - y)


def test_paired_difference_is_the_difference_of_the_benchmark_scores():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(4)
    y = (rng.random((600, 4)) < 0.3).astype(int)
    y[:, 3] = 0
    y[:3, 3] = 1  # three cases: left out of macro-F1, as the benchmark scores
    better, worse = _noisy(y, 0.9, rng), _noisy(y, 0.75, rng)
    out = paired_f1_difference(y, better, worse, margins=(0.0, 0.03), n_boot=400, seed=0)
    micro = f1_score(y, better, average="micro") - f1_score(y, worse, average="micro")
    macro = f1_score(y[:, :3], better[:, :3], average="macro") - f1_score(
        y[:, :3], worse[:, :3], average="macro"
    )
    assert out["micro"]["difference"] == pytest.approx(micro, abs=1e-4)
    assert out["macro"]["difference"] == pytest.approx(macro, abs=1e-4)
    lo, hi = out["macro"]["interval"]
    assert 0 < lo < macro < hi
    assert out["macro"]["share_above"][0.0] == 1.0
    # Swapping the systems mirrors the interval.
    swapped = paired_f1_difference(y, worse, better, margins=(0.0, 0.03), n_boot=400, seed=0)
    assert swapped["macro"]["interval"] == pytest.approx([-hi, -lo], abs=1e-4)
    assert swapped["macro"]["share_above"][0.0] == 0.0


def test_paired_difference_of_a_system_with_itself_is_zero_and_seeded():
    rng = np.random.default_rng(5)
    y = (rng.random((200, 3)) < 0.4).astype(int)
    a, b = _noisy(y, 0.8, rng), _noisy(y, 0.8, rng)
    same = paired_f1_difference(y, a, a, margins=(0.0, 0.03), n_boot=100)
    assert same["macro"] == {
        "difference": 0.0,
        "interval": [0.0, 0.0],
        "share_above": {0.0: 1.0, 0.03: 0.0},
    }
    assert paired_f1_difference(y, a, b, n_boot=100, seed=7) == paired_f1_difference(
        y, a, b, n_boot=100, seed=7
    )
    assert set(paired_f1_difference(y, a, b, n_boot=10)["micro"]["share_above"]) == {0.0}


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda y, a: (y, a[:, :2]), "three equal 2-D shapes"),
        (lambda y, a: (y[:0], a[:0]), "at least one case"),
        (lambda y, a: (y, a * 0.7), "a holds values other than 0 and 1"),
        (lambda y, a: (np.where(y == 1, np.nan, 0), a), "y holds values other than 0 and 1"),
    ],
)
def test_paired_difference_refuses_what_is_not_two_sets_of_decisions(change, message):
    rng = np.random.default_rng(6)
    y = (rng.random((50, 3)) < 0.4).astype(int)
    y2, a = change(y, _noisy(y, 0.8, rng))
    b = np.zeros(a.shape) if a.shape == y2.shape else _noisy(y, 0.8, rng)
    with pytest.raises(ValueError, match=message):
        paired_f1_difference(y2, a, b)


def _decisions(n: int, seed: int = 0, n_labels: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """True labels and decisions that get about one in seven wrong."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, n_labels)) < 0.3).astype(int)
    pred = np.where(rng.random((n, n_labels)) < 0.15, 1 - y, y)
    return y, pred


def test_f1_intervals_are_deterministic_and_hold_the_point_estimates():
    y, pred = _decisions(300)
    out = f1_intervals(y, pred, n_boot=300, seed=1)
    assert out == f1_intervals(y, pred, n_boot=300, seed=1)
    assert out != f1_intervals(y, pred, n_boot=300, seed=2)
    scored = score_predictions(y, pred, ["a", "b", "c"])
    for name in ("micro_f1", "macro_f1"):
        low, high = out[name]
        assert low < scored[name] < high


def test_f1_intervals_narrow_with_more_cases():
    small = f1_intervals(*_decisions(100), n_boot=300)
    large = f1_intervals(*_decisions(2000), n_boot=300)
    for name in ("micro_f1", "macro_f1"):
        assert large[name][1] - large[name][0] < (small[name][1] - small[name][0]) / 2


def test_f1_intervals_leave_out_labels_below_min_support_as_score_predictions_does():
    y, pred = _decisions(300)
    y[:, 2] = 0
    y[:3, 2] = 1  # three true cases, fewer than MIN_SUPPORT
    pred[:, 2] = 0  # its F1 is 0: counted, it would pull the macro-F1 down by a third
    scored = score_predictions(y, pred, ["a", "b", "rare"])
    assert scored["per_label"][2]["too_few"]
    low, high = f1_intervals(y, pred, n_boot=300)["macro_f1"]
    assert low < scored["macro_f1"] < high
    every = f1_intervals(y, pred, min_support=0, n_boot=300)["macro_f1"]
    assert every[0] < scored["macro_f1_all_labels"] < every[1] < low
    assert f1_intervals(y, pred, min_support=10_000, n_boot=50)["macro_f1"] is None
    assert f1_intervals(y[:0], pred[:0]) == {"micro_f1": None, "macro_f1": None}


def test_f1_intervals_draw_resamples_in_blocks(monkeypatch):
    y, pred = _decisions(300)
    whole = f1_intervals(y, pred, n_boot=10, seed=4)
    monkeypatch.setattr(reliability_module, "_MAX_WEIGHTS", 900)  # blocks of 3 resamples
    blocked = f1_intervals(y, pred, n_boot=10, seed=4)
    assert blocked == f1_intervals(y, pred, n_boot=10, seed=4)
    for name in ("micro_f1", "macro_f1"):
        assert blocked[name][0] <= blocked[name][1]
        assert abs(blocked[name][0] - whole[name][0]) < 0.05
