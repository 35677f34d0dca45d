"""The normalisation rules of the spaCy step, as pure functions of strings (no spaCy).

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
   number-like tokens become ``_num_`` (:mod:`allegations.text._chunks`).
4. The end of each sentence is kept as the token ``.`` (:data:`SENTENCE_END`): a
   whitespace-free chunk ending in ``.``, ``!`` or ``?`` (closing quotes and brackets
   aside) that is not an initial (``J.``, ``U.S.``) or a common abbreviation (``Mr.``,
   ``Sgt.``, ``Rep.``). Punctuation is otherwise dropped, so no lemma is ever ``.``. The
   feature step reads the opening sentences, where a narrative usually states its
   allegation, as a block of their own, and drops the marks everywhere else
   (:func:`split_tokens`). :func:`allegations.training.train` marks sentences only for a model
   with a lead block (``mark_sentences=False`` otherwise).

The shapes of chunk that spaCy's English tokenizer is known to split in a fixed way
(:func:`punctuated_word`, :func:`digit_groups`, :func:`clock_time`) are recognised here
too, so that :mod:`allegations.text._chunks` can skip spaCy for them.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "REDACTED",
    "NUMBER",
    "SENTENCE_END",
    "normalise_redactions",
    "blank_urls",
    "split_tokens",
    "lemma_text",
    "ends_sentence",
    "punctuated_word",
    "digit_groups",
    "clock_time",
    "as_text",
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


#: An ASCII word (or words joined by single hyphens) with opening brackets before it and
#: closing punctuation after it; a full stop may only follow the word directly.
_PUNCTUATED_WORD = re.compile(r'([(\["]*)([A-Za-z]+(?:-[A-Za-z]+)*)(\.?)([,;:!?)\]"]*)')


def punctuated_word(chunk: str, specials: Any) -> str | None:
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


def digit_groups(chunk: str) -> int | None:
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


def clock_time(chunk: str) -> str | None:
    """The time of a chunk such as ``10:30,``: spaCy keeps ``10:30`` whole (a colon is an
    infix only before a letter) and splits the closing punctuation off after a digit.
    Returns None for a chunk of any other shape."""
    match = _CLOCK_TIME.fullmatch(chunk)
    return None if match is None else match.group(1)


def as_text(value: Any) -> str:
    """A cell as text: None and NaN (a missing pandas cell) are empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from pandas
        return ""
    return str(value)
