"""The caches of the spaCy step (ChunkForms) and the estimator's contract."""

from __future__ import annotations

import pickle

import pytest
from sklearn.base import clone

from allegations.text._chunks import ChunkForms
from allegations.text._normalise import SENTENCE_END, normalise_redactions, split_tokens
from allegations.text._preprocess import SpacyPreprocessor


@pytest.mark.parametrize(
    "text",
    [
        'Officer (b)(6) queried the DB on 12/03/2019, then said: "don\'t" -- twice!!',
        "Line one.\nLine two\twith tabs and  spaces; e-mail j.doe@x.gov",
        "",
    ],
)
def test_chunk_cache_matches_spacy_tokenizer(text):
    """The cached per-chunk path gives exactly the tokens spaCy gives the whole text."""
    pre = SpacyPreprocessor().fit([])
    fast = pre.transform([text])[0]
    _, toks = SpacyPreprocessor().fit([]).tokens_with_offsets(text)
    assert fast == " ".join(t for t, _, _ in toks)
    forms = ChunkForms(None, True)
    nlp = forms.nlp
    expected = [
        f
        for f in (
            forms._normalise_lexeme(t.text) for t in nlp.tokenizer(normalise_redactions(text))
        )
        if f
    ]
    assert split_tokens(fast) == expected  # the sentence marks aside


def test_init_stores_parameters_only_and_clone_keeps_them():
    pre = SpacyPreprocessor(batch_size=7, drop_urls=False, mark_sentences=False)
    assert vars(pre) == {
        "spacy_model": None,
        "batch_size": 7,
        "drop_urls": False,
        "mark_sentences": False,
    }
    fitted = pre.fit(["warm"])
    assert fitted is pre
    learned = {k for k in vars(pre) if not k.startswith("_")} - set(pre.get_params())
    assert learned and all(k.endswith("_") for k in learned)
    twin = clone(pre)
    assert twin.get_params() == pre.get_params() and vars(twin) == {
        k: v for k, v in vars(pre).items() if k in pre.get_params()
    }


def test_the_caches_follow_the_settings():
    """A changed setting (``set_params``) gives fresh caches: a chunk cached with sentence
    marks must not keep its mark once marks are off."""
    pre = SpacyPreprocessor().fit([])
    assert pre.transform(["He left."])[0] == f"he leave {SENTENCE_END}"
    pre.set_params(mark_sentences=False)
    assert pre.transform(["He left."])[0] == "he leave"
    pre.set_params(mark_sentences=True)
    assert pre.transform(["He left."])[0] == f"he leave {SENTENCE_END}"


def test_forms_do_not_change_the_cache_and_stream_fills_it():
    forms = ChunkForms(None, mark_sentences=True)
    assert forms.forms(["officers.", "(male)"]) == {"officers.": "officer . ", "(male)": "male "}
    assert forms.chunks == {}
    assert list(forms.stream(["Officers struck (male)"], batch_size=1)) == ["officer strike male"]
    assert set(forms.chunks) == {"Officers", "struck", "(male)"}


def test_restore_copies_the_saved_table_and_survives_pickling():
    pre = SpacyPreprocessor().fit([])
    saved = {"zzword": "planted "}
    pre.restore_chunks(saved)
    assert pre.transform(["zzword"])[0] == "planted"  # read from the table, not spaCy
    pre.transform(["another chunk"])
    assert saved == {"zzword": "planted "}  # the saved table stays what training kept
    again = pickle.loads(pickle.dumps(pre))
    assert again.known_chunks() == ["zzword"]
    assert again.transform(["zzword"])[0] == "planted"
    pre.forget_chunks()
    assert pre.known_chunks() == ["zzword"]  # rebuilt from the saved table


def test_every_cache_is_bounded(monkeypatch):
    from allegations.text import _chunks as chunks

    monkeypatch.setattr(chunks, "MAX_CHUNKS", 5)
    monkeypatch.setattr(chunks, "MAX_WORDS", 5)
    monkeypatch.setattr(chunks, "MAX_SPANS", 5)
    forms = ChunkForms(None, mark_sentences=False)
    words = [f"word{i}x" for i in range(40)]
    for word in words:
        list(forms.stream([word], batch_size=1))
        forms.offsets(word)
    assert len(forms.chunks) <= 6 and len(forms.words) <= 6 and len(forms.spans) <= 6


@pytest.mark.parametrize("text", ["", "   ", "(b)(6)"])
def test_offsets_of_blank_and_redacted_texts(text):
    pre = SpacyPreprocessor().fit([])
    _, toks = pre.tokens_with_offsets(text)
    assert " ".join(t for t, _, _ in toks) == pre.transform([text])[0]
    assert normalise_redactions(text) is not None
