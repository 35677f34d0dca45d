"""How sure the model is of a case, and what the model card records about it: the
out-of-fold confidence distribution from which the review cut-off is read."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..stats import wrong_chance

__all__ = ["DEFAULT_REVIEW_SHARE", "confidence_of", "review_distribution"]

#: The share of a release ``needs_review`` flags by default: the least confident tenth.
DEFAULT_REVIEW_SHARE = 0.1
#: Confidence bands whose share of (out-of-fold) cases the model card records.
CONFIDENCE_EDGES = tuple(round(0.1 * i, 1) for i in range(11))
#: Points of the out-of-fold confidence distribution kept in the card (0%, 1%, ... 100%).
N_QUANTILES = 101


def confidence_of(proba: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """Each case's confidence: one minus the largest calibrated chance that one of its
    decisions (label given or not) is wrong."""
    if len(proba) == 0 or proba.shape[1] == 0:
        return np.ones(len(proba))
    return np.asarray(1.0 - wrong_chance(proba, decided).max(axis=1))


def review_distribution(confidence: np.ndarray) -> dict[str, Any]:
    """What the model card stores about confidence, from out-of-fold confidences.

    Returns
    -------
    dict
        ``confidence_bands``: ``edges`` (0, 0.1, ..., 1) and the ``shares`` of cases in each
        band; ``confidence_quantiles``: the 0th, 1st, ..., 100th percentiles, from which
        :meth:`Tagger.review_cutoff` picks the cut-off for a review share.
    """
    conf = np.asarray(confidence, dtype=np.float64)
    conf = conf[np.isfinite(conf)]
    if len(conf) == 0:
        return {"confidence_bands": None, "confidence_quantiles": None}
    counts, _ = np.histogram(conf, bins=np.asarray(CONFIDENCE_EDGES))
    return {
        "confidence_bands": {
            "edges": list(CONFIDENCE_EDGES),
            "shares": [round(float(c) / len(conf), 4) for c in counts],
        },
        "confidence_quantiles": [
            round(float(q), 4) for q in np.quantile(conf, np.linspace(0.0, 1.0, N_QUANTILES))
        ],
    }
