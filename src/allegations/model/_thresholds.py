"""Operating points: a label's goal (F1, a precision or a recall) and the threshold that
reaches it on out-of-fold probabilities."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["Goal", "parse_goal", "choose_threshold"]


@dataclass(frozen=True)
class Goal:
    """A per-label operating point: maximise F1, or reach a precision or recall."""

    metric: str  # "f1", "precision" or "recall"
    target: float | None = None

    def __str__(self) -> str:
        return self.metric if self.target is None else f"{self.metric}={self.target:g}"


_GOAL_RE = re.compile(r"^\s*(f1|precision|recall)\s*(?:=\s*([0-9]*\.?[0-9]+)\s*)?$", re.I)


def parse_goal(text: str) -> Goal:
    """Parse ``f1``, ``precision=0.9`` or ``recall=0.8``.

    Raises
    ------
    InputError
        If the text is not one of those forms or the target is outside (0, 1].
    """
    match = _GOAL_RE.match(str(text))
    if not match:
        raise InputError(f"Goal '{text}' is not understood; use f1, precision=0.9 or recall=0.8.")
    metric, target = match.group(1).lower(), match.group(2)
    if metric == "f1":
        if target is not None:
            raise InputError(f"Goal '{text}': f1 takes no target; use plain f1.")
        return Goal("f1")
    if target is None:
        raise InputError(f"Goal '{text}' needs a target, for example {metric}=0.9.")
    value = float(target)
    if not 0.0 < value <= 1.0:
        raise InputError(
            f"Goal '{text}': the target must be between 0 and 1, for example {metric}=0.9."
        )
    return Goal(metric, value)


def choose_threshold(y: np.ndarray, p: np.ndarray, goal: Goal) -> tuple[float, bool]:
    """Choose one label's threshold on out-of-fold probabilities.

    A case is positive when ``p >= threshold``. The candidates are midpoints between
    consecutive distinct probabilities, so the threshold does not sit on a training case.

    Parameters
    ----------
    y : array of 0/1
    p : array of float
        Out-of-fold probabilities for the same cases.
    goal : Goal
        ``f1``: maximise F1. ``precision=x``: the highest recall whose precision is at
        least x. ``recall=x``: the highest precision whose recall is at least x.

    Returns
    -------
    (threshold, met)
        ``met`` is False when the goal cannot be reached; the F1-best threshold is used.
    """
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=np.float64)
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        return 0.5, goal.metric == "f1"
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    k = np.arange(1, len(ys) + 1)
    # Only cut between distinct probabilities: the last index of each run of equal values.
    last = np.r_[ps[1:] != ps[:-1], True]
    precision = (tp / k)[last]
    recall = (tp / n_pos)[last]
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    cut_idx = np.flatnonzero(last)
    below = np.r_[ps[cut_idx[:-1] + 1], max(ps[-1] - 1e-3, 0.0)]
    thresholds = (ps[cut_idx] + below) / 2
    met = True
    target = goal.target if goal.target is not None else 0.0
    if goal.metric == "precision":
        ok = precision >= target - 1e-12
        best = int(np.flatnonzero(ok)[np.argmax(recall[ok])]) if ok.any() else -1
    elif goal.metric == "recall":
        ok = recall >= target - 1e-12
        best = int(np.flatnonzero(ok)[np.argmax(precision[ok])]) if ok.any() else -1
    else:
        best = int(np.argmax(f1))
    if best < 0:
        met, best = False, int(np.argmax(f1))
    return float(thresholds[best]), met
