"""The scikit-learn side of the model: the features + classifier pipeline built from a
:class:`~allegations.model._config.ModelConfig`, and the classifiers' scores.

No I/O here. :mod:`allegations.training._train` wires these pieces into cross-validation
(with :mod:`~allegations.model._calibration` and :mod:`~allegations.model._thresholds`), and
:class:`allegations.model._tagger.Tagger` applies them to new texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from ..text import SpacyPreprocessor
from ._config import ModelConfig
from ._features import LemmaFeatures

__all__ = [
    "ModelConfig",
    "build_preprocessor",
    "build_pipeline",
    "decision_scores",
    "label_scores",
    "LinearScores",
    "classifier_spec",
    "build_classifier",
]


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
    outputs_2d_ : bool
        ``Y`` was a matrix (``predict`` returns one); a 1-d ``Y`` is one label.
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
        """Fit one liblinear logistic regression per column of the 0/1 matrix ``Y``.

        Raises
        ------
        ValueError
            If ``X`` is empty or not finite, or ``Y`` is not a 0/1 matrix with one row
            per row of ``X`` (a 1-d ``Y`` is one label).
        """
        X, Y = validate_data(self, X, Y, accept_sparse=("csr", "csc"), multi_output=True)
        Y = np.asarray(Y)
        self.outputs_2d_ = Y.ndim == 2
        if Y.ndim == 1:
            Y = Y[:, None]
        target = type_of_target(Y)
        if target not in ("binary", "multilabel-indicator") or not np.isin(Y, (0, 1)).all():
            raise ValueError(
                f"Unknown label type: {target}; Y must be a 0/1 matrix, one column per label."
            )
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
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"), reset=False)
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def predict(self, X: Any) -> np.ndarray:
        """0/1 decisions at score 0, shape (n_docs, n_labels); (n_docs,) after a 1-d ``Y``."""
        decisions = (self.decision_function(X) > 0).astype(np.int64)
        return decisions if self.outputs_2d_ else decisions.ravel()

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.single_output = False  # Y is a label matrix
        tags.target_tags.multi_output = True
        tags.classifier_tags.multi_label = True
        return tags


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
        self.n_features_in_ = fitted.n_features_in_
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Raw scores, shape (n_docs, n_outputs), or (n_docs,) for one output row."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"), reset=False)
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X: Any) -> np.ndarray:
        """The trained classifier's decisions: a class per row (``logistic``), or a 0/1
        matrix, one column per label, at score 0 (``per_label_logistic``)."""
        scores = self.decision_function(X)
        if self.kind == "per_label_logistic":
            return (scores.reshape(len(scores), -1) > 0).astype(np.int8)
        if scores.ndim == 1:
            return np.asarray(self.classes_[(scores > 0).astype(int)])
        return np.asarray(self.classes_[np.argmax(scores, axis=1)])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        if self.kind == "per_label_logistic":
            tags.target_tags.single_output = False
            tags.target_tags.multi_output = True
            tags.classifier_tags.multi_label = True
        return tags


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
