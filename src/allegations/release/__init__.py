"""Compare a new release with the training data and a previous release.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._changes import (
        compare_columns,
        compare_rows,
        near_duplicates,
        unseen_token_share,
    )
    from ._compare import (
        WARNINGS_KEY,
        compare_release,
        for_training,
        release_report,
    )
    from ._drift import (
        KS_FLOOR,
        Z_FLOOR,
        cross_fitted_proba,
        label_drift,
        reference_from_training,
        score_reference,
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
    "for_training",
    "Z_FLOOR",
    "KS_FLOOR",
    "WARNINGS_KEY",
]

_WHERE = {
    "compare_release": "_compare",
    "compare_columns": "_changes",
    "compare_rows": "_changes",
    "near_duplicates": "_changes",
    "unseen_token_share": "_changes",
    "score_reference": "_drift",
    "reference_from_training": "_drift",
    "cross_fitted_proba": "_drift",
    "label_drift": "_drift",
    "release_report": "_compare",
    "for_training": "_compare",
    "Z_FLOOR": "_drift",
    "KS_FLOOR": "_drift",
    "WARNINGS_KEY": "_compare",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
