from __future__ import annotations

import pickle

import numpy as np
import pytest

from allegations.errors import ModelError
from allegations.preprocess import NUMBER, REDACTED, SpacyPreprocessor, normalise_redactions


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
    assert out.split() == ["agent", REDACTED, "query", "tecs"]


def test_normalise_keeps_ordinary_words():
    assert normalise_redactions("Box (b) and xx-large") == "Box (b) and xx-large"


def test_lemmas_lowercase_numbers_and_punctuation():
    out = SpacyPreprocessor().fit([]).transform(["SA QUERIED plates 3 times, and RAN names!"])[0]
    assert out == f"sa query plate {NUMBER} time and run name"


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
