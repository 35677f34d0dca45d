from __future__ import annotations

import numpy as np

from allegations.text._preprocess import SpacyPreprocessor
from allegations.training._labels import canonical_labels, to_matrix
from allegations.training._neardup import near_duplicate_pairs
from allegations.training._train import _group_ids, make_folds

from ..conftest import make_corpus

BASE = (
    "On the night in question the complainant states that two officers stopped her car "
    "near the corner store, searched the vehicle without consent, and took cash from the "
    "glove box before driving away without issuing a receipt or a citation to anyone."
)


def _variants(n):
    """Narratives, each repeated with a small edit (a date, a redaction, a typo)."""
    corpus = make_corpus(n, seed=11)
    texts, edited = [], []
    for i, text in enumerate(corpus.text):
        long = f"Case {i}: {text} {BASE} Reported on day {i}."
        texts.append(long)
        edited.append(long.replace(f"day {i}", f"day {i + 1}").replace("glove box", "glovebox"))
    return corpus, texts, edited


def test_near_duplicates_are_found_with_sparse_products():
    _, texts, edited = _variants(20)
    docs = SpacyPreprocessor().fit([]).transform(texts + edited)
    pairs = {tuple(p) for p in near_duplicate_pairs(docs, block=7).tolist()}
    assert {(i, 20 + i) for i in range(20)} <= pairs
    unrelated = SpacyPreprocessor().fit([]).transform(["officer was late", BASE])
    assert len(near_duplicate_pairs(unrelated)) == 0


def test_near_duplicates_never_straddle_folds():
    corpus, texts, edited = _variants(60)
    sets = [s.split(";") if s else [] for s in corpus.labels]
    docs = SpacyPreprocessor().fit([]).transform(texts + edited)
    groups, n_exact, n_near = _group_ids(np.asarray(docs, dtype=object), None)
    assert n_near > 0 and n_exact + n_near >= 60
    labels, canon = canonical_labels(sets + sets)
    fold = make_folds(to_matrix(canon, labels), groups, 5, seed=0)
    for i in range(60):
        assert fold[i] == fold[60 + i]
