"""How far to trust the model: reliability diagrams, calibration error, review bands,
bootstrap intervals of each label's precision and recall at its threshold, of the micro-
and macro-F1, and of the difference in F1 between two systems' decisions on the same
cases.

Everything here works on out-of-fold (cross-fitted) predictions, so the figures
describe cases the model did not train on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._metrics import MIN_SUPPORT

__all__ = [
    "REVIEW_ERROR",
    "N_BINS",
    "reliability",
    "review_bands",
    "wrong_chance",
    "bootstrap_intervals",
    "f1_intervals",
    "paired_f1_difference",
]

#: A decision needs review when the calibrated chance that it is wrong, plus the label's
#: expected calibration error, exceeds this.
REVIEW_ERROR = 0.2
#: Equal-width probability bins of the reliability diagrams.
N_BINS = 10
#: The most case weights :func:`f1_intervals` holds at once (resamples x cases).
_MAX_WEIGHTS = 4_000_000


def reliability(y: np.ndarray, p: np.ndarray, n_bins: int = N_BINS) -> dict[str, Any]:
    """Reliability-diagram data and expected calibration error (ECE) of one label.

    Parameters
    ----------
    y : array of 0/1
    p : array of float
        Out-of-fold calibrated probabilities of the same cases.
    n_bins : int
        Equal-width bins over [0, 1].

    Returns
    -------
    dict
        ``ece`` (the count-weighted mean of ``|fraction_positive - mean_predicted|``) and
        ``bins``: one dict per non-empty bin with ``lower``, ``upper``,
        ``mean_predicted``, ``fraction_positive`` and ``count``.
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    which = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    sum_p = np.bincount(which, weights=p, minlength=n_bins)
    sum_y = np.bincount(which, weights=y, minlength=n_bins)
    bins = []
    ece = 0.0
    for b in np.flatnonzero(count):
        mean_p, frac = sum_p[b] / count[b], sum_y[b] / count[b]
        ece += count[b] * abs(frac - mean_p)
        bins.append(
            {
                "lower": round(b / n_bins, 4),
                "upper": round((b + 1) / n_bins, 4),
                "mean_predicted": round(float(mean_p), 4),
                "fraction_positive": round(float(frac), 4),
                "count": int(count[b]),
            }
        )
    return {"ece": round(float(ece / max(len(p), 1)), 4), "bins": bins}


def review_bands(
    thresholds: np.ndarray, ece: np.ndarray, error: float = REVIEW_ERROR
) -> np.ndarray:
    """Each label's uncertainty band, shape (n_labels, 2), sized from its calibration.

    A probability ``p`` is the calibrated chance that the label applies. A "no" decision
    (``p < t``) is wrong with chance ``p``, a "yes" (``p >= t``) with chance ``1 - p``; the
    true chance may be off by the label's expected calibration error. The band holds
    the probabilities where that worst-case chance exceeds ``error``:
    ``[min(t, error - ece), max(t, 1 - error + ece)]``, clipped to [0, 1]. It always
    contains the threshold, and a poorly calibrated label gets a wider band.
    """
    t = np.asarray(thresholds, dtype=np.float64)
    e = np.asarray(ece, dtype=np.float64)
    low = np.clip(np.minimum(t, error - e), 0.0, 1.0)
    high = np.clip(np.maximum(t, 1.0 - error + e), 0.0, 1.0)
    return np.column_stack([low, high])


