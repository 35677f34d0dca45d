"""Metrics, reliability (intervals, calibration, review bands) and the numbers a report is
built from.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .intervals import (
        Z95,
        audit_size_for,
        wilson,
        wilson_counts,
        wilson_half_width,
    )
    from .metrics import (
        MIN_SUPPORT,
        score_predictions,
    )
    from .reliability import (
        N_BINS,
        REVIEW_ERROR,
        bootstrap_intervals,
        f1_intervals,
        paired_f1_difference,
        reliability,
        review_bands,
        wrong_chance,
    )
    from .report_stats import (
        MIN_SEPARATION,
        N_BOOT,
        adjusted_count,
        calibration_bins,
        confusion_from_row,
        metric_intervals,
        report_data_from_training,
    )

__all__ = [
    "Z95",
    "wilson",
    "wilson_counts",
    "wilson_half_width",
    "audit_size_for",
    "MIN_SUPPORT",
    "score_predictions",
    "REVIEW_ERROR",
    "N_BINS",
    "reliability",
    "review_bands",
    "wrong_chance",
    "bootstrap_intervals",
    "f1_intervals",
    "paired_f1_difference",
    "N_BOOT",
    "MIN_SEPARATION",
    "report_data_from_training",
    "calibration_bins",
    "confusion_from_row",
    "metric_intervals",
    "adjusted_count",
]

_WHERE = {
    "Z95": "intervals",
    "wilson": "intervals",
    "wilson_counts": "intervals",
    "wilson_half_width": "intervals",
    "audit_size_for": "intervals",
    "MIN_SUPPORT": "metrics",
    "score_predictions": "metrics",
    "REVIEW_ERROR": "reliability",
    "N_BINS": "reliability",
    "reliability": "reliability",
    "review_bands": "reliability",
    "wrong_chance": "reliability",
    "bootstrap_intervals": "reliability",
    "f1_intervals": "reliability",
    "paired_f1_difference": "reliability",
    "N_BOOT": "report_stats",
    "MIN_SEPARATION": "report_stats",
    "report_data_from_training": "report_stats",
    "calibration_bins": "report_stats",
    "confusion_from_row": "report_stats",
    "metric_intervals": "report_stats",
    "adjusted_count": "report_stats",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
