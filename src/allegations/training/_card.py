"""The model card of a training run: data, labels, settings, cross-validated quality (what
cross-validation left, :class:`CrossFit`, scored per label), notes, thresholds, calibration,
the review budget and versions (numbers only: no training text)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

from ..model import (
    DEFAULT_REVIEW_SHARE,
    Goal,
    ModelConfig,
    PlattCalibrator,
    confidence_of,
    library_versions,
    review_distribution,
)
from ..stats import (
    MIN_SUPPORT,
    REVIEW_ERROR,
    f1_intervals,
    reliability,
    report_data_from_training,
    score_predictions,
    wilson_counts,
)
from ._codebook import Codebook
from ._neardup import NEAR_DUPLICATE_COSINE

__all__ = ["CrossFit", "cv_report", "card_notes", "model_card"]


@dataclass
class CrossFit:
    """What cross-validation leaves for the card and the final model."""

    pipeline: Any  # unfitted, with the chosen C and scaling per label
    calibrator: PlattCalibrator
    proba: np.ndarray  # out-of-fold probabilities
    crossfit_proba: np.ndarray  # cross-fitted calibrated probabilities
    C: list[Any]
    nb_scale: list[Any]
    fold: np.ndarray
    group_ids: np.ndarray
    n_dup: int
    n_near: int
    seeds: Any
    prior: float
    thresholds: list[float]
    goal_met: list[bool]
    pred: np.ndarray  # cross-fitted decisions


def cv_report(
    y: np.ndarray,
    labels: list[str],
    goals: list[Goal],
    crossfit: CrossFit,
    config: ModelConfig,
    exclusive: bool,
    seed: int,
) -> tuple[dict[str, Any], dict[str, Any], np.ndarray]:
    """The card's ``cross_validation`` entry (scores of the cross-fitted decisions and a
    row per label), each label's reliability, and the labels' calibration errors."""
    oof_proba, cv_pred, thresholds = crossfit.proba, crossfit.pred, crossfit.thresholds
    cv = score_predictions(y, cv_pred, labels)
    # Bootstrap intervals over cases of the averages, macro-F1 over the same labels.
    intervals = f1_intervals(y, cv_pred, min_support=cv["min_support"], seed=seed)
    cv["micro_f1_95ci"] = intervals["micro_f1"]
    cv["macro_f1_95ci"] = intervals["macro_f1"]
    cv["threshold_prior"] = crossfit.prior
    calibration = {
        label: reliability(y[:, j], crossfit.crossfit_proba[:, j]) for j, label in enumerate(labels)
    }
    ece = np.array([calibration[label]["ece"] for label in labels])
    for j, row in enumerate(cv["per_label"]):
        row["threshold"] = round(thresholds[j], 4)
        row["goal"] = str(goals[j])
        row["goal_met_out_of_fold"] = crossfit.goal_met[j]
        at = oof_proba[:, j] >= thresholds[j] if not exclusive else cv_pred[:, j].astype(bool)
        n_at, tp_at = int(at.sum()), int((at & (y[:, j] == 1)).sum())
        row["oof_precision_at_threshold"] = round(tp_at / n_at, 4) if n_at else None
        row["oof_recall_at_threshold"] = round(tp_at / max(int(y[:, j].sum()), 1), 4)
        # Wilson intervals of the cross-validated counts: the same function as the
        # report and `estimate` (stats/_intervals.py), never a 100-100 point.
        tp_cv = int(((cv_pred[:, j] == 1) & (y[:, j] == 1)).sum())
        row["precision_95ci"] = wilson_counts(tp_cv, int(cv_pred[:, j].sum()))
        row["recall_95ci"] = wilson_counts(tp_cv, int(y[:, j].sum()))
        row["ece"] = calibration[labels[j]]["ece"]
    cv["n_folds"] = int(len(np.unique(crossfit.fold)))
    cv["n_grouped_duplicates"] = crossfit.n_dup
    cv["n_grouped_near_duplicates"] = crossfit.n_near
    cv["near_duplicate_cosine"] = NEAR_DUPLICATE_COSINE
    cv["n_seed_examples"] = int(len(crossfit.seeds[0]))
    # An ensemble label's members as a list, as the card reads back from JSON.
    cv["C"] = {label: _jsonable(c) for label, c in zip(labels, crossfit.C, strict=True)}
    cv["nb_scale"] = {
        label: _jsonable(nb) for label, nb in zip(labels, crossfit.nb_scale, strict=True)
    }
    cv["n_groups"] = int(len(np.unique(crossfit.group_ids)))
    cv["scheme"] = (
        f"{cv['n_folds']}-fold cross-validation, stratified on each case's rarest label, exact "
        f"and near-duplicate texts (word-3-shingle TF-IDF cosine >= {NEAR_DUPLICATE_COSINE}) "
        "and user groups kept in one fold; each fold's thresholds chosen on the "
        "other folds' out-of-fold probabilities"
    )
    return cv, calibration, ece


def card_notes(
    cv: dict[str, Any],
    labels: list[str],
    goal_met: list[bool],
    config: ModelConfig,
    n_empty: int,
) -> list[str]:
    """The card's notes: labels too rare to measure, goals not met, few folds, empty texts."""
    notes = []
    too_few = [r["label"] for r in cv["per_label"] if r["too_few"]]
    if too_few:
        notes.append(
            f"{len(too_few)} label(s) have fewer than {MIN_SUPPORT} cases: too few "
            f"examples to measure ({', '.join(too_few)}); their threshold is 0.5."
        )
    missed = [
        labels[j] for j, m in enumerate(goal_met) if not m and not cv["per_label"][j]["too_few"]
    ]
    if missed:
        notes.append(
            f"Goal not reachable out of fold for {', '.join(missed)}; the F1-best "
            "threshold is used."
        )
    if cv["n_folds"] < config.n_folds:
        notes.append(
            f"Small data: {cv['n_folds']}-fold cross-validation instead of {config.n_folds} "
            "(too few cases of any one label, or too few distinct cases, for more); the "
            "quality figures are rough. Label more cases for steadier figures."
        )
    if n_empty:
        notes.append(f"{n_empty} case(s) have no text after preprocessing.")
    return notes