def wrong_chance(proba: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """Calibrated chance that each 0/1 decision is wrong: ``p`` for a no, ``1 - p`` for a yes."""
    return np.where(np.asarray(decided).astype(bool), 1.0 - proba, proba)


def bootstrap_intervals(
    y: np.ndarray,
    pred: np.ndarray,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> list[dict[str, list[float] | None]]:
    """Percentile bootstrap intervals of each label's precision and recall.

    Cases are resampled with replacement ``n_boot`` times (as multinomial case weights,
    so the whole computation is two matrix products).

    Parameters
    ----------
    y, pred : array of 0/1, shape (n_cases, n_labels)
        True labels and cross-fitted decisions.

    Returns
    -------
    list of dict
        Per label, ``precision`` and ``recall`` as ``[low, high]`` (None when the
        label is never predicted / never given in the data).
    """
    y = np.asarray(y, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    weights = _case_weights(len(y), n_boot, seed)
    tp = weights @ (y * pred)
    n_pred = weights @ pred
    n_true = weights @ y
    alpha = (1.0 - level) / 2.0
    out: list[dict[str, list[float] | None]] = []
    for j in range(y.shape[1]):
        row: dict[str, list[float] | None] = {}
        for name, denom in (("precision", n_pred[:, j]), ("recall", n_true[:, j])):
            ok = denom > 0
            if not ok.any() or pred[:, j].sum() == 0 and name == "precision":
                row[name] = None
                continue
            vals = tp[ok, j] / denom[ok]
            row[name] = [
                round(float(np.quantile(vals, alpha)), 4),
                round(float(np.quantile(vals, 1.0 - alpha)), 4),
            ]
        out.append(row)
    return out


def _case_weights(n: int, n_boot: int, seed: int | np.random.Generator) -> np.ndarray:
    """``n_boot`` resamples of ``n`` cases with replacement, as multinomial case weights
    (``seed`` may be a generator, whose stream then continues)."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)


def _f1s(weights: np.ndarray, y: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Micro-F1 (n_boot,) and per-label F1 (n_boot, n_labels) of each resample."""
    tp = weights @ (y * pred)
    both = weights @ pred + weights @ y  # predicted + true, per label
    micro = 2 * tp.sum(axis=1) / np.maximum(both.sum(axis=1), 1e-12)
    return micro, np.divide(2 * tp, both, out=np.zeros_like(tp), where=both > 0)


def f1_intervals(
    y: np.ndarray,
    pred: np.ndarray,
    *,
    min_support: int = MIN_SUPPORT,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, list[float] | None]:
    """Percentile bootstrap intervals of the micro- and macro-F1 of decisions ``pred``.

    Cases are resampled with replacement ``n_boot`` times (multinomial case weights, drawn
    in blocks so that memory stays bounded for many cases). Macro-F1 is the mean F1 over
    the labels with at least ``min_support`` true cases in ``y``, the labels of
    :func:`~allegations.stats._metrics.score_predictions`'s ``macro_f1``; a label a
    resample happens to miss scores 0.

    Parameters
    ----------
    y, pred : array of 0/1, shape (n_cases, n_labels)
        True labels and (cross-fitted) decisions.

    Returns
    -------
    dict
        ``micro_f1`` and ``macro_f1``, each ``[low, high]`` rounded to 4 decimals; None
        when there is no case (both) or no label with ``min_support`` cases (macro).
    """
    y = np.asarray(y, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    if y.ndim != 2 or not len(y):
        return {"micro_f1": None, "macro_f1": None}
    keep = y.sum(axis=0) >= min_support
    rng = np.random.default_rng(seed)
    block = max(1, min(n_boot, _MAX_WEIGHTS // len(y)))
    micro, macro = [], []
    for start in range(0, n_boot, block):
        weights = _case_weights(len(y), min(block, n_boot - start), rng)
        micro_f1, per_label = _f1s(weights, y, pred)
        micro.append(micro_f1)
        macro.append(per_label[:, keep].mean(axis=1) if keep.any() else micro_f1[:0])
    alpha = (1.0 - level) / 2.0

    def interval(values: list[np.ndarray]) -> list[float] | None:
        boot = np.concatenate(values)
        if not len(boot):
            return None
        return [
            round(float(np.quantile(boot, alpha)), 4),
            round(float(np.quantile(boot, 1.0 - alpha)), 4),
        ]

    return {"micro_f1": interval(micro), "macro_f1": interval(macro)}


def paired_f1_difference(
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    *,
    margins: Sequence[float] = (0.0,),
    min_support: int = MIN_SUPPORT,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, Any]:
    """How much better decisions ``a`` score than decisions ``b`` on the same cases.

    A paired percentile bootstrap: the same resample of cases scores both systems, so
    the interval reflects how the difference, not each score, varies with the cases.
    Macro-F1 is the mean over the labels with at least ``min_support`` true cases in
    ``y`` (the benchmark's scoring); a label a resample happens to miss scores 0 for both.

    Parameters
    ----------
    y, a, b : array of 0/1, shape (n_cases, n_labels)
        True labels and the two systems' decisions.
    margins : sequence of float
        Differences whose share of resamples reaching them is reported.

    Returns
    -------
    dict
        ``micro`` and ``macro``, each with ``difference`` (a - b on all cases),
        ``interval`` (``[low, high]``) and ``share_above`` (each margin to the share of
        resamples whose difference reaches it).

    Raises
    ------
    ValueError
        If the three matrices differ in shape, hold no case, or hold values other than
        0 and 1 (scores or probabilities instead of decisions).
    """
    y, a, b = (np.asarray(m, dtype=np.float64) for m in (y, a, b))
    if not (y.shape == a.shape == b.shape) or y.ndim != 2 or not len(y):
        raise ValueError(
            f"shapes {y.shape}, {a.shape}, {b.shape}: expected three equal 2-D shapes "
            "with at least one case"
        )
    for name, m in (("y", y), ("a", a), ("b", b)):
        if not np.isin(m, (0.0, 1.0)).all():
            raise ValueError(f"{name} holds values other than 0 and 1; pass 0/1 decisions")
    keep = y.sum(axis=0) >= min_support
    weights = np.vstack([np.ones((1, len(y))), _case_weights(len(y), n_boot, seed)])
    (micro_a, per_a), (micro_b, per_b) = _f1s(weights, y, a), _f1s(weights, y, b)
    macro_a = per_a[:, keep].mean(axis=1) if keep.any() else np.zeros(len(weights))
    macro_b = per_b[:, keep].mean(axis=1) if keep.any() else np.zeros(len(weights))
    alpha = (1.0 - level) / 2.0
    out: dict[str, Any] = {"n_cases": int(len(y)), "n_boot": int(n_boot), "level": level}
    for name, diff in (("micro", micro_a - micro_b), ("macro", macro_a - macro_b)):
        boot = diff[1:]  # row 0 weighs every case once: the difference on the data itself
        out[name] = {
            "difference": round(float(diff[0]), 4),
            "interval": [
                round(float(np.quantile(boot, alpha)), 4),
                round(float(np.quantile(boot, 1.0 - alpha)), 4),
            ],
            "share_above": {m: round(float((boot >= m - 1e-12).mean()), 3) for m in margins},
        }
    return out
