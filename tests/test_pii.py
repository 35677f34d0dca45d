"""Personal data never leaks: a marker planted in every narrative of every bad-input case
must not appear on stderr or stdout of the real console script, and the model files hold
no rare training words.

Each case runs ``allegations`` as a subprocess and also checks the exit code (0, 1 or 2
only), that no Python traceback is printed, and the one-line message.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from allegations import save_model, train

from .conftest import make_corpus, run_cli

MARKER = "Zanzibarovich-Canary-4471"


def _narratives(n: int = 30) -> list[str]:
    corpus = make_corpus(n, seed=3)
    return [f"{t} Witness {MARKER} was present." for t in corpus["text"]]


def _labels(n: int = 30) -> list[str]:
    return make_corpus(n, seed=3)["labels"].tolist()


def _csv_lines(rows: list[list[str]]) -> str:
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _table(n: int = 30) -> list[list[str]]:
    return [["id", "text", "labels"]] + [
        [f"C{i:03d}", t, lab]
        for i, (t, lab) in enumerate(zip(_narratives(n), _labels(n), strict=True))
    ]


# Builders: write the input file under ``folder`` and return its path.
Builder = Callable[[Path], Path]


def _write(name: str, data: bytes) -> Builder:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return build


def _good_csv() -> bytes:
    return _csv_lines(_table()).encode()


def _cp1252() -> bytes:
    return _csv_lines(_table()).replace("Witness", "\u201cWitness\u201d").encode("cp1252")


def _undecodable() -> bytes:
    return _good_csv() + f"C999,\x81 {MARKER} \xff,query\n".encode("latin-1")


def _mixed() -> bytes:
    head = _csv_lines(_table()[:5]).replace("Witness", "Témoin").encode()
    tail = _csv_lines(_table()[5:]).replace("Witness", "Témoin").encode("cp1252")
    return head + tail


def _bad_record(kind: str) -> bytes:
    rows = _table(10)
    lines = _csv_lines(rows).splitlines()
    if kind == "many":
        lines[3] += f",{MARKER} extra"
    elif kind == "few":
        lines[3] = f"C777,{MARKER} only two fields"
    else:
        lines[3] = f'C777,"{MARKER} opens a quote,query'
    return ("\n".join(lines) + "\n").encode()


def _headerless() -> bytes:
    return _csv_lines([r for r in _table()[1:]]).encode()


def _dup_header() -> bytes:
    rows = [["id", "text", "text"]] + [[r[0], r[1], r[1]] for r in _table()[1:]]
    return _csv_lines(rows).encode()


def _nul() -> bytes:
    return _good_csv().replace(b"Witness", b"Wit\x00ness")


def _big_cell() -> bytes:
    rows = _table(12)
    rows[1][1] = (rows[1][1] + " ") * (1_000_000 // len(rows[1][1]))
    return _csv_lines(rows).encode()


def _numbers_only() -> bytes:
    rows = [["id", "text"]] + [[str(i), str(1000 + i)] for i in range(10)]
    return _csv_lines(rows).encode()


def _formulas() -> bytes:
    rows = [["id", "text"]] + [
        [f"=HYPERLINK({i})", f"=cmd|' /C calc'!A0 {MARKER}"] for i in range(5)
    ]
    return _csv_lines(rows).encode()


def _xlsx(kind: str) -> Builder:
    def build(folder: Path) -> Path:
        path = folder / "book.xlsx"
        if kind == "corrupt":
            path.write_bytes(b"PK\x03\x04" + MARKER.encode() * 10)
            return path
        if kind == "locked":
            path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + MARKER.encode() * 20)
            return path
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "cases"
        rows = _table(10)
        if kind == "dupes":
            rows = [["text", "Text"]] + [[r[1], r[1]] for r in rows[1:]]
        for row in rows:
            ws.append(row)
        wb.create_sheet("notes").append([MARKER])
        wb.save(path)
        return path

    return build


def _zip_not_xlsx(folder: Path) -> Path:
    path = folder / "book.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", f"<x>{MARKER}")
    return path


def _jsonl(kind: str) -> bytes:
    lines = [json.dumps({"id": r[0], "text": r[1]}) for r in _table(10)[1:]]
    if kind == "not-json":
        lines[2] = f'{{"id": "C1", "text": "{MARKER} unterminated'
    elif kind == "duplicate-key":
        lines[2] = json.dumps({"text": MARKER})[:-1] + f', "text": "{MARKER}"}}'
    elif kind == "not-object":
        lines[2] = json.dumps([MARKER])
    elif kind == "surrogate":
        lines[2] = json.dumps({"id": "C1", "text": f"{MARKER} caf\udce9"})
    return ("\n".join(lines) + "\n").encode()


def _parquet(kind: str) -> Builder:
    def build(folder: Path) -> Path:
        path = folder / "t.parquet"
        texts = _narratives(10)
        if kind == "binary":
            column = pa.array([t.encode("cp1252") + b"\x81" for t in texts], pa.binary())
        else:
            column = pa.array(texts)
        pq.write_table(pa.table({"id": pa.array(range(10)), "text": column}), path)
        return path

    return build


@dataclass(frozen=True)
class Case:
    name: str
    build: Builder
    args: tuple[str, ...]  # {data} {model} {tmp} are filled in
    code: int
    message: str


PREDICT = ("predict", "{data}", "--model", "{model}", "--out", "{tmp}/out.csv")
TRAIN = ("train", "{data}", "--out", "{tmp}/m")

CASES = [
    Case("cp1252", _write("w.csv", _cp1252()), PREDICT, 0, "read it as cp1252 (Windows-1252)"),
    Case("undecodable", _write("u.csv", _undecodable()), PREDICT, 1, "is neither UTF-8 nor"),
    Case("mixed-encodings", _write("m.csv", _mixed()), PREDICT, 1, "m.csv mixes encodings"),
    Case(
        "explicit-wrong-encoding",
        _write("w.csv", _cp1252()),
        (*PREDICT, "--encoding", "utf-8"),
        1,
        "w.csv is not valid utf-8 text: byte 0x93",
    ),
    Case(
        "unknown-encoding",
        _write("g.csv", _good_csv()),
        (*PREDICT, "--encoding", "klingon"),
        1,
        "Unknown encoding 'klingon'",
    ),
    Case(
        "utf16-bom-tsv",
        _write("u.tsv", _csv_lines(_table()).replace(",", "\t").encode("utf-16")),
        PREDICT,
        0,
        "Wrote 30 rows",
    ),
    Case(
        "utf16-no-bom",
        _write("u.tsv", _csv_lines(_table()).encode("utf-16-le")),
        PREDICT,
        1,
        "looks like UTF-16 text without a byte-order mark",
    ),
    Case(
        "too-many-fields",
        _write("r.csv", _bad_record("many")),
        PREDICT,
        1,
        "r.csv record 3 (line 4) has 4 fields; the header has 3.",
    ),
    Case(
        "too-many-fields-skip",
        _write("r.csv", _bad_record("many")),
        (*PREDICT, "--on-bad-rows", "skip"),
        0,
        "Skipped 1 malformed record(s) (wrong number of fields): record(s) 3.",
    ),
    Case(
        "too-few-fields",
        _write("r.csv", _bad_record("few")),
        PREDICT,
        1,
        "r.csv record 3 (line 4) has 2 fields",
    ),
    Case(
        "unclosed-quote",
        _write("r.csv", _bad_record("quote")),
        PREDICT,
        1,
        "r.csv record 3 (line 4) opens a quote that is never closed",
    ),
    Case(
        "bad-rows-option",
        _write("g.csv", _good_csv()),
        (*PREDICT, "--on-bad-rows", "warn"),
        2,
        "Invalid value for '--on-bad-rows'",
    ),
    Case(
        "duplicate-header",
        _write("d.csv", _dup_header()),
        PREDICT,
        1,
        "d.csv has duplicate column names: 'text' (column 2) and 'text' (column 3)",
    ),
    Case(
        "headerless",
        _write("h.csv", _headerless()),
        PREDICT,
        1,
        "looks like data (not shown). Pass --text-col. The first row looks like data",
    ),
    Case("empty", _write("e.csv", b""), PREDICT, 1, "e.csv is empty: it has no header row."),
    Case("header-only", _write("h.csv", b"id,text,labels\n"), PREDICT, 0, "Wrote 0 rows"),
    Case("nul-bytes", _write("n.csv", _nul()), PREDICT, 0, "30 cell(s) held NUL characters"),
    Case("one-megabyte-cell", _write("b.csv", _big_cell()), PREDICT, 0, "Wrote 12 rows"),
    Case(
        "numbers-only",
        _write("n.csv", _numbers_only()),
        PREDICT,
        0,
        "Column 'text' of n.csv holds only numbers (10 non-blank rows)",
    ),
    Case(
        "formula-text",
        _write("f.csv", _formulas()),
        (*PREDICT, "--id-col", "id"),
        0,
        # The kept id and text columns: 5 formulas each, all neutralised in the output.
        "10 cell(s) began like a spreadsheet formula",
    ),
    Case("xlsx-several-sheets", _xlsx("sheets"), PREDICT, 0, "book.xlsx has 2 sheets"),
    Case(
        "xlsx-missing-sheet",
        _xlsx("sheets"),
        (*PREDICT, "--sheet", "x"),
        1,
        "Sheet 'x' not found in book.xlsx; sheets are: cases, notes.",
    ),
    Case("xlsx-duplicate-header", _xlsx("dupes"), PREDICT, 1, "has duplicate column names"),
    Case("xlsx-corrupt", _xlsx("corrupt"), PREDICT, 1, "book.xlsx is not a readable .xlsx"),
    Case("xlsx-not-a-workbook", _zip_not_xlsx, PREDICT, 1, "book.xlsx is not a readable .xlsx"),
    Case("xlsx-password", _xlsx("locked"), PREDICT, 1, "book.xlsx is password-protected"),
    Case(
        "jsonl-not-json",
        _write("j.jsonl", _jsonl("not-json")),
        PREDICT,
        1,
        "j.jsonl line 3 is not valid JSON (record 3)",
    ),
    Case(
        "jsonl-duplicate-key",
        _write("j.jsonl", _jsonl("duplicate-key")),
        PREDICT,
        1,
        "j.jsonl line 3 has the key 'text' more than once",
    ),
    Case(
        "jsonl-surrogate",
        _write("j.jsonl", _jsonl("surrogate")),
        PREDICT,
        1,
        "j.jsonl line 3 holds a \\u escape of half a character (a lone surrogate",
    ),
    Case(
        "jsonl-not-object",
        _write("j.jsonl", _jsonl("not-object")),
        PREDICT,
        1,
        "j.jsonl line 3 is not a JSON object",
    ),
    Case(
        "jsonl-skip",
        _write("j.jsonl", _jsonl("not-json")),
        (*PREDICT, "--on-bad-rows", "skip"),
        0,
        "Skipped 1 malformed record(s) (not valid JSON): record(s) 3.",
    ),
    Case(
        "parquet-binary-not-text",
        _parquet("binary"),
        PREDICT,
        1,
        "Column 'text' of t.parquet holds bytes that are not UTF-8 text",
    ),
    Case("parquet-ok", _parquet("ok"), PREDICT, 0, "Wrote 10 rows"),
    Case(
        "out-folder-missing",
        _write("g.csv", _good_csv()),
        ("predict", "{data}", "--model", "{model}", "--out", "{tmp}/no/out.csv"),
        1,
        "does not exist; create it or choose another --out",
    ),
    Case(
        "out-is-input",
        _write("g.csv", _good_csv()),
        ("predict", "{data}", "--model", "{model}", "--out", "{data}"),
        1,
        "is the input file",
    ),
    Case(
        "out-unknown-extension",
        _write("g.csv", _good_csv()),
        ("predict", "{data}", "--model", "{model}", "--out", "{tmp}/o.docx"),
        1,
        "extension '.docx' is not one of",
    ),
    Case(
        "tampered-model",
        _write("g.csv", _good_csv()),
        ("predict", "{data}", "--model", "{badmodel}", "--out", "{tmp}/out.csv"),
        1,
        "has changed since the model was saved",
    ),
    Case("train-headerless", _write("h.csv", _headerless()), TRAIN, 1, "Pass --text-col."),
    Case(
        "train-narrative-as-labels",
        _write("g.csv", _good_csv()),
        (*TRAIN, "--labels-col", "text", "--label-sep", "|"),
        1,
        "is --labels-col the narrative column?",
    ),
    Case(
        "train-identical-texts",
        _write(
            "s.csv",
            _csv_lines([["text", "labels"]] + [[MARKER, "ab"[i % 2]] for i in range(30)]).encode(),
        ),
        TRAIN,
        1,
        "fewer than two groups",
    ),
    Case("train-bad-record", _write("r.csv", _bad_record("many")), TRAIN, 1, "record 3 (line 4)"),
    Case(
        "evaluate-json-is-input",
        _write("g.csv", _good_csv()),
        ("evaluate", "{data}", "--model", "{model}", "--json", "{data}"),
        1,
        "g.csv is an input file; choose another path.",
    ),
    Case(
        "evaluate-bad-record",
        _write("r.csv", _bad_record("few")),
        ("evaluate", "{data}", "--model", "{model}"),
        1,
        "r.csv record 3 (line 4) has 2 fields",
    ),
]


def _check_clean(result: subprocess.CompletedProcess[str], code: int, message: str) -> None:
    out, err = result.stdout, result.stderr
    assert result.returncode == code, err
    assert result.returncode in (0, 1, 2)
    assert "Traceback" not in err and "Traceback" not in out
    assert MARKER not in err, err
    assert MARKER not in out, out
    for part in MARKER.split("-"):
        assert part not in err and part not in out
    flat = " ".join((err + out).split())
    assert message in flat, err + out
    if code == 1:
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines[-1].startswith("Error: ")


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_never_leaks_the_marker(
    tmp_path: Path, model_dir: Path, copy_model: Path, case: Case
):
    work = tmp_path / "work"
    work.mkdir()
    data = case.build(work)
    if case.name != "empty" and data.suffix in (".csv", ".tsv", ".jsonl"):
        raw = data.read_bytes()
        assert any(
            MARKER.encode(enc) in raw for enc in ("utf-8", "utf-16-le", "utf-16")
        ) or case.name in ("numbers-only", "header-only", "nul-bytes")
    (copy_model / "weights.npz").write_bytes(b"tampered " + MARKER.encode())
    before = data.read_bytes()
    names = {"data": data, "model": model_dir, "badmodel": copy_model, "tmp": work}
    result = run_cli(*[a.format(**{k: str(v) for k, v in names.items()}) for a in case.args])
    _check_clean(result, case.code, case.message)
    assert data.read_bytes() == before  # the input is never modified
    if case.code != 0:  # no partial output, no model folder
        assert sorted(p.name for p in work.iterdir()) == [data.name]


@pytest.mark.slow
def test_unexpected_error_shows_neither_locals_nor_message(tmp_path: Path):
    """Checklist 24: a crash mid-row prints only the exception type."""
    script = f"""