def model_card(
    *,
    labels: list[str],
    y: np.ndarray,
    exclusive: bool,
    seed: int,
    config: ModelConfig,
    cv: dict[str, Any],
    thresholds: np.ndarray,
    goals: list[Goal],
    codebook: Codebook | None,
    spacy_model: str | None,
    data_info: dict[str, Any],
    notes: list[str],
    n_empty: int,
    calibration: dict[str, Any],
    bands: np.ndarray,
    texts: Sequence[Any],
    oof_proba: np.ndarray,
    label_source: str | None,
) -> dict[str, Any]:
    """The model card of a trained model (before saving adds its ``model_id``).

    ``texts`` give only their lengths, and ``oof_proba`` (the out-of-fold probabilities)
    the review budget and the report's curves.
    """
    counts = y.sum(axis=0)
    n_lead = config.lead_for(exclusive)
    opening = "first sentence" if n_lead == 1 else f"first {n_lead} sentences"
    lead = (
        f", and of the lemma 1-{config.ngram_max}-grams of the {opening} (weight "
        f"{config.lead_weight:g})"
        if n_lead > 0
        else ""
    )
    card: dict[str, Any] = {
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "task": "exclusive" if exclusive else "multi-label",
        "labels": labels,
        "label_counts": {label: int(c) for label, c in zip(labels, counts, strict=True)},
        "n_cases": int(len(y)),
        "n_cases_without_label": int((y.sum(axis=1) == 0).sum()),
        "n_cases_with_several_labels": int((y.sum(axis=1) > 1).sum()),
        "n_cases_empty_text": n_empty,
        "seed": seed,
        "data": data_info,
        "codebook": codebook.to_dict() if codebook else None,
        "preprocessing": {
            "spacy_model": spacy_model or "blank:en + spacy-lookups-data lemma_lookup",
            "redactions": "normalised to one token",
        },
        "model": {
            "features": f"TF-IDF of lemma 1-{config.ngram_max}-grams and of lemma affixes "
            f"(prefixes of {config.affix_range[0]}-{config.affix_range[1]} characters, "
            f"{config.affix_range[0]}-character suffix){lead}, sublinear tf, each block "
            "L2-normalised",
            "classifier": "multinomial logistic regression, C chosen by out-of-fold "
            "average precision"
            if exclusive
            else "one-vs-rest logistic regression; per label, out-of-fold average "
            "precision chooses C, naive-Bayes feature scaling or not, or the mean of those "
            "candidates' logits (one linear model either way); a label with fewer than "
            f"{config.ensemble_below} positive cases takes the mean",
            "calibration": "per-label sigmoid (Platt) fitted on out-of-fold scores",
            "config": config.to_dict(),
        },
        "thresholds": {
            label: round(float(t), 4) for label, t in zip(labels, thresholds, strict=True)
        },
        "goals": {label: str(g) for label, g in zip(labels, goals, strict=True)},
        "calibration": calibration,
        "review": {
            "rule": "a case needs review when, for some label, the calibrated chance that "
            f"its decision is wrong plus the label's expected calibration error exceeds "
            f"{REVIEW_ERROR}; reliability bins are from cross-fitted calibration",
            "error": REVIEW_ERROR,
            "bands": {
                label: [round(float(lo), 4), round(float(hi), 4)]
                for label, (lo, hi) in zip(labels, bands, strict=True)
            },
        },
        "cross_validation": cv,
        "notes": notes,
        "versions": library_versions(),
    }
    # Out-of-fold curves, label co-occurrence and text lengths for `allegations report`
    # (numbers only: no text leaves training).
    card["report_data"] = report_data_from_training(
        y, oof_proba, [len(t) if isinstance(t, str) else 0 for t in texts], labels
    )
    card["label_source"] = _label_source(label_source, codebook)
    # The review budget: the out-of-fold confidence distribution, from which predict picks
    # the cut-off below which about --review-share of a release falls (model/_tagger.py).
    oof_decided = (
        np.eye(len(labels), dtype=np.int8)[oof_proba.argmax(axis=1)]
        if exclusive
        else (oof_proba >= thresholds).astype(np.int8)
    )
    card["review"].update(review_distribution(confidence_of(oof_proba, oof_decided)))
    card["review"]["default_share"] = DEFAULT_REVIEW_SHARE
    card["review"]["rule"] = (
        "needs_review flags the least confident cases: those whose confidence is below the "
        "out-of-fold confidence under which the review share (10% by default; predict "
        "--review-share) of training cases fell; confidence is one minus the largest "
        "calibrated chance that one of the case's decisions is wrong"
    )
    return card


def _label_source(given: str | None, codebook: Codebook | None) -> str | None:
    """Who assigned the labels: the argument, else the codebook's ``label_source``."""
    text = " ".join((given or "").split())
    if not text and codebook is not None:
        text = " ".join(str(codebook.extra.get("label_source", "")).split())
    return text or None


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
