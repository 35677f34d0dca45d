"""Cross-validation behind :func:`allegations.training.train`: folds, out-of-fold scores, the choice
of C, calibration of out-of-fold scores and per-label thresholds."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedGroupKFold

from ..errors import InputError
from ..model import (
    Goal,
    ModelConfig,
    PlattCalibrator,
    build_pipeline,
    choose_threshold,
    decision_scores,
)
from ..stats import MIN_SUPPORT
from ..text import SpacyPreprocessor, lemma_text
from ._codebook import Codebook
from ._neardup import NEAR_DUPLICATE_COSINE, near_duplicate_pairs
from ._progress import add_work, advance

__all__ = [
    "make_folds",
    "fold_count",
    "MIN_FOLDS",
    "assign_groups",
    "cross_validate",
    "seed_examples",
    "fit_with_seeds",
    "label_threshold",
    "cross_fitted_predictions",
]


def fold_count(y: np.ndarray, groups: np.ndarray, n_folds: int) -> int:
    """The number of folds :func:`make_folds` uses: ``n_folds``, or fewer when the data is small.

    Stratified folds need a stratum (the cases whose rarest label is one label) with at
    least as many cases as folds, and as many groups as folds; below that the folds are
    fewer, down to two.

    Raises
    ------
    InputError
        If the cases fall into fewer than two groups or no stratum has two cases.
    """
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise InputError(
            "The cases fall into fewer than two groups (identical narratives, and rows "
            "of one group, are kept together), so cross-validation cannot split them; add "
            "distinct cases."
        )
    largest = int(np.bincount(_strata(y)).max()) if len(y) else 0
    if largest < 2:
        raise InputError(
            f"Cross-validation needs at least {MIN_FOLDS} cases of one label (or {MIN_FOLDS} "
            "without a label); every label here has a single case. Label more cases."
        )
    return max(MIN_FOLDS, min(n_folds, n_groups, largest))


#: The fewest folds cross-validation uses on small data.
MIN_FOLDS = 2


def _strata(y: np.ndarray) -> np.ndarray:
    """Each case's stratum: its rarest label, or ``n_labels`` for a case without a label."""
    counts = y.sum(axis=0)
    rarity = np.where(y.astype(bool), counts, np.iinfo(np.int64).max)
    return np.where(y.any(axis=1), rarity.argmin(axis=1), y.shape[1])


