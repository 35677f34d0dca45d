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
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from .errors import InputError
from .features import LemmaFeatures

__all__ = [
    "ModelConfig",
    "Goal",
    "parse_goal",
    "build_pipeline",
    "decision_scores",
    "label_scores",
    "PlattCalibrator",
    "ExclusiveLogistic",
    "LabelStack",
    "choose_threshold",
]


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of the default model. Defaults are the shipped choices."""

    ngram_max: int = 2
    min_df: int = 2
    max_df: float = 0.9
    affix_range: tuple[int, int] = (3, 5)
    #: Scale of the affix block relative to the word block.
    affix_weight: float = 1.0
    #: Inverse regularisation strengths tried; out-of-fold average precision picks one
    #: per label (multi-label).
    C_grid: tuple[float, ...] = (2.0, 8.0)
    #: The same for exclusive labels: one C for the multinomial model, by the mean over
    #: labels (the grids were chosen on benchmarks/dev_quality.py's splits).
    exclusive_C_grid: tuple[float, ...] = (1.0, 2.0, 8.0)
    #: Naive-Bayes feature scaling (NBSVM-style; multi-label only) tried off and on: the
    #: out-of-fold average precision picks per label, as for C.
    nb_grid: tuple[bool, ...] = (False, True)
    #: Also try, per label, the average of the logits of every (C, scaling) candidate
    #: (one linear model: the mean of their weights).
    ensemble: bool = True
    #: Labels with fewer positive training cases than this take the logit mean without
    #: a choice (0: every label chooses).
    ensemble_below: int = 0
    #: F1 thresholds are pulled toward 0.5 with weight prior / (prior + n_positive): a
    #: threshold tuned on few positives is noisy. 0 turns this off; a negative value
    #: chooses it from (0, 5, 20) on the training data's cross-fitted decisions.
    threshold_prior: float = -1.0
    #: How an f1 goal's threshold is read off the out-of-fold probabilities: "half_f1"
    #: (half the best out-of-fold F1, the optimum for calibrated probabilities) or
    #: "best_cut" (the cut with the best out-of-fold F1).
    threshold_rule: str = "half_f1"
    class_weight: str | None = "balanced"
    #: Exclusive models: exponents ``alpha`` of partial class balancing, class weight
    #: ``(n / (k * n_c)) ** alpha`` (1 is "balanced", 0 unweighted). With several values,
    #: training picks one by the out-of-fold mean of micro- and macro-F1.
    exclusive_balance_grid: tuple[float, ...] = (1.0,)
    #: Exclusive models: also try the mean of the logits of every ``exclusive_C_grid``
    #: member (one linear model: the mean of their weights).
    exclusive_ensemble: bool = False
    #: Exclusive models: add ``beta * log(class frequency)`` to each class's logit (logit
    #: adjustment, which undoes part of the balancing after the fit), ``beta`` chosen
    #: from this grid by the out-of-fold mean of micro- and macro-F1. Folded into the
    #: intercepts.
    exclusive_prior_shift_grid: tuple[float, ...] = (0.0,)
    #: Multi-label models: stacked binary relevance. A second logistic regression per
    #: label on the first stage's scores of every label (label co-occurrence), fitted on
    #: out-of-fold scores and kept for a label when its out-of-fold average precision
    #: beats the first stage's. 0 turns it off; otherwise the second stage's C.
    stack_C: float = 0.0
    n_folds: int = 5

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy for the model card."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


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


class PerLabelLogistic(ClassifierMixin, BaseEstimator):
    """One class-weighted logistic regression per label column, each with its own C.

    Parameters
    ----------
    C : float or tuple
        One value for every label, or one entry per label column. An entry may be a
        tuple of values: the label's model is then the average of the logits of one
        regression per value (paired with the same-length entry of ``nb_scale``), which
        is one linear model and stored as one.
    class_weight : str or None
    seed : int
    nb_scale : bool or tuple
        For every label, or per label column (entries as for ``C``): scale the features
        by their naive-Bayes log-count ratio before fitting (NBSVM-style, Wang and
        Manning 2012), so that words that separate the label's cases start with more
        weight. The ratio is folded into ``coef_``, so prediction is unchanged
        in cost.

    Attributes
    ----------
    coef_ : numpy.ndarray, shape (n_labels, n_features)
    intercept_ : numpy.ndarray, shape (n_labels,)
        A label constant in the training data gets zero weights and an intercept of
        -/+ 1000 (always no / always yes).
    """

    def __init__(
        self,
        C: float | tuple[Any, ...] = 4.0,
        class_weight: str | None = "balanced",
        seed: int = 0,
        nb_scale: bool | tuple[Any, ...] = False,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.seed = seed
        self.nb_scale = nb_scale

    def fit(self, X: Any, Y: np.ndarray) -> PerLabelLogistic:
        """Fit one liblinear logistic regression per column of the 0/1 matrix ``Y``."""
        Y = np.asarray(Y)
        n_labels = Y.shape[1]
        cs = [self.C] * n_labels if np.isscalar(self.C) else list(self.C)  # type: ignore[arg-type]
        nbs = [self.nb_scale] * n_labels if np.isscalar(self.nb_scale) else list(self.nb_scale)  # type: ignore[arg-type]
        self.coef_ = np.zeros((n_labels, X.shape[1]))
        self.intercept_ = np.zeros(n_labels)
        present = None
        if any(np.any(nb) for nb in nbs):
            present = sp.csr_matrix(X, copy=True)
            present.data = (present.data != 0).astype(np.float64)
        for j in range(n_labels):
            yj = Y[:, j]
            if yj.min() == yj.max():
                self.intercept_[j] = 1e3 if yj[0] else -1e3
                continue
            members = list(zip(np.atleast_1d(cs[j]), np.atleast_1d(nbs[j]), strict=True))
            scale = nb_ratio(present, yj) if present is not None else None
            for c, nb in members:
                Xj = sp.csr_matrix(X).multiply(scale).tocsr() if nb and scale is not None else X
                lr = LogisticRegression(
                    C=float(c),
                    class_weight=self.class_weight,
                    solver="liblinear",
                    max_iter=2000,
                    random_state=self.seed,
                ).fit(Xj, yj)
                # NB scaling folds into the weights: (x * r) . w == x . (r * w); the mean
                # of several members' logits is the logit of their mean weights.
                w = lr.coef_[0] * scale if nb and scale is not None else lr.coef_[0]
                self.coef_[j] += w / len(members)
                self.intercept_[j] += lr.intercept_[0] / len(members)
        self.classes_ = np.arange(n_labels)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Raw scores, shape (n_docs, n_labels)."""
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def predict(self, X: Any) -> np.ndarray:
        """0/1 decisions at score 0."""
        return (self.decision_function(X) > 0).astype(np.int8)


