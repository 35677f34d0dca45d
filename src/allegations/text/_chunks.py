"""The normalised form of each whitespace-free chunk, computed with spaCy and cached.

spaCy's tokenizer splits a text on whitespace first and then tokenises each
whitespace-free chunk on its own (prefixes, suffixes, infixes, special cases), so a chunk
always gives the same tokens. :class:`ChunkForms` caches the normalised tokens of each
distinct chunk: a narrative is then the concatenation of its chunks' forms, and spaCy sees
each chunk string once (the new chunks of a batch go through spaCy together, as one doc).
Plain and punctuated words, digit groups and clock times take shortcuts that give spaCy's
own answer without building a doc (:meth:`ChunkForms._normalise_words`).

All the caches of the step live in one :class:`ChunkForms`; the estimator
(:class:`~allegations.text._preprocess.SpacyPreprocessor`) holds one and rebuilds it when
its parameters change. Every cache is bounded, so a long stream keeps flat memory.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from typing import Any

import numpy as np

from ..errors import ModelError
from ._normalise import (
    NUMBER,
    REDACTED,
    SENTENCE_END,
    clock_time,
    digit_groups,
    ends_sentence,
    punctuated_word,
)

__all__ = ["ChunkForms", "load_nlp", "lemma_table", "trained_tokens"]

#: Bounds of the caches (entries); a cache past its bound is emptied and refilled.
MAX_CHUNKS = 500_000
MAX_WORDS = 500_000
MAX_SPANS = 200_000


class ChunkForms:
    """The caches of the blank pipeline's normalisation, for one set of settings.

    Parameters
    ----------
    spacy_model : str or None
        The pipeline (None: spaCy's blank English tokenizer with lookup lemmas).
    mark_sentences : bool
        Append the sentence mark to the form of a chunk that ends a sentence.
    """

    def __init__(self, spacy_model: str | None, mark_sentences: bool) -> None:
        self.spacy_model = spacy_model
        self.mark_sentences = mark_sentences
        self._nlp: Any = None
        #: chunk -> its form: lemmas each followed by a space, then ". " at a sentence end.
        self.chunks: dict[str, str] = {}
        #: spaCy's lexeme id -> normalised token ("" for punctuation).
        self.norm: dict[int, str] = {}
        #: lower-cased plain word -> its form (the word shortcut).
        self.words: dict[str, str] = {}
        #: chunk -> its kept tokens with spans inside the chunk (evidence offsets).
        self.spans: dict[str, list[tuple[str, int, int]]] = {}

    def settings(self) -> tuple[str | None, bool]:
        """The settings these caches were built for."""
        return self.spacy_model, self.mark_sentences

    @property
    def nlp(self) -> Any:
        """The spaCy pipeline, loaded at first use (shared by every model in the process)."""
        if self._nlp is None:
            self._nlp = load_nlp(self.spacy_model)
        return self._nlp

    # -- forms of chunks -----------------------------------------------------------------
    def forms(self, chunks: Collection[str]) -> dict[str, str]:
        """The form of each chunk; chunks not yet cached are computed, not cached."""
        known = self.chunks
        forms = {chunk: known[chunk] for chunk in chunks if chunk in known}
        if len(forms) < len(chunks):
            fresh: dict[str, str] = {}
            rest = self._normalise_words({c for c in chunks if c not in forms}, fresh)
            if rest:
                self._normalise_chunks(sorted(rest), fresh)
            if self.mark_sentences:
                for chunk in fresh:
                    if ends_sentence(chunk):
                        fresh[chunk] += SENTENCE_END + " "
            forms.update(fresh)
        return forms

    def stream(self, texts: Iterable[str], batch_size: int) -> Iterator[str]:
        """Yield the normalised, space-joined string of each (already normalised) text."""
        batch: list[list[str]] = []
        for text in texts:
            batch.append(text.split())
            if len(batch) >= batch_size:
                yield from self._join_batch(batch)
                batch = []
        if batch:
            yield from self._join_batch(batch)

    def _join_batch(self, batch: list[list[str]]) -> Iterator[str]:
        chunks = self.chunks
        get = chunks.get
        new = {chunk for split in batch for chunk in split if get(chunk) is None}
        if new:
            if len(chunks) + len(new) > MAX_CHUNKS:  # bounded memory on a long stream
                chunks.clear()
            chunks.update(self.forms(new))
        for split in batch:
            # Cached forms end with a space (or are empty), so a plain concatenation joins
            # them; the last space is cut.
            yield "".join(map(chunks.__getitem__, split))[:-1]

    def restore(self, saved: dict[str, str]) -> None:
        """Start from chunk forms saved with a model (a copy: ``saved`` stays as it is)."""
        self.chunks = dict(saved)

    # -- offsets for evidence ------------------------------------------------------------
    def offsets(self, read: str) -> list[tuple[str, int, int]]:
        """The kept tokens of ``read`` with their character spans (blank pipeline)."""
        nlp = self.nlp
        norm = self.norm
        strings = nlp.vocab.strings
        spans = self.spans
        if len(spans) > MAX_SPANS:  # bounded memory
            spans.clear()
        out: list[tuple[str, int, int]] = []
        for match in re.finditer(r"\S+", read):
            base, chunk = match.start(), match.group()
            found = spans.get(chunk)
            if found is None:
                found = []
                for tok in nlp.tokenizer(chunk):
                    key = tok.orth
                    cached = norm.get(key)
                    form = cached if cached is not None else self._normalise_lexeme(strings[key])
                    norm[key] = form
                    if form:
                        found.append((form, tok.idx, tok.idx + len(tok.text)))
                if self.mark_sentences and ends_sentence(chunk):
                    found.append((SENTENCE_END, len(chunk), len(chunk)))
                spans[chunk] = found
            out.extend((form, base + a, base + b) for form, a, b in found)
        return out

    # -- the normalisation of new chunks ---------------------------------------------------
    def _normalise_words(self, new: set[str], chunks: dict[str, str]) -> list[str]:
        """Normalise the plain ASCII words among ``new`` chunks without building a Doc.

        spaCy's English tokenizer leaves a chunk of ASCII letters whole unless it is one of
        its special cases ("cannot", "gonna"): no prefix, suffix, infix or URL rule
        matches letters alone. Such a chunk becomes one token whose lexical attributes
        are those spaCy's own attribute getters give. A word wrapped in plain punctuation
        (``officer,`` ``(male)`` ``car.``) is split by spaCy's prefix and suffix rules into
        the word and the punctuation, which normalisation drops, so it normalises like
        the word (see :func:`~allegations.text._normalise.punctuated_word`). Returns the
        other chunks.
        """
        from spacy.attrs import LIKE_NUM

        nlp = self.nlp
        specials = nlp.tokenizer.rules or {}
        like_num = nlp.vocab.lex_attr_getters[LIKE_NUM]
        lemmas = lemma_table()
        # The form of each lower-cased word ("Officer", "officer," and "(officer)" share
        # it); like_num only lower-cases a word of letters before its look-ups.
        words = self.words
        if len(words) > MAX_WORDS:  # bounded memory
            words.clear()

        def word_form(word: str) -> str:
            lower = word.lower()
            form = words.get(lower)
            if form is None:
                form = words[lower] = (
                    NUMBER if like_num(lower) else lemmas.get(lower, lower).lower()
                ) + " "
            return form

        rest = []
        for chunk in new:
            word = chunk if chunk.isascii() and chunk.isalpha() else None
            if word is None or chunk in specials:
                word = punctuated_word(chunk, specials)
            if word is not None:
                # A hyphen between letters is an infix: "ex-girlfriend" is three tokens.
                chunks[chunk] = (
                    "".join(map(word_form, word.split("-"))) if "-" in word else word_form(word)
                )
            elif chunk[0].isdigit():
                if (time := clock_time(chunk)) is not None:
                    chunks[chunk] = word_form(time)
                elif (numbers := digit_groups(chunk)) is not None:
                    chunks[chunk] = (NUMBER + " ") * numbers
                else:
                    rest.append(chunk)
            else:
                rest.append(chunk)
        return rest

    def _normalise_chunks(self, new: list[str], chunks: dict[str, str]) -> None:
        """Tokenise ``new`` chunks in one spaCy call and store their normalised tokens."""
        from spacy.attrs import IDX, ORTH

        nlp = self.nlp
        norm = self.norm
        strings = nlp.vocab.strings
        starts = np.cumsum([0] + [len(c) + 1 for c in new[:-1]])
        doc = nlp.tokenizer(" ".join(new))
        parts: list[list[str]] = [[] for _ in new]
        arr = doc.to_array([ORTH, IDX])
        owner = np.searchsorted(starts, arr[:, 1].astype(np.int64), side="right") - 1
        for key, k in zip(arr[:, 0].tolist(), owner.tolist(), strict=True):
            token = norm.get(key)
            if token is None:
                token = norm[key] = self._normalise_lexeme(strings[key])
            if token:
                parts[k].append(token)
        for chunk, toks in zip(new, parts, strict=True):
            chunks[chunk] = "".join(tok + " " for tok in toks)

    def _normalise_lexeme(self, orth: str) -> str:
        if orth == REDACTED:
            return REDACTED
        lex = self.nlp.vocab[orth]
        if lex.is_punct or lex.is_space or lex.is_quote or lex.is_bracket:
            return ""
        if lex.like_num:
            return NUMBER
        lower = orth.lower()
        return str(lemma_table().get(lower, lower)).lower()


# -- a trained pipeline (no chunk cache: its lemmas depend on context) ----------------------
def trained_tokens(doc: Any, mark_sentences: bool) -> Iterator[tuple[str, int, int]]:
    """The kept forms of a trained pipeline's doc with their character spans, and a
    sentence mark after each whitespace-free chunk that ends a sentence (the rule of
    the blank pipeline, applied to the same chunks)."""
    text = doc.text
    chunk_start = 0
    for tok in doc:
        if tok.is_space:
            chunk_start = tok.idx + len(tok.text)
            continue
        form = _trained_form(tok)
        end = tok.idx + len(tok.text)
        if form:
            yield form, tok.idx, end
        last = tok.i == len(doc) - 1
        if tok.whitespace_ or last or doc[tok.i + 1].is_space:  # the chunk ends here
            if mark_sentences and ends_sentence(text[chunk_start:end]):
                yield SENTENCE_END, end, end
            chunk_start = end + len(tok.whitespace_)


def _trained_form(tok: Any) -> str:
    if tok.is_punct or tok.is_space:
        return ""
    if tok.text == REDACTED:
        return REDACTED
    if tok.like_num:
        return NUMBER
    return str(tok.lemma_ or tok.text).lower()


_NLP: dict[str | None, Any] = {}


def load_nlp(spacy_model: str | None) -> Any:
    """The spaCy pipeline of ``spacy_model`` (None: blank English), built once per process:
    every model loaded in a process shares it (building the blank pipeline takes about
    0.4 s; the tokenizer's rules and the lemma look-ups do not depend on who calls)."""
    nlp = _NLP.get(spacy_model)
    if nlp is None:
        nlp = _NLP[spacy_model] = _build_nlp(spacy_model)
    return nlp


def _build_nlp(spacy_model: str | None) -> Any:
    import spacy

    if spacy_model is None:
        nlp: Any = spacy.blank("en")
        nlp.tokenizer.add_special_case(REDACTED, [{"ORTH": REDACTED}])
        return nlp
    try:
        nlp = spacy.load(spacy_model, exclude=["ner", "parser", "textcat", "textcat_multilabel"])
    except OSError as exc:
        raise ModelError(
            f"spaCy pipeline '{spacy_model}' is not installed; install it (for example "
            f"'pip install {spacy_model}' from a wheel you have) or leave out `spacy_model` "
            "to use the built-in blank English pipeline."
        ) from None if "E050" in str(exc) or "E941" in str(exc) else exc
    nlp.tokenizer.add_special_case(REDACTED, [{"ORTH": REDACTED}])
    return nlp


_LEMMA_TABLE: Any = None


def lemma_table() -> Any:
    """spaCy's English lemma look-up table (``spacy-lookups-data``), loaded once per process."""
    global _LEMMA_TABLE
    if _LEMMA_TABLE is None:
        from spacy.lookups import load_lookups

        try:
            lookups = load_lookups("en", ["lemma_lookup"])
        except ValueError as exc:  # spacy-lookups-data missing
            raise ModelError(
                "spaCy's English lemma tables were not found; install 'spacy-lookups-data' "
                "(it is a dependency of allegations: reinstall the package)."
            ) from exc
        _LEMMA_TABLE = lookups.get_table("lemma_lookup")
    return _LEMMA_TABLE
