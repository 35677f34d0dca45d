"""Messy records releases, hostile outputs and storage faults, one test per case.

The cases follow the checklist of ../shared/research/reliability.md (numbers in the test
docstrings). The same cases run through the installed console script in test_pii.py.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from allegations.batch._workflows import predict_file
from allegations.errors import BadRecordError, ColumnError, InputError, OutputError
from allegations.tables import (
    EXCEL_MAX_CELL,
    EXCEL_MAX_ROWS,
    ReadReport,
    atomic_write,
    check_header,
    detect_encoding,
    iter_delimited_records,
    load_table,
    neutralise_formula,
    neutralise_frame,
    require_column,
    warn_numbers_only,
    write_table,
)

from .conftest import make_corpus

# -- 1-4: encodings ----------------------------------------------------------------------


def test_cp1252_is_read_with_a_warning_naming_the_encoding(tmp_path: Path, caplog):
    """Checklist 1: smart quotes, en dash and é in Windows-1252."""
    path = tmp_path / "w.csv"
    path.write_bytes("id,text\n1,\u201cNo\u201d \u2013 caf\u00e9\n".encode("cp1252"))
    report = ReadReport()
    df = load_table(path, report=report)
    assert df["text"].tolist() == ["\u201cNo\u201d \u2013 caf\u00e9"]
    assert not any("\x80" <= ch <= "\x9f" for ch in df["text"][0])  # no latin-1 C1 controls
    assert (report.encoding, report.encoding_warned) == ("cp1252", True)
    assert (
        "w.csv is not UTF-8 (byte 0x93 at offset 10, line 2); read it as cp1252 "
        "(Windows-1252). Pass `encoding` to choose another encoding." in caplog.text
    )


def test_bytes_undefined_in_utf8_and_cp1252_are_refused(tmp_path: Path):
    """Checklist 2: 0x81 is undefined in cp1252; never a silent latin-1 or U+FFFD."""
    path = tmp_path / "u.csv"
    path.write_bytes(b"id,text\n1,ok\n2,bad \x81 byte\n")
    with pytest.raises(
        InputError,
        match=r"u.csv is neither UTF-8 nor Windows-1252 text: byte 0x81 at offset 19, line 3 "
        r"is valid in neither. Pass the right `encoding`",
    ):
        load_table(path)


def test_explicit_latin1_reads_anything(tmp_path: Path):
    path = tmp_path / "u.csv"
    path.write_bytes(b"id,text\n2,bad \x81 byte\n")
    assert load_table(path, encoding="latin-1")["text"].tolist() == ["bad \x81 byte"]


def test_mixed_encodings_are_refused(tmp_path: Path):
    """Checklist 3: UTF-8 rows followed by cp1252 rows (two exports joined)."""
    path = tmp_path / "m.csv"
    path.write_bytes("id,text\n1,café\n".encode() + "2,caf\u00e9\n".encode("cp1252"))
    with pytest.raises(
        InputError,
        match=r"m.csv mixes encodings: line 2 holds UTF-8 text, but byte 0xe9 at offset 21, "
        r"line 3 is not UTF-8",
    ):
        load_table(path)
    # cp1252 rows first, UTF-8 later: still refused, not read as cp1252 mojibake.
    path.write_bytes("id,text\n2,caf\u00e9\n".encode("cp1252") + "1,café\n".encode())
    with pytest.raises(InputError, match="m.csv mixes encodings: line 3 holds UTF-8 text"):
        load_table(path)


@pytest.mark.parametrize(
    ("encoding", "sep", "ext"), [("utf-8-sig", ",", ".csv"), ("utf-16", "\t", ".tsv")]
)
def test_byte_order_marks(tmp_path: Path, encoding: str, sep: str, ext: str):
    """Checklist 4: Excel 'CSV UTF-8' and 'Unicode Text' (UTF-16 LE + BOM, tabs)."""
    path = tmp_path / f"bom{ext}"
    path.write_bytes(f"Narrative{sep}id\nnaïve{sep}1\n".encode(encoding))
    df = load_table(path)
    assert df.columns.tolist() == ["Narrative", "id"]
    assert df["Narrative"].tolist() == ["naïve"]


def test_utf16_without_bom_is_refused(tmp_path: Path):
    path = tmp_path / "w.tsv"
    path.write_bytes("text\tid\nsome words here\t1\n".encode("utf-16-le"))
    with pytest.raises(InputError, match="looks like UTF-16 text without a byte-order mark"):
        load_table(path)
    assert load_table(path, encoding="utf-16-le")["id"].tolist() == ["1"]


def test_unknown_and_wrong_explicit_encoding(tmp_path: Path):
    path = tmp_path / "w.csv"
    path.write_bytes("text\n\u201cq\u201d\n".encode("cp1252"))
    with pytest.raises(InputError, match="Unknown encoding 'klingon'"):
        load_table(path, encoding="klingon")
    with pytest.raises(InputError, match="Unknown encoding 'base64'"):
        load_table(path, encoding="base64")
    with pytest.raises(
        InputError, match=r"w.csv is not valid utf-8 text: byte 0x93 at offset 5 \(line 2\)"
    ):
        load_table(path, encoding="utf-8")


def test_detect_encoding_is_reusable(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text("text\nplain\n", encoding="utf-8")
    assert detect_encoding(path) == ("utf-8-sig", False)
    assert detect_encoding(path, "ascii") == ("ascii", False)


def test_undecodable_byte_deep_in_a_large_file_is_found(tmp_path: Path):
    """The whole file is decoded, not a sample: a bad byte after 3 MB is still found."""
    path = tmp_path / "big.csv"
    body = b"1,plain text here\n" * 200_000
    path.write_bytes(b"id,text\n" + body + b"2,\x93q\x94\n")
    report = ReadReport()
    assert len(load_table(path, report=report)) == 200_001
    assert report.encoding == "cp1252"


# -- 5-6: records ------------------------------------------------------------------------


def test_embedded_newlines_doubled_quotes_and_mixed_line_endings(tmp_path: Path):
    """Checklist 5: one record per logical row, text kept byte for byte."""
    path = tmp_path / "e.csv"
    path.write_bytes(
        b'id,text\r\n1,"line one\r\nline two"\n2,"say ""hi"", then\rleave"\r3,plain\r\n'
    )
    df = load_table(path)
    assert df["id"].tolist() == ["1", "2", "3"]
    assert df["text"].tolist() == ["line one\r\nline two", 'say "hi", then\rleave', "plain"]


def test_na_looking_values_and_ids_are_kept_verbatim(tmp_path: Path):
    """Checklist 8."""
    path = tmp_path / "na.csv"
    path.write_text("id,text\n000123,NA\n0042,null\n7,None\n8,\n9,N/A\n")
    df = load_table(path)
    assert df["id"].tolist() == ["000123", "0042", "7", "8", "9"]
    assert df["text"].tolist() == ["NA", "null", "None", "", "N/A"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b"id,text,x\n1,a,b\n2,a,b,c\n3,a,b\n",
            "t.csv record 2 (line 3) has 4 fields; the header has 3. Fix that record in the "
            "file, or pass `on_bad_rows` skip",
        ),
        (
            b"id,text,x\n1,a,b\n2,a\n3,a,b\n",
            "t.csv record 2 (line 3) has 2 fields; the header has 3.",
        ),
        (
            b'id,text,x\n1,"a\nb",c\n2,"never closed,b\n3,a,b\n',
            "t.csv record 2 (line 4) opens a quote that is never closed, so it runs to the "
            "end of the file.",
        ),
        (
            b'id,text,x\n1,a,b\n2,"quoted" tail,b\n3,a,b\n',
            "t.csv record 2 (line 3) has text after a closing quote.",
        ),
    ],
    ids=["too-many", "too-few", "unclosed-quote", "text-after-quote"],
)
def test_malformed_record_stops_with_its_number(tmp_path: Path, body: bytes, message: str):
    """Checklist 6: never silently padded (pandas#15122) or swallowed."""
    path = tmp_path / "t.csv"
    path.write_bytes(body)
    with pytest.raises(BadRecordError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_table(path)


def test_skip_bad_rows_reports_count_and_numbers(tmp_path: Path, caplog):
    path = tmp_path / "t.csv"
    path.write_bytes(b"id,text\n1,a\n2,a,extra\n3,b\n\n4\n5,c\n")
    report = ReadReport()
    df = load_table(path, on_bad_rows="skip", report=report)
    assert df["id"].tolist() == ["1", "3", "5"]
    assert report.summary() == {"count": 2, "rows": [2, 4], "reason": "wrong number of fields"}
    assert report.kept_rows() == [1, 3, 5]
    assert (
        "Skipped 2 malformed record(s) of t.csv (record 2, 4: wrong number of fields); they "
        "are not in the output." in caplog.text
    )


def test_skip_an_unclosed_quote(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_bytes(b'id,text\n1,a\n2,"open\n3,b\n')
    report = ReadReport()
    df = load_table(path, on_bad_rows="skip", report=report)
    assert df["id"].tolist() == ["1"]
    assert report.summary()["rows"] == [2] and report.summary()["reason"] == "unclosed quote"


def test_unknown_bad_rows_policy(tmp_path: Path):
    (tmp_path / "t.csv").write_text("text\na\n")
    with pytest.raises(InputError, match="`on_bad_rows` must be one of error, skip, not 'warn'"):
        load_table(tmp_path / "t.csv", on_bad_rows="warn")


def test_iter_delimited_records_for_a_chunked_reader():
    """A chunk after the header: numbers continue from the caller's counters."""
    report = ReadReport()
    chunk = io.StringIO("a,b\nc\nd,e\n", newline="")
    rows = list(
        iter_delimited_records(
            chunk,
            ",",
            "big.csv",
            n_fields=2,
            on_bad_rows="skip",
            report=report,
            first_record=101,
            first_line=205,
        )
    )
    assert rows == [["a", "b"], ["d", "e"]]
    assert report.skipped == {102: "wrong number of fields"}
    with pytest.raises(BadRecordError, match=r"big.csv record 102 \(line 206\)"):
        list(
            iter_delimited_records(
                io.StringIO("a,b\nc\n", newline=""),
                ",",
                "big.csv",
                n_fields=2,
                first_record=101,
                first_line=205,
            )
        )


# -- 7: headers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("id,text,text", "'text' (column 2) and 'text' (column 3)"),
        ("id,Narrative ,NARRATIVE", "'Narrative ' (column 2) and 'NARRATIVE' (column 3)"),
    ],
)
def test_duplicate_column_names_are_refused(tmp_path: Path, header: str, message: str):
    """Checklist 7: never a silent 'Narrative.1'."""
    path = tmp_path / "d.csv"
    path.write_text(f"{header}\n1,a,b\n")
    with pytest.raises(InputError, match=re.escape(f"d.csv has duplicate column names: {message}")):
        load_table(path)


def test_blank_header_names_are_numbered():
    assert check_header(["id", "", " ", "text"], "x.csv") == [
        "id",
        "unnamed_2",
        "unnamed_3",
        "text",
    ]


def test_headerless_file_does_not_echo_narratives(tmp_path: Path):
    """A first row of data becomes the header: the error must not print it."""
    narrative = "Officer searched the database for his neighbour without any reason"
    path = tmp_path / "h.csv"
    path.write_text(f"17,{narrative},query\n18,{narrative},query\n")
    df = load_table(path)
    with pytest.raises(ColumnError) as caught:
        require_column(df, "text", "h.csv", "text_col")
    message = str(caught.value)
    assert narrative not in message and "neighbour" not in message
    # No cell of a first row that looks like data is shown, short ones included.
    assert "columns are: 3 cells of a first row that looks like data (not shown)" in message
    assert "17" not in message and "query" not in message
    assert "does the file have a header row? If not, pass `no_header`" in message


# -- empty, NUL, big cells, numbers ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [("e.csv", b""), ("e.csv", b"\n\n  \n"), ("e.tsv", b"\xef\xbb\xbf"), ("e.jsonl", b"\n")],
)
def test_empty_files(tmp_path: Path, name: str, data: bytes):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(InputError, match=f"{name} is empty"):
        load_table(tmp_path / name)


