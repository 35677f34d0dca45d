"""The spaCy step: narratives in, normalised lemma strings out, as a scikit-learn transformer.

The default pipeline is spaCy's blank English tokenizer with lemmas from the
``spacy-lookups-data`` lookup table, so it runs offline with nothing to download. A user
with an installed trained pipeline can pass its name (``spacy_model="en_core_web_sm"``),
whose own lemmatizer is then used.

Normalisation, in order:

1. FOIA redaction markers (``(b)(6)``, ``(b)(7)(C)``, ``[REDACTED]``, ``XXXX``...) become
   one token, ``_redacted_``, so that redactions neither vanish nor split into noise.
2. Web addresses (``https://...``, ``www...``, and the markdown ``](...)`` around a link
   target; the link's text stays) are blanked, keeping the string's length so that
   evidence spans still index the narrative as written. An address cites a source; kept,
   it is one string no other case shares, whose only features are its affixes
   (``" htt"``), which then count links rather than say what a case is about, and spaCy's
   tokenizer pays its slowest rules on it (measured in ``docs/model-quality.md``).
   ``drop_urls=False`` keeps them.
3. Tokens are lower-cased and lemmatised; punctuation and whitespace are dropped;
   number-like tokens become ``_num_``.
4. The end of each sentence is kept as the token ``.`` (:data:`SENTENCE_END`): a
   whitespace-free chunk ending in ``.``, ``!`` or ``?`` (closing quotes and brackets
   aside) that is not an initial (``J.``, ``U.S.``) or a common abbreviation (``Mr.``,
   ``Sgt.``, ``Rep.``). Punctuation is otherwise dropped, so no lemma is ever ``.``. The
   feature step reads the opening sentences, where a narrative usually states its
   allegation, as a block of their own, and drops the marks everywhere else
   (:func:`split_tokens`). :func:`allegations.training.train` marks sentences only for a model
   with a lead block (``mark_sentences=False`` otherwise).

The output of :meth:`SpacyPreprocessor.transform` is one space-joined string per text,
which the feature step splits on whitespace (:func:`split_tokens`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from itertools import chain
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import ModelError

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

REDACTED = "_redacted_"
NUMBER = "_num_"
#: The token that ends a sentence in a preprocessed document (punctuation is otherwise
#: dropped, so no lemma is ever this string).
SENTENCE_END = "."

_REDACTION_RE = re.compile(
    r"""
    \(\s*b\s*\)\s*\(\s*[1-9]\s*\)(?:\s*\(\s*[a-f]\s*\))?   # (b)(6), (b) (7)(C)
    (?:\s*[;,/&]\s*\(\s*b\s*\)\s*\(\s*[1-9]\s*\)(?:\s*\(\s*[a-f]\s*\))?)*
    | \b[bB][67]\b(?=\s*[,;]\s*[bB]7)                       # b6, b7C lists
    | [\[<{]\s*(?:redacted|redaction|withheld|name\s+withheld)\s*[\]>}]
    | \b[Xx]{3,}\b(?:[/\-][Xx]{2,})*                       # XXXX, XX/XX/XXXX
    | \b[Xx]{2}/[Xx]{2}/[Xx]{2,4}\b
    """,
    re.VERBOSE | re.IGNORECASE,
)


#: The start of every ``(b)(6)``-style marker.
_PAREN_B_RE = re.compile(r"\(\s*[bB]\s*\)")


def _may_hold_redaction(text: str) -> bool:
    """False when ``text`` cannot hold a redaction marker, so the slow, many-branch
    regular expression can be skipped. Every marker starts with ``(b)``, holds a ``[``,
    ``<`` or ``{``, or holds ``xx`` or ``b6``/``b7`` in some letter case; the cheapest
    tests come first."""
    if "[" in text or "<" in text or "{" in text:
        return True
    if "(" in text and _PAREN_B_RE.search(text) is not None:
        return True
    if ("x" in text or "X" in text) and "xx" in text.lower():
        return True
    return ("6" in text or "7" in text) and ("b6" in text.lower() or "b7" in text.lower())


def normalise_redactions(text: str) -> str:
    """Replace each redaction marker in ``text`` with the ``_redacted_`` token.

    Parameters
    ----------
    text : str
        One narrative.

    Returns
    -------
    str
        The narrative with every marker replaced by `` _redacted_ ``.
    """
    if not _may_hold_redaction(text):
        return text
    return _REDACTION_RE.sub(f" {REDACTED} ", text)


#: A web address: markdown link targets ``](https://...)`` with their brackets, and bare
#: ``http(s)://`` / ``www.`` addresses up to whitespace or a closing bracket or quote.
_URL_RE = re.compile(
    r"\]\((?:(?i:https?|ftp)://|www\.|WWW\.)[^\s)]*\)?"
    r"|(?:(?i:https?|ftp)://|www\.|WWW\.)[^\s<>\"')\]]*"
)


def blank_urls(text: str) -> str:
    """``text`` with each web address replaced by spaces (the same length).

    Parameters
    ----------
    text : str
        One narrative.

    Returns
    -------
    str
        The narrative with every web address (and the markdown ``](...)`` around a link
        target) blanked; the link's own text stays.
    """
    if "://" not in text and "www." not in text and "WWW." not in text:
        return text
    return _URL_RE.sub(lambda m: " " * len(m.group()), text)


def split_tokens(doc: str) -> list[str]:
    """The lemmas of a preprocessed document, without its sentence marks."""
    return [tok for tok in str(doc).split() if tok != SENTENCE_END]


def lemma_text(doc: str) -> str:
    """A preprocessed document without its sentence marks: what duplicate checks compare
    (two narratives that differ only in punctuation are duplicates).

    A document without marks (every document of a model without a lead block) is
    returned as it is, with no split and join: the duplicate checks of training and of
    ``compare-release`` call this once per row.
    """
    doc = str(doc)
    return " ".join(split_tokens(doc)) if _has_marks(doc) else doc


def _has_marks(doc: str) -> bool:
    """Whether a space-joined document holds the token :data:`SENTENCE_END`."""
    mark = SENTENCE_END
    return (
        doc == mark or doc.startswith(mark + " ") or doc.endswith(" " + mark) or f" {mark} " in doc
    )


#: Characters that may close a sentence after its full stop (``abused."``, ``(sic).)``).
_CLOSERS = "\"')]}\u2019\u201d\u00bb"
_OPENERS = "\"'([{\u2018\u201c\u00ab"
#: One or more single letters each followed by a full stop: initials (``J.``), ``U.S.``,
#: ``a.m.``, ``e.g.``.
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+")
#: Abbreviations with a full stop that usually stand inside a sentence in misconduct
#: narratives: titles and ranks, offices, months (lower-cased).
_ABBREVIATIONS = frozenset(
    """mr. mrs. ms. dr. st. jr. sr. mt. ft. lt. sgt. det. capt. cpt. cpl. ofc. insp. cmdr.
    supt. sup. gen. col. maj. adm. rep. reps. sen. sens. gov. del. hon. pres. atty. asst.
    dept. div. vs. approx. apt. ave. blvd. jan. feb. mar. apr. jun. jul. aug. sep. sept.
    oct. nov. dec.""".split()
)
#: Abbreviations that are also words at a sentence end ("she said no."): only their
#: capitalised form is read as an abbreviation ("Case No. 12").
_CASED_ABBREVIATIONS = frozenset({"No.", "Nos."})


def ends_sentence(chunk: str) -> bool:
    """Whether a whitespace-free chunk ends a sentence.

    It does when it ends in ``.``, ``!`` or ``?`` before any closing quotes or brackets,
    unless the full stop is that of initials (``J.``, ``U.S.``) or of an abbreviation
    that usually stands inside a sentence (``Mr.``, ``Sgt.``, ``Rep.``, ``Jan.``).
    """
    core = chunk.rstrip(_CLOSERS)
    if not core or core[-1] not in ".!?":
        return False
    if core[-1] == "." and not core.endswith(".."):
        word = core.lstrip(_OPENERS)
        if _INITIALS.fullmatch(word) or word.lower() in _ABBREVIATIONS:
            return False
        if word in _CASED_ABBREVIATIONS:
            return False
    return True


class SpacyPreprocessor(TransformerMixin, BaseEstimator):
    """Tokenise, lemmatise and normalise narratives with spaCy.

    Parameters
    ----------
    spacy_model : str or None
        Name of an installed trained spaCy pipeline to lemmatise with, or None for the
        blank English tokenizer plus lookup lemmas (offline, the default).
    batch_size : int
        Texts per batch handed to spaCy.
    drop_urls : bool
        Blank web addresses (step 2 of the normalisation).
    mark_sentences : bool
        End each sentence with the token :data:`SENTENCE_END` (step 4).

    Attributes
    ----------
    spacy_version_ : str
        The spaCy version the transformer was fitted with.
    """

    def __init__(
        self,
        spacy_model: str | None = None,
        batch_size: int = 1000,
        drop_urls: bool = True,
        mark_sentences: bool = True,
    ) -> None:
        self.spacy_model = spacy_model
        self.batch_size = batch_size
        self.drop_urls = drop_urls
        self.mark_sentences = mark_sentences

    def normalise(self, text: str) -> str:
        """Steps 1 and 2 of the normalisation (redaction markers, web addresses)."""
        text = normalise_redactions(text)
        return blank_urls(text) if self.drop_urls else text

    # -- scikit-learn contract -------------------------------------------------------
    def fit(self, X: Iterable[str], y: Any = None) -> SpacyPreprocessor:
        """Check the pipeline can be built; nothing is learned from the texts."""
        import spacy

        self._get_nlp()
        self.spacy_version_ = spacy.__version__
        self.n_features_in_ = 1
        return self

    def transform(self, X: Iterable[str]) -> np.ndarray:
        """Return one normalised, space-joined lemma string per text.

        Parameters
        ----------
        X : iterable of str
            Narratives; None and NaN count as empty text.

        Returns
        -------
        numpy.ndarray of object, shape (n_texts,)
        """
        return np.array(list(self.iter_transform(X)), dtype=object)

    def iter_transform(self, X: Iterable[str]) -> Iterator[str]:
        """Yield the normalised string of each text, streaming through spaCy."""
        texts = (self.normalise(as_text(x)) for x in X)
        if self.spacy_model is None:
            yield from self._blank_stream(texts)
        else:
            yield from self._trained_stream(texts)

    def tokens_with_offsets(self, text: Any) -> tuple[str, list[tuple[str, int, int]]]:
        """The normalised tokens of one text with their character spans.

        Returns the text after redaction markers are normalised, and one
        ``(token, start, end)`` per kept token, spans indexing that text; the tokens are
        exactly those :meth:`transform` joins.
        """
        text = normalise_redactions(as_text(text))
        # Web addresses are blanked at the same length: spans index ``text``.
        read = blank_urls(text) if self.drop_urls else text
        nlp = self._get_nlp()
        if self.spacy_model is not None:
            return text, list(self._trained_tokens(nlp(read)))
        out: list[tuple[str, int, int]] = []
        norm = self._norm_cache()
        strings = nlp.vocab.strings
        spans = self.__dict__.setdefault("_spans", {})
        if len(spans) > 200_000:  # bounded memory
            spans.clear()
        for match in re.finditer(r"\S+", read):
            base, chunk = match.start(), match.group()
            found = spans.get(chunk)
            if found is None:
                found = []
                for tok in nlp.tokenizer(chunk):
                    key = tok.orth
                    cached = norm.get(key)
                    form = (
                        cached if cached is not None else self._normalise_lexeme(nlp, strings[key])
                    )
                    norm[key] = form
                    if form:
                        found.append((form, tok.idx, tok.idx + len(tok.text)))
                if self.mark_sentences and ends_sentence(chunk):
                    found.append((SENTENCE_END, len(chunk), len(chunk)))
                spans[chunk] = found
            out.extend((form, base + a, base + b) for form, a, b in found)
        return text, out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags

    # -- internals ---------------------------------------------------------------------
    def _blank_stream(self, texts: Iterable[str]) -> Iterator[str]:
        # spaCy's tokenizer splits on whitespace first and then tokenises each
        # whitespace-free chunk on its own (prefixes, suffixes, infixes, special cases),
        # so a chunk always gives the same tokens. Caching the normalised tokens of each
        # distinct chunk gives spaCy's tokenisation while spaCy sees each chunk string
        # once; the new chunks of a batch go through spaCy together, as one doc.
        chunks = self._chunk_cache()
        batch: list[list[str]] = []
        for text in texts:
            batch.append(text.split())
            if len(batch) >= self.batch_size:
                yield from self._join_batch(batch, chunks)
                batch = []
        if batch:
            yield from self._join_batch(batch, chunks)

    def chunk_forms(self, chunks: Collection[str]) -> dict[str, str]:
        """The normalised form of each whitespace-free chunk, as ``transform`` joins them.

        A form is its lemmas, each followed by a space (``"officer search "``; ``""`` for
        a chunk of punctuation), and the sentence mark ``". "`` after a chunk that ends a
        sentence. Chunks already in this preprocessor's cache are read from
        it; plain and punctuated words take the shortcut of :meth:`_normalise_words`; the
        rest go through spaCy's tokenizer in one call. The cache is not changed.
        """
        known = self._chunk_cache()
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

    def known_chunks(self) -> list[str]:
        """The chunks whose normalised form this preprocessor has cached (oldest first)."""
        return list(self._chunk_cache())

    def keep_chunks(self, texts: Iterable[Any], min_df: int = 2) -> int:
        """Save with the model the forms of the chunks found in ``min_df`` or more of
        ``texts`` (the training narratives, already transformed).

        A model loaded from disk then starts from those forms, as a model fresh from
        training starts from all of its training chunks: a new release pays spaCy only
        for chunks the training cases did not share. Rarer chunks (often names: personal
        data) are never saved, as the feature step keeps no lemma seen in fewer than two
        cases. Only the blank pipeline uses the table. Returns the number of chunks kept.
        """
        if self.spacy_model is not None:
            self.saved_chunks_: dict[str, str] = {}
            return 0
        min_df = max(int(min_df), 2)
        df = Counter(chain.from_iterable(set(self.normalise(as_text(t)).split()) for t in texts))
        cache = self._chunk_cache()
        # Sorted: the cache's order follows set iteration, which varies between processes,
        # and the same data must give a byte-identical model file.
        kept = sorted(c for c in cache if df.get(c, 0) >= min_df)
        self.saved_chunks_ = {c: cache[c] for c in kept}
        return len(self.saved_chunks_)

    def restore_chunks(self, saved: dict[str, str]) -> None:
        """Start from the chunk forms saved with a model (see :meth:`keep_chunks`): a
        loaded model then pays spaCy only for chunks its training cases did not share."""
        self.saved_chunks_ = saved
        # A copy: the saved table stays what training kept, whatever the model reads later.
        self.__dict__["_chunks"] = dict(saved)

    def _join_batch(self, batch: list[list[str]], chunks: dict[str, str]) -> Iterator[str]:
        get = chunks.get
        new = {chunk for split in batch for chunk in split if get(chunk) is None}
        if new:
            if len(chunks) + len(new) > 500_000:  # bounded memory on a long stream
                chunks.clear()
            chunks.update(self.chunk_forms(new))
        for split in batch:
            # Cached forms end with a space (or are empty), so a plain concatenation joins
            # them; the last space is cut.
            yield "".join(map(chunks.__getitem__, split))[:-1]

    def _normalise_words(self, new: set[str], chunks: dict[str, str]) -> list[str]:
        """Normalise the plain ASCII words among ``new`` chunks without building a Doc.

        spaCy's English tokenizer leaves a chunk of ASCII letters whole unless it is one of
        its special cases ("cannot", "gonna"): no prefix, suffix, infix or URL rule
        matches letters alone. Such a chunk becomes one token whose lexical attributes
        are those spaCy's own attribute getters give. A word wrapped in plain punctuation
        (``officer,`` ``(male)`` ``car.``) is split by spaCy's prefix and suffix rules into
        the word and the punctuation, which normalisation drops, so it normalises like
        the word (see :func:`_punctuated_word`). Returns the other chunks.
        """
        from spacy.attrs import LIKE_NUM

        nlp = self._get_nlp()
        specials = nlp.tokenizer.rules or {}
        like_num = nlp.vocab.lex_attr_getters[LIKE_NUM]
        lemmas = self._lemmas()
        # The form of each lower-cased word ("Officer", "officer," and "(officer)" share
        # it); like_num only lower-cases a word of letters before its look-ups.
        words = self.__dict__.setdefault("_words", {})
        if len(words) > 500_000:  # bounded memory
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
                word = _punctuated_word(chunk, specials)
            if word is not None:
                # A hyphen between letters is an infix: "ex-girlfriend" is three tokens.
                chunks[chunk] = (
                    "".join(map(word_form, word.split("-"))) if "-" in word else word_form(word)
                )
            elif chunk[0].isdigit():
                if (time := _clock_time(chunk)) is not None:
                    chunks[chunk] = word_form(time)
                elif (numbers := _digit_groups(chunk)) is not None:
                    chunks[chunk] = (NUMBER + " ") * numbers
                else:
                    rest.append(chunk)
            else:
                rest.append(chunk)
        return rest

    def _normalise_chunks(self, new: list[str], chunks: dict[str, str]) -> None:
        """Tokenise ``new`` chunks in one spaCy call and cache their normalised tokens."""
        from spacy.attrs import IDX, ORTH

        nlp = self._get_nlp()
        norm = self._norm_cache()
        strings = nlp.vocab.strings
        starts = np.cumsum([0] + [len(c) + 1 for c in new[:-1]])
        doc = nlp.tokenizer(" ".join(new))
        parts: list[list[str]] = [[] for _ in new]
        arr = doc.to_array([ORTH, IDX])
        owner = np.searchsorted(starts, arr[:, 1].astype(np.int64), side="right") - 1
        for key, k in zip(arr[:, 0].tolist(), owner.tolist(), strict=True):
            token = norm.get(key)
            if token is None:
                token = norm[key] = self._normalise_lexeme(nlp, strings[key])
            if token:
                parts[k].append(token)
        for chunk, toks in zip(new, parts, strict=True):
            chunks[chunk] = "".join(tok + " " for tok in toks)

    def _trained_stream(self, texts: Iterable[str]) -> Iterator[str]:
        nlp = self._get_nlp()
        for doc in nlp.pipe(texts, batch_size=self.batch_size):
            yield " ".join(form for form, _, _ in self._trained_tokens(doc))

    def _trained_tokens(self, doc: Any) -> Iterator[tuple[str, int, int]]:
        """The kept forms of a trained pipeline's doc with their character spans, and a
        sentence mark after each whitespace-free chunk that ends a sentence (the rule of
        the blank pipeline, applied to the same chunks)."""
        text = doc.text
        chunk_start = 0
        for tok in doc:
            if tok.is_space:
                chunk_start = tok.idx + len(tok.text)
                continue
            form = self._trained_form(tok)
            end = tok.idx + len(tok.text)
            if form:
                yield form, tok.idx, end
            last = tok.i == len(doc) - 1
            if tok.whitespace_ or last or doc[tok.i + 1].is_space:  # the chunk ends here
                if self.mark_sentences and ends_sentence(text[chunk_start:end]):
                    yield SENTENCE_END, end, end
                chunk_start = end + len(tok.whitespace_)

    @staticmethod
    def _trained_form(tok: Any) -> str:
        if tok.is_punct or tok.is_space:
            return ""
        if tok.text == REDACTED:
            return REDACTED
        if tok.like_num:
            return NUMBER
        return str(tok.lemma_ or tok.text).lower()

    def _normalise_lexeme(self, nlp: Any, orth: str) -> str:
        if orth == REDACTED:
            return REDACTED
        lex = nlp.vocab[orth]
        if lex.is_punct or lex.is_space or lex.is_quote or lex.is_bracket:
            return ""
        if lex.like_num:
            return NUMBER
        lower = orth.lower()
        return self._lemmas().get(lower, lower).lower()

    def _get_nlp(self) -> Any:
        nlp = self.__dict__.get("_nlp")
        if nlp is None:
            nlp = self.__dict__["_nlp"] = _load_nlp(self.spacy_model)
        return nlp

    def _lemmas(self) -> Any:
        table = self.__dict__.get("_lemma_table")
        if table is None:
            table = self.__dict__["_lemma_table"] = _lemma_table()
        return table

    def _norm_cache(self) -> dict[int, str]:
        return self.__dict__.setdefault("_norm", {})

    def _chunk_cache(self) -> dict[str, str]:
        return self.__dict__.setdefault("_chunks", {})

    def __getstate__(self) -> dict[str, Any]:
        # Pickled only to hand a live model to worker processes: the spaCy pipeline and
        # caches are rebuilt there.
        state = dict(super().__getstate__())  # a copy: the live caches stay
        for key in ("_nlp", "_lemma_table", "_norm", "_chunks", "_spans", "_words"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        saved = state.get("saved_chunks_")
        if saved:
            self.restore_chunks(saved)


#: An ASCII word (or words joined by single hyphens) with opening brackets before it and
#: closing punctuation after it; a full stop may only follow the word directly.
_PUNCTUATED_WORD = re.compile(r'([(\["]*)([A-Za-z]+(?:-[A-Za-z]+)*)(\.?)([,;:!?)\]"]*)')


def _punctuated_word(chunk: str, specials: Any) -> str | None:
    """The word of a chunk that spaCy's English tokenizer splits into punctuation + word.

    ``(``, ``[`` and ``"`` are prefixes and ``, ; : ! ? ) ] "`` suffixes in every context; a full
    stop is split off after a lower-case letter or two capitals (``officer.``,
    ``OFFICER.``) but not after one capital (``J.``). The tokenizer checks its special
    cases (``Mr.``, ``cannot``, emoticons) on the chunk and on every string left while
    stripping, so a chunk any of whose partly stripped forms is a special case is left
    to spaCy. Words joined by single hyphens (``ex-girlfriend,``) are returned whole: a
    hyphen between letters is an infix, ``(?<=[a-zA-Z0-9])(?:-|...)(?=[a-zA-Z])``, so the
    caller takes each word as a token. The special cases spaCy matches across tokens are
    abbreviations with a full stop (``St.``), so a hyphenated word before a full stop is
    left to spaCy. Returns None when the chunk is not of this shape.
    """
    match = _PUNCTUATED_WORD.fullmatch(chunk)
    if match is None:
        return None
    lead, word, stop, trail = match.groups()
    if not (lead or stop or trail or "-" in word):
        return None
    if stop and "-" in word:  # "Minneapolis-St.": the special case "St." spans two tokens
        return None
    if stop and not (
        word[-1].islower() or (len(word) > 1 and word[-2:].isalpha() and word[-2:].isupper())
    ):
        return None
    end = word + stop + trail
    for i in range(len(lead) + 1):
        for j in range(len(stop + trail) + 1):
            if (lead[i:] + end[: len(end) - j]) in specials:
                return None
    return word


#: ASCII digit groups joined by hyphens, with at most one closing comma, full stop or
#: semicolon: a date (``12-15-2016,``), a phone or case number, a plain number.
_DIGIT_GROUPS = re.compile(r"[0-9]+(?:-[0-9]+)*[,.;]?")


def _digit_groups(chunk: str) -> int | None:
    r"""How many numbers spaCy's English tokenizer finds in a chunk of digit groups.

    The closing ``,`` ``.`` or ``;`` is a suffix after a digit, a hyphen between digits is
    an infix (``(?<=[0-9])[+\-\*^](?=[0-9-])``), and no special case, prefix, suffix or
    URL rule matches digits and hyphens alone, so ``12-15-2016,`` is the tokens ``12``
    ``-`` ``15`` ``-`` ``2016`` ``,``: three number-like tokens and punctuation, which
    normalisation drops. Returns None for a chunk of any other shape.
    """
    if _DIGIT_GROUPS.fullmatch(chunk) is None:
        return None
    return chunk.count("-") + 1


#: A clock time (``10:30``) with at most one closing comma, full stop or semicolon.
_CLOCK_TIME = re.compile(r"([0-9]{1,2}:[0-9]{2})[,.;]?")


def _clock_time(chunk: str) -> str | None:
    """The time of a chunk such as ``10:30,``: spaCy keeps ``10:30`` whole (a colon is an
    infix only before a letter) and splits the closing punctuation off after a digit.
    Returns None for a chunk of any other shape."""
    match = _CLOCK_TIME.fullmatch(chunk)
    return None if match is None else match.group(1)


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from pandas
        return ""
    return str(value)


_NLP: dict[str | None, Any] = {}


def _load_nlp(spacy_model: str | None) -> Any:
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
            f"'pip install {spacy_model}' from a wheel you have) or leave out --spacy-model "
            "to use the built-in blank English pipeline."
        ) from None if "E050" in str(exc) or "E941" in str(exc) else exc
    nlp.tokenizer.add_special_case(REDACTED, [{"ORTH": REDACTED}])
    return nlp


_LEMMA_TABLE: Any = None


def _lemma_table() -> Any:
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
