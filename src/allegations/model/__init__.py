"""The model: features, the fast encoder, classifier and calibration, the fitted tagger,
evidence, and model files (format 2: data, not code).

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._arrays import (
        read_arrays,
        write_arrays,
    )
    from ._bundle import (
        ARRAY_NAMES,
        MODEL_JSON,
        WEIGHTS,
        model_from_parts,
        model_parts,
    )
    from ._calibration import (
        PlattCalibrator,
    )
    from ._card import (
        render_card_markdown,
    )
    from ._classifier import (
        LinearScores,
        build_classifier,
        build_pipeline,
        build_preprocessor,
        classifier_spec,
        decision_scores,
        label_scores,
    )
    from ._confidence import DEFAULT_REVIEW_SHARE, confidence_of, review_distribution
    from ._config import (
        ModelConfig,
    )
    from ._encode import (
        TokenEncoder,
    )
    from ._evidence import (
        MAX_PHRASES,
        explain,
        format_evidence,
        label_weights,
    )
    from ._features import (
        MARK,
        LemmaFeatures,
        affixes,
    )
    from ._fields import (
        parse_json,
    )
    from ._manifest import (
        CARD_JSON,
        CARD_MD,
        FORMAT_VERSION,
        MANIFEST,
        MAX_FILE_BYTES,
        library_versions,
        read_manifest,
    )
    from ._persistence import (
        check_model_folder,
        load_model,
        save_model,
    )
    from ._tagger import (
        EVIDENCE_COLUMNS,
        Tagger,
        join_labels,
        prediction_columns,
    )
    from ._thresholds import (
        Goal,
        choose_threshold,
        parse_goal,
    )
    from ._token_check import (
        CHECK_SENTENCES,
        compare_tokens,
        tokenizer_check,
    )

__all__ = [
    "review_distribution",
    "join_labels",
    "confidence_of",
    "DEFAULT_REVIEW_SHARE",
    "LemmaFeatures",
    "affixes",
    "MARK",
    "TokenEncoder",
    "ModelConfig",
    "Goal",
    "parse_goal",
    "build_preprocessor",
    "build_pipeline",
    "decision_scores",
    "label_scores",
    "PlattCalibrator",
    "LinearScores",
    "classifier_spec",
    "build_classifier",
    "choose_threshold",
    "Tagger",
    "prediction_columns",
    "EVIDENCE_COLUMNS",
    "label_weights",
    "explain",
    "format_evidence",
    "MAX_PHRASES",
    "MODEL_JSON",
    "WEIGHTS",
    "CHECK_SENTENCES",
    "model_parts",
    "model_from_parts",
    "ARRAY_NAMES",
    "parse_json",
    "write_arrays",
    "read_arrays",
    "tokenizer_check",
    "compare_tokens",
    "check_model_folder",
    "save_model",
    "load_model",
    "CARD_JSON",
    "CARD_MD",
    "MANIFEST",
    "FORMAT_VERSION",
    "MAX_FILE_BYTES",
    "render_card_markdown",
    "read_manifest",
    "library_versions",
]

_WHERE = {
    "review_distribution": "_confidence",
    "join_labels": "_tagger",
    "confidence_of": "_confidence",
    "DEFAULT_REVIEW_SHARE": "_confidence",
    "LemmaFeatures": "_features",
    "affixes": "_features",
    "MARK": "_features",
    "TokenEncoder": "_encode",
    "ModelConfig": "_config",
    "Goal": "_thresholds",
    "parse_goal": "_thresholds",
    "build_preprocessor": "_classifier",
    "build_pipeline": "_classifier",
    "decision_scores": "_classifier",
    "label_scores": "_classifier",
    "PlattCalibrator": "_calibration",
    "LinearScores": "_classifier",
    "classifier_spec": "_classifier",
    "build_classifier": "_classifier",
    "choose_threshold": "_thresholds",
    "Tagger": "_tagger",
    "prediction_columns": "_tagger",
    "EVIDENCE_COLUMNS": "_tagger",
    "label_weights": "_evidence",
    "explain": "_evidence",
    "format_evidence": "_evidence",
    "MAX_PHRASES": "_evidence",
    "MODEL_JSON": "_bundle",
    "WEIGHTS": "_bundle",
    "CHECK_SENTENCES": "_token_check",
    "model_parts": "_bundle",
    "model_from_parts": "_bundle",
    "ARRAY_NAMES": "_bundle",
    "parse_json": "_fields",
    "write_arrays": "_arrays",
    "read_arrays": "_arrays",
    "tokenizer_check": "_token_check",
    "compare_tokens": "_token_check",
    "check_model_folder": "_persistence",
    "save_model": "_persistence",
    "load_model": "_persistence",
    "CARD_JSON": "_manifest",
    "CARD_MD": "_manifest",
    "MANIFEST": "_manifest",
    "FORMAT_VERSION": "_manifest",
    "MAX_FILE_BYTES": "_manifest",
    "render_card_markdown": "_card",
    "read_manifest": "_manifest",
    "library_versions": "_manifest",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