def test_header_only_file_is_a_table_with_no_rows(tmp_path: Path):
    (tmp_path / "h.csv").write_text("id,text\n")
    df = load_table(tmp_path / "h.csv")
    assert df.columns.tolist() == ["id", "text"] and len(df) == 0


def test_predict_on_zero_rows_writes_the_header(tmp_path: Path, trained_model):
    (tmp_path / "h.csv").write_text("id,text\n")
    summary = predict_file(tmp_path / "h.csv", tmp_path / "o.csv", trained_model)
    assert summary["rows"] == 0
    assert (tmp_path / "o.csv").read_text().splitlines() == [
        "id,labels,p_money,p_query,p_threat,confidence,needs_review"
    ]


def test_nul_bytes_are_removed_with_a_count(tmp_path: Path, caplog):
    path = tmp_path / "n.csv"
    path.write_bytes(b"id,text\n1,bro\x00ken\n2,fine\n3,\x00\x00\n")
    report = ReadReport()
    df = load_table(path, report=report)
    assert df["text"].tolist() == ["broken", "fine", ""]
    assert report.n_nul_cells == 2
    assert "n.csv: 2 cell(s) held NUL characters (\\x00); they were removed." in caplog.text


def test_a_one_megabyte_cell(tmp_path: Path, trained_model):
    big = ("Officer ran a records check on a friend. " * 25_000)[:1_000_000]
    path = tmp_path / "big.csv"
    pd.DataFrame({"id": ["1", "2"], "text": [big, "short"]}).to_csv(path, index=False)
    assert load_table(path)["text"].tolist() == [big, "short"]
    summary = predict_file(path, tmp_path / "o.jsonl", trained_model)
    assert summary["rows"] == 2


