"""A publication report: the training data, the model's measured quality, a tagged release's
counts with error margins, and a methods paragraph, as one dict (for ``--json``) that
:mod:`allegations.report._html` renders as a self-contained HTML page.

The report reads the model card only (``model-card.json``, checked against the model's
manifest); it never unpickles the model. What an older card does not record is named in
``missing`` and said in the page, never guessed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..stats import (
    MIN_SEPARATION,
    N_BOOT,
    adjusted_count,
    calibration_bins,
    confusion_from_row,
    metric_intervals,
    report_data_from_training,
)
from ..tables import sha256_file
from ._curve import curve_content, read_report_curve
from ._inputs import (
    load_card,
    read_predictions,
    read_release_summary,
    read_store,
    release_warnings,
)
from ._methods import methods_paragraph, methods_table
from ._recommend import RULE, drift_by_label, recommend_count

__all__ = [
    "REPORT_FORMAT_VERSION",
    "ESTIMATOR",
    "load_card",
    "read_predictions",
    "release_stats",
    "read_store",
    "read_release_summary",
    "build_report",
    "make_report",
    "quality_rows",
    "report_data_from_training",
    "calibration_bins",
]


REPORT_FORMAT_VERSION = 1

#: How corrected counts are made, as said in the page and the JSON.
ESTIMATOR = (
    "Adjusted classify-and-count: for each label, the share of release cases the model "
    "tagged, q, is corrected with the label's cross-validated true positive rate (tpr) and "
    "false positive rate (fpr) as (q - fpr) / (tpr - fpr), clipped to 0-1, times the number "
    "of cases. The 95% interval comes from simulation "
    f"({N_BOOT} draws): tpr and fpr are drawn from their Jeffreys (Beta) posteriors given the "
    "cross-validated confusion counts, and q from its Beta posterior given the release "
    "counts. It assumes cases of a label read the same in the release as in "
    f"training. Labels too rare to measure, or separated by less than tpr - fpr = "
    f"{MIN_SEPARATION}, get no corrected count."
)


def release_stats(pred: pd.DataFrame, card: dict[str, Any], *, seed: int = 0) -> dict[str, Any]:
    """Counts per label (raw and corrected), review load and confidence of a release."""
    labels: list[str] = card["labels"]
    n = len(pred)
    tagged = {label: 0 for label in labels}
    for s in pred["labels"]:
        for label in s:
            tagged[label] += 1
    rows = {r["label"]: r for r in card.get("cross_validation", {}).get("per_label", [])}
    counts = []
    for j, label in enumerate(labels):
        row = rows.get(label)
        entry: dict[str, Any] = {"label": label, "tagged": tagged[label]}
        if row is None or row.get("too_few"):
            entry["corrected"] = None
            entry["note"] = "too few training examples to measure error rates"
        else:
            conf = confusion_from_row(row, int(card.get("n_cases", 0)))
            fit = adjusted_count(conf, tagged[label], n, seed=seed + j)
            entry["corrected"] = (
                {k: fit[k] for k in ("estimate", "low", "high")} if fit["reliable"] else None
            )
            entry["tpr"], entry["fpr"] = fit["tpr"], fit["fpr"]
            entry["note"] = fit["note"]
        counts.append(entry)
    conf_values = pred["confidence"].to_numpy(dtype=float)
    conf_values = conf_values[np.isfinite(conf_values)]
    if len(conf_values):
        hist, edges = np.histogram(conf_values, bins=20, range=(0.0, 1.0))
        confidence: dict[str, Any] | None = {
            "edges": [round(float(e), 2) for e in edges],
            "counts": [int(c) for c in hist],
            "median": round(float(np.median(conf_values)), 4),
        }
    else:
        confidence = None
    review = pred["needs_review"]
    n_review = None if review.isna().all() else int(review.fillna(False).astype(bool).sum())
    # Blank narratives: predict gives them no label and an empty confidence (a table
    # without a confidence column says nothing about blanks).
    conf_all = pred["confidence"].to_numpy(dtype=float)
    n_blank = (
        int((~np.isfinite(conf_all) & (pred["labels"].map(len) == 0).to_numpy()).sum())
        if np.isfinite(conf_all).any()
        else None
    )
    return {
        "n_cases": n,
        "n_blank": n_blank,
        "n_needs_review": n_review,
        "confidence": confidence,
        "counts": counts,
        "estimator": ESTIMATOR,
    }


# -- assembling ----------------------------------------------------------------------------
#: How the quality table's intervals are made, as said in the page and the JSON.
INTERVAL_METHOD = (
    "95% intervals: Wilson score intervals of the cross-validated counts for precision and "
    "recall (the same as in the model card and train's table); for F1, a Bayesian "
    f"bootstrap of the cross-validated confusion table ({N_BOOT} draws). They do not "
    "include the variation from re-choosing thresholds"
)


def quality_rows(card: dict[str, Any], *, seed: int = 0) -> tuple[list[dict[str, Any]], str]:
    """Per-label quality with 95% intervals computed from the card's cross-validated counts.

    Precision and recall intervals are Wilson intervals of the counts, so they equal the
    ``precision_95ci`` / ``recall_95ci`` that ``train`` stores in the card; an older card's
    stored intervals (percentile bootstraps) are not used.
    """
    n_cases = int(card.get("n_cases", 0))
    rows = []
    for j, row in enumerate(card.get("cross_validation", {}).get("per_label", [])):
        fit = metric_intervals(confusion_from_row(row, n_cases), seed=seed + j)
        out: dict[str, Any] = {
            "label": row["label"],
            "support": int(row["support"]),
            "predicted": int(row["predicted"]),
            "threshold": row.get("threshold"),
            "goal": row.get("goal"),
            "too_few": bool(row.get("too_few")),
        }
        for metric in ("precision", "recall", "f1"):
            value = {"estimate": float(row[metric]), "low": None, "high": None}
            if fit[metric]["low"] is not None:
                value["low"], value["high"] = fit[metric]["low"], fit[metric]["high"]
            out[metric] = value
        rows.append(out)
    return rows, INTERVAL_METHOD


def decision_rule(card: dict[str, Any]) -> dict[str, str]:
    """How the model assigns labels: ``kind`` ("top label" or "thresholds") and a sentence."""
    if card.get("task") == "exclusive":
        return {
            "kind": "top label",
            "text": "Each case gets exactly one category: the one with the highest "
            "probability, however low (there is no threshold).",
        }
    return {
        "kind": "thresholds",
        "text": "A case gets every category whose probability reaches that category's own "
        "threshold, chosen on held-out results (a case may get none or several).",
    }


def _add_recommended(
    release: dict[str, Any],
    quality: list[dict[str, Any]],
    store: dict[str, Any] | None,
    summary: dict[str, Any] | None,
) -> None:
    """Give each count its one figure to publish, ``recommended`` (see ``recommend.py``)."""
    by_label = {r["label"]: r for r in quality}
    audit_rows = {r.get("label"): r for r in (store or {}).get("per_label", [])}
    drift = drift_by_label(summary)
    for c in release["counts"]:
        c["recommended"] = recommend_count(
            label=c["label"],
            tagged=int(c["tagged"]),
            n_release=int(release["n_cases"]),
            corrected=c.get("corrected"),
            quality=by_label.get(c["label"]),
            audit_row=audit_rows.get(c["label"]),
            drift=drift,
            n_audited=int((store or {}).get("n_audited", 0)),
        )
    release["recommendation_rule"] = RULE


def build_report(
    card: dict[str, Any],
    *,
    model_id: str = "",
    predictions: pd.DataFrame | None = None,
    predictions_info: dict[str, Any] | None = None,
    store: dict[str, Any] | None = None,
    summary: dict[str, Any] | None = None,
    curve: dict[str, Any] | None = None,
    curve_info: dict[str, Any] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Assemble the report content (JSON-ready) from a model card and optional release data.

    Parameters
    ----------
    card : dict
        The model card (see :func:`load_card`).
    model_id : str
    predictions : pandas.DataFrame, optional
        From :func:`read_predictions`.
    predictions_info : dict, optional
        ``name`` and ``sha256`` of the prediction file, for the methods note.
    store : dict, optional
        Audit-sample estimates from a review store (:func:`read_store`).
    summary : dict, optional
        A release summary or comparison (:func:`read_release_summary`).
    curve, curve_info : dict, optional
        A learning curve record (``allegations curve --json``,
        :func:`allegations.training.read_curve`) and its file's ``name`` and ``sha256``.
    seed : int
        Seeds every bootstrap: the same inputs and seed give the same report.

    Returns
    -------
    dict
    """
    labels: list[str] = list(card["labels"])
    cv = card.get("cross_validation", {})
    extra = card.get("report_data") or {}
    missing = []
    cooc = extra.get("cooccurrence")
    if cooc is None:
        missing.append("label co-occurrence")
    hist = extra.get("text_length_hist")
    if not hist or not hist.get("counts"):
        hist = None
        missing.append("text length distribution")
    curves = extra.get("pr_curves") or None
    if curves is None:
        missing.append("precision-recall curves")
    calibration = card.get("calibration") or extra.get("calibration") or None
    if calibration is None:
        missing.append("calibration")
    per_label, interval_method = quality_rows(card, seed=seed)
    label_counts = card.get("label_counts", {})
    report: dict[str, Any] = {
        "format": "allegations-report",
        "format_version": REPORT_FORMAT_VERSION,
        "allegations_version": __version__,
        "model": {
            "model_id": model_id,
            "created": card.get("created"),
            "task": card.get("task"),
            "label_source": card.get("label_source"),
            "labels": labels,
            "classifier": card.get("model", {}).get("classifier"),
            "features": card.get("model", {}).get("features"),
            "calibration_method": card.get("model", {}).get("calibration"),
            "data": card.get("data", {}),
            "codebook": {k: v for k, v in (card.get("codebook") or {}).items() if k != "labels"}
            or None,
            "versions": card.get("versions", {}),
            "notes": card.get("notes", []),
        },
        "training_data": {
            "n_cases": int(card.get("n_cases", 0)),
            "n_cases_without_label": card.get("n_cases_without_label"),
            "n_cases_with_several_labels": card.get("n_cases_with_several_labels"),
            "label_counts": [
                {"label": label, "count": int(label_counts.get(label, 0))} for label in labels
            ],
            "cooccurrence": {"labels": labels, "counts": cooc} if cooc is not None else None,
            "text_length_hist": hist,
        },
        "quality": {
            "scheme": cv.get("scheme"),
            "n_folds": cv.get("n_folds"),
            "micro_f1": cv.get("micro_f1"),
            "macro_f1": cv.get("macro_f1"),
            "min_support": cv.get("min_support"),
            "interval_method": interval_method,
            "decision_rule": decision_rule(card),
            "per_label": per_label,
            "too_rare": [r["label"] for r in per_label if r["too_few"]],
            "thresholds": {r["label"]: r["threshold"] for r in per_label},
            "pr_curves": curves,
            "calibration": calibration,
        },
        "learning_curve": curve_content(curve, curve_info, card) if curve else None,
        "release": None,
        "missing": missing,
    }
    if predictions is not None:
        release = release_stats(predictions, card, seed=seed)
        _add_recommended(release, per_label, store, summary)
        release["source"] = predictions_info or {}
        release["audit"] = store
        release["drift_warnings"] = release_warnings(summary)
        release["summary_given"] = summary is not None
        report["release"] = release
    elif store is not None or summary is not None:
        report["release"] = {
            "n_cases": None,
            "counts": [],
            "audit": store,
            "drift_warnings": release_warnings(summary),
            "summary_given": summary is not None,
        }
    report["methods"] = methods_paragraph(report)
    report["methods_table"] = methods_table(report)
    return report


