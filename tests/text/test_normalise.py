"""The normalisation rules, as pure functions of strings."""

from __future__ import annotations

import pytest

from allegations.text._chunks import load_nlp
from allegations.text._normalise import clock_time, digit_groups, punctuated_word


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
        ("ex-girlfriend,", "ex-girlfriend"),  # the caller splits at the hyphens
        ("Ex-Officer", "Ex-Officer"),
        ("Minneapolis-St.", None),  # "St." is a special case spanning two tokens
        ("A-B.", None),
        ("ex--wife", None),
    ],
)
def test_punctuated_word_shapes(chunk, word):
    specials = load_nlp(None).tokenizer.rules
    assert punctuated_word(chunk, specials) == word


# -- digit groups and web addresses ---------------------------------------------------------
@pytest.mark.parametrize(
    ("chunk", "n"),
    [
        ("2019", 1),
        ("12-15-2016,", 3),
        ("1-800-555-1212.", 4),
        ("7;", 1),
        ("10:30", None),
        ("3/4/2016", None),
        ("1.5", None),
        ("12-", None),
        ("12,,", None),
    ],
)
def test_digit_group_shapes(chunk, n):
    assert digit_groups(chunk) == n


@pytest.mark.parametrize(
    ("chunk", "time"), [("10:30", "10:30"), ("9:05,", "9:05"), ("10:30pm", None), ("100:30", None)]
)
def test_clock_time_shapes(chunk, time):
    assert clock_time(chunk) == time
