"""The fast text-to-features path equals the string path it replaces, exactly."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allegations import encode
from allegations.encode import TokenEncoder
from allegations.preprocess import SpacyPreprocessor, _punctuated_word, normalise_redactions

from .conftest import ROOT, needs_shared

#: Texts that exercise every branch of the chunk handling: plain and punctuated words,
#: special cases, abbreviations, numbers, redactions, URLs, quotes, non-ASCII, blanks.
AWKWARD = [
    'Officer (b)(6) queried TECS on 12/03/2019, then said: "don\'t" -- twice!!',
    "OFFICER. Mr. Smith (male) cannot, gonna. e.g., etc. a. A. J. aB. AB. x). five. (five)",
    "See [the report](https://example.gov/a/b-c?d=1). Ex-girlfriend's car; U.S. v. Doe",
    "Café naïve — “quoted” ‘single’ officer’s 3:15pm $500, 9-9-9, XXXX [REDACTED]",
    "",
    "   ",
    "Officer searched the database for his neighbour",
]


def _model_parts(corpus: pd.DataFrame):
    from allegations import train

    model = train(corpus["text"].tolist(), [s.split(";") if s else [] for s in corpus["labels"]])
    return model, model.preprocessor, model.pipeline.named_steps["features"]


@pytest.fixture(scope="module")
def parts(corpus):
    return _model_parts(corpus)


def _string_path(preprocessor: SpacyPreprocessor, features, texts):
    fresh = pickle.loads(pickle.dumps(preprocessor))  # own caches, like a separate run
    return features.transform(fresh.transform(texts))


def _assert_same(A, B) -> None:
    assert A.shape == B.shape
    assert abs(A - B).max() == 0.0 if A.nnz or B.nnz else True
    assert (A != B).nnz == 0


def test_encoder_equals_string_path_on_awkward_texts(parts, corpus):
    _, pre, features = parts
    texts = AWKWARD + corpus["text"].tolist()[:40] + [None, float("nan")]
    encoder = TokenEncoder(pickle.loads(pickle.dumps(pre)), features)
    X, n_tokens = encoder.transform(texts)
    _assert_same(X, _string_path(pre, features, texts))
    docs = pre.transform(texts)
    assert n_tokens.tolist() == [len(d.split()) for d in docs]
    assert n_tokens[4] == n_tokens[5] == n_tokens[-1] == n_tokens[-2] == 0
    # A second batch reuses the cached chunks (a different mix and order) and still agrees.
    again = texts[::-1] + ["An unseen wordd, and (another)."]
    _assert_same(encoder.transform(again)[0], _string_path(pre, features, again))


def test_encoder_equals_string_path_when_tables_are_cleared(parts, corpus, monkeypatch):
    """The bounded tables are cleared on a long stream; results do not change."""
    _, pre, features = parts
    monkeypatch.setattr(encode, "MAX_CHUNKS", 50)
    encoder = TokenEncoder(pickle.loads(pickle.dumps(pre)), features)
    texts = corpus["text"].tolist()
    for start in range(0, 60, 15):
        batch = texts[start : start + 15] + AWKWARD[start // 15 :: 2]
        _assert_same(encoder.transform(batch)[0], _string_path(pre, features, batch))
    assert len(encoder._chunk_row) <= 50 + 200


def test_tagger_uses_the_fast_path_and_scores_match(parts, corpus):
    model, pre, features = parts
    texts = AWKWARD + corpus["text"].tolist()
    fast = model.predict_proba(texts)
    assert "_encoder" in model.__dict__
    slow = model.proba_from_docs(pre.transform(texts))
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12)
    # The encoder is a cache: never pickled, rebuilt after loading.
    assert "_encoder" not in pickle.loads(pickle.dumps(model)).__dict__


def test_pickling_keeps_the_live_caches(parts):
    """Saving a model must not empty the caches of the model still in use."""
    _, pre, features = parts
    pre.transform(["Officer searched the database."])
    features.transform(["officer search zzzunseen"])
    pickle.dumps(pre)
    pickle.dumps(features)
    assert pre.__dict__.get("_chunks") and "_nlp" in pre.__dict__
    assert features.__dict__.get("_unknown_cache")
    restored = pickle.loads(pickle.dumps(pre))
    assert "_chunks" not in restored.__dict__ and "_nlp" not in restored.__dict__


def test_encoder_refuses_a_trained_pipeline(parts):
    _, _, features = parts
    with pytest.raises(ValueError, match="blank English"):
        TokenEncoder(SpacyPreprocessor(spacy_model="en_core_web_sm"), features)


# -- the punctuated-word shortcut against spaCy itself --------------------------------------
def _spacy_forms(chunks: list[str]) -> dict[str, str]:
    forms: dict[str, str] = {}
    SpacyPreprocessor().fit([])._normalise_chunks(sorted(chunks), forms)
    return forms


def _check_shortcut(chunks: set[str]) -> int:
    pre = SpacyPreprocessor().fit([])
    fast: dict[str, str] = {}
    pre._normalise_words(set(chunks), fast)
    slow = _spacy_forms(list(fast))
    wrong = sorted(c for c in fast if fast[c] != slow[c])
    assert not wrong, f"{len(wrong)} chunks normalised unlike spaCy, e.g. {wrong[:5]}"
    return len(fast)


@pytest.mark.parametrize(
    ("chunk", "word"),
    [
        ("officer,", "officer"),
        ("(male)", "male"),
        ("car.", "car"),
        ("OFFICER.", "OFFICER"),
        ("[redacted];", "redacted"),
        ("J.", None),  # one capital: spaCy keeps "J." whole
        ("aB.", None),
        ("Mr.", None),  # a special case
        ("etc.", "etc"),  # not a special case: spaCy splits the stop off
        ("Inc.", None),
        ("cannot,", None),  # the word is a special case ("can" + "not")
        ("officer", None),  # plain words take the other branch
        ("e.g.,", None),
        ("officer's", None),
        ("2019,", None),
    ],
)
def test_punctuated_word_shapes(chunk, word):
    specials = SpacyPreprocessor().fit([])._get_nlp().tokenizer.rules
    assert _punctuated_word(chunk, specials) == word


def test_shortcut_agrees_with_spacy_on_awkward_and_bundled_texts():
    chunks = {c for t in AWKWARD for c in normalise_redactions(t).split()}
    for name, column in (("sample.csv", "text"), ("release.csv", "narrative")):
        frame = pd.read_csv(ROOT / "data" / name, dtype=str)
        for text in frame[column].dropna():
            chunks.update(normalise_redactions(text).split())
    assert _check_shortcut(chunks) > 1000


def test_shortcut_agrees_with_spacy_on_real_narratives():
    path = needs_shared("philly_2013_2018", "ppd_complaints_7-18.csv")
    chunks = set()
    for text in pd.read_csv(path, dtype=str)["summary"].dropna():
        chunks.update(normalise_redactions(text).split())
    assert _check_shortcut(chunks) > 10_000


# -- the redaction pre-filter never hides a marker ------------------------------------------
@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("()[]<>{}bB67xX/;,&-acdehilnortw CR\t\n\u0131\u017f\u212a")),
        max_size=40,
    )
)
def test_redaction_prefilter_is_exact(text):
    from allegations.preprocess import _REDACTION_RE, REDACTED

    assert normalise_redactions(text) == _REDACTION_RE.sub(f" {REDACTED} ", text)


@pytest.mark.parametrize(
    "text",
    ["(b)(6)", "( B ) (7)(c)", "[REDACTED]", "<withheld>", "XXXX", "xx/xx/xxxx", "b6, b7C", "(2)"],
)
def test_redaction_prefilter_passes_markers(text):
    from allegations.preprocess import _REDACTION_RE, REDACTED

    assert normalise_redactions(text) == _REDACTION_RE.sub(f" {REDACTED} ", text)