def test_numbers_only_text_column_warns(tmp_path: Path, caplog):
    df = pd.DataFrame({"text": ["123", "4.5", "", "2020-01-02"]})
    assert warn_numbers_only(df, "text", "n.csv")
    assert "Column 'text' of n.csv holds only numbers (3 non-blank rows)" in caplog.text
    assert not warn_numbers_only(pd.DataFrame({"text": ["1", "a word"]}), "text", "n.csv")


# -- 9: XLSX -----------------------------------------------------------------------------


def _book(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)


def test_xlsx_several_sheets_warns_and_reads_the_first(tmp_path: Path, caplog):
    path = tmp_path / "b.xlsx"
    _book(path, {"cases": [["id", "text"], ["007", "a"]], "notes": [["x"], ["y"]]})
    df = load_table(path)
    assert df.to_dict("list") == {"id": ["007"], "text": ["a"]}
    assert "b.xlsx has 2 sheets; reading the first, 'cases'. Pass `sheet`" in caplog.text
    assert load_table(path, sheet="notes")["x"].tolist() == ["y"]


def test_xlsx_duplicate_headers_and_empty_sheet(tmp_path: Path):
    path = tmp_path / "b.xlsx"
    _book(path, {"s": [["text", "Text"], ["a", "b"]], "empty": []})
    with pytest.raises(InputError, match=r"b.xlsx \(sheet 's'\) has duplicate column names"):
        load_table(path)
    with pytest.raises(InputError, match="Sheet 'empty' of b.xlsx is empty"):
        load_table(path, sheet="empty")


