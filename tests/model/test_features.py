from __future__ import annotations

import pickle

import numpy as np

from allegations.model._features import LemmaFeatures, affixes

DOCS = [
    "officer search the database",
    "officer search the file",
    "officer threaten a neighbour",
    "officer threaten a friend",
    "the database search",
]


def test_affixes_mark_word_edges():
    assert affixes("investigation", 3, 5) == [" inv", " inve", " inves", "ion "]
    assert affixes("cop", 3, 5) == [" cop", " cop ", "cop "]
    assert affixes("to", 3, 5) == [" to ", " to "] and affixes("a", 3, 5) == []


def test_blocks_are_unit_length_and_named():
    feats = LemmaFeatures().fit(DOCS)
    X = feats.transform(DOCS).toarray()
    names = feats.get_feature_names_out()
    assert X.shape[1] == len(names)
    word = np.array([n[0] in "wb" for n in names])
    np.testing.assert_allclose(np.linalg.norm(X[:, word], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(X[:, ~word], axis=1), 1.0, rtol=1e-5)
    assert "b:officer search" in names and "w:threaten" in names
    assert "w:friend" not in names  # in one document only (min_df=2)


def test_unseen_misspelling_shares_affixes():
    feats = LemmaFeatures().fit(DOCS)
    names = feats.get_feature_names_out()
    X = feats.transform(["threatend"]).toarray()[0]
    active = {names[i] for i in np.flatnonzero(X)}
    assert " thr" in {a[2:] for a in active if a.startswith("a:")}
    assert not any(a.startswith("w:") for a in active)


def test_transform_is_deterministic_and_pickles():
    feats = LemmaFeatures().fit(DOCS)
    a = feats.transform(DOCS + ["brand new words"])
    b = pickle.loads(pickle.dumps(feats)).transform(DOCS + ["brand new words"])
    assert (a != b).nnz == 0
    assert feats.transform([""]).nnz == 0


LEAD_DOCS = [
    "officer steal money . later he search the database .",
    "officer steal money . the file be search later .",
    "officer search the database . he steal money later .",
    "officer search the file . then steal money .",
    "no sentence mark here officer",
]


def test_lead_block_holds_the_opening_sentences_only():
    feats = LemmaFeatures(max_df=1.0, lead_sentences=1, lead_weight=0.5).fit(LEAD_DOCS)
    names = list(feats.get_feature_names_out())
    X = feats.transform(LEAD_DOCS).toarray()
    lead = np.array([n.startswith("l") for n in names])
    assert "lw:steal" in names and "lb:officer steal" in names and "lw:later" not in names
    # "steal" opens the first two documents only; "search" opens the next two.
    steal, search = names.index("lw:steal"), names.index("lw:search")
    assert (X[:, steal] > 0).tolist() == [True, True, False, False, False]
    assert (X[:, search] > 0).tolist() == [False, False, True, True, False]
    # A document without a mark is all lead; the block is unit length times its weight.
    np.testing.assert_allclose(np.linalg.norm(X[:, lead], axis=1), 0.5, rtol=1e-5)
    # The other blocks are those of the unmarked documents.
    plain = LemmaFeatures(max_df=1.0).fit([d.replace(" .", "") for d in LEAD_DOCS])
    assert plain.get_feature_names_out().tolist() == [n for n in names if not n.startswith("l")]
    np.testing.assert_array_equal(
        plain.transform([d.replace(" .", "") for d in LEAD_DOCS]).toarray(), X[:, ~lead]
    )


def test_marks_change_nothing_without_a_lead_block():
    feats = LemmaFeatures().fit(LEAD_DOCS)
    assert not any(n.startswith("l") for n in feats.get_feature_names_out())
    assert "w:." not in feats.vocabulary_ and "." not in feats.vocabulary_
    plain = LemmaFeatures().fit([d.replace(" .", "") for d in LEAD_DOCS])
    assert (feats.transform(LEAD_DOCS) != plain.transform(LEAD_DOCS)).nnz == 0
