"""The report: inputs, numbers, figures, methods note, HTML.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._build import (
        ESTIMATOR,
        REPORT_FORMAT_VERSION,
        build_report,
        calibration_bins,
        load_card,
        make_report,
        quality_rows,
        read_predictions,
        read_release_summary,
        read_store,
        release_stats,
        report_data_from_training,
    )
    from ._figures import (
        calibration_figure,
        cooccurrence_figure,
        label_counts_figure,
        learning_curve_figure,
        pr_curves_figure,
        quality_figure,
        text_length_figure,
    )
    from ._html import render_html
    from ._html_parts import NOT_RECORDED
    from ._inputs import (
        release_warnings,
    )
    from ._methods import (
        describe_goal,
        methods_paragraph,
        pct,
    )
    from ._release_figures import (
        confidence_figure,
        release_counts_figure,
    )
    from ._svg import (
        OKABE_ITO,
        svg_text,
    )

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
    "OKABE_ITO",
    "svg_text",
    "label_counts_figure",
    "cooccurrence_figure",
    "text_length_figure",
    "quality_figure",
    "pr_curves_figure",
    "calibration_figure",
    "learning_curve_figure",
    "release_counts_figure",
    "confidence_figure",
    "render_html",
    "NOT_RECORDED",
    "release_warnings",
    "methods_paragraph",
    "pct",
    "describe_goal",
]

_WHERE = {
    "REPORT_FORMAT_VERSION": "_build",
    "ESTIMATOR": "_build",
    "load_card": "_build",
    "read_predictions": "_build",
    "release_stats": "_build",
    "read_store": "_build",
    "read_release_summary": "_build",
    "build_report": "_build",
    "make_report": "_build",
    "quality_rows": "_build",
    "report_data_from_training": "_build",
    "calibration_bins": "_build",
    "OKABE_ITO": "_svg",
    "svg_text": "_svg",
    "label_counts_figure": "_figures",
    "cooccurrence_figure": "_figures",
    "text_length_figure": "_figures",
    "quality_figure": "_figures",
    "pr_curves_figure": "_figures",
    "calibration_figure": "_figures",
    "learning_curve_figure": "_figures",
    "release_counts_figure": "_release_figures",
    "confidence_figure": "_release_figures",
    "render_html": "_html",
    "NOT_RECORDED": "_html_parts",
    "release_warnings": "_inputs",
    "methods_paragraph": "_methods",
    "pct": "_methods",
    "describe_goal": "_methods",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