def test_corrupt_and_password_protected_xlsx(tmp_path: Path):
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="bad.xlsx is not a readable .xlsx workbook"):
        load_table(tmp_path / "bad.xlsx")
    # An encrypted workbook is an OLE2 compound file, not a zip.
    (tmp_path / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(InputError, match="locked.xlsx is password-protected \\(encrypted\\)"):
        load_table(tmp_path / "locked.xlsx")
    # A zip that is not a workbook.
    with zipfile.ZipFile(tmp_path / "zip.xlsx", "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(InputError, match="zip.xlsx is not a readable .xlsx workbook"):
        load_table(tmp_path / "zip.xlsx")


# -- 14: JSONL ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"text": "a"}\n\n{"text": \n', "b.jsonl line 3 is not valid JSON (record 2)"),
        (b'{"text": "a"}\n["a"]\n', "b.jsonl line 2 is not a JSON object"),
        (b'{"text": "a", "n": NaN}\n', "b.jsonl line 1 is not valid JSON"),
        (b'{"text": "a", "text": "b"}\n', "b.jsonl line 1 has the key 'text' more than once"),
        (b'{"text": "a"}\n{"text": "\xff"}\n', "b.jsonl line 2 is not valid UTF-8"),
        (b'{"text": "a"}\n{"text": "trunc', "b.jsonl line 2 is not valid JSON"),
        (
            b'{"text": "a"}\n{"text": "caf\\udce9"}\n',
            "b.jsonl line 2 holds a .u escape of half a character (a lone surrogate",
        ),
    ],
    ids=["not-json", "not-object", "nan", "duplicate-key", "not-utf8", "truncated", "surrogate"],
)
def test_bad_jsonl_lines(tmp_path: Path, body: bytes, message: str):
    """Checklist 14."""
    (tmp_path / "b.jsonl").write_bytes(body)
    with pytest.raises(BadRecordError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_table(tmp_path / "b.jsonl")


def test_jsonl_surrogate_pairs_are_text(tmp_path: Path):
    """A pair of surrogate escapes is one character (an emoji); an escaped backslash
    before "ud" is text too. Neither is a lone surrogate."""
    (tmp_path / "b.jsonl").write_bytes(b'{"text": "ok \\ud83d\\ude00 C:\\\\udata"}\n')
    assert load_table(tmp_path / "b.jsonl")["text"].tolist() == ["ok \U0001f600 C:\\udata"]


def test_jsonl_bom_blank_lines_and_skip(tmp_path: Path):
    (tmp_path / "b.jsonl").write_bytes(
        b'\xef\xbb\xbf{"id": "01", "text": "a"}\n\n   \n{bad\n{"id": 3, "text": null}\n'
    )
    report = ReadReport()
    df = load_table(tmp_path / "b.jsonl", on_bad_rows="skip", report=report)
    assert df.to_dict("list") == {"id": ["01", "3"], "text": ["a", ""]}
    assert report.summary() == {"count": 1, "rows": [2], "reason": "not valid JSON"}


# -- 15: Parquet -------------------------------------------------------------------------


def test_parquet_schema_surprises(tmp_path: Path):
    path = tmp_path / "p.parquet"
    table = pa.table(
        {
            "id": pa.array([1, 2, None], pa.int64()),
            "text": pa.array(["a", None, "c"], pa.large_string()),
            "kind": pa.array(["x", "y", "x"]).dictionary_encode(),
            "raw": pa.array([b"bytes", b"", None], pa.binary()),
            "when": pa.array([1.5, None, 3.0]),
        }
    )
    pq.write_table(table, path)
    df = load_table(path)
    assert df.to_dict("list") == {
        "id": ["1", "2", ""],
        "text": ["a", "", "c"],
        "kind": ["x", "y", "x"],
        "raw": ["bytes", "", ""],
        "when": ["1.5", "", "3.0"],
    }


def test_parquet_binary_that_is_not_text_and_corrupt_parquet(tmp_path: Path):
    pq.write_table(pa.table({"text": pa.array([b"\xff\xfe"], pa.binary())}), tmp_path / "b.pq")
    with pytest.raises(InputError, match="Column 'text' of b.pq holds bytes that are not UTF-8"):
        load_table(tmp_path / "b.pq")
    (tmp_path / "c.parquet").write_bytes(b"PAR1 garbage")
    with pytest.raises(InputError, match="c.parquet is not a readable Parquet file"):
        load_table(tmp_path / "c.parquet")


def test_parquet_text_column_with_invalid_utf8(tmp_path: Path):
    """Found by the fuzzer: a string column whose bytes are not UTF-8 (Parquet readers do
    not validate them) is a clear error in whole and streamed reads, not a crash."""
    bad = pa.array([b"ok", b"\xff\xfe broken"], pa.binary()).view(pa.string())
    pq.write_table(pa.table({"text": bad}), tmp_path / "s.parquet")
    with pytest.raises(InputError, match="Column 'text' of s.parquet holds bytes that are not"):
        load_table(tmp_path / "s.parquet")
    from allegations.tables._stream import open_table

    with pytest.raises(InputError, match="Column 'text' of s.parquet holds bytes that are not"):
        list(open_table(tmp_path / "s.parquet"))


def test_parquet_duplicate_columns(tmp_path: Path):
    table = pa.Table.from_arrays([pa.array(["a"]), pa.array(["b"])], names=["text", "text"])
    pq.write_table(table, tmp_path / "d.parquet")
    with pytest.raises(InputError, match="d.parquet has duplicate column names"):
        load_table(tmp_path / "d.parquet")


# -- 11-13: spreadsheet-bound outputs ----------------------------------------------------

PAYLOADS = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain"]


def test_neutralise_formula_cells():
    assert [neutralise_formula(v) for v in PAYLOADS] == [
        '\'=HYPERLINK("http://x","y")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "plain",
    ]
    assert neutralise_formula(-1.5) == -1.5 and neutralise_formula("") == ""
    out, n = neutralise_frame(pd.DataFrame({"=c": PAYLOADS, "n": range(len(PAYLOADS))}))
    assert n == 7 and out.columns.tolist() == ["'=c", "n"]  # 6 cells and the header


@pytest.mark.parametrize("ext", [".csv", ".tsv"])
def test_delimited_outputs_are_neutralised(tmp_path: Path, ext: str):
    path = tmp_path / f"o{ext}"
    report = write_table(pd.DataFrame({"id": PAYLOADS, "p": [-0.5] * len(PAYLOADS)}), path)
    assert report.neutralised == 6
    back = load_table(path)
    assert back["id"].tolist() == [neutralise_formula(v) for v in PAYLOADS]
    assert back["p"].tolist() == ["-0.5"] * len(PAYLOADS)  # numbers are never touched


def test_xlsx_output_cells_are_text_not_formulas(tmp_path: Path):
    """Checklist 13: reopen the workbook and check every cell is a string."""
    path = tmp_path / "o.xlsx"
    write_table(pd.DataFrame({"id": PAYLOADS}), path)
    ws = openpyxl.load_workbook(path).active
    cells = [row[0] for row in ws.iter_rows(min_row=2)]
    assert all(c.data_type == "s" for c in cells)
    assert [c.value for c in cells][:4] == [
        '\'=HYPERLINK("http://x","y")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
    ]


@pytest.mark.parametrize("ext", [".jsonl", ".parquet"])
def test_jsonl_and_parquet_keep_values(tmp_path: Path, ext: str):
    path = tmp_path / f"o{ext}"
    assert write_table(pd.DataFrame({"id": PAYLOADS}), path).neutralised == 0
    assert load_table(path)["id"].tolist() == PAYLOADS


def test_xlsx_truncates_long_text_with_a_count(tmp_path: Path, caplog):
    """Checklist 11: no pandas 'truncated to 32767' warning (warnings are errors here)."""
    long = "x" * (EXCEL_MAX_CELL + 10)
    path = tmp_path / "o.xlsx"
    report = write_table(
        pd.DataFrame({"text": [long, "short", long], "c": ["a\x07b", "", ""]}), path
    )
    assert (report.truncated, report.control_removed) == (2, 1)
    back = load_table(path)
    assert back["text"].str.len().tolist() == [EXCEL_MAX_CELL, 5, EXCEL_MAX_CELL]
    assert back["c"].tolist() == ["ab", "", ""]
    assert "2 cell(s) of o.xlsx were longer than Excel's 32767-character limit" in caplog.text
    write_table(pd.DataFrame({"text": [long]}), tmp_path / "o.csv")
    assert load_table(tmp_path / "o.csv")["text"][0] == long  # other formats keep it all


def test_too_many_rows_for_xlsx_is_refused(tmp_path: Path):
    """Checklist 12."""
    df = pd.DataFrame({"id": np.arange(EXCEL_MAX_ROWS)})
    with pytest.raises(
        OutputError,
        match="1048576 rows do not fit in one Excel sheet .at most 1,048,575 rows under the "
        "header.; write o.csv or o.parquet instead, or split the input",
    ):
        write_table(df, tmp_path / "o.xlsx")
    assert list(tmp_path.iterdir()) == []


# -- writing: faults ---------------------------------------------------------------------

FRAME = pd.DataFrame({"id": ["1"], "text": ["a"]})


def test_full_disk_leaves_no_partial_file(tmp_path: Path, monkeypatch):
    target = tmp_path / "out.csv"
    target.write_text("old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="Cannot write .*out.csv: the disk is full"):
        write_table(FRAME, target)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_atomic_write_turns_os_errors_into_output_errors(tmp_path: Path):
    with pytest.raises(OutputError, match="the disk is full"), atomic_write(tmp_path / "o") as fh:
        fh.write(b"x")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []


@contextlib.contextmanager
def _mounted_tmpfs(where: Path, options: str) -> Iterator[Path]:
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode(errors='replace')}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


def test_real_full_disk_on_a_tiny_tmpfs(tmp_path: Path):
    with _mounted_tmpfs(tmp_path / "tiny", "size=64k") as folder:
        big = pd.DataFrame({"text": ["x" * 1000] * 200})
        with pytest.raises(OutputError, match="the disk is full"):
            write_table(big, folder / "o.csv")
        assert list(folder.iterdir()) == []


def test_read_only_folder(tmp_path: Path):
    """Root ignores permission bits, so as root use a read-only mount instead of chmod."""
    if os.geteuid() == 0:
        with _mounted_tmpfs(tmp_path / "ro", "ro,size=64k") as folder:
            with pytest.raises(OutputError, match="the folder is not writable"):
                write_table(FRAME, folder / "o.csv")
            assert list(folder.iterdir()) == []
        return
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="the folder is not writable"):
            write_table(FRAME, folder / "o.csv")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_permission_denied_without_root_tricks(tmp_path: Path, monkeypatch):
    import tempfile

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(
        OutputError, match="Permission denied.; the folder is not writable. Choose another `out`"
    ):
        write_table(FRAME, tmp_path / "o.csv")


