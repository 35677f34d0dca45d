"""The scikit-learn side of the model: features, classifier, calibration, thresholds.

No I/O here. :mod:`allegations.train` wires these pieces into cross-validation, and
:class:`allegations.tagger.Tagger` applies them to new texts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline

from .errors import InputError
from .preprocess import split_tokens

__all__ = [
    "ModelConfig",
    "Goal",
    "parse_goal",
    "build_pipeline",
    "decision_scores",
    "PlattCalibrator",
    "choose_threshold",
    "review_bands",
    "confidence_scores",
]


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of the default model. Defaults are the shipped choices."""

    ngram_max: int = 2
    min_df: int = 2
    max_df: float = 0.9
    C: float = 4.0
    class_weight: str | None = "balanced"
    n_folds: int = 5

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy for the model card."""
        return dict(self.__dict__)


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


def build_pipeline(config: ModelConfig, *, exclusive: bool, seed: int) -> Pipeline:
    """Build the unfitted features + classifier pipeline (it takes preprocessed docs).

    Parameters
    ----------
    config : ModelConfig
    exclusive : bool
        True for one label per case (multinomial), False for multi-label (one-vs-rest).
    seed : int
        The random state of the solvers.
    """
    features = TfidfVectorizer(
        tokenizer=split_tokens,
        token_pattern=None,
        lowercase=False,
        preprocessor=None,
        ngram_range=(1, config.ngram_max),
        min_df=config.min_df,
        max_df=config.max_df,
        sublinear_tf=True,
        dtype=np.float32,
    )
    if exclusive:
        classifier: Any = LogisticRegression(
            C=config.C,
            class_weight=config.class_weight,
            max_iter=2000,
            random_state=seed,
        )
    else:
        classifier = OneVsRestClassifier(
            LogisticRegression(
                C=config.C,
                class_weight=config.class_weight,
                solver="liblinear",
                max_iter=2000,
                random_state=seed,
            )
        )
    return Pipeline([("features", features), ("classify", classifier)])


def decision_scores(
    pipeline: Pipeline, docs: Sequence[str] | np.ndarray, n_labels: int
) -> np.ndarray:
    """Return raw classifier scores, shape (n_docs, n_labels), one column per label."""
    scores = np.asarray(pipeline.decision_function(docs), dtype=np.float64)
    if scores.ndim == 1:  # binary exclusive problem: sklearn returns the positive column only
        scores = np.column_stack([-scores, scores])
    classes = getattr(pipeline[-1], "classes_", None)
    if classes is not None and len(classes) == n_labels and scores.shape[1] == n_labels:
        return scores
    if scores.shape[1] != n_labels:  # a fold missing a class: place known columns
        full = np.full((scores.shape[0], n_labels), -1e3)
        full[:, np.asarray(classes, dtype=int)] = scores
        return full
    return scores


class PlattCalibrator:
    """Per-label sigmoid (Platt) calibration of raw scores, fitted on out-of-fold scores.

    ``p = 1 / (1 + exp(-(a * score + b)))`` per label. For exclusive labels the
    calibrated columns are renormalised to sum to one.
    """

    def __init__(self, exclusive: bool = False) -> None:
        self.exclusive = exclusive

    def fit(self, scores: np.ndarray, y: np.ndarray) -> PlattCalibrator:
        """Fit one sigmoid per column of ``scores`` against the 0/1 column of ``y``."""
        n_labels = scores.shape[1]
        self.a_ = np.ones(n_labels)
        self.b_ = np.zeros(n_labels)
        for j in range(n_labels):
            yj = y[:, j]
            if yj.min() == yj.max():  # constant: keep identity sigmoid
                continue
            lr = LogisticRegression(C=1e4, max_iter=1000).fit(scores[:, [j]], yj)
            self.a_[j], self.b_[j] = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        return self

    def transform(self, scores: np.ndarray) -> np.ndarray:
        """Return calibrated probabilities, same shape as ``scores``."""
        z = np.clip(scores * self.a_ + self.b_, -35.0, 35.0)
        proba = 1.0 / (1.0 + np.exp(-z))
        if self.exclusive:
            proba = proba / np.maximum(proba.sum(axis=1, keepdims=True), 1e-12)
        return proba


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


def review_bands(thresholds: np.ndarray, low: float = 0.25, high: float = 0.75) -> np.ndarray:
    """Return each label's uncertainty band, shape (n_labels, 2).

    The band is [min(low, t/2), max(high, (1+t)/2)]: it always contains the threshold
    ``t``, and a probability inside it means the call could go either way.
    """
    t = np.asarray(thresholds, dtype=np.float64)
    return np.column_stack([np.minimum(low, t / 2), np.maximum(high, (1 + t) / 2)])


def confidence_scores(proba: np.ndarray) -> np.ndarray:
    """Return one confidence per case: the smallest ``|2p - 1|`` over its labels (0-1).

    1 means every label's probability is 0 or 1; 0 means some label is a coin toss.
    """
    if proba.shape[1] == 0:
        return np.ones(proba.shape[0])
    return np.abs(2.0 * proba - 1.0).min(axis=1)
