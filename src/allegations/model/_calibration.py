"""Calibration of a classifier's raw scores, fitted on out-of-fold scores."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

__all__ = ["PlattCalibrator"]


class PlattCalibrator:
    """Calibration of raw scores, fitted on out-of-fold scores.

    Multi-label: a sigmoid (Platt) per label, ``p = 1 / (1 + exp(-(a * score + b)))``.
    Exclusive: temperature scaling, ``p = softmax(a * scores)`` with one ``a`` fitted by
    log-loss, which calibrates without changing which label scores highest (per-label
    sigmoids renormalised would reorder labels and cost macro-F1).
    """

    def __init__(self, exclusive: bool = False) -> None:
        self.exclusive = exclusive

    def fit(self, scores: np.ndarray, y: np.ndarray) -> PlattCalibrator:
        """Fit one sigmoid per column of ``scores`` against the 0/1 column of ``y``."""
        n_labels = scores.shape[1]
        self.a_ = np.ones(n_labels)
        self.b_ = np.zeros(n_labels)
        if self.exclusive:
            self.a_[:] = _temperature(scores, np.asarray(y).argmax(axis=1))
            return self
        for j in range(n_labels):
            yj = y[:, j]
            if yj.min() == yj.max():  # constant: keep identity sigmoid
                continue
            lr = LogisticRegression(C=1e4, max_iter=1000).fit(scores[:, [j]], yj)
            self.a_[j], self.b_[j] = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        return self

    def transform(self, scores: np.ndarray) -> np.ndarray:
        """Return calibrated probabilities, same shape as ``scores``."""
        if self.exclusive:
            return _softmax(scores * self.a_)
        z = np.clip(scores * self.a_ + self.b_, -35.0, 35.0)
        return 1.0 / (1.0 + np.exp(-z))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _temperature(scores: np.ndarray, target: np.ndarray) -> float:
    """The scale ``a`` minimising the log-loss of ``softmax(a * scores)``."""
    from scipy.optimize import minimize_scalar

    rows = np.arange(len(target))
    # Columns of labels absent from a fold hold -1000: keep them out of the fit.
    scores = np.maximum(scores, scores.max(axis=1, keepdims=True) - 50.0)

    def loss(log_a: float) -> float:
        return float(-np.log(_softmax(scores * np.exp(log_a))[rows, target] + 1e-12).mean())

    result = minimize_scalar(loss, bounds=(-5.0, 5.0), method="bounded")
    return float(np.exp(result.x))
