"""Near-duplicate narratives: pairs whose word-shingle TF-IDF cosine similarity is high.

FOIA releases repeat narratives with small edits (a changed date, a redaction, a typo
fixed between releases). If one copy is in a training fold and the other in the test
fold, cross-validation measures memory rather than skill. Near-duplicates are therefore
joined into one group before the folds are drawn.

Method: each preprocessed document becomes a TF-IDF vector of its word 3-shingles
(consecutive lemma triples), L2-normalised, so the cosine similarity of two documents
is a dot product. The similarity matrix is computed as sparse products ``X[a:b] @ X.T``
one block of rows at a time, and only entries at or above the threshold are kept.
Documents with fewer than three tokens are compared on their lemma pairs or single
lemma instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from ..text import lemma_text

__all__ = ["NEAR_DUPLICATE_COSINE", "near_duplicate_pairs"]

#: Cosine similarity of word-3-shingle TF-IDF vectors at or above which two narratives are
#: near-duplicates. 0.8 joins copies that differ by a few words in a paragraph-long
#: narrative (a date, a name replaced by a redaction), not merely similar complaints.
NEAR_DUPLICATE_COSINE = 0.8


def _shingles(doc: str) -> list[str]:
    toks = doc.split()  # a lemma_text: no sentence marks
    n = 3 if len(toks) >= 3 else len(toks)
    return [" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)] if n else []


def near_duplicate_pairs(
    docs: Sequence[str], threshold: float = NEAR_DUPLICATE_COSINE, block: int = 2000
) -> np.ndarray:
    """Return the (i, j) pairs, i < j, of documents whose shingle cosine is >= threshold.

    Parameters
    ----------
    docs : sequence of str
        Preprocessed (space-joined lemma) documents.
    threshold : float
        Cosine similarity in (0, 1].
    block : int
        Rows per sparse product (bounds memory).

    Returns
    -------
    numpy.ndarray of int, shape (n_pairs, 2)
    """
    docs = [lemma_text(d) for d in docs]
    if len(docs) < 2 or not any(docs):
        return np.zeros((0, 2), dtype=np.int64)
    vectorizer = TfidfVectorizer(analyzer=_shingles, sublinear_tf=True, dtype=np.float32, norm="l2")
    try:
        X = sp.csr_matrix(vectorizer.fit_transform(docs))
    except ValueError:  # no shingle at all
        return np.zeros((0, 2), dtype=np.int64)
    XT = sp.csr_matrix(X.T)
    pairs = []
    for start in range(0, X.shape[0], block):
        S = sp.coo_matrix(X[start : start + block] @ XT)
        i = S.row.astype(np.int64) + start
        keep = (S.data >= threshold - 1e-6) & (i < S.col)
        if keep.any():
            pairs.append(np.column_stack([i[keep], S.col[keep].astype(np.int64)]))
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    out = np.concatenate(pairs)
    return out[np.lexsort((out[:, 1], out[:, 0]))]
