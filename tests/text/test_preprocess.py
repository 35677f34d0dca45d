from __future__ import annotations

import pickle

import numpy as np
import pytest

from allegations.errors import ModelError
from allegations.text._chunks import trained_tokens
from allegations.text._preprocess import (
    NUMBER,
    REDACTED,
    SENTENCE_END,
    SpacyPreprocessor,
    ends_sentence,
    lemma_text,
    normalise_redactions,
    split_tokens,
)


@pytest.mark.parametrize(
    "marker",
    [
        "(b)(6)",
        "(b)(7)(C)",
        "(b) (6)",
        "(b)(6); (b)(7)(C)",
        "(b)(6),(b)(7)(c)",
        "[REDACTED]",
        "[redacted]",
        "XXXX",
        "XX/XX/XXXX",
        "<withheld>",
    ],
)
def test_redaction_markers_become_one_token(marker):
    out = SpacyPreprocessor().fit([]).transform([f"Agent {marker} queried TECS."])[0]
    assert split_tokens(out) == ["agent", REDACTED, "query", "tecs"]


def test_normalise_keeps_ordinary_words():
    assert normalise_redactions("Box (b) and xx-large") == "Box (b) and xx-large"


def test_lemmas_lowercase_numbers_and_punctuation():
    out = SpacyPreprocessor().fit([]).transform(["SA QUERIED plates 3 times, and RAN names!"])[0]
    assert out == f"sa query plate {NUMBER} time and run name {SENTENCE_END}"


def test_empty_and_missing_texts():
    out = SpacyPreprocessor().fit([]).transform(["", None, float("nan"), "   "])
    assert out.tolist() == ["", "", "", ""]


def test_pickle_drops_the_spacy_pipeline_and_still_works():
    pre = SpacyPreprocessor().fit([])
    pre.transform(["warm the cache"])
    blob = pickle.dumps(pre)
    assert len(blob) < 2000  # no nlp object, no cache
    again = pickle.loads(blob)
    assert again.transform(["Agents ran plates"]).tolist() == ["agent run plate"]


def test_transform_is_deterministic_and_streaming_matches():
    pre = SpacyPreprocessor(batch_size=2).fit([])
    texts = [f"Officer looked up record {i} on (b)(6)" for i in range(7)]
    assert np.array_equal(pre.transform(texts), np.array(list(pre.iter_transform(iter(texts)))))


def test_unknown_trained_pipeline_is_a_clear_error():
    with pytest.raises(ModelError, match="spaCy pipeline 'en_no_such_model' is not installed"):
        SpacyPreprocessor(spacy_model="en_no_such_model").fit([])


@pytest.mark.parametrize(
    "chunk, ends",
    [
        ("abused.", True),
        ('right."', True),
        ("him!", True),
        ("why?)", True),
        ("...", True),
        ("5.", True),
        ("officer", False),
        ("officer,", False),
        ("Mr.", False),
        ("(Sgt.", False),
        ("Rep.", False),
        ("Jan.", False),
        ("J.", False),
        ("U.S.", False),
        ("a.m.", False),
        ("p.m.,", False),
        ("No.", False),
        ('no."', True),
    ],
)
def test_sentence_ends(chunk, ends):
    assert ends_sentence(chunk) is ends


def test_sentence_ends_are_marked_and_split_tokens_drops_them():
    text = 'Sgt. J. Smith hit her. He said "no!" Then he left at 9 a.m. on Jan. 5'
    out = SpacyPreprocessor().fit([]).transform([text])[0]
    assert out == "sgt j. smith hit her . he say no . then he leave at _num_ a.m. on jan. _num_"
    assert SENTENCE_END not in split_tokens(out) and lemma_text(out) == " ".join(split_tokens(out))
    unmarked = SpacyPreprocessor(mark_sentences=False).fit([]).transform([text])[0]
    assert unmarked == lemma_text(out)


@pytest.mark.parametrize(
    "doc", [".", ". a", "a .", "a . b", ". . a .", "a b", "", "u.s. a.m. b", "a .b", "a. b"]
)
def test_lemma_text_drops_exactly_the_marks(doc):
    """The no-marks shortcut returns what the split and join would."""
    assert lemma_text(doc) == " ".join(tok for tok in doc.split() if tok != SENTENCE_END)


def test_marks_agree_between_the_string_path_and_the_spans():
    pre = SpacyPreprocessor().fit([])
    raw = "Officer stopped him.  He ran (fast!) away. [REDACTED] said: ok."
    text, spans = pre.tokens_with_offsets(raw)
    assert " ".join(t for t, _, _ in spans) == pre.transform([raw])[0]
    marks = [(a, b) for t, a, b in spans if t == SENTENCE_END]
    assert [text[a - 1] for a, _ in marks] == [".", ")", ".", "."]
    assert all(a == b for a, b in marks)


def test_trained_pipeline_marks_the_same_chunks():
    """The trained-pipeline path applies the chunk rule to the same whitespace chunks."""
    import spacy

    pre = SpacyPreprocessor().fit([])
    text = 'He was hit.  "Stop!" she said (twice).\nThen Mr. Doe left.\tOk'
    doc = spacy.blank("en")(text)
    marks = [a for form, a, _ in trained_tokens(doc, True) if form == SENTENCE_END]
    expected = [a for form, a, _ in pre.tokens_with_offsets(text)[1] if form == SENTENCE_END]
    assert marks == expected and len(marks) == 4


def test_without_marks_sentences_leave_no_token():
    old = SpacyPreprocessor(mark_sentences=False).fit([])
    assert old.transform(["He left. She stayed."]).tolist() == ["he leave she stay"]
