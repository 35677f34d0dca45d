"""The fast text-to-features path equals the string path it replaces, exactly."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allegations.model import _encode as encode
from allegations.model._encode import TokenEncoder
from allegations.text._chunks import ChunkForms
from allegations.text._preprocess import (
    SpacyPreprocessor,
    normalise_redactions,
    split_tokens,
)

from ..conftest import ROOT, needs_shared

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
    "\u3000 Officer\x1cqueried\x85TECS\u2028for\xa0her\u200bex \t\n",  # Unicode spaces
]


def _model_parts(corpus: pd.DataFrame, lead_sentences: int | None = None):
    from allegations import train
    from allegations.model._config import ModelConfig

    config = ModelConfig() if lead_sentences is None else ModelConfig(lead_sentences=lead_sentences)
    assert config.lead_sentences == (lead_sentences or 0)  # the corpus is multi-label
    sets = [s.split(";") if s else [] for s in corpus["labels"]]
    model = train(corpus["text"].tolist(), sets, config=config)
    return model, model.preprocessor, model.pipeline.named_steps["features"]


@pytest.fixture(scope="module", params=[0, 2], ids=["no-lead", "lead"])
def parts(corpus, request):
    """A trained model's parts, without and with the lead block (its sentence marks and
    the lead's own columns go through both paths)."""
    model, pre, features = _model_parts(corpus, request.param)
    assert len(features.lead_idf_) > 0 if request.param else len(features.lead_idf_) == 0
    return model, pre, features


def _string_path(preprocessor: SpacyPreprocessor, features, texts):
    fresh = pickle.loads(pickle.dumps(preprocessor))  # own caches, like a separate run
    fresh.__dict__.pop("_chunks", None)  # not even the chunks saved with the model
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
    assert n_tokens.tolist() == [len(split_tokens(d)) for d in docs]
    assert n_tokens[4] == n_tokens[5] == n_tokens[-1] == n_tokens[-2] == 0
    # A second batch reuses the cached chunks (a different mix and order) and still agrees.
    again = texts[::-1] + ["An unseen wordd, and (another)."]
    _assert_same(encoder.transform(again)[0], _string_path(pre, features, again))