def make_folds(y: np.ndarray, groups: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Assign each case a fold number, keeping groups together and spreading rare labels.

    Stratifies on each case's rarest label (or "none"), so that a label with five cases
    lands in up to five different folds. Small data gets fewer folds (:func:`fold_count`).

    Returns
    -------
    numpy.ndarray of int, shape (n_cases,)
    """
    strata = _strata(y)
    n_folds = fold_count(y, groups, n_folds)
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    fold = np.empty(len(y), dtype=np.int64)
    with warnings.catch_warnings():
        # "The least populated class in y has only N members": expected for rare labels.
        warnings.filterwarnings("ignore", message=".*least populated class.*")
        for k, (_, test) in enumerate(splitter.split(np.zeros(len(y)), strata, groups)):
            fold[test] = k
    return fold


def assign_groups(
    docs: np.ndarray, groups: Sequence[Any] | None, near_cosine: float = NEAR_DUPLICATE_COSINE
) -> tuple[np.ndarray, int, int]:
    """Group ids joining exact and near-duplicate texts (after normalisation) with user groups.

    Returns the group id of each case, how many cases were joined to another as exact
    duplicates, and how many more as near-duplicates (see :mod:`allegations.training._neardup`).
    """
    parent = list(range(len(docs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    first: dict[str, int] = {}
    n_dup = 0
    for i, doc in enumerate(docs):
        key = hashlib.sha1(lemma_text(doc).encode("utf-8")).hexdigest()
        if key in first:
            union(first[key], i)
            n_dup += 1
        else:
            first[key] = i
    n_near = 0
    if near_cosine <= 1.0:
        for i, j in near_duplicate_pairs(list(docs), near_cosine).tolist():
            if find(i) != find(j):
                union(i, j)
                n_near += 1
    if groups is not None:
        by_group: dict[str, int] = {}
        for i, g in enumerate(groups):
            gk = str(g)
            if gk == "":
                continue
            if gk in by_group:
                union(by_group[gk], i)
            else:
                by_group[gk] = i
    return np.array([find(i) for i in range(len(docs))]), n_dup, n_near


def seed_examples(
    codebook: Codebook | None, labels: list[str], preprocessor: SpacyPreprocessor
) -> tuple[np.ndarray, np.ndarray]:
    """Pseudo-examples from codebook seed phrases: one short document per phrase,
    carrying that label only. They join every training fold (never a test fold), which
    gives a label with few cases the phrases the codebook says mark it."""
    phrases, rows = [], []
    for j, label in enumerate(labels):
        entry = codebook.get(label) if codebook else None
        for phrase in entry.seed_phrases if entry is not None else ():
            phrases.append(phrase)
            rows.append(j)
    y = np.zeros((len(phrases), len(labels)), dtype=np.int8)
    y[np.arange(len(rows)), rows] = 1
    docs = preprocessor.transform(phrases) if phrases else np.zeros(0, dtype=object)
    keep = np.array([bool(lemma_text(d)) for d in docs], dtype=bool)
    return np.asarray(docs, dtype=object)[keep], y[keep]


def fit_with_seeds(
    pipeline: Any, docs: np.ndarray, y: np.ndarray, exclusive: bool, seeds: tuple[Any, Any]
) -> Any:
    """Fit a clone of ``pipeline`` on ``docs`` plus the seed pseudo-examples."""
    seed_docs, seed_y = seeds
    if len(seed_docs):
        docs = np.concatenate([np.asarray(docs, dtype=object), seed_docs])
        y = np.vstack([y, seed_y])
    with warnings.catch_warnings():
        # A rare label can be absent from a training fold: OneVsRest then predicts a
        # constant for it, which is the honest out-of-fold behaviour.
        warnings.filterwarnings("ignore", message=".*is present in all training examples.*")
        return clone(pipeline).fit(docs, y.argmax(axis=1) if exclusive else y)


def _oof_scores(
    pipeline: Any,
    docs: np.ndarray,
    y: np.ndarray,
    fold: np.ndarray,
    exclusive: bool,
    seeds: tuple[Any, Any],
    label: str = "",
) -> np.ndarray:
    scores = np.zeros(y.shape, dtype=np.float64)
    folds = np.unique(fold)
    for i, k in enumerate(folds, 1):
        step = f"{label} fold {i} of {len(folds)}" if label else f"fold {i} of {len(folds)}"
        advance(f"Cross-validating: {step}", 0)
        train_idx, test_idx = fold != k, fold == k
        only = _only_class(y[train_idx], seeds[1]) if exclusive else None
        if only is not None:
            # Small data: this fold's training cases all carry one label, which a
            # multinomial model cannot be fitted on; the honest out-of-fold answer is
            # that label for every test case (a missing class scores -1e3, as below).
            scores[test_idx] = -1e3
            scores[test_idx, only] = 0.0
            advance(f"Cross-validating: {step}")
            continue
        fitted = fit_with_seeds(pipeline, docs[train_idx], y[train_idx], exclusive, seeds)
        scores[test_idx] = decision_scores(fitted, docs[test_idx], y.shape[1])
        advance(f"Cross-validating: {step}")
    return scores


def _only_class(y_train: np.ndarray, seed_y: np.ndarray) -> int | None:
    """The one label of an exclusive training fold (with the seed examples) that holds
    a single label, else None."""
    seen = np.asarray(y_train.any(axis=0))
    if len(seed_y):
        seen = seen | np.asarray(seed_y.any(axis=0))
    present = np.flatnonzero(seen)
    return int(present[0]) if len(present) == 1 else None


def _cross_fitted_proba(
    scores: np.ndarray, y: np.ndarray, fold: np.ndarray, exclusive: bool
) -> np.ndarray:
    """Calibrated out-of-fold probabilities, each fold's calibrator fitted on the others."""
    out = np.zeros(y.shape, dtype=np.float64)
    for k in np.unique(fold):
        rest, here = fold != k, fold == k
        out[here] = (
            PlattCalibrator(exclusive=exclusive).fit(scores[rest], y[rest]).transform(scores[here])
        )
    return out


def _average_precision(y: np.ndarray, score: np.ndarray) -> float:
    if y.min() == y.max():
        return 0.0
    return float(average_precision_score(y, score))


def cross_validate(
    docs: np.ndarray,
    y: np.ndarray,
    fold: np.ndarray,
    *,
    config: ModelConfig,
    exclusive: bool,
    seed: int,
    seeds: tuple[Any, Any],
) -> dict[str, Any]:
    """Out-of-fold scores and probabilities of every case (the core of :func:`train`).

    Returns
    -------
    dict
        ``pipeline`` (unfitted), ``scores`` (raw out-of-fold), ``calibrator`` (fitted on
        all of them), ``proba`` (their calibrated probabilities) and ``crossfit_proba``
        (each fold calibrated by the other folds' calibrator: the honest figures for
        reliability diagrams).
    """
    # Candidates (C, naive-Bayes scaling): NB scaling applies to multi-label models only.
    nb_grid = (False,) if exclusive else tuple(dict.fromkeys(config.nb_grid))
    c_grid = config.exclusive_C_grid if exclusive else config.C_grid
    candidates: list[tuple[Any, Any]] = [(float(c), nb) for nb in nb_grid for c in c_grid]
    add_work(len(candidates) * len(np.unique(fold)), "Cross-validating")
    by_c = [
        _oof_scores(
            build_pipeline(config, exclusive=exclusive, seed=seed, C=c, nb_scale=nb),
            docs,
            y,
            fold,
            exclusive,
            seeds,
            label=f"model {i} of {len(candidates)},",
        )
        for i, (c, nb) in enumerate(candidates, 1)
    ]
    has_mean = config.ensemble and not exclusive and len(candidates) > 1
    if has_mean:
        # The mean of every candidate's logits: out of fold it is exactly the mean of
        # their out-of-fold scores, so it costs no extra fit here.
        by_c.append(np.mean(by_c, axis=0))
        candidates.append((tuple(c for c, _ in candidates), tuple(nb for _, nb in candidates)))
    # Out-of-fold average precision (threshold-free ranking quality) picks C (and the
    # scaling): per label for multi-label models, one for the model when labels are
    # exclusive.
    ap = np.array([[_average_precision(y[:, j], s[:, j]) for j in range(y.shape[1])] for s in by_c])
    if exclusive:
        best = np.full(y.shape[1], int(np.argmax(ap.mean(axis=1))))
    else:
        best = ap.argmax(axis=0)
        if has_mean:
            # With few positives the candidates' out-of-fold average precisions differ by
            # noise, and the best of them is picked for its luck: take their logit mean.
            few = y.sum(axis=0) < config.ensemble_below
            best[few] = len(by_c) - 1
    scores = np.column_stack([by_c[b][:, j] for j, b in enumerate(best)])
    chosen = tuple(candidates[b][0] for b in best)
    chosen_nb = tuple(candidates[b][1] for b in best)
    pipeline = build_pipeline(
        config,
        exclusive=exclusive,
        seed=seed,
        C=chosen[0] if exclusive else chosen,
        nb_scale=False if exclusive else chosen_nb,
    )
    calibrator = PlattCalibrator(exclusive=exclusive).fit(scores, y)
    return {
        "pipeline": pipeline,
        "C": chosen,
        "nb_scale": chosen_nb,
        "scores": scores,
        "calibrator": calibrator,
        "proba": calibrator.transform(scores),
        "crossfit_proba": _cross_fitted_proba(scores, y, fold, exclusive),
    }


def label_threshold(
    y: np.ndarray, p: np.ndarray, goal: Goal, prior: float = 0.0, rule: str = "half_f1"
) -> tuple[float, bool]:
    """:func:`choose_threshold`, except that a label with fewer than MIN_SUPPORT cases
    keeps 0.5: a threshold tuned on two or three positives is noise, and a low one floods
    the output with false positives.

    ``rule`` applies to the ``f1`` goal. ``"best_cut"`` takes the cut with the best
    out-of-fold F1. ``"half_f1"`` takes half that best F1 as the threshold: for calibrated
    probabilities the F1-optimal threshold is half the attainable F1 (Lipton, Elkan and
    Narayanaswamy 2014), and the best F1 is a far steadier statistic than the position
    of the best cut, which a handful of positives can drag anywhere.
    """
    if rule not in ("half_f1", "best_cut"):
        raise InputError(f"Threshold rule '{rule}' is not known; use half_f1 or best_cut.")
    n_pos = int(np.sum(y))
    if n_pos < MIN_SUPPORT:
        return 0.5, False
    t, met = choose_threshold(y, p, goal)
    if goal.metric == "f1" and rule == "half_f1":
        t = f1_at(y, p, t) / 2.0
    if goal.metric == "f1" and prior > 0:
        w = n_pos / (n_pos + prior)
        t = w * t + (1.0 - w) * 0.5
    return t, met


def f1_at(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    """F1 of the decisions ``p >= threshold`` against the 0/1 labels ``y``."""
    yb = np.asarray(y).astype(bool)
    pred = np.asarray(p) >= threshold
    return float(2 * (pred & yb).sum() / max(int(pred.sum() + yb.sum()), 1))


def cross_fitted_predictions(
    proba: np.ndarray,
    y: np.ndarray,
    fold: np.ndarray,
    goals: list[Goal],
    exclusive: bool,
    prior: float = 0.0,
    rule: str = "half_f1",
) -> np.ndarray:
    """Decisions for each fold with thresholds chosen on the other folds only."""
    if exclusive:
        out = np.zeros(y.shape, dtype=np.int8)
        out[np.arange(len(y)), proba.argmax(axis=1)] = 1
        return out
    out = np.zeros(y.shape, dtype=np.int8)
    for k in np.unique(fold):
        rest, here = fold != k, fold == k
        for j, goal in enumerate(goals):
            t, _ = label_threshold(y[rest, j], proba[rest, j], goal, prior, rule)
            out[here, j] = proba[here, j] >= t
    return out