class ExclusiveLogistic(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression with partial class balancing and member averaging.

    Parameters
    ----------
    C : float or tuple of float
        One value, or several: the model is then the mean of the logits of one
        regression per value, stored as one linear model (the mean of their weights).
    balance : float
        Class weights ``(n / (k * n_c)) ** balance`` when ``class_weight`` is
        ``"balanced"``: 1 is scikit-learn's balanced weighting, 0 none.
    class_weight : str or None
    seed : int
    prior_shift : float
        Added to each class's logit: ``prior_shift * log(n_c / n)`` of the training
        labels, folded into ``intercept_``.

    Attributes
    ----------
    coef_, intercept_, classes_
        As :class:`sklearn.linear_model.LogisticRegression` (one row for two classes).
    """

    def __init__(
        self,
        C: float | tuple[float, ...] = 1.0,
        balance: float = 1.0,
        class_weight: str | None = "balanced",
        seed: int = 0,
        prior_shift: float = 0.0,
    ) -> None:
        self.C = C
        self.balance = balance
        self.class_weight = class_weight
        self.seed = seed
        self.prior_shift = prior_shift

    def fit(self, X: Any, y: np.ndarray) -> ExclusiveLogistic:
        """Fit the multinomial regression(s) on class indices ``y``."""
        y = np.asarray(y)
        classes, counts = np.unique(y, return_counts=True)
        weights: Any = None
        if self.class_weight == "balanced":
            base = len(y) / (len(classes) * counts)
            weights = {c: float(w) for c, w in zip(classes, base**self.balance, strict=True)}
        members = np.atleast_1d(np.asarray(self.C, dtype=np.float64))
        coef: Any = 0.0
        intercept: Any = 0.0
        for c in members:
            lr = LogisticRegression(
                C=float(c), class_weight=weights, max_iter=2000, random_state=self.seed
            ).fit(X, y)
            coef = coef + lr.coef_ / len(members)
            intercept = intercept + lr.intercept_ / len(members)
        shift = self.prior_shift * np.log(counts / len(y))
        if len(classes) == 2:  # one row: the score of the second class minus the first
            intercept = intercept + (shift[1] - shift[0])
        else:
            intercept = intercept + shift
        self.coef_ = np.asarray(coef)
        self.intercept_ = np.asarray(intercept)
        self.classes_ = classes
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Raw scores: (n_docs, n_classes), or (n_docs,) for two classes as scikit-learn."""
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X: Any) -> np.ndarray:
        """The class with the highest score."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[scores.argmax(axis=1)]


def nb_ratio(present: Any, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """The naive-Bayes log-count ratio of each feature for the 0/1 labels ``y``.

    ``log((a + p) / (a + p).sum()) - log((a + q) / (a + q).sum())`` where ``p`` and ``q``
    count the positive and negative cases each feature occurs in (``present`` is the 0/1
    occurrence matrix) and ``a`` is the smoothing ``alpha``.
    """
    y = np.asarray(y).astype(bool)
    p = alpha + np.asarray(present[y].sum(axis=0)).ravel()
    q = alpha + np.asarray(present[~y].sum(axis=0)).ravel()
    return np.asarray(np.log(p / p.sum()) - np.log(q / q.sum()))


def build_pipeline(
    config: ModelConfig,
    *,
    exclusive: bool,
    seed: int,
    C: float | tuple[Any, ...] | None = None,
    nb_scale: bool | tuple[Any, ...] = False,
    balance: float = 1.0,
    prior_shift: float = 0.0,
) -> Pipeline:
    """Build the unfitted features + classifier pipeline (it takes preprocessed docs).

    Parameters
    ----------
    config : ModelConfig
    exclusive : bool
        True for one label per case (multinomial), False for multi-label (one-vs-rest).
    seed : int
        The random state of the solvers.
    C : float or tuple of float, optional
        The regularisation: one value, or one per label (multi-label only); by default
        the first of ``config.C_grid`` (``config.exclusive_C_grid`` when exclusive).
    nb_scale : bool or tuple of bool
        Naive-Bayes feature scaling, for every label or per label (multi-label only).
    balance, prior_shift : float
        Exclusive only: see :class:`ExclusiveLogistic`. With the defaults (1 and 0) and
        one ``C`` the classifier is scikit-learn's ``LogisticRegression``.
    """
    if C is None:
        C = config.exclusive_C_grid[0] if exclusive else config.C_grid[0]
    features = LemmaFeatures(
        ngram_max=config.ngram_max,
        min_df=config.min_df,
        max_df=config.max_df,
        affix_range=config.affix_range,
        affix_weight=config.affix_weight,
    )
    if exclusive and (not np.isscalar(C) or balance != 1.0 or prior_shift != 0.0):
        classifier: Any = ExclusiveLogistic(
            C=float(C) if np.isscalar(C) else tuple(float(c) for c in C),  # type: ignore[arg-type,union-attr]
            balance=balance,
            class_weight=config.class_weight,
            seed=seed,
            prior_shift=prior_shift,
        )
    elif exclusive:
        classifier = LogisticRegression(
            C=float(C),  # type: ignore[arg-type]
            class_weight=config.class_weight,
            max_iter=2000,
            random_state=seed,
        )
    else:
        classifier = PerLabelLogistic(
            C=C, class_weight=config.class_weight, seed=seed, nb_scale=nb_scale
        )
    return Pipeline([("features", features), ("classify", classifier)])


def decision_scores(
    pipeline: Pipeline, docs: Sequence[str] | np.ndarray, n_labels: int
) -> np.ndarray:
    """Return raw classifier scores, shape (n_docs, n_labels), one column per label."""
    return label_scores(pipeline[-1], pipeline.decision_function(docs), n_labels)


def label_scores(classifier: Any, raw: Any, n_labels: int) -> np.ndarray:
    """Arrange a fitted classifier's ``decision_function`` output as one column per label."""
    scores = np.asarray(raw, dtype=np.float64)
    if scores.ndim == 1:  # binary exclusive problem: sklearn returns the positive column only
        scores = np.column_stack([-scores, scores])
    classes = getattr(classifier, "classes_", None)
    if classes is not None and len(classes) == n_labels and scores.shape[1] == n_labels:
        return scores
    if scores.shape[1] != n_labels:  # a fold missing a class: place known columns
        full = np.full((scores.shape[0], n_labels), -1e3)
        full[:, np.asarray(classes, dtype=int)] = scores
        return full
    return scores