def make_report(
    model_folder: str | Path,
    out_path: str | Path,
    *,
    predictions_path: str | Path | None = None,
    store_path: str | Path | None = None,
    reviewer: str | None = None,
    summary_path: str | Path | None = None,
    json_path: str | Path | None = None,
    curve_path: str | Path | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Read the inputs, build the report and write the HTML page (and the JSON) atomically.

    ``reviewer`` names whose answers in the store ``store_path`` to use (see
    :func:`~allegations.report._inputs.read_store`); ``curve_path`` is a learning curve
    written by ``allegations curve --json``.

    Returns
    -------
    dict
        The report content, as written to ``json_path``.

    Raises
    ------
    AllegationsError
        For a missing or changed model, an unreadable predictions file, store or summary,
        a curve file that is not a learning curve, or an output that cannot be written.
    """
    from ..tables import atomic_write, check_output_path
    from ._html import render_html

    for target, option in ((out_path, "out_path"), (json_path, "json_path")):
        if target is not None:  # checked up front: write both files or neither
            check_output_path(target, option)
    card, model_id = load_card(model_folder)
    curve, curve_info = read_report_curve(curve_path) if curve_path is not None else (None, None)
    predictions = info = None
    if predictions_path is not None:
        predictions = read_predictions(predictions_path, list(card["labels"]))
        info = {"name": Path(predictions_path).name, "sha256": sha256_file(predictions_path)}
    summary = read_release_summary(summary_path) if summary_path is not None else None
    store = (
        read_store(store_path, predictions_path, reviewer=reviewer)
        if store_path is not None
        else None
    )
    report = build_report(
        card,
        model_id=model_id,
        predictions=predictions,
        predictions_info=info,
        store=store,
        summary=summary,
        curve=curve,
        curve_info=curve_info,
        seed=seed,
    )
    page = render_html(report)
    with atomic_write(out_path, "w", encoding="utf-8") as fh:
        fh.write(page)
    if json_path is not None:
        with atomic_write(json_path, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
    return report
