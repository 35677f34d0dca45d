"""Compare a new release with the training data and a previous release.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compare import (
        KS_FLOOR,
        WARNINGS_KEY,
        Z_FLOOR,
        compare_columns,
        compare_release,
        compare_rows,
        cross_fitted_proba,
        label_drift,
        near_duplicates,
        reference_from_training,
        release_report,
        score_reference,
        unseen_token_share,
    )

__all__ = [
    "compare_release",
    "compare_columns",
    "compare_rows",
    "near_duplicates",
    "unseen_token_share",
    "score_reference",
    "reference_from_training",
    "cross_fitted_proba",
    "label_drift",
    "release_report",
    "Z_FLOOR",
    "KS_FLOOR",
    "WARNINGS_KEY",
]

_WHERE = {
    "compare_release": "compare",
    "compare_columns": "compare",
    "compare_rows": "compare",
    "near_duplicates": "compare",
    "unseen_token_share": "compare",
    "score_reference": "compare",
    "reference_from_training": "compare",
    "cross_fitted_proba": "compare",
    "label_drift": "compare",
    "release_report": "compare",
    "Z_FLOOR": "compare",
    "KS_FLOOR": "compare",
    "WARNINGS_KEY": "compare",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
