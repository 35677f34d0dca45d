from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allegations.errors import ColumnError, LabelError
from allegations.training.labels import (
    canonical_labels,
    labels_from_column,
    labels_from_columns,
    parse_label_string,
    to_matrix,
)


def test_parse_strips_spaces_and_merges_case_variants():
    assert parse_label_string("  Fraud ;fraud; bribery ;;", ";") == ["Fraud", "bribery"]


@pytest.mark.parametrize("value", [None, float("nan"), "", "  ", ";;"])
def test_parse_empty_values_mean_no_label(value):
    assert parse_label_string(value, ";") == []


def test_canonical_labels_prefers_most_common_spelling():
    labels, sets = canonical_labels([["Fraud"], ["fraud"], ["fraud", "Bribery"]])
    assert labels == ["Bribery", "fraud"]
    assert sets == [["fraud"], ["fraud"], ["fraud", "Bribery"]]


def test_canonical_labels_with_codebook_maps_spelling_and_order():
    labels, sets = canonical_labels([["FRAUD"], [" Bribery"]], known=["bribery", "fraud", "x"])
    assert labels == ["bribery", "fraud", "x"]
    assert sets == [["fraud"], ["bribery"]]


def test_canonical_labels_rejects_label_outside_codebook():
    with pytest.raises(
        LabelError, match="not in the codebook: 'arson'.*Codebook labels are: fraud"
    ):
        canonical_labels([["arson"]], known=["fraud"])


def test_label_columns_truthy_values():
    df = pd.DataFrame(
        {"a": ["1", "x", "Yes", "no", "", "TRUE"], "b": ["0", "y", "", "1", "t", "f"]}
    )
    assert labels_from_columns(df, ["a", "b"]) == [["a"], ["a", "b"], ["a"], ["b"], ["b"], ["a"]]


def test_missing_label_column_lists_columns():
    df = pd.DataFrame({"text": ["x"], "cats": ["a"]})
    with pytest.raises(
        ColumnError,
        match="Column 'labels' not found in t.csv; columns are: text, cats. Pass --labels-col",
    ):
        labels_from_column(df, "labels", source="t.csv")


def test_to_matrix_ignores_case():
    y = to_matrix([["A"], ["b", "a"], []], ["a", "B"])
    assert y.tolist() == [[1, 0], [1, 1], [0, 0]]


label_text = st.text(
    st.characters(blacklist_characters=";\r\n", blacklist_categories=["Cs"]),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip())


@given(st.lists(label_text, min_size=1, max_size=6), st.data())
def test_any_label_string_parses_to_the_same_set(labels, data):
    # Any spacing and separator repetition around the labels gives the same set.
    pads = [data.draw(st.sampled_from(["", " ", "  ", "\t"])) for _ in labels]
    joined = ";".join(f"{p}{label}{p}" for p, label in zip(pads, labels, strict=True))
    joined += data.draw(st.sampled_from(["", ";", " ; "]))
    parsed = parse_label_string(joined, ";")
    expected = {" ".join(label.split()).casefold() for label in labels}
    assert {label.casefold() for label in parsed} == expected
    assert len(parsed) == len(expected)
    assert np.all([label == label.strip() for label in parsed])
