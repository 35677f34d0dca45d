"""The spaCy step: narratives in, normalised lemma strings out.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .preprocess import (
        NUMBER,
        REDACTED,
        SENTENCE_END,
        SpacyPreprocessor,
        as_text,
        blank_urls,
        ends_sentence,
        lemma_text,
        normalise_redactions,
        split_tokens,
    )

__all__ = [
    "SpacyPreprocessor",
    "as_text",
    "normalise_redactions",
    "blank_urls",
    "split_tokens",
    "lemma_text",
    "ends_sentence",
    "REDACTED",
    "NUMBER",
    "SENTENCE_END",
]

_WHERE = {
    "SpacyPreprocessor": "preprocess",
    "as_text": "preprocess",
    "normalise_redactions": "preprocess",
    "blank_urls": "preprocess",
    "split_tokens": "preprocess",
    "lemma_text": "preprocess",
    "ends_sentence": "preprocess",
    "REDACTED": "preprocess",
    "NUMBER": "preprocess",
    "SENTENCE_END": "preprocess",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
