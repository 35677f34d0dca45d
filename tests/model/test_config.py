from __future__ import annotations

import pytest

from allegations.model._config import ModelConfig
from allegations.model._features import LemmaFeatures


@pytest.mark.parametrize("n", [0, 3])
def test_config_refuses_an_ngram_length_the_features_do_not_build(n):
    # Only unigrams and bigrams exist: 3 used to be read as 2 while the card said 1-3.
    with pytest.raises(ValueError, match=f"ngram_max is {n}; expected 1 or 2"):
        ModelConfig(ngram_max=n)
    with pytest.raises(ValueError, match=f"ngram_max is {n}; expected 1 or 2"):
        LemmaFeatures(ngram_max=n).fit(["officer stop car", "officer stop car"])


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("lead_sentences", -1, "lead_sentences is -1; expected 0 (no lead block) or more"),
        ("exclusive_lead_sentences", 1.5, "lead_sentences is 1.5; expected a whole number"),
        ("exclusive_lead_sentences", True, "lead_sentences is True; expected a whole number"),
        ("lead_weight", 0, "lead_weight is 0; expected a number above 0"),
        ("lead_weight", float("nan"), "lead_weight is nan; expected a number above 0"),
    ],
)
def test_config_refuses_a_lead_block_the_features_cannot_build(field, value, message):
    import re

    with pytest.raises(ValueError, match=re.escape(message)):
        ModelConfig(**{field: value})
    name = "lead_sentences" if "sentences" in field else field
    with pytest.raises(ValueError, match=re.escape(message)):
        LemmaFeatures(**{name: value}).fit(["officer stop car .", "officer stop car ."])