import sys
import allegations.cli.predict as predict
from allegations.cli import main

def boom(*args, **kwargs):
    narrative = {MARKER!r}
    raise RuntimeError("row text: " + narrative)

predict.predict_file = boom
sys.argv = ["allegations", "predict", "x.csv", "--out", "o.csv"]
main()
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "160"},
    )
    assert result.returncode == 1
    assert MARKER not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert "Error: unexpected internal error (RuntimeError)" in " ".join(result.stderr.split())


def test_typer_never_shows_locals():
    from allegations.cli import app

    assert app.pretty_exceptions_show_locals is False


def test_model_files_hold_no_rare_training_words(tmp_path: Path):
    """A word seen once is pruned by min_df and must not survive in any model file; a
    frequent word is in the vocabulary (inside model.json) but never in the card."""
    corpus = make_corpus(60, seed=5)
    texts = corpus["text"].tolist()
    texts[0] += " Complainant Wolfeschlegel called."  # once: pruned
    for i in range(1, 60, 3):
        texts[i] += " Witness Quintavius attended."  # 20 times: kept
    model = train(texts, [s.split(";") if s else [] for s in corpus["labels"]], seed=0)
    vocabulary = model.pipeline.named_steps["features"].vocabulary_
    assert any("quintavius" in term for term in vocabulary)  # the test can see a leak
    assert not hasattr(model.pipeline.named_steps["features"], "stop_words_")
    folder = tmp_path / "m"
    save_model(model, folder)
    for path in folder.iterdir():
        data = path.read_bytes().lower()
        assert b"wolfeschlegel" not in data, path.name
        if path.name != "model.json":
            assert b"quintavius" not in data, path.name
    card = (folder / "model-card.json").read_text() + (folder / "model-card.md").read_text()
    leaked = [t for t in vocabulary if len(t) > 5 and " " not in t and t in card.lower()]
    # Label names, and words of the card's own template ("allegations" tool name, "cases
    # with several labels"), are expected; no other training word may appear.
    expected = {"money", "query", "threat", "allegation", "several"}
    assert set(leaked) <= expected, leaked
