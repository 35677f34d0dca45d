"""What changed between two releases: columns, rows, near-duplicate narratives."""

from __future__ import annotations

import pandas as pd

from allegations.release._changes import compare_columns, compare_rows, near_duplicates


def test_columns_added_removed_renamed():
    old = pd.DataFrame({"id": ["1", "2", "3"], "text": ["a", "b", "c"], "gone": ["x", "y", "z"]})
    new = pd.DataFrame(
        {"id": ["1", "2", "4"], "narrative": ["a", "b", "d"], "new": ["p", "q", "r"]}
    )
    cols = compare_columns(old, new)
    assert cols["renamed"] == [{"from": "text", "to": "narrative", "value_overlap": 0.5}]
    assert cols["added"] == ["new"] and cols["removed"] == ["gone"] and cols["kept"] == ["id"]


def test_rows_by_id_and_by_text():
    by_id = compare_rows(["a", "b", "c"], ["a", "B", "d"], ["1", "2", "3"], ["1", "2", "4"])
    assert (by_id["added"], by_id["removed"], by_id["edited"], by_id["unchanged"]) == (1, 1, 1, 1)
    assert by_id["edited_ids"] == ["2"]
    by_text = compare_rows(["a", "b", "b"], ["a", "b", "c"])
    assert (by_text["added"], by_text["removed"], by_text["edited"]) == (1, 1, None)


def test_near_duplicates_group_rows_that_differ_in_case_and_punctuation(trained_model):
    texts = [
        "Took cash from a friend.",
        "TOOK CASH FROM A FRIEND!",
        "Took cash from a friend.",
        "x",
    ]
    docs = trained_model.preprocess(texts).tolist()
    dup = near_duplicates(texts, docs, ["a", "b", "c", "d"])
    assert dup["exact_duplicate_rows"] == 1 and dup["near_duplicate_rows"] == 2
    assert dup["near_only_rows"] == 1
    assert dup["largest_groups"] == [{"size": 3, "ids": ["a", "b", "c"]}]