@pytest.mark.slow
def test_arrow_splits_on_exactly_the_whitespace_str_split_does():
    """The encoder splits with Arrow's ``utf8_split_whitespace``: on every code point it
    must agree with ``str.split`` (apart from the empty chunks Arrow gives at the ends)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    texts = [f" a{chr(c)}b{chr(c)}" for c in points]
    split = pc.utf8_split_whitespace(pa.array(texts, pa.large_string())).to_pylist()
    pairs = zip(points, texts, split, strict=True)
    wrong = [hex(c) for c, t, s in pairs if t.split() != [x for x in s if x]]
    assert not wrong


def test_text_that_is_not_utf8_fails_as_on_the_string_path(parts):
    """A lone surrogate (text decoded with surrogateescape) is not UTF-8: Arrow cannot
    hold it and spaCy cannot tokenise it, so both paths refuse it alike (the file readers
    never produce one); the encoder still works for the next batch."""
    _, pre, features = parts
    encoder = TokenEncoder(pickle.loads(pickle.dumps(pre)), features)
    odd = ["Officer queried caf\udce9 records.", "  Officer queried records  "]
    with pytest.raises(UnicodeEncodeError):
        _string_path(pre, features, odd)
    with pytest.raises(UnicodeEncodeError):
        encoder.transform(odd)
    again = ["Officer queried records of the caf\u00e9.", "records"]
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
    assert pre._cache is not None and pre._cache.chunks and pre._cache._nlp is not None
    assert features._unknown_cache
    restored = pickle.loads(pickle.dumps(pre))
    assert "_cache" not in vars(restored)
    # Only the chunks saved in training come back, not what the model read since.
    assert restored.known_chunks() == list(pre.saved_chunks_)
    assert "Officer" in pre.known_chunks() and "database." not in restored.known_chunks()


def test_encoder_refuses_a_trained_pipeline(parts):
    _, _, features = parts
    with pytest.raises(ValueError, match="blank English"):
        TokenEncoder(SpacyPreprocessor(spacy_model="en_core_web_sm"), features)


# -- the punctuated-word shortcut against spaCy itself --------------------------------------
def _spacy_forms(chunks: list[str]) -> dict[str, str]:
    forms: dict[str, str] = {}
    ChunkForms(None, True)._normalise_chunks(sorted(chunks), forms)
    return forms


def _check_shortcut(chunks: set[str]) -> int:
    fast: dict[str, str] = {}
    ChunkForms(None, True)._normalise_words(set(chunks), fast)
    slow = _spacy_forms(list(fast))
    wrong = sorted(c for c in fast if fast[c] != slow[c])
    assert not wrong, f"{len(wrong)} chunks normalised unlike spaCy, e.g. {wrong[:5]}"
    return len(fast)


def test_shortcut_agrees_with_spacy_on_awkward_and_bundled_texts():
    chunks = {c for t in AWKWARD for c in normalise_redactions(t).split()}
    for name, column in (("sample.csv", "text"), ("release.csv", "narrative")):
        frame = pd.read_csv(ROOT / "data" / name, dtype=str)
        for text in frame[column].dropna():
            chunks.update(normalise_redactions(text).split())
    assert _check_shortcut(chunks) > 1000


def _shared_narratives(corpus: str) -> list[str]:
    if corpus == "philly":
        path = needs_shared("philly_2013_2018", "ppd_complaints_7-18.csv")
        return pd.read_csv(path, dtype=str)["summary"].dropna().tolist()
    if corpus == "govtrack":
        path = needs_shared("govtrack_misconduct", "misconduct-instances.csv")
        frame = pd.read_csv(path, dtype=str)
        return (frame["allegation"].fillna("") + ". " + frame["text"].fillna("")).tolist()
    if corpus == "cfpb":
        path = needs_shared("cfpb_sample", "complaints_sample.csv")
        return pd.read_csv(path, dtype=str)["Consumer complaint narrative"].dropna().tolist()
    path = needs_shared("cpd_intake", "initial_intake_allegations.csv")
    frame = pd.read_csv(
        path, sep="\t", header=None, quoting=3, names=["file", "n", "text"], dtype=str
    )
    return frame["text"].dropna().tolist()


@pytest.mark.parametrize(
    ("corpus", "at_least"),
    [("philly", 10_000), ("govtrack", 3_000), ("cfpb", 3_000), ("chicago", 3_000)],
)
def test_shortcut_agrees_with_spacy_on_real_narratives(corpus, at_least):
    pre = SpacyPreprocessor().fit([])
    chunks = set()
    for text in _shared_narratives(corpus):
        chunks.update(pre.normalise(text).split())
    assert _check_shortcut(chunks) > at_least


# -- the redaction pre-filter never hides a marker ------------------------------------------
@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("()[]<>{}bB67xX/;,&-acdehilnortw CR\t\n\u0131\u017f\u212a")),
        max_size=40,
    )
)
def test_redaction_prefilter_is_exact(text):
    from allegations.text._normalise import _REDACTION_RE, REDACTED

    assert normalise_redactions(text) == _REDACTION_RE.sub(f" {REDACTED} ", text)


@pytest.mark.parametrize(
    "text",
    ["(b)(6)", "( B ) (7)(c)", "[REDACTED]", "<withheld>", "XXXX", "xx/xx/xxxx", "b6, b7C", "(2)"],
)
def test_redaction_prefilter_passes_markers(text):
    from allegations.text._normalise import _REDACTION_RE, REDACTED

    assert normalise_redactions(text) == _REDACTION_RE.sub(f" {REDACTED} ", text)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("See [the report](https://example.gov/a/b-c?d=1). Next", "See [the report"),
        ("at www.example.com/path, then", "at "),
        ("HTTP://EXAMPLE.COM/A and", ""),
        ("(source: https://example.org/x) done", "(source: "),
        ("no address here", "no address here"),
    ],
)
def test_web_addresses_are_blanked_at_the_same_length(text, kept):
    from allegations.text._preprocess import blank_urls

    out = blank_urls(text)
    assert len(out) == len(text)
    assert out.startswith(kept)
    assert "example" not in out.lower() and "http" not in out.lower()
    assert out.split() == [w for w in out.split() if w in text]


def test_web_addresses_leave_the_features_and_evidence_spans_stay_exact():
    pre = SpacyPreprocessor().fit([])
    text = "Officer took a bribe, see [story](https://news.example.com/officer-bribe-case)."
    doc = pre.transform([text])[0]
    assert doc == "officer take a bribe see story ."  # the full stop after the link ends it
    written, spans = pre.tokens_with_offsets(text)
    assert written == text  # evidence quotes the narrative as written
    words = [written[a:b] for form, a, b in spans if form != "."]
    assert words == ["Officer", "took", "a", "bribe", "see", "story"]
    assert spans[-1] == (".", len(text), len(text))
    # drop_urls=False keeps them.
    old = SpacyPreprocessor(drop_urls=False, mark_sentences=pre.mark_sentences)
    assert "news.example.com" in old.transform([text])[0]


def test_a_trained_model_starts_with_its_training_chunks(corpus, monkeypatch):
    """As spaCy's tokenizer cache keeps the training words, the model as trained knows its
    training chunks: predicting them needs no spaCy call, and gives the string path's scores."""
    model, pre, _ = _model_parts(corpus)
    table = model.__dict__["_encoder"]._chunk_row
    assert len(table) == len(pre.known_chunks()) + 1 > 40 and table[""] == 0  # + the empty chunk

    def no_spacy(*args, **kwargs):
        raise AssertionError("spaCy was called for a chunk met in training")

    monkeypatch.setattr(ChunkForms, "_normalise_chunks", no_spacy)
    texts = corpus["text"].tolist()
    fast = model.predict_proba(texts)
    np.testing.assert_allclose(fast, model.proba_from_docs(pre.transform(texts)), atol=1e-12)


def test_a_loaded_model_starts_with_the_chunks_of_two_or_more_training_cases(corpus, monkeypatch):
    """The model file keeps the forms of the chunks that two or more training cases share
    (never rarer ones: often names), so a loaded model needs no spaCy call for them."""
    from collections import Counter

    rare = corpus.copy()
    rare.loc[0, "text"] += " Complainant Wolfeschlegel, called."  # one case only
    model, pre, _ = _model_parts(rare)
    texts = rare["text"].tolist()
    df = Counter(c for t in texts for c in set(pre.normalise(t).split()))
    loaded = pickle.loads(pickle.dumps(model))
    kept = loaded.preprocessor.known_chunks()
    assert kept == sorted(c for c in pre.known_chunks() if df[c] >= 2)  # the same every run
    assert len(kept) > 40 and "Wolfeschlegel," in pre.known_chunks()
    assert "Wolfeschlegel," not in kept and b"Wolfeschlegel" not in pickle.dumps(model)

    def no_spacy(*args, **kwargs):
        raise AssertionError("a chunk of two or more training cases was tokenised again")

    shared = [" ".join(c for c in pre.normalise(t).split() if df[c] >= 2) for t in texts]
    expected = model.proba_from_docs(pre.transform(shared))
    monkeypatch.setattr(ChunkForms, "_normalise_chunks", no_spacy)
    monkeypatch.setattr(ChunkForms, "_normalise_words", no_spacy)
    np.testing.assert_allclose(loaded.predict_proba(shared), expected, atol=1e-12)
    monkeypatch.undo()
    # What the loaded model reads later is not saved with it again.
    loaded.preprocessor.transform(["Witness Quintavius, attended."])
    assert "Quintavius," in loaded.preprocessor.known_chunks()
    assert b"Quintavius" not in pickle.dumps(loaded)


def test_the_collector_is_paused_for_a_batch_and_restored(parts, monkeypatch):
    import gc

    model, _, _ = parts
    model.featurize(["warm"])
    encoder = model.__dict__["_encoder"]
    seen = []
    real = encoder.encode_batch

    def spy(texts):
        seen.append(gc.isenabled())
        return real(texts)

    monkeypatch.setattr(encoder, "encode_batch", spy)
    assert gc.isenabled()
    model.featurize(["Officer searched the database."])
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        model.featurize(["Officer searched the database."])
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()
    monkeypatch.setattr(encoder, "encode_batch", lambda texts: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        model.featurize(["x"])
    assert gc.isenabled()


@pytest.mark.parametrize(
    ("alphabet", "examples"),
    [("0123456789-,.;:/", 300), ('0123456789aZ-:,.;("', 150)],  # digits alone; mixed
)
def test_every_shortcut_agrees_with_spacy_on_generated_chunks(alphabet, examples):
    """Digit groups, clock times, hyphenated and punctuated words: wherever a shortcut
    applies, it gives spaCy's tokens."""

    @settings(max_examples=examples, deadline=None)
    @given(
        st.lists(
            st.text(alphabet=st.sampled_from(list(alphabet)), min_size=1, max_size=14),
            min_size=1,
            max_size=40,
        )
    )
    def agrees(chunks):
        _check_shortcut(set(chunks))

    agrees()
