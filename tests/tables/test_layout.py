"""The layout of a table: separators, title rows above the header, header-less files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from allegations.errors import ColumnError, InputError
from allegations.tables._columns import require_column
from allegations.tables._read import load_table
from allegations.tables._write import write_table

FRAME = pd.DataFrame({"id": ["007", "2"], "text": ["Agent ran a plate, then left.", 'ÉLAN "q"']})

LAYOUT_ROWS = [["case", "date", "summary"]] + [
    [f"C{i}", "2014-02-0{i}", f"Officer, on patrol; said {i} things"] for i in range(1, 8)
]


def _write_rows(path: Path, rows: list[list[str]], sep: str, above: str = "") -> Path:
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows)
    path.write_text(above + buf.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_separator_is_detected_and_reported(tmp_path: Path, sep: str):
    from allegations.tables import ReadReport, TableOptions, open_table

    path = _write_rows(tmp_path / "t.csv", LAYOUT_ROWS, sep)
    report = ReadReport()
    df = load_table(path, report=report)
    assert df.columns.tolist() == ["case", "date", "summary"]
    assert df["summary"].tolist() == [r[2] for r in LAYOUT_ROWS[1:]]
    assert (report.sep, report.sep_detected) == (sep, True)
    stream = open_table(path, TableOptions(), chunk_rows=3)
    assert pd.concat(list(stream), ignore_index=True).equals(df)
    assert stream.report.sep == sep


def test_given_separator_wins(tmp_path: Path):
    from allegations.tables import TableOptions

    path = _write_rows(tmp_path / "t.csv", LAYOUT_ROWS, ",")
    assert load_table(path, TableOptions(sep=",")).shape == (7, 3)
    with pytest.raises(InputError, match="record 1 .* if the separator is not .* pass `sep`"):
        load_table(path, TableOptions(sep=";"))  # a wrong choice is the user's to make


def test_title_rows_above_the_header(tmp_path: Path):
    from allegations.tables import TableOptions, open_table

    above = "Complaints export\r\nGenerated 2018-07-01\r\n"
    path = _write_rows(tmp_path / "t.csv", LAYOUT_ROWS, ";", above)
    opts = TableOptions.from_layout(header_row=3, text_col="summary")
    df = load_table(path, opts)
    assert df.columns.tolist() == ["case", "date", "summary"] and len(df) == 7
    stream = open_table(path, opts, chunk_rows=4)
    assert pd.concat(list(stream), ignore_index=True).equals(df)
    # Without --header-row, the message names the header's line, and no data cell.
    plain = load_table(path, TableOptions(on_bad_rows="skip"))
    with pytest.raises(ColumnError, match="'summary' is on line 3 of the file: pass `header_row`"):
        require_column(plain, "summary", path.name, "text_col", path=path, options=TableOptions())


def test_bad_record_after_a_title_suggests_header_row(tmp_path: Path):
    path = _write_rows(tmp_path / "t.csv", LAYOUT_ROWS, ",", "Complaints export\r\n")
    with pytest.raises(InputError, match="pass `header_row` with the header's line number"):
        load_table(path)


def test_no_header_numbers_the_columns(tmp_path: Path):
    from allegations.tables import ReadReport, TableOptions, open_table

    path = _write_rows(tmp_path / "t.csv", LAYOUT_ROWS[1:], "\t")
    report = ReadReport()
    opts = TableOptions(no_header=True)
    df = load_table(path, opts, report=report)
    assert df.columns.tolist() == ["column_1", "column_2", "column_3"]
    assert df["column_1"].tolist() == [f"C{i}" for i in range(1, 8)]  # the first row is data
    assert report.n_records == 7
    stream = open_table(path, opts, chunk_rows=3)
    chunks = list(stream)
    assert pd.concat(chunks, ignore_index=True).equals(df)
    assert stream.record_numbers == [7]


def test_xlsx_title_row_and_no_header(tmp_path: Path):
    import openpyxl

    from allegations.tables import TableOptions

    path = tmp_path / "t.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Philadelphia complaints, 2013-2018"])
    sheet.append([])
    for row in LAYOUT_ROWS:
        sheet.append(row)
    book.save(path)
    df = load_table(path, TableOptions.from_layout(header_row=3))
    assert df.columns.tolist() == ["case", "date", "summary"] and len(df) == 7
    plain = load_table(path)
    with pytest.raises(ColumnError, match="'summary' is on row 3 of the file: pass `header_row` 3"):
        require_column(plain, "summary", path.name, "text_col", path=path, options=TableOptions())
    headless = load_table(path, TableOptions(skip_rows=3, no_header=True))
    assert headless.columns.tolist() == ["column_1", "column_2", "column_3"]
    assert headless["column_1"].tolist() == [f"C{i}" for i in range(1, 8)]


def test_layout_options_refused_where_they_do_not_apply(tmp_path: Path):
    from allegations.tables import TableOptions

    write_table(FRAME, tmp_path / "t.jsonl")
    with pytest.raises(InputError, match="`sep` applies to .csv and .tsv files only"):
        load_table(tmp_path / "t.jsonl", TableOptions(sep=";"))
    with pytest.raises(InputError, match="`no_header` apply to CSV, TSV and XLSX"):
        load_table(tmp_path / "t.jsonl", TableOptions(no_header=True))
