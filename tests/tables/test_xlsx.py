"""XLSX output: a frozen header, a filter, widths; cells made safe; streamed rows."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from allegations.errors import OutputError
from allegations.tables._chunk_writer import open_writer
from allegations.tables._read import load_table
from allegations.tables._write import write_table
from allegations.tables._xlsx import MAX_WIDTH, MIN_WIDTH


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"C{i:03d}" for i in range(n)],
            "summary": [
                "=HYPERLINK(1)" if i == 0 else "Officer ran a plate. " * 10 for i in range(n)
            ],
            "p_query": [round(i / max(n, 1), 4) for i in range(n)],
            "needs_review": [i % 2 == 0 for i in range(n)],
        }
    )


def test_write_table_xlsx_has_frozen_header_filter_and_widths(tmp_path: Path):
    path = tmp_path / "t.xlsx"
    report = write_table(_frame(12), path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D13"
    widths = [sheet.column_dimensions[c].width for c in "ABCD"]
    assert all(MIN_WIDTH <= w <= MAX_WIDTH for w in widths)
    assert widths[1] == MAX_WIDTH  # the long text column is capped
    assert widths[0] < widths[1]
    assert report.neutralised == 1
    assert sheet["B2"].value == "'=HYPERLINK(1)"  # formulas never run
    assert sheet["C3"].value == pytest.approx(1 / 12, abs=1e-4)  # numbers stay numbers
    assert sheet["D2"].value is True
    back = load_table(path)
    assert back["id"].tolist() == _frame(12)["id"].tolist()


def test_chunks_stream_into_one_sheet(tmp_path: Path):
    path = tmp_path / "t.xlsx"
    frame = _frame(25)
    with open_writer(path, None) as writer:
        for start in range(0, 25, 10):
            writer.write(frame.iloc[start : start + 10])
    sheet = openpyxl.load_workbook(path).active
    assert sheet.max_row == 26 and sheet.auto_filter.ref == "A1:D26"
    assert load_table(path)["id"].tolist() == frame["id"].tolist()


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import allegations.tables._write as table_writer

    monkeypatch.setattr(table_writer, "EXCEL_MAX_ROWS", 11)
    path = tmp_path / "t.xlsx"
    with pytest.raises(OutputError, match="More than 10 rows do not fit"):
        with open_writer(path, None) as writer:
            writer.write(_frame(8))
            writer.write(_frame(8))
    assert list(tmp_path.iterdir()) == []


def test_empty_table_gets_its_header(tmp_path: Path):
    path = tmp_path / "t.xlsx"
    write_table(_frame(0), path)
    sheet = openpyxl.load_workbook(path).active
    assert [c.value for c in sheet[1]] == ["id", "summary", "p_query", "needs_review"]
