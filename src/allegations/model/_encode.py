"""The fast path from raw narratives to lemma ids, without building lemma strings.

:class:`~allegations.text._preprocess.SpacyPreprocessor` turns a narrative into one string of
lemmas, which :class:`~allegations.model._features.LemmaFeatures` splits again and looks up
token by token: two passes of Python work per token. A :class:`TokenEncoder` joins the
two steps for the default (blank English) pipeline. spaCy's tokenizer splits on
whitespace first and handles each whitespace-free chunk on its own, so a chunk always
becomes the same lemmas; the encoder keeps, for every distinct chunk, the feature step's
ids of those lemmas in flat NumPy arrays. A batch is then split on whitespace and its
chunks are looked up by Arrow's compute kernels (no Python string per chunk), and the
token ids of the whole batch are gathered with array operations. Only the batch's new
chunks come back to Python, and only those never seen before go through spaCy.

The ids (and so the features) are exactly those of
``features.transform(preprocessor.transform(texts))``; a test holds the two paths equal.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain, repeat
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from ..text import SENTENCE_END, SpacyPreprocessor, as_text
from ._features import MARK, LemmaFeatures

__all__ = ["TokenEncoder"]

#: Distinct chunks (and unseen lemmas) kept before the tables are cleared: bounded memory
#: on a long stream of novel strings.
MAX_CHUNKS = 500_000


class _Buffer:
    """A growable int64 array (amortised appends)."""

    def __init__(self) -> None:
        self.data = np.zeros(1024, dtype=np.int64)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        end = self.size + len(values)
        if end > len(self.data):
            grown = np.zeros(max(end, 2 * len(self.data)), dtype=np.int64)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size : end] = values
        self.size = end

    def view(self) -> np.ndarray:
        return self.data[: self.size]


class TokenEncoder:
    """Raw narratives to the feature matrix of a fitted blank-pipeline model.

    Parameters
    ----------
    preprocessor : SpacyPreprocessor
        The model's fitted spaCy step; it must use the blank English pipeline
        (``spacy_model=None``).
    features : LemmaFeatures
        The model's fitted feature step.
    """

    def __init__(self, preprocessor: SpacyPreprocessor, features: LemmaFeatures) -> None:
        if preprocessor.spacy_model is not None:
            raise ValueError("TokenEncoder needs the blank English pipeline (spacy_model=None).")
        self.preprocessor = preprocessor
        self.features = features
        self._clear()
        # Start from the chunks the string path has already normalised (those of the
        # training texts, right after training): no spaCy call, and a fresh batch then
        # only pays for chunks the model has never met, as spaCy's own tokenizer cache does.
        known = preprocessor.known_chunks()[:MAX_CHUNKS]
        if known:
            self._add(known)

    def _clear(self) -> None:
        self._chunk_row: dict[str, int] = {}
        self._start = _Buffer()  # first position of each chunk's ids in ``_ids``
        self._count = _Buffer()  # number of lemmas of each chunk
        self._ids = _Buffer()  # lemma ids of all chunks, concatenated
        self._unseen: dict[str, int] = {}  # lemma outside the vocabulary -> id (after it)
        self._unseen_names: list[str] = []  # the same lemmas, by id - len(vocabulary_)
        # The chunks again, by row, as Arrow arrays (joined on demand): the look-up table
        # of the Arrow path. Row 0 is the empty chunk, which Arrow's split gives for
        # leading and trailing whitespace; it has no lemmas.
        self._key_parts: list[pa.Array] = [pa.array([""], pa.large_string())]
        self._keys: pa.Array | None = None
        self._chunk_row[""] = 0
        self._start.extend(np.zeros(1, dtype=np.int64))
        self._count.extend(np.zeros(1, dtype=np.int64))
        self._generation = getattr(self, "_generation", -1) + 1

    # -- public --------------------------------------------------------------------------
    def encode(self, texts: Iterable[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lemma ids of ``texts``.

        Returns
        -------
        ids : numpy.ndarray of int64
            Every lemma of every text, in order: vocabulary ids, and ids from
            ``len(vocabulary_)`` on for lemmas outside it (in the order first met);
            sentence marks are :data:`~allegations.model._features.MARK`.
        doc_of : numpy.ndarray of int64
            The text number of each lemma or mark (non-decreasing).
        n_tokens : numpy.ndarray of int64
            The number of lemmas of each text, marks aside (0 for an empty text).
        """
        normalise = self.preprocessor.normalise
        normed = [normalise(x if type(x) is str else as_text(x)) for x in texts]
        n_docs = len(normed)
        rows, chunk_bounds = self._arrow_rows(normed)
        count = self._count.view()[rows]
        start = self._start.view()[rows]
        ends = np.cumsum(count)
        n_total = int(ends[-1]) if len(ends) else 0
        if n_total == len(count) and bool((count == 1).all()):  # one lemma per chunk
            ids = self._ids.view()[start]
        else:
            take = np.repeat(start - (ends - count), count) + np.arange(n_total)
            ids = self._ids.view()[take]
        # Lemmas per text: the lemma counts of its chunks, summed by prefix sums.
        lemma_bounds = np.zeros(len(count) + 1, dtype=np.int64)
        lemma_bounds[1:] = ends
        n_tokens = lemma_bounds[chunk_bounds[1:]] - lemma_bounds[chunk_bounds[:-1]]
        doc_of = np.repeat(np.arange(n_docs, dtype=np.int64), n_tokens)
        if self.preprocessor.mark_sentences and len(ids) and int(ids.min()) == MARK:
            n_tokens = n_tokens - np.bincount(doc_of[ids == MARK], minlength=n_docs)
        return ids, doc_of, n_tokens

    def encode_batch(
        self, texts: Iterable[Any]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Like :meth:`encode`, with the unseen lemmas numbered for this batch only.

        Returns ``ids, doc_of, n_tokens, unseen``: ids from ``len(vocabulary_)`` on stand
        for ``unseen[id - len(vocabulary_)]``, the form
        :meth:`~allegations.model._features.LemmaFeatures.transform_ids` takes.
        """
        ids, doc_of, n_tokens = self.encode(texts)
        n_vocab = len(self.features.vocabulary_)
        outside = ids >= n_vocab
        unseen: list[str] = []
        if outside.any():
            present, local = np.unique(ids[outside], return_inverse=True)
            ids = ids.copy()
            ids[outside] = n_vocab + local
            names = self._unseen_names
            unseen = [names[k] for k in (present - n_vocab).tolist()]
        return ids, doc_of, n_tokens, unseen

    def transform(self, texts: Iterable[Any]) -> tuple[sp.csr_matrix, np.ndarray]:
        """The feature matrix of ``texts`` and each text's number of lemmas."""
        ids, doc_of, n_tokens, unseen = self.encode_batch(texts)
        return self.features.transform_ids(ids, doc_of, len(n_tokens), unseen), n_tokens

    # -- internals -----------------------------------------------------------------------
    def _arrow_rows(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The chunk table row of every chunk of ``texts`` and each text's chunk bounds,
        split and looked up by Arrow's compute kernels (no Python string per chunk).

        ``utf8_split_whitespace`` splits on exactly the characters ``str.split`` does
        (tested on every code point), but gives an empty chunk for leading and trailing
        whitespace: row 0, with no lemmas. Text that is not valid Unicode (a lone
        surrogate) raises UnicodeEncodeError, as spaCy's tokenizer does on the string path.
        """
        array = pa.array(texts, type=pa.large_string())
        lists = pc.utf8_split_whitespace(array)
        offsets = lists.offsets.to_numpy()
        bounds = (offsets - offsets[0]).astype(np.int64)
        flat = lists.flatten()
        rows = pc.index_in(flat, value_set=self._key_array()).fill_null(-1).to_numpy()
        rows = rows.astype(np.int64)
        missing = np.flatnonzero(rows < 0)
        if len(missing):
            generation = self._generation
            absent = flat.take(pa.array(missing)).to_pylist()
            rows[missing] = self._rows(absent)
            if self._generation != generation:  # the tables were cleared: look up again
                rows = self._rows(flat.to_pylist())
        return rows, bounds

    def _key_array(self) -> pa.Array:
        if self._keys is None:
            self._keys = pa.concat_arrays(self._key_parts)
            self._key_parts = [self._keys]
        return self._keys

    def _rows(self, chunks: list[str]) -> np.ndarray:
        """The chunk table row of every chunk, adding the chunks never seen before."""
        table = self._chunk_row
        rows = np.fromiter(map(table.get, chunks, repeat(-1)), dtype=np.int64, count=len(chunks))
        missing = np.flatnonzero(rows < 0)
        if len(missing):
            absent = list(map(chunks.__getitem__, missing.tolist()))
            new = list(dict.fromkeys(absent))
            full = len(table) + len(new) > MAX_CHUNKS or len(self._unseen) > MAX_CHUNKS
            # Start afresh (row 0, the empty chunk, always stays); a batch's chunks fit.
            if full and len(table) > 1:
                self._clear()
                return self._rows(chunks)
            self._add(new)
            rows[missing] = np.fromiter(
                map(self._chunk_row.__getitem__, absent), dtype=np.int64, count=len(absent)
            )
        return rows

    def _add(self, new: list[str]) -> None:
        """Run spaCy on ``new`` chunks and append their lemma ids to the tables."""
        # Chunks the string path has met (while training, for one) are not re-tokenised.
        forms = self.preprocessor.chunk_forms(new)
        lemmas = [forms[chunk].split() for chunk in new]
        counts = np.fromiter(map(len, lemmas), dtype=np.int64, count=len(new))
        flat = list(chain.from_iterable(lemmas))
        ids = np.fromiter(
            map(self.features.vocabulary_.get, flat, repeat(-1)), dtype=np.int64, count=len(flat)
        )
        outside = np.flatnonzero(ids < 0)
        if len(outside):  # lemmas outside the vocabulary: numbered after it, first met first
            unseen = self._unseen
            base = len(self.features.vocabulary_)
            for pos in outside.tolist():
                lemma = flat[pos]
                if lemma == SENTENCE_END:  # never a lemma of the vocabulary
                    ids[pos] = MARK
                    continue
                k = unseen.get(lemma)
                if k is None:
                    k = unseen[lemma] = base + len(unseen)
                    self._unseen_names.append(lemma)
                ids[pos] = k
        start = np.zeros(len(new), dtype=np.int64)
        np.cumsum(counts[:-1], out=start[1:])
        first_row = self._count.size
        self._chunk_row.update(zip(new, range(first_row, first_row + len(new)), strict=True))
        self._key_parts.append(pa.array(new, type=pa.large_string()))  # spaCy took them: UTF-8
        self._keys = None
        self._start.extend(start + self._ids.size)
        self._count.extend(counts)
        self._ids.extend(ids)
