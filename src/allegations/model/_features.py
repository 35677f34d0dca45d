"""Fast TF-IDF features of preprocessed documents: lemma 1-2 grams, lemma affixes, and
the lemma 1-2 grams of the opening sentences.

The affix block gives much of what character n-grams give (spelling variants,
morphology, words cut short in hand-typed narratives) at almost no cost per token: the
affixes of each lemma are computed once per vocabulary entry, stored as a sparse
(lemma x affix) matrix ``M``, and a batch's affix counts are one sparse product
``U @ M`` of its lemma counts ``U``. Lemmas never seen in training get their affixes
from a per-string cache, so a misspelling still lands on the affixes it shares with
the right word.

The lead block repeats the word block for the tokens of a narrative's first
``lead_sentences`` sentences (the preprocessor marks sentence ends with the token
``.``): the opening of a case narrative usually states what is alleged ("The
complainant states that she was physically abused by ..."), and the same word weighs
differently there than in the account that follows.

Everything per batch is vectorised with NumPy/SciPy; the only per-token Python work
is one dictionary look-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import NoFeaturesError
from ..text import SENTENCE_END
from ._config import check_lead, check_ngram_max
from ._tfidf import (
    count_matrix,
    gram_matrix,
    grouped_by_row,
    idf_weights,
    pair_keys,
    sublinear_tfidf,
)

__all__ = ["LemmaFeatures", "affixes", "MARK"]

#: The id of the sentence mark (:data:`~allegations.text._preprocess.SENTENCE_END`) in the lemma
#: ids that :meth:`LemmaFeatures.transform_ids` takes.
MARK = -2


def affixes(token: str, n_min: int, n_max: int) -> list[str]:
    """Prefixes of ``token`` of ``n_min``..``n_max`` characters and its ``n_min``-character
    suffix, each marked with a space at the word edge (``" inv"``, ``"ion "``); duplicates
    are kept (they count twice, as character n-grams would).

    These carry most of what character n-grams give a linear text model (stems,
    inflections, typos after the first letters) at a handful of features per word.
    """
    padded = f" {token} "
    # A word as long as an affix yields itself with both edge marks (" cop "); words
    # shorter than ``n_min`` - 1 characters ("a", "of"...) have no affix.
    out = [padded[: n + 1] for n in range(n_min, n_max + 1) if n + 1 <= len(padded)]
    if n_min + 1 <= len(padded):
        out.append(padded[-(n_min + 1) :])
    return out


class LemmaFeatures(TransformerMixin, BaseEstimator):
    """TF-IDF of lemma n-grams and of lemma affixes, each block L2-normalised.

    Parameters
    ----------
    ngram_max : int
        Longest word n-gram (1 or 2).
    min_df : int
        Fewest training documents a feature must occur in.
    max_df : float
        Word n-grams in a larger share of documents are dropped.
    affix_range : tuple of int
        Shortest and longest prefix (in characters; the suffix has the shortest length);
        ``(0, 0)`` turns the block off.
    affix_weight : float
        Scale of the affix block relative to the word block.
    lead_sentences : int
        The lead block holds the word 1-2 grams of each document's first this many
        sentences (0: no lead block). A document with fewer sentence marks is all lead.
    lead_weight : float
        Scale of the lead block relative to the word block.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Every training lemma seen in at least ``min_df`` documents to its row of the
        lemma index (rarer ones are not kept: see ``_prune_rare_lemmas``).
    feature_names_ : list of str
        Name of every output column: ``w:lemma``, ``b:lemma lemma``, ``a:affix``, then
        the lead block's ``lw:lemma`` and ``lb:lemma lemma``.
    """

    def __init__(
        self,
        ngram_max: int = 2,
        min_df: int = 2,
        max_df: float = 0.9,
        affix_range: tuple[int, int] = (3, 5),
        affix_weight: float = 1.0,
        lead_sentences: int = 0,
        lead_weight: float = 1.0,
    ) -> None:
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_df = max_df
        self.affix_range = affix_range
        self.affix_weight = affix_weight
        self.lead_sentences = lead_sentences
        self.lead_weight = lead_weight

    # -- fitting ---------------------------------------------------------------------
    def fit(self, X: Sequence[str], y: Any = None) -> LemmaFeatures:
        """Learn the vocabularies and inverse document frequencies from ``X``."""
        check_ngram_max(self.ngram_max)
        check_lead(self.lead_sentences, self.lead_weight)
        # The look-up caches belong to the fitted state they were built from.
        self._lookup: dict[str, Any] | None = None
        self._unknown_cache: dict[str, tuple[int, ...]] | None = None
        docs = [str(d) for d in X]
        n_docs = len(docs)
        lemmas = sorted({tok for doc in docs for tok in doc.split()} - {SENTENCE_END})
        self.vocabulary_ = {tok: i for i, tok in enumerate(lemmas)}
        n_lemmas = max(len(lemmas), 1)
        ids, doc_of, _ = self._lemma_ids(docs)
        ids, doc_of, lead = self._split_marks(ids, doc_of, n_docs)

        # word unigrams and bigrams (bigrams keyed first_id * n_lemmas + second_id)
        U = count_matrix(ids, doc_of, n_docs, n_lemmas)
        uni_df = np.bincount(U.indices, minlength=n_lemmas)
        self.unigram_lemmas_, self.bigram_keys_, self.word_idf_ = self._word_vocabulary(
            uni_df, ids, doc_of, n_docs
        )
        # the same for the opening sentences
        if lead is not None:
            lead_U = count_matrix(ids[lead], doc_of[lead], n_docs, n_lemmas)
            self.lead_unigram_lemmas_, self.lead_bigram_keys_, self.lead_idf_ = (
                self._word_vocabulary(
                    np.bincount(lead_U.indices, minlength=n_lemmas), ids[lead], doc_of[lead], n_docs
                )
            )
        else:
            self.lead_unigram_lemmas_ = np.zeros(0, dtype=np.int64)
            self.lead_bigram_keys_ = np.zeros(0, dtype=np.int64)
            self.lead_idf_ = np.zeros(0)

        # lemma affixes
        lo, hi = self.affix_range
        if hi > 0 and lemmas:
            grams = [affixes(tok, lo, hi) for tok in lemmas]
            vocab = {g: i for i, g in enumerate(sorted({g for gs in grams for g in gs}))}
            M = gram_matrix(grams, vocab)
            present = (U > 0).astype(np.float32) @ (M > 0).astype(np.float32)
            adf = np.bincount(sp.csr_matrix(present).indices, minlength=len(vocab))
            keep_a = adf >= self.min_df
            remap = np.full(len(vocab), -1, dtype=np.int64)
            remap[keep_a] = np.arange(int(keep_a.sum()))
            self.affix_vocabulary_ = {g: int(remap[i]) for g, i in vocab.items() if keep_a[i]}
            self.affix_matrix_ = sp.csr_matrix(M[:, np.flatnonzero(keep_a)], dtype=np.float32)
            self.affix_idf_ = idf_weights(adf[keep_a], n_docs)
        else:
            self.affix_vocabulary_ = {}
            self.affix_matrix_ = sp.csr_matrix((n_lemmas, 0), dtype=np.float32)
            self.affix_idf_ = np.zeros(0)
        names = self._word_names("", lemmas, self.unigram_lemmas_, self.bigram_keys_, n_lemmas)
        names += [
            f"a:{g}"
            for g in sorted(self.affix_vocabulary_, key=lambda g: self.affix_vocabulary_[g])
        ]
        names += self._word_names(
            "l", lemmas, self.lead_unigram_lemmas_, self.lead_bigram_keys_, n_lemmas
        )
        self.feature_names_ = names
        if not names:
            raise NoFeaturesError(
                f"The narratives have no word, word pair or word beginning/ending that occurs "
                f"in at least {self.min_df} cases, so there is nothing to learn from; check "
                "`text_col` and label more cases."
            )
        self._prune_rare_lemmas(lemmas, uni_df >= self.min_df, n_lemmas)
        self.n_features_in_ = 1
        return self

    def _word_vocabulary(
        self, uni_df: np.ndarray, ids: np.ndarray, doc_of: np.ndarray, n_docs: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The unigram lemmas and bigram keys kept by ``min_df`` and ``max_df``, and their
        inverse document frequencies (unigrams first), from each lemma's document count
        ``uni_df`` and the token ids it was counted from."""
        max_count = self.max_df * n_docs
        n_lemmas = len(uni_df)
        keep_uni = (uni_df >= self.min_df) & (uni_df <= max_count)
        uni_idf = idf_weights(uni_df[keep_uni], n_docs)
        keys, bi_doc = pair_keys(ids, doc_of, n_lemmas)
        if self.ngram_max >= 2 and len(keys):
            pairs = np.unique(bi_doc * (n_lemmas * n_lemmas) + keys)
            bkeys, bdf = np.unique(pairs % (n_lemmas * n_lemmas), return_counts=True)
            keep_bi = (bdf >= self.min_df) & (bdf <= max_count)
            bigram_keys, bi_idf = bkeys[keep_bi], idf_weights(bdf[keep_bi], n_docs)
        else:
            bigram_keys, bi_idf = np.zeros(0, dtype=np.int64), np.zeros(0)
        idf = np.r_[uni_idf, bi_idf].astype(np.float64)
        return np.flatnonzero(keep_uni), bigram_keys, idf

    @staticmethod
    def _word_names(
        prefix: str, lemmas: list[str], unigrams: np.ndarray, bigrams: np.ndarray, n_lemmas: int
    ) -> list[str]:
        names = [f"{prefix}w:{lemmas[i]}" for i in unigrams]
        pairs = ((lemmas[int(k) // n_lemmas], lemmas[int(k) % n_lemmas]) for k in bigrams)
        return names + [f"{prefix}b:{a} {b}" for a, b in pairs]

    def _split_marks(
        self, ids: np.ndarray, doc_of: np.ndarray, n_docs: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Drop the sentence marks from ``ids``; return the rest, their document numbers
        and, with a lead block, whether each lies in its document's lead (None without)."""
        if not len(ids) or int(ids.min()) != MARK:  # every other id is >= 0: no marks
            return ids, doc_of, None if self.lead_sentences <= 0 else np.ones(len(ids), bool)
        marks = ids == MARK
        keep = ~marks
        lead = None
        if self.lead_sentences > 0:
            # Marks before each token within its document: a running count of marks, less
            # the count before the document's first token (each token's document has one).
            before = np.cumsum(marks) - marks
            first = np.zeros(n_docs, dtype=np.int64)
            np.cumsum(np.bincount(doc_of, minlength=n_docs)[:-1], out=first[1:])
            lead = (before - before[first[doc_of]] < self.lead_sentences)[keep]
        return ids[keep], doc_of[keep], lead

    def _prune_rare_lemmas(self, lemmas: list[str], keep: np.ndarray, n_old: int) -> None:
        """Keep in the lemma index only lemmas seen in at least ``min_df`` documents.

        Rarer lemmas (often names: personal data) give no word feature, and a bigram is
        never more frequent than its words, so they only served the affix block; at
        transform time their affixes are computed like any unseen word's. Dropping them
        changes no output and keeps them out of the model file.
        """
        if len(keep) == 0 or keep.all():
            return
        new_id = np.cumsum(keep) - 1
        n_new = max(int(keep.sum()), 1)
        self.vocabulary_ = {tok: int(new_id[i]) for i, tok in enumerate(lemmas) if keep[i]}
        # Re-keys that keep the order: the bigram keys stay sorted.
        self.unigram_lemmas_ = new_id[self.unigram_lemmas_]
        self.lead_unigram_lemmas_ = new_id[self.lead_unigram_lemmas_]
        for name in ("bigram_keys_", "lead_bigram_keys_"):
            keys = getattr(self, name)
            if len(keys):
                setattr(self, name, new_id[keys // n_old] * n_new + new_id[keys % n_old])
        self.affix_matrix_ = sp.csr_matrix(self.affix_matrix_[np.flatnonzero(keep)])

    def _lemma_ids(self, docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Index of every token of ``docs`` and its document number.

        Lemmas outside the training vocabulary get ids after it, one per distinct
        string in this batch (returned in order); sentence marks get :data:`MARK`.
        """
        vocab = self.vocabulary_
        split = [doc.split() for doc in docs]
        lens = np.fromiter((len(s) for s in split), dtype=np.int64, count=len(split))
        flat = [vocab.get(tok, -1) for s in split for tok in s]
        ids = np.asarray(flat, dtype=np.int64)
        unknown: list[str] = []
        missing = np.flatnonzero(ids < 0)
        if len(missing):
            tokens = [tok for s in split for tok in s]
            extra: dict[str, int] = {SENTENCE_END: MARK}
            base = len(vocab)
            for pos in missing.tolist():
                tok = tokens[pos]
                k = extra.get(tok)
                if k is None:
                    k = extra[tok] = base + len(unknown)
                    unknown.append(tok)
                ids[pos] = k
        doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), lens)
        return ids, doc_of, unknown

    def _unknown_affixes(self, unknown: list[str]) -> sp.csr_matrix:
        """Affix rows (like ``affix_matrix_``) of lemmas outside the training vocabulary."""
        n_affix = self.affix_matrix_.shape[1]
        cache: dict[str, tuple[int, ...]] | None = getattr(self, "_unknown_cache", None)
        if cache is None or len(cache) > 200_000:  # bounded: a long stream of novel strings
            cache = self._unknown_cache = {}
        lo, hi = self.affix_range
        get = self.affix_vocabulary_.get
        rows = []
        for tok in unknown:
            found = cache.get(tok)
            if found is None:
                cols = map(get, affixes(tok, lo, hi))
                found = cache[tok] = tuple(c for c in cols if c is not None)
            rows.append(found)
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, rows), dtype=np.int64, count=len(rows)), out=indptr[1:])
        cols_all = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=int(indptr[-1]))
        out = sp.csr_matrix(
            (np.ones(len(cols_all), dtype=np.float32), cols_all, indptr),
            shape=(len(rows), n_affix),
        )
        out.sum_duplicates()
        return out

    def transform(self, X: Sequence[str]) -> sp.csr_matrix:
        """Return the TF-IDF matrix of ``X``: word block, affix block, then lead block."""
        docs = [str(d) for d in X]
        ids, doc_of, unknown = self._lemma_ids(docs)
        return self.transform_ids(ids, doc_of, len(docs), unknown)

    def transform_ids(
        self, ids: np.ndarray, doc_of: np.ndarray, n_docs: int, unknown: Sequence[str]
    ) -> sp.csr_matrix:
        """The TF-IDF matrix of documents given as lemma ids.

        Parameters
        ----------
        ids : numpy.ndarray of int64
            Every lemma of every document in order: ``vocabulary_`` ids, or
            ``len(vocabulary_) + k`` for the lemma ``unknown[k]``, and :data:`MARK` where
            a sentence ends.
        doc_of : numpy.ndarray of int64
            The document number of each lemma or mark (non-decreasing).
        n_docs : int
        unknown : sequence of str
            The lemmas outside the vocabulary, numbered from ``len(vocabulary_)``.
        """
        n_vocab = len(self.vocabulary_)
        lookup = self._lookup_tables()
        ids, doc_of, lead = self._split_marks(ids, doc_of, n_docs)
        word = self._word_block(ids, doc_of, n_docs, lookup, "")
        blocks = [word]
        if self.affix_matrix_.shape[1]:
            # Affix block: lemma occurrences (rows grouped by document, duplicates kept:
            # the product adds them up) times each lemma's affixes.
            indptr = np.zeros(n_docs + 1, dtype=np.int64)
            np.cumsum(np.bincount(doc_of, minlength=n_docs), out=indptr[1:])
            occurrences = sp.csr_matrix(
                (np.ones(len(ids), dtype=np.float32), ids, indptr),
                shape=(n_docs, n_vocab + len(unknown)),
            )
            M = self.affix_matrix_
            if len(unknown):
                M = sp.vstack([M, self._unknown_affixes(list(unknown))], format="csr")
            blocks.append(sublinear_tfidf(occurrences @ M, self.affix_idf_, self.affix_weight))
        if lead is not None and len(self.lead_idf_):
            blocks.append(self._word_block(ids[lead], doc_of[lead], n_docs, lookup, "lead_"))
        return blocks[0] if len(blocks) == 1 else sp.hstack(blocks, format="csr")

    def _word_block(
        self, ids: np.ndarray, doc_of: np.ndarray, n_docs: int, lookup: dict[str, Any], kind: str
    ) -> sp.csr_matrix:
        """The word block (``kind=""``) or the lead block (``"lead_"``) of lemma ids."""
        n_vocab = len(self.vocabulary_)
        idf = getattr(self, f"{kind}idf_" if kind else "word_idf_")
        n_uni = len(getattr(self, f"{kind}unigram_lemmas_"))
        # Unigram columns, then bigram columns, counted in one pass.
        col = lookup[f"{kind}unigram_col"][np.minimum(ids, n_vocab)]
        parts = [(doc_of[col >= 0], col[col >= 0])]
        if len(getattr(self, f"{kind}bigram_keys_")):
            keys, bi_doc = pair_keys(ids, doc_of, max(n_vocab, 1))
            pos = lookup[f"{kind}bigram_index"].get_indexer(keys)
            parts.append((bi_doc[pos >= 0], pos[pos >= 0] + n_uni))
        # Occurrences grouped by document (duplicates kept) times the identity: the sparse
        # product adds duplicates up without sorting each row, as sum_duplicates would.
        counts = grouped_by_row(parts, n_docs, len(idf)) @ lookup[f"{kind}identity"]
        return sublinear_tfidf(counts, idf, self.lead_weight if kind else 1.0)

    def _lookup_tables(self) -> dict[str, Any]:
        """Per-model look-up tables of :meth:`transform_ids`, built once (not pickled).

        ``unigram_col`` maps a lemma id to its unigram column (-1: none; the last entry
        serves every lemma outside the vocabulary); ``bigram_index`` is a hash index of
        the bigram keys (a hashed look-up beats a binary search over them);
        ``identity`` is the identity matrix over the word block's columns; the
        ``lead_`` entries are the same for the lead block.
        """
        tables: dict[str, Any] | None = getattr(self, "_lookup", None)
        if tables is None:
            import pandas as pd

            tables = {}
            for kind, idf in (("", self.word_idf_), ("lead_", self.lead_idf_)):
                unigrams = getattr(self, f"{kind}unigram_lemmas_")
                unigram_col = np.full(len(self.vocabulary_) + 1, -1, dtype=np.int64)
                unigram_col[unigrams] = np.arange(len(unigrams))
                tables[f"{kind}unigram_col"] = unigram_col
                tables[f"{kind}bigram_index"] = pd.Index(getattr(self, f"{kind}bigram_keys_"))
                tables[f"{kind}identity"] = sp.identity(len(idf), dtype=np.float32, format="csr")
            self._lookup = tables
        return tables

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns (``w:`` unigram, ``b:`` bigram, ``a:`` affix, and
        ``lw:``, ``lb:`` for the lead block)."""
        return np.asarray(self.feature_names_, dtype=object)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # a copy: the live caches stay
        state.pop("_unknown_cache", None)
        state.pop("_lookup", None)
        return state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags
