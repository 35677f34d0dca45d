"""The spaCy step: narratives in, normalised lemma strings out.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._preprocess import (
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
    "SpacyPreprocessor": "_preprocess",
    "as_text": "_preprocess",
    "normalise_redactions": "_preprocess",
    "blank_urls": "_preprocess",
    "split_tokens": "_preprocess",
    "lemma_text": "_preprocess",
    "ends_sentence": "_preprocess",
    "REDACTED": "_preprocess",
    "NUMBER": "_preprocess",
    "SENTENCE_END": "_preprocess",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
