"""Drift statistics: a release's per-label shares and score distributions against the
model's out-of-fold scores on its training data.

A release is flagged when its distance from the reference, scaled by sample size, exceeds
both the largest fold-versus-rest distance and a fixed floor (z = 3 for shares; the 1 %
Kolmogorov-Smirnov critical value, 1.63, for score distributions); see
:mod:`allegations.release._compare`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from ..model import Tagger
from ..text import lemma_text
from ..training import add_work, advance

__all__ = [
    "Z_FLOOR",
    "KS_FLOOR",
    "FOLD_MODELS",
    "score_reference",
    "reference_from_training",
    "cross_fitted_proba",
    "label_drift",
]

Z_FLOOR = 3.0
KS_FLOOR = 1.63  # the 1 % critical value of the scaled two-sample Kolmogorov-Smirnov distance
N_BINS = 10
#: Key of a reference dict holding the fitted fold pipelines (dropped from reports).
FOLD_MODELS = "_fold_pipelines"


def _hist(p: np.ndarray) -> list[int]:
    return np.histogram(np.clip(p, 0.0, 1.0), bins=N_BINS, range=(0.0, 1.0))[0].tolist()


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov distance."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def _share_z(p1: float, n1: int, p2: float, n2: int) -> float:
    pooled = (p1 * n1 + p2 * n2) / max(n1 + n2, 1)
    se = np.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / max(n1, 1) + 1 / max(n2, 1)))
    return float((p1 - p2) / se)


def _scaled_ks(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) == 0 or len(b) == 0:
        return 0.0
    return _ks(a, b) / float(np.sqrt(1 / len(a) + 1 / len(b)))


def score_reference(proba: np.ndarray, fold: np.ndarray, model: Tagger) -> dict[str, Any]:
    """The reference a release is compared with: out-of-fold scores and fold-to-fold spread.

    Parameters
    ----------
    proba : array, shape (n_cases, n_labels)
        Calibrated out-of-fold probabilities of the training cases.
    fold : array of int
        The fold of each training case.
    model : Tagger
        Gives the labels and the decision rule.

    Returns
    -------
    dict
        Per label: the out-of-fold scores (sorted, rounded to 4 places), the tagged share,
        and the largest fold-versus-rest share z and scaled KS distance.
    """
    decided = model.decide(proba)
    per_label = {}
    for j, label in enumerate(model.labels):
        z_max = ks_max = 0.0
        for k in np.unique(fold):
            here, rest = fold == k, fold != k
            z = _share_z(
                float(decided[here, j].mean()),
                int(here.sum()),
                float(decided[rest, j].mean()),
                int(rest.sum()),
            )
            z_max = max(z_max, abs(z))
            ks_max = max(ks_max, _scaled_ks(proba[here, j], proba[rest, j]))
        per_label[label] = {
            "share": float(decided[:, j].mean()),
            "scores": np.round(np.sort(proba[:, j]), 4).tolist(),
            "fold_share_z_max": round(z_max, 3),
            "fold_ks_max": round(ks_max, 3),
        }
    return {"n_cases": int(len(proba)), "n_folds": int(len(np.unique(fold))), "labels": per_label}


def reference_from_training(
    model: Tagger, texts: Sequence[str], label_sets: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Recompute the model's out-of-fold scores on its training data; see :func:`score_reference`.

    Uses the model's seed, number of folds and fold rule (duplicates kept in one fold), and
    its fitted calibration; each fold's pipeline is refitted on the other folds.

    Raises
    ------
    InputError
        If the training data has too few rows to split into folds.
    """
    import warnings

    from sklearn.base import clone

    from ..model import decision_scores
    from ..training import make_folds, to_matrix

    docs = model.preprocess(texts)
    y = to_matrix(label_sets, model.labels)
    if len(y) < 10:
        raise InputError(f"The training data has {len(y)} rows; the reference needs at least 10.")
    groups = np.unique(np.asarray([lemma_text(d) for d in docs], dtype=str), return_inverse=True)[1]
    config = model.card.get("model", {}).get("config", {})
    fold = make_folds(y, groups, int(config.get("n_folds", 5)), int(model.card.get("seed", 0)))
    target = y.argmax(axis=1) if model.exclusive else y
    scores = np.zeros(y.shape, dtype=np.float64)
    fitted_folds = []
    folds = np.unique(fold)
    add_work(len(folds), "Refitting the training folds")
    for i, k in enumerate(folds, 1):
        advance(f"Refitting training fold {i} of {len(folds)}", 0)
        train_idx, test_idx = fold != k, fold == k
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*is present in all training examples.*")
            fitted = clone(model.pipeline).fit(docs[train_idx], target[train_idx])
        scores[test_idx] = decision_scores(fitted, docs[test_idx], y.shape[1])
        fitted_folds.append(fitted)
        advance(f"Refitting training fold {i} of {len(folds)}")
    reference = score_reference(model.calibrator.transform(scores), fold, model)
    reference[FOLD_MODELS] = fitted_folds
    return reference


