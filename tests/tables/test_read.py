from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from allegations.errors import InputError, MissingFileError
from allegations.tables._read import load_table
from allegations.tables._write import write_table

FRAME = pd.DataFrame({"id": ["007", "2"], "text": ["Agent ran a plate, then left.", 'ÉLAN "q"']})


@pytest.mark.parametrize("ext", [".csv", ".tsv", ".jsonl", ".parquet", ".xlsx"])
def test_round_trip_every_format(tmp_path: Path, ext: str):
    path = tmp_path / f"t{ext}"
    write_table(FRAME, path)
    back = load_table(path)
    assert back.columns.tolist() == ["id", "text"]
    assert back["id"].tolist() == ["007", "2"]  # leading zeros kept: all cells are text
    assert back["text"].tolist() == FRAME["text"].tolist()


def test_missing_file(tmp_path: Path):
    with pytest.raises(MissingFileError, match="nope.csv not found"):
        load_table(tmp_path / "nope.csv")


def test_unknown_extension(tmp_path: Path):
    (tmp_path / "t.doc").write_text("x")
    with pytest.raises(InputError, match="extension '.doc' is not one of"):
        load_table(tmp_path / "t.doc")


def test_empty_csv(tmp_path: Path):
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(InputError, match="e.csv is empty: it has no header row"):
        load_table(tmp_path / "e.csv")


def test_cp1252_fallback_warns(tmp_path: Path, caplog):
    (tmp_path / "w.csv").write_bytes("text\nna\xefve caf\xe9 \x93quoted\x94\n".encode("latin-1"))
    df = load_table(tmp_path / "w.csv")
    assert df.text[0] == "naïve café \u201cquoted\u201d"
    assert "w.csv is not UTF-8 (byte 0xef at offset 7, line 2); read it as cp1252" in caplog.text


def test_bad_jsonl_line_number(tmp_path: Path):
    (tmp_path / "b.jsonl").write_text('{"text": "a"}\n\n{"text": \n')
    with pytest.raises(InputError, match="line 3 is not valid JSON"):
        load_table(tmp_path / "b.jsonl")


def test_jsonl_non_object(tmp_path: Path):
    (tmp_path / "b.jsonl").write_text('["a"]\n')
    with pytest.raises(InputError, match="line 1 is not a JSON object"):
        load_table(tmp_path / "b.jsonl")


def test_xlsx_sheets(tmp_path: Path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        FRAME.to_excel(writer, sheet_name="first", index=False)
        pd.DataFrame({"text": ["other"]}).to_excel(writer, sheet_name="second", index=False)
    assert load_table(path, sheet="second")["text"].tolist() == ["other"]
    with pytest.raises(
        InputError, match="Sheet 'third' not found in book.xlsx; sheets are: first, second"
    ):
        load_table(path, sheet="third")


def test_corrupt_xlsx(tmp_path: Path):
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="not a readable .xlsx workbook"):
        load_table(tmp_path / "bad.xlsx")
