from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allegations.errors import ColumnError, LabelError
from allegations.training._labels import (
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
        match="Column 'labels' not found in t.csv; columns are: text, cats. Pass `labels_col`",
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


# -- near-duplicate names, numeric order, code names (issue 19.4) ---------------------------
from allegations.training._labels import (  # noqa: E402
    check_similar_labels,
    edit_distance,
    label_sort_key,
    load_label_names,
    rename_labels,
    similar_labels,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("PHYSICAL ABUSSE", "PHYSICAL ABUSE"),
        ("Physical-Abuse", "PHYSICAL ABUSE"),
        ("use of force", "useofforce"),
        ("threats", "threat"),
        ("sexual harrassment", "sexual harassment"),
        ("Lack Of Servcie", "LACK OF SERVICE"),
    ],
)
def test_similar_labels_finds_typos_and_spacing_variants(a, b):
    assert similar_labels({a: 1, b: 9}) == [(a, b)]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1", "2"),
        ("code 12", "code 13"),
        ("resolved", "unresolved"),
        ("expulsion", "exclusion"),
        ("fraud", "theft"),
        ("PHYSICAL ABUSE", "VERBAL ABUSE"),
    ],
)
def test_similar_labels_leaves_distinct_labels_alone(a, b):
    assert similar_labels({a: 1, b: 9}) == []


def test_edit_distance_counts_swaps_and_stops_at_limit():
    assert edit_distance("abuse", "abuse") == 0
    assert edit_distance("abuse", "absue") == 1
    assert edit_distance("abuse", "abusse") == 1
    assert edit_distance("abcdef", "uvwxyz", limit=2) == 3


def test_check_similar_labels_says_did_you_mean_with_counts():
    sets = [["PHYSICAL ABUSE"]] * 3 + [["PHYSICAL ABUSSE"], ["VERBAL ABUSE"]]
    labels, sets = canonical_labels(sets)
    with pytest.raises(
        LabelError,
        match=r"'PHYSICAL ABUSSE' \(1 case\): did you mean 'PHYSICAL ABUSE' \(3 cases\)\?.*"
        "`allow_similar_labels`",
    ):
        check_similar_labels(sets, labels)
    check_similar_labels(*reversed(canonical_labels([["a"], ["b"]])))


def test_codebook_error_suggests_the_close_codebook_label():
    with pytest.raises(LabelError, match=r"'Fraudd' \(did you mean 'fraud'\?\)"):
        canonical_labels([["Fraudd"]], known=["fraud", "theft"])


def test_numeric_codes_sort_by_value():
    labels, _ = canonical_labels([["10"], ["2"], ["1"], ["11"], ["code 10"], ["code 9"]])
    assert labels == ["1", "2", "10", "11", "code 9", "code 10"]
    assert sorted(["b", "A", "c"], key=label_sort_key) == ["A", "b", "c"]


def test_case_variant_takes_the_most_frequent_spelling_not_the_first():
    labels, sets = canonical_labels([["physical abuse"], ["PHYSICAL ABUSE"], ["PHYSICAL ABUSE"]])
    assert labels == ["PHYSICAL ABUSE"]
    assert sets == [["PHYSICAL ABUSE"]] * 3


def test_label_names_map_codes_to_names(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("code,name\n1,Physical abuse\n2,Verbal abuse\n 10 ,Lack of service\n")
    names = load_label_names(path)
    assert names == {"1": "Physical abuse", "2": "Verbal abuse", "10": "Lack of service"}
    assert rename_labels([["1", "10"], [], ["2", "Verbal abuse"]], names) == [
        ["Physical abuse", "Lack of service"],
        [],
        ["Verbal abuse"],
    ]
    with pytest.raises(LabelError, match=r"1 label code\(s\) are not in codes.csv: '7' \(2 rows\)"):
        rename_labels([["7"], ["7"]], names, "codes.csv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code\n1\n", "has 1 column"),
        ("code,name\n1,a\n1,b\n", "Code '1' appears twice"),
        ("code,name\n1,\n", "Row 2 of codes.csv has an empty name"),
        ("code,name\n", "has no rows"),
    ],
)
def test_bad_label_names_file_is_a_label_error(tmp_path, text, message):
    path = tmp_path / "codes.csv"
    path.write_text(text)
    with pytest.raises(LabelError, match=message):
        load_label_names(path)
