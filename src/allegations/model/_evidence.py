"""Evidence: for each predicted label, the phrases that pushed it most, and their sentence.

The model is linear, so a label's score is a sum of contributions, one per feature of
the document: ``tf-idf value x weight``. Each contribution is handed to the tokens that
carry the feature (a lemma's unigram to each occurrence, a bigram half to each of its two
tokens, an affix to the lemma it belongs to; the lead block's to the occurrences in the
opening sentences). The evidence for a label is the one- or
two-token span of the narrative with the largest positive total, quoted as written
(after redaction markers are normalised), with the sentence around it.

Evidence quotes the narrative, so it belongs in the prediction output only: never in
logs or error messages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..text import SENTENCE_END, SpacyPreprocessor
from ._features import LemmaFeatures, affixes

__all__ = ["label_weights", "explain", "format_evidence", "MAX_PHRASES", "MAX_EVIDENCE_CHARS"]

#: Phrases cited per predicted label.
MAX_PHRASES = 2
#: Evidence is sought in a narrative's first this many characters (cut at a space): a
#: 10 MB cell would otherwise take gigabytes of tokens and spans. Real narratives are far
#: shorter (Philadelphia's longest is about 9,000 characters).
MAX_EVIDENCE_CHARS = 100_000
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_MAX_SENTENCE = 300


def label_weights(classifier: Any, n_labels: int) -> np.ndarray:
    """The (n_labels, n_features) weight matrix of a fitted linear classifier, one row per
    label column of :func:`allegations.model._classifier.decision_scores`."""
    coef = np.asarray(classifier.coef_, dtype=np.float64)
    if coef.shape[0] == 1 and n_labels == 2:  # binary exclusive: scores are (-s, s)
        return np.vstack([-coef[0], coef[0]])
    full = np.zeros((n_labels, coef.shape[1]))
    full[np.asarray(classifier.classes_, dtype=int)] = coef
    return full


def _sentence(text: str, start: int, end: int) -> str:
    lo = 0
    for match in _SENTENCE_END.finditer(text, 0, start):
        lo = match.end()
    found = _SENTENCE_END.search(text, end)
    hi = found.start() if found else len(text)
    sentence = " ".join(text[lo:hi].split())
    if len(sentence) > _MAX_SENTENCE:  # a run-on narrative: keep a window around the phrase
        mid = (start + end) // 2 - lo
        a = max(0, mid - _MAX_SENTENCE // 2)
        sentence = "..." + sentence[a : a + _MAX_SENTENCE] + "..."
    return sentence


def _word_scores(
    scores: np.ndarray,
    ids: list[int],
    contrib: dict[int, float],
    uni_col: dict[int, int],
    bigrams: np.ndarray,
    n_lemmas: int,
    offset: int,
) -> None:
    """Add a word block's contributions to the ``scores`` of the tokens with lemma ``ids``
    (the block's columns start at ``offset``; ``uni_col`` maps a lemma id to its unigram
    column): a unigram's to each occurrence, a bigram's half to each of its two tokens."""
    n_uni, n_bi = len(uni_col), len(bigrams)
    cols = [uni_col.get(i, -1) if i >= 0 else -1 for i in ids]
    counts = Counter(c for c in cols if c >= 0)
    for k, col in enumerate(cols):
        if col >= 0 and offset + col in contrib:
            scores[k] += contrib[offset + col] / counts[col]
    pairs = [
        (k, ids[k] * n_lemmas + ids[k + 1])
        for k in range(len(ids) - 1)
        if ids[k] >= 0 and ids[k + 1] >= 0
    ]
    if pairs and n_bi:
        keys = np.array([p[1] for p in pairs], dtype=np.int64)
        pos = np.minimum(np.searchsorted(bigrams, keys), n_bi - 1)
        hit = bigrams[pos] == keys
        bi_cols = [offset + n_uni + int(p) if h else -1 for p, h in zip(pos, hit, strict=True)]
        bi_counts = Counter(c for c in bi_cols if c >= 0)
        for (k, _), col in zip(pairs, bi_cols, strict=True):
            if col >= 0 and col in contrib:
                share = contrib[col] / bi_counts[col] / 2.0
                scores[k] += share
                scores[k + 1] += share


def unigram_columns(features: LemmaFeatures) -> tuple[dict[int, int], dict[int, int]]:
    """Lemma id to unigram column, in the word block and in the lead block."""
    return (
        {int(lemma): c for c, lemma in enumerate(features.unigram_lemmas_)},
        {int(lemma): c for c, lemma in enumerate(features.lead_unigram_lemmas_)},
    )


def _token_scores(
    features: LemmaFeatures,
    tokens: list[str],
    lead: int,
    contrib: dict[int, float],
    columns: tuple[dict[int, int], dict[int, int]],
) -> np.ndarray:
    """Share each feature's contribution out among the tokens that carry it; the first
    ``lead`` tokens are those of the lead block (``columns``: from
    :func:`unigram_columns`, computed once per batch)."""
    word_col, lead_col = columns
    vocab = features.vocabulary_
    n_lemmas = max(len(vocab), 1)
    n_word = len(features.unigram_lemmas_) + len(features.bigram_keys_)
    ids = [vocab.get(tok, -1) for tok in tokens]
    scores = np.zeros(len(tokens))
    _word_scores(scores, ids, contrib, word_col, features.bigram_keys_, n_lemmas, 0)
    if len(features.lead_idf_):
        lead_scores = np.zeros(lead)
        offset = n_word + features.affix_matrix_.shape[1]
        bigrams = features.lead_bigram_keys_
        _word_scores(lead_scores, ids[:lead], contrib, lead_col, bigrams, n_lemmas, offset)
        scores[:lead] += lead_scores
    # affixes
    lo, hi = features.affix_range
    if features.affix_matrix_.shape[1]:
        token_cols = []
        for tok in tokens:
            found = (features.affix_vocabulary_.get(g, -1) for g in affixes(tok, lo, hi))
            token_cols.append([n_word + c for c in found if c >= 0])
        counts = Counter(c for cols in token_cols for c in cols)
        for k, cols in enumerate(token_cols):
            scores[k] += sum(contrib.get(c, 0.0) / counts[c] for c in cols)
    return scores


def explain(
    preprocessor: SpacyPreprocessor,
    features: LemmaFeatures,
    weights: np.ndarray,
    texts: Sequence[Any],
    decided: np.ndarray,
    labels: Sequence[str],
    max_phrases: int = MAX_PHRASES,
) -> list[list[dict[str, Any]]]:
    """Evidence of every predicted label of every text.

    Parameters
    ----------
    preprocessor, features : the model's fitted spaCy step and feature step
    weights : array, shape (n_labels, n_features)
        From :func:`label_weights`.
    texts : sequence
        The raw narratives.
    decided : array of 0/1, shape (n_texts, n_labels)
        The model's decisions; evidence is given for the 1s.

    Returns
    -------
    list (one per text) of lists of dicts
        ``label``, ``phrase`` (as written), ``sentence`` and ``weight`` (the span's
        contribution to the label's score), strongest first within each label.
    """
    todo = [i for i in range(len(texts)) if decided[i].any()]
    parsed = {i: preprocessor.tokens_with_offsets(_head(texts[i])) for i in todo}
    X_all = features.transform([" ".join(t[0] for t in parsed[i][1]) for i in todo])
    row_of = {i: r for r, i in enumerate(todo)}
    n_lead = features.lead_sentences
    columns = unigram_columns(features)
    out: list[list[dict[str, Any]]] = []
    for i in range(len(texts)):
        marked = parsed.get(i, ("", []))[1]
        toks = [t for t in marked if t[0] != SENTENCE_END]
        if not toks:
            out.append([])
            continue
        text = parsed[i][0]
        tokens = [t[0] for t in toks]
        # The lead block's tokens: those before the n_lead-th sentence mark.
        ends = [k for k, t in enumerate(marked) if t[0] == SENTENCE_END]
        lead = len(toks) if len(ends) < n_lead or n_lead == 0 else ends[n_lead - 1] - n_lead + 1
        X = X_all[row_of[i]]
        cited = []
        for j in np.flatnonzero(decided[i]):
            contrib = dict(
                zip(X.indices.tolist(), (X.data * weights[j, X.indices]).tolist(), strict=True)
            )
            scores = _token_scores(features, tokens, lead, contrib, columns)
            # One- and two-token spans, strongest first (ties: leftmost, shortest).
            n_tok = len(tokens)
            span_score = np.concatenate([scores, scores[:-1] + scores[1:]])
            first = np.concatenate([np.arange(n_tok), np.arange(n_tok - 1)])
            last = np.concatenate([np.arange(n_tok), np.arange(1, n_tok)])
            keep = np.flatnonzero(span_score > 0)
            order = keep[np.lexsort((last[keep], first[keep], -span_score[keep]))]
            used: set[int] = set()
            quoted: set[str] = set()  # a phrase written twice in the narrative is cited once
            n = 0
            for s in order.tolist():
                if n >= max_phrases:
                    break
                a, b, score = int(first[s]), int(last[s]), float(span_score[s])
                if a in used or b in used:
                    continue
                start, end = toks[a][1], toks[b][2]
                said = " ".join(text[start:end].split()).casefold()
                if said in quoted:
                    continue
                used.update(range(a - 1, b + 2))
                quoted.add(said)
                cited.append(
                    {
                        "label": labels[int(j)],
                        "phrase": text[start:end],
                        "sentence": _sentence(text, start, end),
                        "weight": round(float(score), 4),
                    }
                )
                n += 1
        out.append(cited)
    return out


def _head(text: Any) -> Any:
    """The part of a narrative evidence is sought in: its first MAX_EVIDENCE_CHARS
    characters, cut at the last space before them."""
    if not isinstance(text, str) or len(text) <= MAX_EVIDENCE_CHARS:
        return text
    cut = text.rfind(" ", 0, MAX_EVIDENCE_CHARS + 1)
    return text[: cut if cut > 0 else MAX_EVIDENCE_CHARS]


def format_evidence(items: list[dict[str, Any]], key: str = "phrase") -> str:
    """Render one case's evidence as ``label: "phrase" | label: "phrase"``."""
    return " | ".join(f'{e["label"]}: "{e[key]}"' for e in items)
