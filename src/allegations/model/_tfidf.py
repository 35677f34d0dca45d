"""The sparse arithmetic of the feature step: counts, inverse document frequencies, and
sublinear TF-IDF with L2-normalised rows, all vectorised with NumPy/SciPy."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = [
    "count_matrix",
    "gram_matrix",
    "grouped_by_row",
    "idf_weights",
    "pair_keys",
    "sublinear_tfidf",
]


def l2_normalise(X: sp.csr_matrix) -> sp.csr_matrix:
    """``X`` with every non-empty row scaled to unit length."""
    X = sp.csr_matrix(X)
    norms = np.sqrt(
        np.bincount(
            np.repeat(np.arange(X.shape[0]), np.diff(X.indptr)),
            weights=X.data.astype(np.float64) ** 2,
            minlength=X.shape[0],
        )
    )
    norms[norms == 0] = 1.0
    X.data = X.data / np.repeat(norms, np.diff(X.indptr))
    return X


def grouped_by_row(
    parts: list[tuple[np.ndarray, np.ndarray]], n_rows: int, n_cols: int
) -> sp.csr_matrix:
    """A CSR matrix of ones at ``(rows, cols)`` of every part, duplicates kept.

    The rows of each part are non-decreasing; each row holds its entries of the first
    part, then of the second, and so on. Placing them costs a few passes of NumPy, with
    no sort (unlike building from coordinates).
    """
    per_part = [np.bincount(rows, minlength=n_rows) for rows, _ in parts]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.sum(per_part, axis=0), out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=np.int64)
    offset = indptr[:-1].copy()  # where each row's entries of the next part go
    for (rows, cols), counts in zip(parts, per_part, strict=True):
        starts = np.zeros(n_rows, dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        indices[np.arange(len(cols)) + (offset - starts)[rows]] = cols
        offset += counts
    data = np.ones(len(indices), dtype=np.float32)
    return sp.csr_matrix((data, indices, indptr), shape=(n_rows, n_cols))


def sublinear_tfidf(X: sp.csr_matrix, idf: np.ndarray, weight: float = 1.0) -> sp.csr_matrix:
    """(1 + log tf) * idf, rows L2-normalised, times ``weight``, as float32.

    ``X`` holds counts with no duplicate entries (its indices need not be sorted); the
    arithmetic is done in float64 and only the result is rounded to float32.
    """
    data = (1.0 + np.log(X.data.astype(np.float64))) * idf[X.indices]
    out = l2_normalise(sp.csr_matrix((data, X.indices, X.indptr), shape=X.shape))
    if weight != 1.0:
        out.data *= weight
    out.data = out.data.astype(np.float32)
    return out


def idf_weights(df: np.ndarray, n_docs: int) -> np.ndarray:
    """Smoothed inverse document frequencies of features seen in ``df`` of ``n_docs``."""
    return np.log((1.0 + n_docs) / (1.0 + df)) + 1.0


def gram_matrix(grams: list[list[str]], vocab: dict[str, int]) -> sp.csr_matrix:
    """The (row x gram) count matrix of each row's ``grams``, columns from ``vocab``."""
    rows = np.repeat(np.arange(len(grams)), [len(g) for g in grams])
    cols = np.fromiter((vocab[g] for gs in grams for g in gs), dtype=np.int64, count=len(rows))
    M = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(grams), len(vocab))
    )
    M.sum_duplicates()
    return M


def pair_keys(ids: np.ndarray, doc_of: np.ndarray, n_lemmas: int) -> tuple[np.ndarray, np.ndarray]:
    """The key (``first * n_lemmas + second``) and document of each pair of neighbouring
    lemma ids within a document, both inside the vocabulary."""
    ok = (doc_of[:-1] == doc_of[1:]) & (ids[:-1] < n_lemmas) & (ids[1:] < n_lemmas)
    return ids[:-1][ok] * n_lemmas + ids[1:][ok], doc_of[:-1][ok]


def count_matrix(ids: np.ndarray, doc_of: np.ndarray, n_docs: int, n_cols: int) -> sp.csr_matrix:
    """The (document x id) count matrix of ``ids`` in documents ``doc_of``."""
    U = sp.csr_matrix((np.ones(len(ids), dtype=np.float32), (doc_of, ids)), shape=(n_docs, n_cols))
    U.sum_duplicates()
    return U
