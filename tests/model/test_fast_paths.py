"""Vectorised output paths give exactly what the plain per-row code gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from allegations.model._tagger import join_labels
from allegations.tables._write import format_rounded_floats


@pytest.mark.parametrize("n_labels", [1, 9, 70])  # 70: past the one-integer-per-row limit
def test_join_labels_matches_a_per_row_join(n_labels):
    rng = np.random.default_rng(n_labels)
    decided = (rng.random((2000, n_labels)) < 0.2).astype(np.int8)
    names = [f"label_{i}" for i in range(n_labels)]
    plain = np.array(names, dtype=object)
    expected = [";".join(plain[row.astype(bool)]) for row in decided]
    assert join_labels(decided, names) == expected
    assert join_labels(decided[:0], names) == []


def test_rounded_floats_are_written_exactly_as_pandas_writes_them():
    rng = np.random.default_rng(0)
    every = np.arange(10_001) / 1e4  # every value with four decimals in [0, 1]
    frame = pd.DataFrame(
        {
            "p_a": np.r_[every, np.round(rng.random(5000), 4)],
            "raw": np.r_[every, rng.random(5000)] / 3,  # not rounded: left alone
            "wide": np.r_[every, np.zeros(5000)] * 3,  # beyond 1: left alone
            "text": "x",
        }
    )
    formatted = format_rounded_floats(frame)
    assert formatted["p_a"].dtype == object
    assert formatted["raw"].dtype == formatted["wide"].dtype == np.float64
    assert formatted.to_csv(index=False) == frame.to_csv(index=False)
    assert frame["p_a"].dtype == np.float64  # the input frame is not changed


def test_rounded_floats_with_missing_values_are_left_alone():
    frame = pd.DataFrame({"p": [0.5, np.nan]})
    assert format_rounded_floats(frame) is frame


def test_freeze_gc_gives_the_same_output(tmp_path, trained_model, corpus):
    """The command line freezes the collector's view of the loaded model and libraries;
    the output is byte-for-byte that of a run without it."""
    import gc

    from allegations.batch._workflows import predict_file

    data = tmp_path / "in.csv"
    corpus[["id", "text"]].to_csv(data, index=False)
    plain, frozen = tmp_path / "plain.csv", tmp_path / "frozen.csv"
    predict_file(data, plain, trained_model, id_col="id", chunk_rows=40)
    try:
        predict_file(data, frozen, trained_model, id_col="id", chunk_rows=40, freeze_gc=True)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert plain.read_bytes() == frozen.read_bytes()
