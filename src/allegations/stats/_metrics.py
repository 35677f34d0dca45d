"""Per-label and averaged precision, recall and F1 for multi-label 0/1 matrices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["MIN_SUPPORT", "score_predictions"]

#: Labels with fewer positive cases than this are "too few examples to measure": they are
#: scored and shown, but left out of the macro average (as in the benchmark anchors).
MIN_SUPPORT = 5


def score_predictions(
    y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[str], *, min_support: int = MIN_SUPPORT
) -> dict[str, Any]:
    """Score predicted label sets against true ones.

    Parameters
    ----------
    y_true, y_pred : array of 0/1, shape (n_cases, n_labels)
    labels : sequence of str
        The label of each column.
    min_support : int
        Labels with fewer true cases are flagged ``too_few`` and left out of ``macro_f1``.

    Returns
    -------
    dict
        ``per_label`` (list of dicts: label, precision, recall, f1, support, predicted,
        too_few), ``micro_f1``, ``macro_f1`` (labels with enough support),
        ``macro_f1_all_labels``, ``n_cases``, ``exact_match``.
    """
    y_true = np.asarray(y_true, dtype=bool)
    y_pred = np.asarray(y_pred, dtype=bool)
    tp = (y_true & y_pred).sum(axis=0)
    n_pred = y_pred.sum(axis=0)
    support = y_true.sum(axis=0)
    precision = np.divide(tp, n_pred, out=np.zeros(len(labels)), where=n_pred > 0)
    recall = np.divide(tp, support, out=np.zeros(len(labels)), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(len(labels)), where=denom > 0)
    per_label = [
        {
            "label": label,
            "precision": round(float(precision[j]), 4),
            "recall": round(float(recall[j]), 4),
            "f1": round(float(f1[j]), 4),
            "support": int(support[j]),
            "predicted": int(n_pred[j]),
            "too_few": bool(support[j] < min_support),
        }
        for j, label in enumerate(labels)
    ]
    tp_all, pred_all, true_all = int(tp.sum()), int(n_pred.sum()), int(support.sum())
    micro_p = tp_all / pred_all if pred_all else 0.0
    micro_r = tp_all / true_all if true_all else 0.0
    micro_f1 = 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0
    keep = support >= min_support
    return {
        "n_cases": int(y_true.shape[0]),
        "micro_precision": round(micro_p, 4),
        "micro_recall": round(micro_r, 4),
        "micro_f1": round(micro_f1, 4),
        "macro_f1": round(float(f1[keep].mean()), 4) if keep.any() else None,
        "macro_f1_all_labels": round(float(f1.mean()), 4) if len(labels) else None,
        "exact_match": round(float((y_true == y_pred).all(axis=1).mean()), 4)
        if y_true.shape[0]
        else None,
        "min_support": min_support,
        "per_label": per_label,
    }
