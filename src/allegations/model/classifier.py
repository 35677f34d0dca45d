"""The scikit-learn side of the model: features, classifier, calibration, thresholds.

No I/O here. :mod:`allegations.training.train` wires these pieces into cross-validation, and
:class:`allegations.model.tagger.Tagger` applies them to new texts.
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

from ..errors import InputError
from ..text.preprocess import SpacyPreprocessor
from .features import LemmaFeatures, check_lead, check_ngram_max

__all__ = [
    "ModelConfig",
    "Goal",
    "parse_goal",
    "build_preprocessor",
    "build_pipeline",
    "decision_scores",
    "label_scores",
    "PlattCalibrator",
    "LinearScores",
    "classifier_spec",
    "build_classifier",
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
    #: The lead block of multi-label models: word 1-2 grams of each narrative's first this
    #: many sentences, a block of their own (0: none).
    lead_sentences: int = 0
    #: The same for exclusive models, whose one label is what a narrative states at its
    #: start. Both chosen on benchmarks/dev_quality.py's splits (docs/model-quality.md):
    #: the block helped every exclusive split and was a wash on the multi-label ones.
    exclusive_lead_sentences: int = 1
    #: Scale of the lead block relative to the word block.
    lead_weight: float = 0.5
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
    #: A label with fewer positive training cases than this takes that logit mean without
    #: a choice (0: every label chooses by out-of-fold average precision).
    ensemble_below: int = 100
    #: F1 thresholds are pulled toward 0.5 with weight prior / (prior + n_positive). 0 (the
    #: default) turns this off; a negative value chooses it from (0, 5, 20) on the training
    #: data's cross-fitted decisions. The training folds cannot see a later release, where
    #: rare labels lose recall: off did better there (benchmarks/dev_quality.py).
    threshold_prior: float = 0.0
    #: How an f1 goal's threshold is read off the out-of-fold probabilities: "half_f1"
    #: (half the best out-of-fold F1, the optimum for calibrated probabilities) or
    #: "best_cut" (the cut with the best out-of-fold F1).
    threshold_rule: str = "half_f1"
    class_weight: str | None = "balanced"
    n_folds: int = 5
    #: A training option rather than a hyper-parameter: keep labels that look like one
    #: label spelt two ways (``PHYSICAL ABUSSE``, ``Physical-Abuse``) apart instead of
    #: stopping with "did you mean" (``--allow-similar-labels``).
    allow_similar_labels: bool = False

    def __post_init__(self) -> None:
        # Before any training work, not at the first fit.
        check_ngram_max(self.ngram_max)
        check_lead(self.lead_sentences, self.lead_weight)
        check_lead(self.exclusive_lead_sentences, self.lead_weight)

    def lead_for(self, exclusive: bool) -> int:
        """The lead block's sentences for an exclusive or a multi-label model (0: none)."""
        return self.exclusive_lead_sentences if exclusive else self.lead_sentences

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
            scale: np.ndarray | None = None
            scaled: Any = None
            if any(nb for _, nb in members):  # one scaled matrix for the label's NB members
                scale = nb_ratio(present, yj)
                scaled = sp.csr_matrix(X).multiply(scale).tocsr()
            for c, nb in members:
                Xj = scaled if nb else X
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


class LinearScores(ClassifierMixin, BaseEstimator):
    """The classifier of a loaded model: its weights as plain arrays, and how to refit it.

    ``decision_function`` gives what the trained classifier gave (scikit-learn's
    ``LogisticRegression`` or :class:`PerLabelLogistic`): ``X @ coef.T + intercept``,
    flattened to one column for a binary exclusive model, as scikit-learn does. ``fit``
    trains the classifier that ``kind`` and ``params`` describe (see
    :func:`classifier_spec`), so a loaded pipeline can be refitted on other folds.

    Parameters
    ----------
    kind : str
        ``"logistic"`` (exclusive) or ``"per_label_logistic"`` (multi-label).
    params : dict
        The settings the classifier was trained with.

    Attributes
    ----------
    coef_ : numpy.ndarray, shape (n_outputs, n_features)
    intercept_ : numpy.ndarray, shape (n_outputs,)
    classes_ : numpy.ndarray of int
        The label column of each output row (two entries for one binary row).
    """

    def __init__(self, kind: str = "per_label_logistic", params: dict[str, Any] | None = None):
        self.kind = kind
        self.params = params

    def fit(self, X: Any, y: Any) -> LinearScores:
        """Train the described classifier on ``X``, ``y`` and keep its weights."""
        fitted = build_classifier(self.kind, self.params or {}).fit(X, y)
        self.coef_, self.intercept_ = fitted.coef_, fitted.intercept_
        self.classes_ = np.asarray(fitted.classes_)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Raw scores, shape (n_docs, n_outputs), or (n_docs,) for one output row."""
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores


def classifier_spec(classifier: Any) -> tuple[str, dict[str, Any]]:
    """The kind and JSON-ready settings of a classifier built by :func:`build_pipeline`."""
    if isinstance(classifier, LinearScores):
        return classifier.kind, dict(classifier.params or {})
    if isinstance(classifier, PerLabelLogistic):
        return "per_label_logistic", {
            "C": _listed(classifier.C),
            "class_weight": classifier.class_weight,
            "seed": int(classifier.seed),
            "nb_scale": _listed(classifier.nb_scale),
        }
    if isinstance(classifier, LogisticRegression):
        return "logistic", {
            "C": float(classifier.C),
            "class_weight": classifier.class_weight,
            "max_iter": int(classifier.max_iter),
            "random_state": classifier.random_state,
        }
    raise TypeError(f"cannot describe a {type(classifier).__name__}")


def build_classifier(kind: str, params: dict[str, Any]) -> Any:
    """The unfitted classifier that :func:`classifier_spec` described."""
    if kind == "logistic":
        return LogisticRegression(**params)
    if kind == "per_label_logistic":
        return PerLabelLogistic(
            **{k: _tupled(v) if k in ("C", "nb_scale") else v for k, v in params.items()}
        )
    raise ValueError(f"unknown classifier kind {kind!r}")


def _listed(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_listed(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _tupled(value: Any) -> Any:
    return tuple(_tupled(v) for v in value) if isinstance(value, list) else value


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


def build_preprocessor(
    config: ModelConfig, *, exclusive: bool, spacy_model: str | None = None
) -> SpacyPreprocessor:
    """The unfitted spaCy step of a model. It marks sentence ends only when the feature
    step reads them (a lead block): a model without one keeps its documents, chunk table
    and fast path free of marks."""
    return SpacyPreprocessor(spacy_model=spacy_model, mark_sentences=config.lead_for(exclusive) > 0)


def build_pipeline(
    config: ModelConfig,
    *,
    exclusive: bool,
    seed: int,
    C: float | tuple[Any, ...] | None = None,
    nb_scale: bool | tuple[Any, ...] = False,
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
    """
    if C is None:
        C = config.exclusive_C_grid[0] if exclusive else config.C_grid[0]
    features = LemmaFeatures(
        ngram_max=config.ngram_max,
        min_df=config.min_df,
        max_df=config.max_df,
        affix_range=config.affix_range,
        affix_weight=config.affix_weight,
        lead_sentences=config.lead_for(exclusive),
        lead_weight=config.lead_weight,
    )
    if exclusive:
        classifier: Any = LogisticRegression(
            C=float(C if np.isscalar(C) else C[0]),  # type: ignore[index,arg-type]
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