def cross_fitted_proba(
    model: Tagger, docs: np.ndarray, fold_pipelines: Sequence[Any]
) -> np.ndarray:
    """Score release rows the way the training cases were scored out of fold.

    Row ``i`` is scored by the pipeline of fold ``i mod n_folds`` (each fitted without one
    fold) and the model's calibration, so release and training scores come from the same
    kind of model; the final model, fitted on every case, is a little more confident.
    """
    from ..model import decision_scores

    n_labels = len(model.labels)
    scores = np.zeros((len(docs), n_labels))
    rows = np.arange(len(docs))
    for k, pipeline in enumerate(fold_pipelines):
        mine = rows % len(fold_pipelines) == k
        if mine.any():
            scores[mine] = decision_scores(pipeline, docs[mine], n_labels)
    return model.calibrator.transform(scores)


def label_drift(
    model: Tagger,
    proba: np.ndarray,
    reference: dict[str, Any] | None,
    test_proba: np.ndarray | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Per-label share and score distribution of a release against the reference.

    ``proba`` are the model's scores of the release (reported); ``test_proba``, when
    given, are cross-fitted scores of the same rows (:func:`cross_fitted_proba`) used for
    the drift tests, so that they compare like with like.

    Returns
    -------
    (rows, warnings)
        One dict per label, and one warning sentence per drifting label.
    """
    decided = model.decide(proba)
    proba = np.round(proba, 4)  # as in the prediction table and the stored reference
    test = proba if test_proba is None else np.round(test_proba, 4)
    test_decided = decided if test_proba is None else model.decide(test_proba)
    n_new = len(proba)
    rows, warnings_ = [], []
    cv = model.card.get("cross_validation", {})
    card_rows = {r.get("label"): r for r in cv.get("per_label", [])}
    n_card = int(model.card.get("n_cases", 0))
    for j, label in enumerate(model.labels):
        share = float(decided[:, j].mean()) if n_new else 0.0
        row: dict[str, Any] = {
            "label": label,
            "release_share": round(share, 4),
            "release_mean_score": round(float(proba[:, j].mean()), 4) if n_new else None,
            "release_histogram": _hist(proba[:, j]),
        }
        if reference is not None:
            ref = reference["labels"][label]
            ref_scores = np.asarray(ref["scores"], dtype=float)
            n_ref = int(reference["n_cases"])
            test_share = float(test_decided[:, j].mean()) if n_new else 0.0
            z = _share_z(test_share, n_new, ref["share"], n_ref)
            z_limit = max(Z_FLOOR, ref["fold_share_z_max"])
            ks = _scaled_ks(test[:, j], ref_scores)
            ks_limit = max(KS_FLOOR, ref["fold_ks_max"])
            row.update(
                training_share=round(ref["share"], 4),
                training_mean_score=round(float(ref_scores.mean()), 4),
                training_histogram=_hist(ref_scores),
                share_z=round(z, 2),
                share_z_limit=round(z_limit, 2),
                cross_fitted_share=round(test_share, 4),
                ks=round(_ks(test[:, j], ref_scores), 4),
                ks_scaled=round(ks, 2),
                ks_limit=round(ks_limit, 2),
                share_drift=bool(n_new and abs(z) > z_limit),
                score_drift=bool(n_new and ks > ks_limit),
            )
        else:
            card_row = card_rows.get(label, {})
            ref_share = card_row.get("predicted", 0) / n_card if n_card else 0.0
            z = _share_z(share, n_new, ref_share, n_card)
            row.update(
                training_share=round(ref_share, 4),
                share_z=round(z, 2),
                share_z_limit=Z_FLOOR,
                share_drift=bool(n_new and n_card and abs(z) > Z_FLOOR),
                score_drift=None,
            )
        if row["share_drift"]:
            warnings_.append(
                f"Label '{label}': {share:.1%} of the release is tagged against "
                f"{row['training_share']:.1%} in training (z = {row['share_z']}, beyond the "
                f"{row['share_z_limit']} that cross-validation explains)."
            )
        if row.get("score_drift"):
            warnings_.append(
                f"Label '{label}': its score distribution moved (scaled KS {row['ks_scaled']} > "
                f"{row['ks_limit']} that cross-validation explains)."
            )
        rows.append(row)
    return rows, warnings_
