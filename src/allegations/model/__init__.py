"""The model: features, the fast encoder, classifier and calibration, the fitted tagger,
evidence, and model files (format 2: data, not code).

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .arrays import (
        read_arrays,
        write_arrays,
    )
    from .bundle import (
        ARRAY_NAMES,
        MODEL_JSON,
        WEIGHTS,
        model_from_parts,
        model_parts,
    )
    from .calibration import (
        PlattCalibrator,
    )
    from .card import (
        render_card_markdown,
    )
    from .classifier import (
        LinearScores,
        build_classifier,
        build_pipeline,
        build_preprocessor,
        classifier_spec,
        decision_scores,
        label_scores,
    )
    from .config import (
        ModelConfig,
    )
    from .encode import (
        TokenEncoder,
    )
    from .evidence import (
        MAX_PHRASES,
        explain,
        format_evidence,
        label_weights,
    )
    from .features import (
        MARK,
        LemmaFeatures,
        affixes,
    )
    from .fields import (
        parse_json,
    )
    from .manifest import (
        CARD_JSON,
        CARD_MD,
        FORMAT_VERSION,
        MANIFEST,
        MAX_FILE_BYTES,
        library_versions,
        read_manifest,
    )
    from .persistence import (
        check_model_folder,
        load_model,
        save_model,
    )
    from .tagger import (
        EVIDENCE_COLUMNS,
        Tagger,
        prediction_columns,
    )
    from .thresholds import (
        Goal,
        choose_threshold,
        parse_goal,
    )
    from .token_check import (
        CHECK_SENTENCES,
        compare_tokens,
        tokenizer_check,
    )

__all__ = [
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
    "LemmaFeatures": "features",
    "affixes": "features",
    "MARK": "features",
    "TokenEncoder": "encode",
    "ModelConfig": "config",
    "Goal": "thresholds",
    "parse_goal": "thresholds",
    "build_preprocessor": "classifier",
    "build_pipeline": "classifier",
    "decision_scores": "classifier",
    "label_scores": "classifier",
    "PlattCalibrator": "calibration",
    "LinearScores": "classifier",
    "classifier_spec": "classifier",
    "build_classifier": "classifier",
    "choose_threshold": "thresholds",
    "Tagger": "tagger",
    "prediction_columns": "tagger",
    "EVIDENCE_COLUMNS": "tagger",
    "label_weights": "evidence",
    "explain": "evidence",
    "format_evidence": "evidence",
    "MAX_PHRASES": "evidence",
    "MODEL_JSON": "bundle",
    "WEIGHTS": "bundle",
    "CHECK_SENTENCES": "token_check",
    "model_parts": "bundle",
    "model_from_parts": "bundle",
    "ARRAY_NAMES": "bundle",
    "parse_json": "fields",
    "write_arrays": "arrays",
    "read_arrays": "arrays",
    "tokenizer_check": "token_check",
    "compare_tokens": "token_check",
    "check_model_folder": "persistence",
    "save_model": "persistence",
    "load_model": "persistence",
    "CARD_JSON": "manifest",
    "CARD_MD": "manifest",
    "MANIFEST": "manifest",
    "FORMAT_VERSION": "manifest",
    "MAX_FILE_BYTES": "manifest",
    "render_card_markdown": "card",
    "read_manifest": "manifest",
    "library_versions": "manifest",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