def test_output_is_a_folder(tmp_path: Path):
    (tmp_path / "o.csv").mkdir()
    with pytest.raises(OutputError, match="o.csv: it is a folder"):
        write_table(FRAME, tmp_path / "o.csv")


def test_refuses_to_overwrite_the_input_even_through_a_link(tmp_path: Path, trained_model):
    data = tmp_path / "cases.csv"
    make_corpus(12).to_csv(data, index=False)
    before = data.read_bytes()
    os.link(data, tmp_path / "alias.csv")
    for out in (data, tmp_path / "alias.csv", tmp_path / "." / "cases.csv"):
        with pytest.raises(OutputError, match="is the input file"):
            predict_file(data, out, trained_model)
    assert data.read_bytes() == before


def test_inputs_are_never_modified(tmp_path: Path, trained_model):
    path = tmp_path / "w.csv"
    path.write_bytes("id,text\n1,\u201cthreatened\u201d a coworker\n".encode("cp1252"))
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    predict_file(path, tmp_path / "o.xlsx", trained_model, on_bad_rows="skip")
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_predict_skips_bad_rows_and_keeps_record_numbers(tmp_path: Path, trained_model):
    path = tmp_path / "r.csv"
    path.write_text("text\nOfficer threatened a coworker.\nbad,row\nOfficer took cash.\n")
    with pytest.raises(BadRecordError, match="record 2"):
        predict_file(path, tmp_path / "o.csv", trained_model)
    assert not (tmp_path / "o.csv").exists()
    summary = predict_file(path, tmp_path / "o.csv", trained_model, on_bad_rows="skip")
    assert summary["skipped"] == {"count": 1, "rows": [2], "reason": "wrong number of fields"}
    assert pd.read_csv(tmp_path / "o.csv")["id"].tolist() == [1, 3]


