"""The numbers behind a publication report: training-time curves, intervals, corrected counts.

No I/O and no plotting here. :func:`report_data_from_training` is called at training time
(it needs the out-of-fold probabilities, which the model card does not otherwise keep);
the rest work from the model card alone, so a report never has to unpickle a model.

Estimators (also described in ``docs/report.md``):

* Per-label precision and recall: Wilson score intervals of the cross-validated counts
  (``stats/_intervals.py``, the same as ``train`` stores in the card), which do not
  collapse at 0% or 100%. F1: a Bayesian bootstrap of the cross-validated confusion table
  (tp, fp, fn, tn): the four cell shares are drawn from Dirichlet(counts + 1/2), 2,000
  draws, percentile 95% interval.
* Corrected release counts: adjusted classify-and-count (Forman 2005/2008). With the
  cross-validated true positive rate ``tpr`` and false positive rate ``fpr`` of a label and
  the fraction ``q`` of release cases the model tagged with it, the prevalence is
  ``(q - fpr) / (tpr - fpr)``, clipped to [0, 1]. The 95% interval propagates the
  uncertainty of all three rates by simulation: ``tpr ~ Beta(tp + 1/2, fn + 1/2)``,
  ``fpr ~ Beta(fp + 1/2, tn + 1/2)`` (from the cross-validated confusion counts) and
  ``q ~ Beta(k + 1/2, n - k + 1/2)`` (k of the n release cases tagged), 2,000 draws,
  percentile interval of the corrected count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._intervals import wilson_counts

__all__ = [
    "N_BOOT",
    "MIN_SEPARATION",
    "report_data_from_training",
    "calibration_bins",
    "confusion_from_row",
    "metric_intervals",
    "adjusted_count",
]

#: Bootstrap draws for every interval in the report.
N_BOOT = 2000
#: ``tpr - fpr`` below this makes adjusted classify-and-count too unstable to publish.
MIN_SEPARATION = 0.2
#: The most points kept per precision-recall curve in the card.
PR_POINTS = 200


def _r(value: float, digits: int = 4) -> float:
    return round(float(value), digits)


def calibration_bins(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> dict[str, Any]:
    """Reliability bins of one label: equal-width probability bins and their hit rate.

    Returns
    -------
    dict
        ``ece`` (expected calibration error: the count-weighted mean gap between predicted
        and observed) and ``bins``, a list of ``mean_predicted``, ``fraction_positive``,
        ``count`` for the non-empty bins.
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    which = np.minimum((p * n_bins).astype(int), n_bins - 1)
    bins, gap = [], 0.0
    for b in range(n_bins):
        inside = which == b
        n = int(inside.sum())
        if n == 0:
            continue
        mean_p, frac = float(p[inside].mean()), float(y[inside].mean())
        gap += n * abs(mean_p - frac)
        bins.append({"mean_predicted": _r(mean_p), "fraction_positive": _r(frac), "count": n})
    return {"ece": _r(gap / max(len(p), 1)), "bins": bins}


def _thin(n: int, keep: int) -> np.ndarray:
    if n <= keep:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, keep)).astype(int))


