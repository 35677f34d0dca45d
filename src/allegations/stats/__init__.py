"""Metrics, reliability (intervals, calibration, review bands) and the numbers a report is
built from.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._agreement import krippendorff_alpha_nominal
    from ._intervals import (
        Z95,
        audit_size_for,
        wilson,
        wilson_counts,
        wilson_half_width,
    )
    from ._metrics import (
        MIN_SUPPORT,
        score_predictions,
    )
    from ._reliability import (
        N_BINS,
        REVIEW_ERROR,
        bootstrap_intervals,
        f1_intervals,
        paired_f1_difference,
        reliability,
        review_bands,
        wrong_chance,
    )
    from ._report_stats import (
        MIN_SEPARATION,
        N_BOOT,
        adjusted_count,
        calibration_bins,
        confusion_from_row,
        metric_intervals,
        report_data_from_training,
    )

__all__ = [
    "krippendorff_alpha_nominal",
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
    "krippendorff_alpha_nominal": "_agreement",
    "Z95": "_intervals",
    "wilson": "_intervals",
    "wilson_counts": "_intervals",
    "wilson_half_width": "_intervals",
    "audit_size_for": "_intervals",
    "MIN_SUPPORT": "_metrics",
    "score_predictions": "_metrics",
    "REVIEW_ERROR": "_reliability",
    "N_BINS": "_reliability",
    "reliability": "_reliability",
    "review_bands": "_reliability",
    "wrong_chance": "_reliability",
    "bootstrap_intervals": "_reliability",
    "f1_intervals": "_reliability",
    "paired_f1_difference": "_reliability",
    "N_BOOT": "_report_stats",
    "MIN_SEPARATION": "_report_stats",
    "report_data_from_training": "_report_stats",
    "calibration_bins": "_report_stats",
    "confusion_from_row": "_report_stats",
    "metric_intervals": "_report_stats",
    "adjusted_count": "_report_stats",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
