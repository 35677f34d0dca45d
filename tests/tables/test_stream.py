"""Chunked readers, incremental writers and the streaming predict job."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allegations.batch._workflows import predict_file, summary_path
from allegations.errors import ColumnError, InputError, OutputError
from allegations.tables import nested_records
from allegations.tables._read import load_table, sha256_file
from allegations.tables._stream import open_table
from allegations.tables._write import write_table

from ..conftest import make_corpus

FORMATS = ("csv", "tsv", "jsonl", "parquet", "xlsx")


def _write_input(df: pd.DataFrame, path: Path) -> Path:
    fmt = path.suffix[1:]
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "tsv":
        df.to_csv(path, index=False, sep="\t")
    elif fmt == "jsonl":
        df.to_json(path, orient="records", lines=True, force_ascii=False)
    elif fmt == "parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_excel(path, index=False)
    return path


@pytest.fixture(scope="module")
def release() -> pd.DataFrame:
    df = make_corpus(53, seed=7)[["id", "text"]].copy()
    df.loc[3, "text"] = ""  # an empty narrative
    df.loc[5, "text"] = 'He said "stop, now" and left;\nthen returned.'  # quotes, newline
    df.loc[8, "text"] = "Agent took cash from café owner — 100 €"
    df.loc[12, "text"] = df.loc[9, "text"]  # exact duplicates are scored once per chunk
    df.loc[13, "text"] = df.loc[9, "text"]
    df["id"] = ["00" + s for s in df["id"]]  # leading zeros must survive
    return df


def _reference(model, data: Path, out: Path, id_col: str | None = "id") -> None:
    """The in-memory path: load the whole table, predict, write once."""
    df = load_table(data)
    ids = df[id_col].tolist() if id_col else list(range(1, len(df) + 1))
    frame = model.predict(df["text"].tolist(), ids=ids)
    write_table(nested_records(frame, model.labels) if out.suffix == ".jsonl" else frame, out)


def _same_output(a: Path, b: Path) -> None:
    if a.suffix in (".csv", ".tsv", ".jsonl"):
        assert a.read_bytes() == b.read_bytes()
    elif a.suffix == ".parquet":
        pd.testing.assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b))
    else:
        pd.testing.assert_frame_equal(pd.read_excel(a, dtype=str), pd.read_excel(b, dtype=str))


@pytest.mark.parametrize("fmt", FORMATS)
def test_chunks_equal_load_table(tmp_path: Path, release: pd.DataFrame, fmt: str):
    path = _write_input(release, tmp_path / f"release.{fmt}")
    stream = open_table(path, chunk_rows=10)
    chunks = list(stream)
    assert [len(c) for c in chunks] == [10, 10, 10, 10, 10, 3]
    whole = pd.concat(chunks, ignore_index=True)
    pd.testing.assert_frame_equal(whole, load_table(path), check_dtype=False)
    assert stream.columns == ["id", "text"]
    assert stream.sha256 == sha256_file(path)
    assert stream.fraction_done() == pytest.approx(1.0)


@pytest.mark.parametrize("in_fmt", FORMATS)
def test_streamed_predictions_equal_in_memory_for_every_input_format(
    tmp_path: Path, trained_model, release: pd.DataFrame, in_fmt: str
):
    data = _write_input(release, tmp_path / f"release.{in_fmt}")
    streamed, reference = tmp_path / "streamed.csv", tmp_path / "reference.csv"
    summary = predict_file(data, streamed, trained_model, id_col="id", chunk_rows=7)
    _reference(trained_model, data, reference)
    _same_output(streamed, reference)
    assert summary["rows"] == len(release)


@pytest.mark.parametrize("out_fmt", FORMATS)
def test_streamed_predictions_equal_in_memory_for_every_output_format(
    tmp_path: Path, trained_model, release: pd.DataFrame, out_fmt: str
):
    data = _write_input(release, tmp_path / "release.csv")
    streamed, reference = tmp_path / f"streamed.{out_fmt}", tmp_path / f"reference.{out_fmt}"
    predict_file(data, streamed, trained_model, chunk_rows=5)
    _reference(trained_model, data, reference, id_col=None)
    _same_output(streamed, reference)


def test_empty_table_gets_a_header(tmp_path: Path, trained_model):
    data = tmp_path / "empty.csv"
    data.write_text("id,text\n", encoding="utf-8")
    for fmt in ("csv", "parquet"):
        out = tmp_path / f"out.{fmt}"
        result = predict_file(data, out, trained_model)
        assert result["rows"] == 0
        back = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
        assert list(back.columns)[:2] == ["id", "labels"] and len(back) == 0


def test_cp1252_fallback_warns_and_matches(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    path = tmp_path / "legacy.csv"
    path.write_bytes("id,text\n1,caf\xe9 owner paid\n2,na\xefve\n".encode("cp1252"))
    with caplog.at_level("WARNING", logger="allegations"):
        chunks = list(open_table(path, chunk_rows=1))
    assert "is not UTF-8" in caplog.text and "read it as cp1252" in caplog.text
    whole = pd.concat(chunks, ignore_index=True)
    assert whole["text"].tolist() == ["café owner paid", "naïve"]


def test_bad_encoding_name_is_an_input_error(tmp_path: Path, release: pd.DataFrame):
    path = _write_input(release, tmp_path / "r.csv")
    with pytest.raises(InputError, match="Unknown encoding 'klingon'"):
        open_table(path, encoding="klingon")


@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
        min_size=1,
        max_size=25,
    ),
    st.integers(min_value=1, max_value=6),
)
def test_csv_chunks_round_trip_any_text(tmp_path_factory, cells: list[str], chunk_rows: int):
    path = tmp_path_factory.mktemp("prop") / "t.csv"
    df = pd.DataFrame({"id": [f"{i:03d}" for i in range(len(cells))], "text": cells})
    df.to_csv(path, index=False, lineterminator="\r\n")  # as our writers: CR in a cell is quoted
    whole = load_table(path)
    chunks = list(open_table(path, chunk_rows=chunk_rows))
    streamed = pd.concat(chunks, ignore_index=True) if chunks else whole.iloc[:0]
    pd.testing.assert_frame_equal(streamed, whole, check_dtype=False, check_index_type=False)


def test_summary_json_records_provenance(tmp_path: Path, model_dir: Path, release: pd.DataFrame):
    data = _write_input(release, tmp_path / "release.jsonl")
    with data.open("a", encoding="utf-8") as fh:
        fh.write("\n   \n")  # two blank lines: not records, so nothing is skipped
    out = tmp_path / "tagged.csv"
    result = predict_file(data, out, model_dir, id_col="id", chunk_rows=10)
    summary = json.loads(summary_path(out).read_text(encoding="utf-8"))
    assert summary_path(out).name == "tagged.csv.summary.json"
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert summary["input"]["sha256"] == sha256_file(data)
    assert summary["input"]["rows"] == len(release)
    assert summary["model"]["id"] == manifest["model_id"] and summary["model"]["version"]
    assert set(summary["thresholds"]) == set(manifest["labels"])
    tagged = pd.read_csv(out, keep_default_na=False, dtype=str)
    for label in manifest["labels"]:
        expected = sum(label in s.split(";") for s in tagged["labels"])
        assert summary["label_counts"][label] == expected
    assert summary["no_label"] == int((tagged["labels"] == "").sum())
    assert summary["needs_review"] == int((tagged["needs_review"] == "True").sum())
    assert summary["skipped"] == {"rows": 0, "reasons": {}, "record_numbers": []}
    assert summary["empty_text"] >= 1
    assert summary["distinct_texts_scored"] <= len(release) - 1  # rows 12 and 13 repeat
    timings = summary["timings_seconds"]
    assert set(timings) == {
        "read",
        "preprocess",
        "features",
        "classify",
        "label",
        "write",
        "total",
    }
    assert all(v >= 0 for v in timings.values()) and timings["total"] > 0
    assert result["summary"] == summary


def test_failure_midway_leaves_destination_untouched(
    tmp_path: Path, trained_model, release: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
):
    data = _write_input(release, tmp_path / "release.csv")
    out = tmp_path / "tagged.csv"
    out.write_text("previous run\n", encoding="utf-8")
    calls = {"n": 0}
    original = trained_model.frame_from_proba

    def failing(proba, ids, blank=None, decided=None):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(proba, ids, blank, decided)

    monkeypatch.setattr(trained_model, "frame_from_proba", failing)
    with pytest.raises(KeyboardInterrupt):
        predict_file(data, out, trained_model, chunk_rows=10)
    assert out.read_text(encoding="utf-8") == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release.csv", "tagged.csv"]


def test_missing_columns_fail_before_anything_is_written(
    tmp_path: Path, trained_model, release: pd.DataFrame
):
    for fmt in ("csv", "jsonl"):
        data = _write_input(release, tmp_path / f"release.{fmt}")
        out = tmp_path / f"out-{fmt}.csv"
        with pytest.raises(ColumnError, match="Column 'narrative' not found"):
            predict_file(data, out, trained_model, text_col="narrative")
        with pytest.raises(ColumnError, match="Column 'case' not found .* Pass `id_col`"):
            predict_file(data, out, trained_model, id_col="case")
        assert not out.exists()
    assert not list(tmp_path.glob(".*"))


def test_xlsx_output_row_limit_is_checked(
    tmp_path: Path, trained_model, release: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
):
    import allegations.tables._write as table_writer

    monkeypatch.setattr(table_writer, "EXCEL_MAX_ROWS", 21)  # 20 rows under the header
    # Parquet says its length up front: refused before tagging; CSV is not read twice to
    # count its rows: refused as the rows are written (nothing is left behind either way).
    for name, message in (
        ("release.parquet", "53 rows do not fit in one Excel sheet"),
        ("release.csv", "More than 20 rows do not fit in one Excel sheet"),
    ):
        data = _write_input(release, tmp_path / name)
        with pytest.raises(OutputError, match=message):
            predict_file(data, tmp_path / "out.xlsx", trained_model, chunk_rows=8)
        assert not (tmp_path / "out.xlsx").exists()
        assert not list(tmp_path.glob(".out.xlsx*"))


def test_progress_callback_reports_rows_and_share(
    tmp_path: Path, trained_model, release: pd.DataFrame
):
    data = _write_input(release, tmp_path / "release.csv")
    seen: list[tuple[int, float | None]] = []
    predict_file(
        data,
        tmp_path / "o.csv",
        trained_model,
        chunk_rows=10,
        progress=lambda r, f: seen.append((r, f)),
    )
    assert [r for r, _ in seen] == [10, 20, 30, 40, 50, 53]
    fractions = [f for _, f in seen]
    assert all(f is not None for f in fractions)
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


def test_return_frame_matches_file(tmp_path: Path, trained_model, release: pd.DataFrame):
    data = _write_input(release, tmp_path / "release.csv")
    result = predict_file(
        data, tmp_path / "o.parquet", trained_model, chunk_rows=9, return_frame=True
    )
    pd.testing.assert_frame_equal(result["frame"], pd.read_parquet(tmp_path / "o.parquet"))
    assert np.array_equal(result["frame"]["id"], np.arange(1, len(release) + 1))