def report_data_from_training(
    y: np.ndarray,
    oof_proba: np.ndarray,
    text_lengths: Sequence[int],
    labels: Sequence[str],
) -> dict[str, Any]:
    """Compute what a report needs from training that the model card does not keep.

    ``train`` should store the result as ``card["report_data"]``. Nothing here holds
    narrative text: only label matrices, probabilities and character counts.

    Parameters
    ----------
    y : array of 0/1, shape (n_cases, n_labels)
        The true labels.
    oof_proba : array of float, shape (n_cases, n_labels)
        Calibrated out-of-fold probabilities (each case scored by a model that did not
        see it).
    text_lengths : sequence of int
        The length in characters of each training narrative.
    labels : sequence of str

    Returns
    -------
    dict
        ``pr_curves`` {label: {precision, recall, thresholds, average_precision}} (sklearn's
        convention: ``thresholds`` is one shorter, the last point is recall 0, precision 1),
        ``cooccurrence`` (cases carrying both labels, n_labels x n_labels, in ``labels``
        order), ``text_length_hist`` {unit, edges, counts, n, median, max},
        ``calibration`` {label: {ece, bins}}.
    """
    from sklearn.metrics import average_precision_score, precision_recall_curve

    y = np.asarray(y).astype(np.int64)
    oof_proba = np.asarray(oof_proba, dtype=np.float64)
    lengths = np.asarray(list(text_lengths), dtype=np.float64)
    if y.shape != oof_proba.shape or y.shape[1] != len(labels) or len(lengths) != len(y):
        raise ValueError(
            f"report data needs matching shapes: y {y.shape}, oof_proba {oof_proba.shape}, "
            f"{len(labels)} labels, {len(lengths)} text lengths"
        )
    curves: dict[str, Any] = {}
    calibration: dict[str, Any] = {}
    for j, label in enumerate(labels):
        calibration[label] = calibration_bins(y[:, j], oof_proba[:, j])
        if y[:, j].min() == y[:, j].max():
            continue  # no curve without both classes
        precision, recall, thresholds = precision_recall_curve(y[:, j], oof_proba[:, j])
        keep = _thin(len(thresholds), PR_POINTS)
        curves[label] = {
            "precision": [_r(v) for v in precision[keep]] + [1.0],
            "recall": [_r(v) for v in recall[keep]] + [0.0],
            "thresholds": [_r(v) for v in thresholds[keep]],
            "average_precision": _r(average_precision_score(y[:, j], oof_proba[:, j])),
        }
    if len(lengths):
        top = max(float(lengths.max()), 1.0)
        counts, edges = np.histogram(
            lengths, bins=min(30, max(len(lengths) // 5, 5)), range=(0, top)
        )
        hist: dict[str, Any] = {
            "unit": "characters",
            "edges": [_r(e, 1) for e in edges],
            "counts": [int(c) for c in counts],
            "n": int(len(lengths)),
            "median": _r(np.median(lengths), 1),
            "max": int(lengths.max()),
        }
    else:
        hist = {"unit": "characters", "edges": [], "counts": [], "n": 0}
    return {
        "pr_curves": curves,
        "cooccurrence": (y.T @ y).astype(int).tolist(),
        "text_length_hist": hist,
        "calibration": calibration,
    }


def confusion_from_row(row: Mapping[str, Any], n_cases: int) -> dict[str, int]:
    """Rebuild one label's cross-validated confusion counts from its model-card row.

    The card stores ``support`` (true cases), ``predicted`` (cases tagged) and ``recall``
    (rounded to 4 decimals, so ``recall * support`` rounds back to the exact true
    positives for any support below 5,000).
    """
    support, predicted = int(row["support"]), int(row["predicted"])
    tp = min(int(round(float(row["recall"]) * support)), support, predicted)
    fp = predicted - tp
    fn = support - tp
    tn = max(int(n_cases) - tp - fp - fn, 0)
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn}


def _interval(estimate: float | None, draws: np.ndarray) -> dict[str, float | None]:
    finite = draws[np.isfinite(draws)]
    if estimate is None or len(finite) == 0:
        return {"estimate": estimate, "low": None, "high": None}
    low, high = np.percentile(finite, [2.5, 97.5])
    # As in the usual Jeffreys interval, the interval always holds the estimate (so a
    # 100% precision reaches up to 100%, and 0% down to 0%).
    low, high = min(low, estimate), max(high, estimate)
    return {"estimate": _r(estimate), "low": _r(low), "high": _r(high)}


def metric_intervals(confusion: Mapping[str, int], *, seed: int = 0) -> dict[str, Any]:
    """Precision, recall and F1 with 95% intervals from a confusion table.

    Precision (tp of tp + fp) and recall (tp of tp + fn) are shares: their interval is the
    Wilson score interval (:func:`allegations.stats._intervals.wilson`), the one ``train``
    stores in the model card and ``estimate`` uses, so the same figure prints the same
    interval everywhere. F1 is not a share: its interval draws the four cell probabilities
    from Dirichlet(tp + 1/2, fp + 1/2, fn + 1/2, tn + 1/2) (a Bayesian bootstrap of the
    cases, 2,000 draws) and takes the 2.5th and 97.5th percentiles.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1``: each ``{"estimate", "low", "high"}``
        (``None`` where undefined, e.g. precision of a label never predicted).
    """
    cells = np.array([confusion["tp"], confusion["fp"], confusion["fn"], confusion["tn"]], float)
    rng = np.random.default_rng(seed)
    draws = rng.dirichlet(cells + 0.5, size=N_BOOT)
    tp, fp, fn = draws[:, 0], draws[:, 1], draws[:, 2]
    f1 = 2 * tp / (2 * tp + fp + fn)
    t, f_p, f_n = int(cells[0]), int(cells[1]), int(cells[2])
    est_f = 2 * t / (2 * t + f_p + f_n) if t + f_p + f_n else None
    return {
        "precision": _share(t, t + f_p),
        "recall": _share(t, t + f_n),
        "f1": _interval(est_f, f1),
    }


def _share(k: int, n: int) -> dict[str, float | None]:
    interval = wilson_counts(k, n)
    if interval is None:
        return {"estimate": None, "low": None, "high": None}
    return {"estimate": _r(k / n), "low": interval[0], "high": interval[1]}


def adjusted_count(
    confusion: Mapping[str, int], n_tagged: int, n_release: int, *, seed: int = 0
) -> dict[str, Any]:
    """Correct one label's release count with its cross-validated error rates.

    Adjusted classify-and-count: ``prevalence = (q - fpr) / (tpr - fpr)`` clipped to
    [0, 1], where ``q = n_tagged / n_release``; the count is ``prevalence * n_release``.
    The 95% interval draws ``tpr``, ``fpr`` and ``q`` from their Jeffreys posteriors (see
    the module docstring). It assumes the release differs from the training data only in how common
    each label is, not in how cases of a label read.

    Returns
    -------
    dict
        ``estimate``, ``low``, ``high`` (cases; ``None`` when not estimable), ``tpr``,
        ``fpr``, ``reliable`` (bool) and ``note`` (why not, when not).
    """
    pos = confusion["tp"] + confusion["fn"]
    neg = confusion["fp"] + confusion["tn"]
    out: dict[str, Any] = {"estimate": None, "low": None, "high": None, "tpr": None, "fpr": None}
    if pos == 0 or neg == 0 or n_release <= 0:
        out.update(reliable=False, note="no measured error rates for this label")
        return out
    tpr, fpr = confusion["tp"] / pos, confusion["fp"] / neg
    q = n_tagged / n_release
    out.update(tpr=_r(tpr), fpr=_r(fpr))
    if tpr - fpr < MIN_SEPARATION:
        out.update(
            reliable=False,
            note=f"the model barely separates this label (tpr - fpr = {tpr - fpr:.2f} < "
            f"{MIN_SEPARATION}); a corrected count would be noise",
        )
        return out
    rng = np.random.default_rng(seed)
    tpr_b = rng.beta(confusion["tp"] + 0.5, confusion["fn"] + 0.5, size=N_BOOT)
    fpr_b = rng.beta(confusion["fp"] + 0.5, confusion["tn"] + 0.5, size=N_BOOT)
    q_b = rng.beta(n_tagged + 0.5, n_release - n_tagged + 0.5, size=N_BOOT)
    sep = tpr_b - fpr_b
    with np.errstate(divide="ignore", invalid="ignore"):
        prev_b = np.where(sep > 0, np.clip((q_b - fpr_b) / sep, 0.0, 1.0), np.nan)
    prevalence = min(max((q - fpr) / (tpr - fpr), 0.0), 1.0)
    interval = _interval(prevalence * n_release, prev_b * n_release)
    n_bad = int((~np.isfinite(prev_b)).sum())
    out.update(interval)
    out["estimate"] = _r(prevalence * n_release, 1)
    out["low"] = None if interval["low"] is None else _r(interval["low"], 1)
    out["high"] = None if interval["high"] is None else _r(interval["high"], 1)
    out["reliable"] = n_bad <= 0.05 * N_BOOT
    out["note"] = "" if out["reliable"] else f"{n_bad} of {N_BOOT} bootstrap draws undefined"
    return out
