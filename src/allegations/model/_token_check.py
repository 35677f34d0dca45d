"""The tokenizer check of a model file.

It guards the one thing another spaCy or ``spacy-lookups-data`` version could change: how
a narrative becomes tokens. Training stores the normalised tokens of
:data:`CHECK_SENTENCES` (special cases, redactions, numbers, abbreviations, hyphens, clock
times, sentence ends, web addresses); loading runs the same sentences again and refuses a
model whose tokens now differ (see :func:`compare_tokens`).
"""

from __future__ import annotations

from typing import Any

from ..text import SpacyPreprocessor
from ._fields import FieldChecker

__all__ = ["CHECK_SENTENCES", "tokenizer_check", "compare_tokens"]

#: Sentences whose normalised tokens fingerprint the tokenizer and lemma tables. Each
#: exercises a rule another spaCy or lookups version could change.
CHECK_SENTENCES = (
    "SA queried TECS on his ex-wife's new boyfriend and shared the results with (b)(6).",
    "Officers weren't wearing body cameras; Sgt. Smith didn't report it until Jan. 5th.",
    "On 03/14/2017 at 10:30 p.m., P/O [REDACTED] struck the complainant 2 times.",
    "The U.S. Marshals said the employee's login was used 1,234 times for $5,000.",
    "Mr. O'Neil (badge #4471) allegedly lied, stole cash & harassed co-workers!",
    "She was arrested, searched and detained; the men were running, the children cried.",
    "See https://example.org/case?id=7 and www.example.com for the XXXX records.",
    'He said: "I\'m gonna find you." Then he texted her 20x at 2am -- no reason.',
)
_CHECK_LIMIT = 64  # sentences in a tokenizer check, at most
_CHECK_CHARS = 2000  # characters in one check sentence, at most


def tokenizer_check(
    preprocessor: SpacyPreprocessor, texts: Any = CHECK_SENTENCES, *, fresh: bool = True
) -> list[str]:
    """The normalised tokens of ``texts`` from the installed spaCy and lemma tables.

    With ``fresh`` (for a trained model) a fresh copy of ``preprocessor``'s settings does
    the work, so no cached chunk form stands in for spaCy; without it ``preprocessor``
    itself does, which must then hold no saved chunk forms yet (a model being loaded: it
    keeps the spaCy pipeline it loads for the check).
    """
    if fresh:
        preprocessor = SpacyPreprocessor(
            spacy_model=preprocessor.spacy_model,
            batch_size=preprocessor.batch_size,
            drop_urls=preprocessor.drop_urls,
            mark_sentences=preprocessor.mark_sentences,
        )
    return [str(doc) for doc in preprocessor.transform(list(texts))]


def compare_tokens(doc: Any, preprocessor: SpacyPreprocessor, where: str) -> str | None:
    """Run the model's stored check sentences again; describe the first difference.

    ``preprocessor`` is the loaded model's spaCy step before its saved chunk forms are
    restored (see :func:`allegations.model._bundle.model_from_parts`).

    Returns
    -------
    str or None
        None when every sentence gives the stored tokens; otherwise where they first
        differ (sentence number, token position, stored and current token: lemmas of the
        fixed check sentences, never a narrative).

    Raises
    ------
    ModelIntegrityError
        If the stored check is missing or malformed.
    """
    check = FieldChecker(where)
    items = doc.get("tokenizer_check") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not 0 < len(items) <= _CHECK_LIMIT:
        raise check.fail("has no tokenizer check")
    texts, stored = [], []
    for item in items:
        item = check.mapping(item, "tokenizer_check")
        text, tokens = item.get("text"), item.get("tokens")
        if not isinstance(text, str) or not isinstance(tokens, str) or len(text) > _CHECK_CHARS:
            raise check.fail("has a malformed tokenizer check")
        texts.append(text)
        stored.append(tokens)
    current = tokenizer_check(preprocessor, texts, fresh=False)
    for i, (old, new) in enumerate(zip(stored, current, strict=True)):
        if old != new:
            a, b = old.split(), new.split()
            pairs = enumerate(zip(a, b, strict=False))
            k = next((j for j, (x, y) in pairs if x != y), min(len(a), len(b)))
            was = a[k][:40] if k < len(a) else "(end)"
            now = b[k][:40] if k < len(b) else "(end)"
            return f"check sentence {i + 1}, token {k + 1}: saved {was!r}, now {now!r}"
    return None
