from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from allegations.errors import ColumnError, InputError, MissingFileError, OutputError
from allegations.tables.read import atomic_write, load_table, require_column, write_table

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


def test_require_column_lists_columns():
    with pytest.raises(
        ColumnError,
        match="Column 'narrative' not found in cases.csv; columns are: id, text. Pass --text-col.",
    ):
        require_column(FRAME, "narrative", "cases.csv", "--text-col")


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target, "w") as fh:
        fh.write("partial")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_to_missing_folder(tmp_path: Path):
    with pytest.raises(OutputError, match="does not exist; create it"):
        write_table(FRAME, tmp_path / "no" / "out.csv")


def test_jsonl_keeps_lists(tmp_path: Path):
    path = tmp_path / "o.jsonl"
    write_table(pd.DataFrame({"labels": [["a", "b"], []]}), path)
    assert [json.loads(line)["labels"] for line in path.read_text().splitlines()] == [
        ["a", "b"],
        [],
    ]


# -- layout: separators, title rows, header-less files -----------------------------------

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
    with pytest.raises(InputError, match="record 1 .* if the separator is not .* pass --sep"):
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
    with pytest.raises(ColumnError, match="'summary' is on line 3 of the file: pass --header-r"):
        require_column(plain, "summary", path.name, "--text-col", path=path, options=TableOptions())


def test_bad_record_after_a_title_suggests_header_row(tmp_path: Path):
    path = _write_rows(tmp_path / "t.csv", LAYOUT_ROWS, ",", "Complaints export\r\n")
    with pytest.raises(InputError, match="pass --header-row with the header's line number"):
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
    with pytest.raises(ColumnError, match="'summary' is on row 3 of the file: pass --header-row 3"):
        require_column(plain, "summary", path.name, "--text-col", path=path, options=TableOptions())
    headless = load_table(path, TableOptions(skip_rows=3, no_header=True))
    assert headless.columns.tolist() == ["column_1", "column_2", "column_3"]
    assert headless["column_1"].tolist() == [f"C{i}" for i in range(1, 8)]


def test_layout_options_refused_where_they_do_not_apply(tmp_path: Path):
    from allegations.tables import TableOptions

    write_table(FRAME, tmp_path / "t.jsonl")
    with pytest.raises(InputError, match="--sep applies to .csv and .tsv files only"):
        load_table(tmp_path / "t.jsonl", TableOptions(sep=";"))
    with pytest.raises(InputError, match="--no-header apply to CSV, TSV and XLSX"):
        load_table(tmp_path / "t.jsonl", TableOptions(no_header=True))
