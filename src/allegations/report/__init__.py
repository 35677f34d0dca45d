"""The report: inputs, numbers, figures, methods note, HTML.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import (
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
    from .figures import (
        calibration_figure,
        cooccurrence_figure,
        label_counts_figure,
        learning_curve_figure,
        pr_curves_figure,
        quality_figure,
        text_length_figure,
    )
    from .html import render_html
    from .html_parts import NOT_RECORDED
    from .inputs import (
        release_warnings,
    )
    from .methods import (
        describe_goal,
        methods_paragraph,
        pct,
    )
    from .release_figures import (
        confidence_figure,
        release_counts_figure,
    )
    from .svg import (
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
    "REPORT_FORMAT_VERSION": "build",
    "ESTIMATOR": "build",
    "load_card": "build",
    "read_predictions": "build",
    "release_stats": "build",
    "read_store": "build",
    "read_release_summary": "build",
    "build_report": "build",
    "make_report": "build",
    "quality_rows": "build",
    "report_data_from_training": "build",
    "calibration_bins": "build",
    "OKABE_ITO": "svg",
    "svg_text": "svg",
    "label_counts_figure": "figures",
    "cooccurrence_figure": "figures",
    "text_length_figure": "figures",
    "quality_figure": "figures",
    "pr_curves_figure": "figures",
    "calibration_figure": "figures",
    "learning_curve_figure": "figures",
    "release_counts_figure": "release_figures",
    "confidence_figure": "release_figures",
    "render_html": "html",
    "NOT_RECORDED": "html_parts",
    "release_warnings": "inputs",
    "methods_paragraph": "methods",
    "pct": "methods",
    "describe_goal": "methods",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