#: First-stage scores are clipped to this range before the second stage (a label
#: constant in training scores -/+ 1000).
STACK_CLIP = 10.0


class LabelStack:
    """The second stage of stacked binary relevance: ``clip(scores) @ weights.T + bias``.

    Row ``j`` of ``weights`` combines every label's first-stage score into label ``j``'s
    new score; a label that keeps its first-stage score has the unit row and bias 0.
    Prediction costs one small dense product on the label scores.
    """

    def __init__(self, C: float = 1.0, class_weight: str | None = "balanced") -> None:
        self.C = C
        self.class_weight = class_weight

    def fit(self, scores: np.ndarray, y: np.ndarray, use: np.ndarray | None = None) -> LabelStack:
        """Fit label ``j``'s row on the first-stage ``scores`` against column ``j`` of
        ``y``, for the labels where ``use`` (default: all) is true."""
        n_labels = scores.shape[1]
        use = np.ones(n_labels, dtype=bool) if use is None else np.asarray(use, dtype=bool)
        Z = np.clip(scores, -STACK_CLIP, STACK_CLIP)
        self.weights_ = np.eye(n_labels)
        self.bias_ = np.zeros(n_labels)
        for j in np.flatnonzero(use):
            yj = y[:, j]
            if yj.min() == yj.max():
                continue
            lr = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=1000).fit(
                Z, yj
            )
            self.weights_[j] = lr.coef_[0]
            self.bias_[j] = lr.intercept_[0]
        return self

    def transform(self, scores: np.ndarray) -> np.ndarray:
        """The second-stage scores, same shape as ``scores``."""
        out = np.clip(scores, -STACK_CLIP, STACK_CLIP) @ self.weights_.T + self.bias_
        # Labels left to the first stage keep their scores unclipped.
        plain = self.plain_
        out[:, plain] = scores[:, plain]
        return out

    @property
    def plain_(self) -> np.ndarray:
        """The labels that keep their first-stage score."""
        eye = np.eye(len(self.bias_))
        return np.asarray((self.weights_ == eye).all(axis=1) & (self.bias_ == 0))


class PlattCalibrator:
    """Calibration of raw scores, fitted on out-of-fold scores.

    Multi-label: a sigmoid (Platt) per label, ``p = 1 / (1 + exp(-(a * score + b)))``.
    Exclusive: temperature scaling, ``p = softmax(a * scores)`` with one ``a`` fitted by
    log-loss, which calibrates without changing which label scores highest (per-label
    sigmoids renormalised would reorder labels and cost macro-F1).
    """

    def __init__(self, exclusive: bool = False, stack: LabelStack | None = None) -> None:
        self.exclusive = exclusive
        #: A fitted second stage applied to the raw scores first (multi-label only);
        #: ``fit`` then takes the second stage's scores.
        self.stack = stack

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
        stack = getattr(self, "stack", None)  # absent from models saved before stacking
        if stack is not None:
            scores = stack.transform(scores)
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
