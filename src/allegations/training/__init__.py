"""Training and checking labelled data: train, folds, near-duplicates, labels, codebooks,
suspected label errors.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._codebook import (
        Codebook,
        LabelDefinition,
        load_codebook,
    )
    from ._crossval import (
        assign_groups,
        cross_fitted_predictions,
        cross_validate,
        fit_with_seeds,
        label_threshold,
        seed_examples,
    )
    from ._curve import (
        CURVE_FRACTIONS,
        LearningCurve,
        learning_curve,
    )
    from ._curve_file import (
        CURVE_FORMAT,
        curve_record,
        read_curve,
        save_curve,
    )
    from ._labels import (
        TRUTHY,
        canonical_labels,
        label_key,
        labels_from_column,
        labels_from_columns,
        load_label_names,
        parse_label_string,
        rename_labels,
        to_matrix,
    )
    from ._neardup import (
        NEAR_DUPLICATE_COSINE,
        near_duplicate_pairs,
    )
    from ._progress import add_work, advance, progress_callback
    from ._suspects import (
        SUSPECT_COLUMNS,
        find_suspects,
    )
    from ._train import (
        MIN_ROWS,
        evaluate,
        make_folds,
        train,
        warn_label_design_changes,
    )

__all__ = [
    "warn_label_design_changes",
    "rename_labels",
    "progress_callback",
    "load_label_names",
    "advance",
    "add_work",
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
    "warn_label_design_changes": "_train",
    "rename_labels": "_labels",
    "progress_callback": "_progress",
    "load_label_names": "_labels",
    "advance": "_progress",
    "add_work": "_progress",
    "train": "_train",
    "evaluate": "_train",
    "make_folds": "_train",
    "MIN_ROWS": "_train",
    "assign_groups": "_crossval",
    "cross_validate": "_crossval",
    "seed_examples": "_crossval",
    "fit_with_seeds": "_crossval",
    "label_threshold": "_crossval",
    "cross_fitted_predictions": "_crossval",
    "NEAR_DUPLICATE_COSINE": "_neardup",
    "near_duplicate_pairs": "_neardup",
    "TRUTHY": "_labels",
    "label_key": "_labels",
    "parse_label_string": "_labels",
    "labels_from_column": "_labels",
    "labels_from_columns": "_labels",
    "canonical_labels": "_labels",
    "to_matrix": "_labels",
    "Codebook": "_codebook",
    "LabelDefinition": "_codebook",
    "load_codebook": "_codebook",
    "find_suspects": "_suspects",
    "CURVE_FRACTIONS": "_curve",
    "LearningCurve": "_curve",
    "learning_curve": "_curve",
    "CURVE_FORMAT": "_curve_file",
    "curve_record": "_curve_file",
    "read_curve": "_curve_file",
    "save_curve": "_curve_file",
    "SUSPECT_COLUMNS": "_suspects",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