# -- 25: degenerate training data --------------------------------------------------------


_L = "abcdefghijklmnopqrstuvwxyz"


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (["" for _ in range(30)], "All 30 narratives in column 'text' are blank"),
        # Thirty words sharing no word, no 3-5 letter prefix and no 3 letter suffix.
        (
            [
                f"{_L[i % 26]}{_L[i // 26]}{_L[(7 * i) % 26]}oo{_L[(5 * i) % 26]}{_L[i // 26]}"
                f"{_L[i % 26]}"
                for i in range(30)
            ],
            "Column 'text': The narratives have no word, word pair or word beginning/ending",
        ),
        (["same words here"] * 30, "The cases fall into fewer than two groups"),
    ],
    ids=["blank", "no-shared-word", "identical"],
)
def test_degenerate_training_data_is_refused(tmp_path: Path, texts: list[str], message: str):
    from allegations.batch._workflows import train_files

    path = tmp_path / "d.csv"
    labels = ["a" if i % 2 else "b" for i in range(len(texts))]
    pd.DataFrame({"text": texts, "labels": labels}).to_csv(path, index=False)
    with pytest.raises(InputError, match=message):
        train_files([path], tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_narrative_column_as_labels_is_refused_without_echoing_it(tmp_path: Path):
    from allegations.batch._workflows import LabelSpec, read_labelled
    from allegations.errors import LabelError

    narrative = "Officer queried the database for the address of his former partner " * 2
    path = tmp_path / "l.csv"
    path.write_text(f"text,labels\nshort,a\nbad,row,x\n{narrative},b\n")
    with pytest.raises(LabelError) as caught:
        read_labelled(
            [path], spec=LabelSpec(labels_col="text"), on_bad_rows="skip", text_col="labels"
        )
    assert "former partner" not in str(caught.value)
    assert str(caught.value).startswith("Row 3 of l.csv has a label of 133 characters")


def test_predict_refuses_xlsx_too_large_before_predicting(tmp_path: Path, monkeypatch):
    """An input that says its length (Parquet, XLSX) is refused before any tagging; a CSV
    is not read twice to count it (tests/tables/test_stream.py: refused as written)."""
    import allegations.batch._job as batch_job

    class NoModel:
        labels = ["a"]

        def predict(self, *args, **kwargs):  # pragma: no cover (must not be reached)
            raise AssertionError("predicted before checking the output size")

    monkeypatch.setattr(batch_job, "Tagger", NoModel)
    import allegations.tables._write as table_writer

    monkeypatch.setattr(table_writer, "EXCEL_MAX_ROWS", 3)
    path = tmp_path / "d.parquet"
    pd.DataFrame({"text": ["a", "b", "c"]}).to_parquet(path)
    with pytest.raises(OutputError, match="3 rows do not fit in one Excel sheet"):
        predict_file(path, tmp_path / "o.xlsx", NoModel())
    assert not (tmp_path / "o.xlsx").exists()


def test_destination_open_in_another_program_keeps_the_new_file(tmp_path: Path, monkeypatch):
    """Checklist 22: on Windows os.replace fails while Excel holds the output open."""
    target = tmp_path / "o.csv"
    target.write_text("old")

    def locked(src, dst):
        raise PermissionError(errno.EACCES, "Access is denied")

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(OutputError, match="may be open in another program such as Excel") as e:
        write_table(FRAME, target)
    assert target.read_text() == "old"
    kept = [p for p in tmp_path.iterdir() if p.name != "o.csv"]
    assert len(kept) == 1 and str(kept[0]) in str(e.value)
    assert load_table(kept[0].rename(tmp_path / "new.csv"))["id"].tolist() == ["1"]
    # Without an existing destination, the same error is a plain failure with no leftovers.
    (tmp_path / "new.csv").unlink()
    with pytest.raises(OutputError, match="the folder is not writable"):
        write_table(FRAME, tmp_path / "fresh.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["o.csv"]
