"""Training and checking labelled data: train, folds, near-duplicates, labels, codebooks,
suspected label errors.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .codebook import (
        Codebook,
        LabelDefinition,
        load_codebook,
    )
    from .crossval import (
        assign_groups,
        cross_fitted_predictions,
        cross_validate,
        fit_with_seeds,
        label_threshold,
        seed_examples,
    )
    from .curve import (
        CURVE_FRACTIONS,
        LearningCurve,
        learning_curve,
    )
    from .curve_file import (
        CURVE_FORMAT,
        curve_record,
        read_curve,
        save_curve,
    )
    from .labels import (
        TRUTHY,
        canonical_labels,
        label_key,
        labels_from_column,
        labels_from_columns,
        parse_label_string,
        to_matrix,
    )
    from .neardup import (
        NEAR_DUPLICATE_COSINE,
        near_duplicate_pairs,
    )
    from .suspects import (
        SUSPECT_COLUMNS,
        find_suspects,
    )
    from .train import (
        MIN_ROWS,
        evaluate,
        make_folds,
        train,
    )

__all__ = [
    "train",
    "evaluate",
    "make_folds",
    "MIN_ROWS",
    "assign_groups",
    "cross_validate",
    "seed_examples",
    "fit_with_seeds",
    "label_threshold",
    "cross_fitted_predictions",
    "NEAR_DUPLICATE_COSINE",
    "near_duplicate_pairs",
    "TRUTHY",
    "label_key",
    "parse_label_string",
    "labels_from_column",
    "labels_from_columns",
    "canonical_labels",
    "to_matrix",
    "Codebook",
    "LabelDefinition",
    "load_codebook",
    "find_suspects",
    "CURVE_FRACTIONS",
    "LearningCurve",
    "learning_curve",
    "CURVE_FORMAT",
    "curve_record",
    "read_curve",
    "save_curve",
    "SUSPECT_COLUMNS",
]

_WHERE = {
    "train": "train",
    "evaluate": "train",
    "make_folds": "train",
    "MIN_ROWS": "train",
    "assign_groups": "crossval",
    "cross_validate": "crossval",
    "seed_examples": "crossval",
    "fit_with_seeds": "crossval",
    "label_threshold": "crossval",
    "cross_fitted_predictions": "crossval",
    "NEAR_DUPLICATE_COSINE": "neardup",
    "near_duplicate_pairs": "neardup",
    "TRUTHY": "labels",
    "label_key": "labels",
    "parse_label_string": "labels",
    "labels_from_column": "labels",
    "labels_from_columns": "labels",
    "canonical_labels": "labels",
    "to_matrix": "labels",
    "Codebook": "codebook",
    "LabelDefinition": "codebook",
    "load_codebook": "codebook",
    "find_suspects": "suspects",
    "CURVE_FRACTIONS": "curve",
    "LearningCurve": "curve",
    "learning_curve": "curve",
    "CURVE_FORMAT": "curve_file",
    "curve_record": "curve_file",
    "read_curve": "curve_file",
    "save_curve": "curve_file",
    "SUSPECT_COLUMNS": "suspects",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
