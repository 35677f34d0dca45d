"""Read and write tables (CSV, TSV, XLSX, JSONL, Parquet); check their columns.

Every cell is read as text so that ids keep their leading zeros and nothing is guessed.
Reading is strict: text is decoded as UTF-8 (with or without a byte-order mark), else as
Windows-1252 with a warning, never silently as Latin-1; a malformed record (wrong number
of fields, a quote never closed, a line that is not JSON) stops the read with its record
number unless ``on_bad_rows="skip"``, which leaves it out and counts it in a
:class:`ReadReport`. Messages name files, record and line numbers and column names, never
cell text.

Outputs are written atomically: to a temporary file in the destination folder, flushed
and fsynced, then renamed over the destination; a failure leaves no partial file behind.
Spreadsheet-bound outputs (CSV, TSV, XLSX) neutralise formula injection.

The checks are plain functions (:func:`detect_encoding`, :func:`check_header`,
:func:`iter_delimited_records`, :func:`neutralise_formula`) so that a chunked reader can
apply the same rules.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import errno
import io as _io
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import pandas as pd

from .errors import BadRecordError, ColumnError, InputError, MissingFileError, OutputError

__all__ = [
    "FORMATS",
    "ON_BAD_ROWS",
    "OnBadRows",
    "ReadReport",
    "WriteReport",
    "table_format",
    "detect_encoding",
    "check_header",
    "check_on_bad_rows",
    "iter_delimited_records",
    "load_table",
    "require_column",
    "warn_numbers_only",
    "neutralise_formula",
    "neutralise_frame",
    "write_table",
    "atomic_write",
    "sha256_file",
    "EXCEL_MAX_ROWS",
    "EXCEL_MAX_CELL",
]

log = logging.getLogger(__name__)

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}

OnBadRows = Literal["error", "skip"]
#: What to do with a malformed record: stop with its number, or leave it out and count it.
ON_BAD_ROWS: tuple[str, ...] = ("error", "skip")
#: Excel's limits: rows per sheet (header included) and characters per cell.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
EXCEL_MAX_CELL = 32_767
#: First characters that make a spreadsheet treat a cell as a formula (OWASP, ASVS 1.2.10).
FORMULA_START = frozenset("=+-@\t\r\x00")
_CHUNK = 1 << 20
_MAX_SHOWN = 20
_LONG_NAME = 40


@dataclass
class ReadReport:
    """What a read found: the encoding used and the records left out.

    Pass one to :func:`load_table` (or a chunked reader) and read it afterwards.

    Attributes
    ----------
    source : str
        The file name.
    encoding : str or None
        The text encoding used (CSV/TSV), e.g. ``utf-8-sig`` or ``cp1252``.
    encoding_warned : bool
        True when the encoding was a fallback the user did not ask for.
    n_records : int
        Data records seen, skipped ones included.
    skipped : dict
        Record number (first data record = 1) to the reason it was left out.
    n_nul_cells : int
        Cells from which NUL characters were removed.
    """

    source: str = ""
    encoding: str | None = None
    encoding_warned: bool = False
    n_records: int = 0
    skipped: dict[int, str] = field(default_factory=dict)
    n_nul_cells: int = 0

    @property
    def skipped_rows(self) -> list[int]:
        """The record numbers left out, in order."""
        return sorted(self.skipped)

    def kept_rows(self) -> list[int]:
        """The record numbers of the rows that were read, in order."""
        return [i for i in range(1, self.n_records + 1) if i not in self.skipped]

    def summary(self) -> dict[str, Any]:
        """``{"count", "rows", "reason"}`` of the skipped records (no cell text)."""
        reasons = sorted(set(self.skipped.values()))
        return {
            "count": len(self.skipped),
            "rows": self.skipped_rows,
            "reason": "; ".join(reasons),
        }


@dataclass
class WriteReport:
    """What writing changed so that a spreadsheet shows the data safely.

    Attributes
    ----------
    neutralised : int
        Cells given a leading apostrophe because they began like a formula.
    truncated : int
        XLSX cells cut to Excel's 32,767-character limit.
    control_removed : int
        XLSX cells from which control characters (not allowed in XLSX) were removed.
    """

    neutralised: int = 0
    truncated: int = 0
    control_removed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "neutralised": self.neutralised,
            "truncated": self.truncated,
            "control_removed": self.control_removed,
        }


def table_format(path: str | Path, *, for_output: bool = False) -> str:
    """Return the table format named by the file extension of ``path``.

    Raises
    ------
    InputError
        If the extension is not one of :data:`FORMATS`.
    """
    suffix = Path(path).suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        exts = ", ".join(sorted({".csv", ".tsv", ".xlsx", ".jsonl", ".parquet"}))
        what = "output" if for_output else "input"
        err = OutputError if for_output else InputError
        raise err(
            f"Cannot tell the {what} format of {Path(path).name}: extension "
            f"'{suffix or '(none)'}' is not one of {exts}. Rename the file or choose one of those."
        )
    return fmt


def check_on_bad_rows(value: str) -> OnBadRows:
    """Return ``value`` if it is a known bad-record policy, else raise :class:`InputError`."""
    if value not in ON_BAD_ROWS:
        raise InputError(f"--on-bad-rows must be one of {', '.join(ON_BAD_ROWS)}, not {value!r}.")
    return value  # type: ignore[return-value]


# -- encodings ---------------------------------------------------------------------------

_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


@dataclass
class _Scan:
    error_offset: int | None = None
    error_byte: int = 0
    error_line: int = 0
    has_nul: bool = False
    has_utf8_before_error: bool = False


def _scan(path: Path, encoding: str) -> _Scan:
    """Strictly decode the whole file in chunks; note the first failure and NUL bytes."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    scan = _Scan()
    offset = 0
    n_lines = 1
    with open(path, "rb") as fh:
        while True:
            block = fh.read(_CHUNK)
            final = not block
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                start = max(exc.start - pending, 0)
                scan.error_offset = offset - pending + exc.start
                bad = exc.object[exc.start : exc.start + 1]
                scan.error_byte = bad[0] if bad else 0
                scan.error_line = n_lines + block[:start].count(b"\n")
                scan.has_utf8_before_error = scan.has_utf8_before_error or bool(
                    _UTF8_MULTIBYTE.search(block[:start])
                )
                return scan
            if final:
                return scan
            if not scan.has_nul and b"\x00" in block:
                scan.has_nul = True
            if not scan.has_utf8_before_error and encoding.startswith("utf-8"):
                scan.has_utf8_before_error = bool(_UTF8_MULTIBYTE.search(block))
            n_lines += block.count(b"\n")
            offset += len(block)


def _looks_like_bomless_utf16(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if len(head) < 4:
        return False
    odd = head[1::2].count(0) / max(len(head[1::2]), 1)
    even = head[0::2].count(0) / max(len(head[0::2]), 1)
    return max(odd, even) > 0.4 and min(odd, even) < 0.1


def detect_encoding(path: str | Path, encoding: str | None = None) -> tuple[str, bool]:
    """Choose the text encoding of a delimited file and check that all of it decodes.

    Without ``encoding``: a UTF-16/UTF-32 byte-order mark selects that encoding; else the
    file must be strict UTF-8 (BOM or not) or, failing that, strict Windows-1252, which
    logs a warning naming the encoding and ``--encoding``. Latin-1 is never guessed
    (it accepts any byte, so it cannot fail and hides mistakes).

    Parameters
    ----------
    path : str or Path
    encoding : str, optional
        A Python codec name chosen by the user; the whole file is checked against it.

    Returns
    -------
    (encoding, warned)
        The codec name to read with, and True when a fallback was chosen with a warning.

    Raises
    ------
    InputError
        Unknown codec; bytes that do not decode (with byte offset and line); a file that
        mixes UTF-8 and another encoding; UTF-16 without a byte-order mark.
    """
    path = Path(path)
    name = path.name
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(
                f"Unknown encoding '{encoding}'; pass a Python codec name such as "
                "utf-8 or cp1252 to --encoding."
            ) from None
        scan = _scan(path, encoding)
        if scan.error_offset is not None:
            raise InputError(
                f"{name} is not valid {encoding} text: byte 0x{scan.error_byte:02x} at offset "
                f"{scan.error_offset} (line {scan.error_line}) does not decode. Pass the right "
                "--encoding (for example utf-8, cp1252 or utf-16)."
            )
        return encoding, False
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return detect_encoding(path, "utf-32")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return detect_encoding(path, "utf-16")
    if _looks_like_bomless_utf16(path):
        raise InputError(
            f"{name} looks like UTF-16 text without a byte-order mark (every other byte is "
            "0); pass --encoding utf-16-le (or utf-16-be)."
        )
    scan = _scan(path, "utf-8-sig")
    if scan.error_offset is None:
        return "utf-8-sig", False
    where = f"byte 0x{scan.error_byte:02x} at offset {scan.error_offset}, line {scan.error_line}"
    if scan.has_utf8_before_error:
        raise InputError(
            f"{name} mixes encodings: it holds UTF-8 text, but {where} is not UTF-8 (often two "
            "exports joined together). Re-save the file in one encoding, or pass --encoding to "
            "read all of it one way."
        )
    fallback = _scan(path, "cp1252")
    if fallback.error_offset is not None:
        cp_where = (
            f"byte 0x{fallback.error_byte:02x} at offset {fallback.error_offset}, line "
            f"{fallback.error_line}"
        )
        detail = (
            f"{where} is valid in neither"
            if cp_where == where
            else f"{where} is not UTF-8 and {cp_where} is undefined in Windows-1252"
        )
        raise InputError(
            f"{name} is neither UTF-8 nor Windows-1252 text: {detail}. Pass the right "
            "--encoding (for example latin-1 or utf-16)."
        )
    log.warning(
        "%s is not UTF-8 (%s); read it as cp1252 (Windows-1252). Pass --encoding to choose "
        "another encoding.",
        name,
        where,
    )
    return "cp1252", True


# -- headers -----------------------------------------------------------------------------


def _show_name(name: object) -> str:
    """A column name fit for a message: long names (likely data, not a header) are elided."""
    text = str(name)
    if len(text) > _LONG_NAME or "\n" in text:
        return f"<{len(text)} characters, not shown>"
    return repr(text)


def _name_key(name: object) -> str:
    return " ".join(str(name).split()).casefold()


def check_header(columns: Iterable[object], source: str) -> list[str]:
    """Check a header row and return the column names to use.

    Blank names become ``unnamed_<position>``; two names equal after trimming spaces
    and ignoring case are an error (pandas would silently rename one ``X.1``).

    Raises
    ------
    InputError
        Naming the duplicate columns and their positions.
    """
    names = ["" if c is None else str(c) for c in columns]
    out = [n if n.strip() else f"unnamed_{i}" for i, n in enumerate(names, start=1)]
    seen: dict[str, list[int]] = {}
    for i, n in enumerate(out, start=1):
        seen.setdefault(_name_key(n), []).append(i)
    dupes = [pos for pos in seen.values() if len(pos) > 1]
    if dupes:
        shown = "; ".join(
            " and ".join(f"{_show_name(out[p - 1])} (column {p})" for p in pos) for pos in dupes
        )
        raise InputError(
            f"{source} has duplicate column names: {shown}. Rename them in the file so that "
            "every column name is unique (case and surrounding spaces are ignored)."
        )
    return out


# -- delimited text ----------------------------------------------------------------------


def _bad(source: str, record: int, line: int, what: str) -> BadRecordError:
    return BadRecordError(
        f"{source} record {record} (line {line}) {what}. Fix that record in the file, or "
        "pass --on-bad-rows skip to leave out malformed records (they are counted and "
        "listed by number).",
        record,
    )


def _csv_error_reason(exc: csv.Error) -> tuple[str, str]:
    text = str(exc)
    if "unexpected end of data" in text:
        return (
            "opens a quote that is never closed, so it runs to the end of the file",
            "unclosed quote",
        )
    if "expected after" in text:
        return "has text after a closing quote", "text after closing quote"
    if "field larger" in text:
        return "has a cell larger than 2 GB", "cell too large"
    return "cannot be parsed", "unparseable"


def iter_delimited_records(
    lines: Iterable[str],
    sep: str,
    source: str,
    *,
    n_fields: int | None = None,
    on_bad_rows: OnBadRows = "error",
    report: ReadReport | None = None,
    first_record: int = 1,
    first_line: int = 1,
) -> Iterator[list[str]]:
    """Yield the well-formed records of delimited text, checking each one.

    The header, if any, is the first record yielded when ``n_fields`` is None (then its
    length sets ``n_fields`` for the rest). Blank lines are ignored.

    Parameters
    ----------
    lines : iterable of str
        A text file opened with ``newline=""`` (or any iterable of its lines).
    sep : str
        The field separator.
    source : str
        The file name, for messages.
    n_fields : int, optional
        The expected number of fields (the header's); None to take it from the first
        record, which is then yielded as the header.
    on_bad_rows : {"error", "skip"}
    report : ReadReport, optional
        Receives ``n_records`` and the skipped record numbers.
    first_record, first_line : int
        Numbers of the first data record and line of ``lines`` (for chunked readers).

    Raises
    ------
    BadRecordError
        With ``on_bad_rows="error"``: the first malformed record, with its record and
        line numbers.
    """
    csv.field_size_limit(2**31 - 1)
    report = report if report is not None else ReadReport(source=source)
    reader = csv.reader(lines, delimiter=sep, strict=True)
    record = first_record - 1
    line_offset = first_line - 1
    end_line = 0
    header_pending = n_fields is None
    while True:
        start_line = line_offset + end_line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            what, reason = _csv_error_reason(exc)
            end_line = reader.line_num
            if header_pending:
                raise InputError(
                    f"{source} header (line {start_line}) {what}; fix the header row."
                ) from None
            record += 1
            report.n_records = record
            if on_bad_rows == "error":
                raise _bad(source, record, start_line, what) from None
            report.skipped[record] = reason
            continue
        end_line = reader.line_num
        if not row:
            continue
        if header_pending:
            header_pending = False
            n_fields = len(row)
            yield row
            continue
        record += 1
        report.n_records = record
        if len(row) != n_fields:
            if on_bad_rows == "error":
                raise _bad(
                    source, record, start_line, f"has {len(row)} fields; the header has {n_fields}"
                )
            report.skipped[record] = "wrong number of fields"
            continue
        yield row


def _read_delimited(
    path: Path, sep: str, encoding: str | None, on_bad_rows: OnBadRows, report: ReadReport
) -> pd.DataFrame:
    enc, warned = detect_encoding(path, encoding)
    report.encoding, report.encoding_warned = enc, warned
    with open(path, encoding=enc, errors="strict", newline="") as fh:
        records = iter_delimited_records(fh, sep, path.name, on_bad_rows=on_bad_rows, report=report)
        header = next(records, None)
        if header is None or not any(h.strip() for h in header):
            raise InputError(f"{path.name} is empty: it has no header row.")
        columns = check_header(header, path.name)
        rows = list(records)
    if rows:
        by_column = zip(*rows, strict=True)  # every row has len(columns) fields (checked)
        data = {c: pd.array(v, dtype="str") for c, v in zip(columns, by_column, strict=True)}
        df = pd.DataFrame(data, columns=columns)
    else:
        df = pd.DataFrame({c: pd.array([], dtype="str") for c in columns}, columns=columns)
    df = _strip_nul(df, path.name, report) if _scan_has_nul(path) else df
    return df


def _scan_has_nul(path: Path) -> bool:
    with open(path, "rb") as fh:
        return any(b"\x00" in block for block in iter(lambda: fh.read(_CHUNK), b""))


def _strip_nul(df: pd.DataFrame, source: str, report: ReadReport) -> pd.DataFrame:
    n = 0
    for col in df.columns:
        values = df[col]
        mask = values.map(lambda v: isinstance(v, str) and "\x00" in v).astype(bool)
        if mask.any():
            n += int(mask.sum())
            df[col] = values.map(lambda v: v.replace("\x00", "") if isinstance(v, str) else v)
    if n:
        report.n_nul_cells += n
        log.warning("%s: %d cell(s) held NUL characters (\\x00); they were removed.", source, n)
    return df


# -- the other formats -------------------------------------------------------------------


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    with open(path, "rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise InputError(
            f"{path.name} is password-protected (encrypted) or an old binary .xls file. Open it "
            "in Excel, remove the password and save it as .xlsx, or export CSV."
        )
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except PermissionError:
        raise
    except Exception as exc:  # zipfile, zlib, XML and openpyxl errors of damaged files
        raise InputError(
            f"{path.name} is not a readable .xlsx workbook ({type(exc).__name__}); it may be "
            "corrupt or password-protected. Save it again from Excel as .xlsx or export CSV."
        ) from None
    with book:
        names = [str(n) for n in book.sheet_names]
        if not names:
            raise InputError(f"{path.name} has no sheets; save it again from Excel or export CSV.")
        if sheet is not None and sheet not in names:
            raise InputError(
                f"Sheet '{sheet}' not found in {path.name}; sheets are: "
                f"{', '.join(names)}. Pass --sheet."
            )
        target = sheet if sheet is not None else names[0]
        if sheet is None and len(names) > 1:
            log.warning(
                "%s has %d sheets; reading the first, '%s'. Pass --sheet to choose.",
                path.name,
                len(names),
                target,
            )
        try:
            raw = pd.read_excel(
                book,
                sheet_name=target,
                header=None,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
            )
        except Exception as exc:  # openpyxl raises many types on damaged sheets
            raise InputError(
                f"Sheet '{target}' of {path.name} cannot be read ({type(exc).__name__}); it "
                "may be damaged. Save it again from Excel or export CSV."
            ) from None
    raw = raw.fillna("")
    if raw.empty:
        raise InputError(f"Sheet '{target}' of {path.name} is empty: it has no header row.")
    columns = check_header(raw.iloc[0].tolist(), f"{path.name} (sheet '{target}')")
    df = raw.iloc[1:].reset_index(drop=True)
    df.columns = columns
    return df.astype(str) if len(df) else df


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _DuplicateKey(sorted({k for k in keys if keys.count(k) > 1}))
    return dict(pairs)


class _DuplicateKey(Exception):  # noqa: N818 (internal signal, never escapes)
    def __init__(self, keys: list[str]) -> None:
        super().__init__()
        self.keys = keys


def _read_jsonl(path: Path, on_bad_rows: OnBadRows, report: ReadReport) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    record = 0
    with open(path, "rb") as fh:
        for lineno, raw_line in enumerate(fh, start=1):
            if lineno == 1 and raw_line.startswith(codecs.BOM_UTF8):
                raw_line = raw_line[len(codecs.BOM_UTF8) :]
            if not raw_line.strip():
                continue
            record += 1
            report.n_records = record
            problem, reason = "", ""
            try:
                obj = json.loads(
                    raw_line.decode("utf-8", errors="strict"),
                    parse_constant=_no_constant,
                    object_pairs_hook=_unique_keys,
                )
                if not isinstance(obj, dict):
                    problem, reason = (
                        'is not a JSON object; each line must be an object such as {"text": "..."}',
                        "not a JSON object",
                    )
            except UnicodeDecodeError:
                problem, reason = "is not valid UTF-8 (JSON Lines must be UTF-8)", "not UTF-8"
            except _DuplicateKey as exc:
                problem = f"has the key {', '.join(map(_show_name, exc.keys))} more than once"
                reason = "duplicate key"
            except (ValueError, RecursionError):
                problem, reason = "is not valid JSON", "not valid JSON"
            if problem:
                if on_bad_rows == "error":
                    raise BadRecordError(
                        f"{path.name} line {lineno} {problem} (record {record}). Fix or remove "
                        "that line, or pass --on-bad-rows skip to leave out bad lines (they "
                        "are counted and listed by number).",
                        record,
                    )
                report.skipped[record] = reason
                continue
            rows.append(obj)
    if not record:
        raise InputError(f"{path.name} is empty: it has no JSON lines.")
    df = pd.DataFrame(rows)
    check_header(df.columns, path.name)
    df = df.map(_cell_text) if len(df.columns) else df
    return _strip_nul(df, path.name, report)


def _read_parquet(path: Path, report: ReadReport) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        names = pq.ParquetFile(path).schema_arrow.names
    except Exception as exc:  # pyarrow raises several unrelated types
        raise InputError(
            f"{path.name} is not a readable Parquet file ({type(exc).__name__})."
        ) from None
    columns = check_header(names, path.name)
    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise InputError(
            f"{path.name} is not a readable Parquet file ({type(exc).__name__})."
        ) from None
    data: dict[str, Any] = {}
    for name, column in zip(columns, table.columns, strict=True):
        kind = column.type
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
            kind = column.type
        if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            try:
                column = pc.cast(column, pa.large_string())
            except pa.ArrowInvalid:
                raise InputError(
                    f"Column {_show_name(name)} of {path.name} holds bytes that are not UTF-8 "
                    "text; convert it to text before tagging."
                ) from None
            kind = column.type
        data[name] = pd.array([_cell_text(v) for v in column.to_pylist()], dtype="str")
    df = pd.DataFrame(data, columns=columns)
    report.n_records = len(df)
    return _strip_nul(df, path.name, report)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def load_table(
    path: str | Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    on_bad_rows: OnBadRows | str = "error",
    report: ReadReport | None = None,
) -> pd.DataFrame:
    """Read a whole table with every cell as text (missing cells as empty strings).

    Parameters
    ----------
    path : str or Path
        A .csv, .tsv, .xlsx, .jsonl or .parquet file.
    sheet : str, optional
        XLSX only: the sheet name (default: the first sheet, with a warning when there
        are several).
    encoding : str, optional
        CSV/TSV only: the text encoding. By default see :func:`detect_encoding`.
    on_bad_rows : {"error", "skip"}
        CSV/TSV/JSONL: stop at the first malformed record (default) or leave such
        records out; the skipped record numbers go to ``report`` and one warning.
    report : ReadReport, optional
        Filled with the encoding, record count and skipped records.

    Returns
    -------
    pandas.DataFrame
        One row per kept record, in file order.

    Raises
    ------
    MissingFileError
        If the file does not exist.
    InputError
        If the file cannot be decoded or parsed, has no header row or duplicate column
        names; :class:`BadRecordError` for a malformed record.
    """
    path = Path(path)
    policy = check_on_bad_rows(str(on_bad_rows))
    report = report if report is not None else ReadReport()
    report.source = path.name
    if not path.exists():
        raise MissingFileError(f"File {path} not found; check the path.")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a table file; pass a file.")
    fmt = table_format(path)
    if sheet is not None and fmt != "xlsx":
        raise InputError(f"--sheet applies to .xlsx files only, not to {path.name}.")
    try:
        if fmt in ("csv", "tsv"):
            df = _read_delimited(path, "," if fmt == "csv" else "\t", encoding, policy, report)
        elif fmt == "xlsx":
            df = _read_xlsx(path, sheet)
            report.n_records = len(df)
        elif fmt == "jsonl":
            df = _read_jsonl(path, policy, report)
        else:
            df = _read_parquet(path, report)
    except PermissionError:
        raise InputError(f"{path} cannot be read: permission denied.") from None
    except IsADirectoryError:  # pragma: no cover (checked above; races only)
        raise InputError(f"{path} is a folder, not a table file; pass a file.") from None
    except MemoryError:
        raise InputError(
            f"{path.name} is too large to read into memory; split it into smaller files."
        ) from None
    if report.skipped:
        rows = report.skipped_rows
        shown = ", ".join(map(str, rows[:_MAX_SHOWN])) + (", ..." if len(rows) > _MAX_SHOWN else "")
        log.warning(
            "Skipped %d malformed record(s) of %s (record %s: %s); they are not in the output.",
            len(rows),
            path.name,
            shown,
            report.summary()["reason"],
        )
    return df


def require_column(df: pd.DataFrame, column: str, source: str, option: str) -> None:
    """Raise :class:`ColumnError` naming the existing columns if ``column`` is absent.

    Long column names (a first row of data taken as the header) are not shown.
    """
    if column not in df.columns:
        shown = [_show_name(c) for c in df.columns]
        names = [str(c) if s == repr(str(c)) else s for c, s in zip(df.columns, shown, strict=True)]
        hint = (
            " The first row looks like data: does the file have a header row?"
            if any(s.startswith("<") for s in shown)
            else ""
        )
        raise ColumnError(
            f"Column '{column}' not found in {source}; columns are: "
            f"{', '.join(names) or '(none)'}. Pass {option}.{hint}"
        )


_NUMBERISH = re.compile(r"^[\d\s.,:;/+\-()%$#]*$")


def warn_numbers_only(df: pd.DataFrame, column: str, source: str) -> bool:
    """Log a warning (and return True) if every non-blank cell of ``column`` is a number.

    A narrative column of numbers is usually the wrong ``--text-col`` (an id or a date);
    the run goes on, since such rows are still tagged (with little to go on).
    """
    values = [str(v) for v in df[column].tolist() if str(v).strip()]
    if values and all(_NUMBERISH.match(v) for v in values):
        log.warning(
            "Column '%s' of %s holds only numbers (%d non-blank rows); is --text-col the "
            "narrative column?",
            column,
            source,
            len(values),
        )
        return True
    return False


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


# -- writing -----------------------------------------------------------------------------


def _write_failure(path: Path, exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"Cannot write {path}: the disk is full ({reason}). Free some space or choose "
            "another --out; nothing was written."
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"Cannot write {path} ({reason}); the folder is not writable. Choose another "
            "--out; nothing was written."
        )
    if exc.errno == errno.EISDIR or path.is_dir():
        return f"Cannot write {path}: it is a folder. Choose a file name for --out."
    return f"Cannot write {path} ({reason}); check the folder and free disk space."


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success fsync and rename it into place.

    On any exception the temporary file is removed and ``path`` is left as it was.

    Raises
    ------
    OutputError
        If the destination folder does not exist or cannot be written, or the disk is
        full (any ``OSError`` while writing, syncing or renaming).
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"Folder {folder} does not exist; create it or choose another --out.")
    if path.is_dir():
        raise OutputError(f"Cannot write {path}: it is a folder. Choose a file name for --out.")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(_write_failure(path, exc)) from None
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(_write_failure(path, exc)) from None
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def neutralise_formula(value: Any) -> Any:
    """Prefix ``'`` to a text cell that a spreadsheet would run as a formula.

    A cell beginning with ``=``, ``+``, ``-``, ``@``, tab, carriage return or NUL gets a
    leading apostrophe (OWASP CSV injection advice); anything else, and every non-text
    value, is returned unchanged.
    """
    if isinstance(value, str) and value[:1] in FORMULA_START and value:
        return "'" + value
    return value


def _text_mask(series: pd.Series, test: Callable[[str], bool]) -> pd.Series:
    return series.map(lambda v: isinstance(v, str) and test(v)).astype(bool)


def neutralise_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Return a copy of ``df`` with :func:`neutralise_formula` applied, and the cell count.

    Column names are neutralised too (they become the header row).
    """
    out = df.copy()
    n = 0
    for col in out.columns:
        series = out[col]
        if series.dtype.kind in "biufcmM":  # numbers, booleans, dates: never formulas
            continue
        mask = _text_mask(series, lambda v: v[:1] in FORMULA_START)
        if mask.any():
            n += int(mask.sum())
            out[col] = series.astype(object).where(~mask, "'" + series[mask].astype(str))
    renamed = [neutralise_formula(str(c)) for c in out.columns]
    n += sum(1 for a, b in zip(renamed, out.columns, strict=True) if a != str(b))
    out.columns = renamed
    return out, n


def write_table(df: pd.DataFrame, path: str | Path) -> WriteReport:
    """Write ``df`` atomically in the format named by the extension of ``path``.

    CSV, TSV and XLSX are opened by spreadsheets, so text cells that begin like a formula
    get a leading apostrophe (see :func:`neutralise_formula`). XLSX cells longer than
    32,767 characters are truncated (counted in the report, with a warning) and control
    characters XLSX cannot hold are removed; a frame with more rows than an Excel sheet
    holds is refused. JSON Lines and Parquet keep every value as it is; list and dict
    cells stay JSON in JSON Lines.

    Returns
    -------
    WriteReport

    Raises
    ------
    OutputError
        If the format is unknown, the table does not fit in XLSX, or the file cannot be
        written (no folder, no permission, disk full).
    """
    path = Path(path)
    fmt = table_format(path, for_output=True)
    report = WriteReport()
    if fmt == "xlsx":
        _check_excel_size(df, path)
    if fmt in ("csv", "tsv", "xlsx"):
        df, report.neutralised = neutralise_frame(df)
    if fmt == "xlsx":
        df = _excel_safe(df, report)
    writers: dict[str, Callable[[IO[Any]], None]] = {
        "csv": lambda fh: _write_delimited(df, fh, ","),
        "tsv": lambda fh: _write_delimited(df, fh, "\t"),
        "jsonl": lambda fh: _write_jsonl(df, fh),
        "parquet": lambda fh: df.to_parquet(fh, index=False),
        "xlsx": lambda fh: _write_xlsx(df, fh),
    }
    with atomic_write(path, "wb") as fh:
        writers[fmt](fh)
    if report.truncated:
        log.warning(
            "%d cell(s) of %s were longer than Excel's %d-character limit and were cut; "
            "write .csv, .jsonl or .parquet to keep the full text.",
            report.truncated,
            path.name,
            EXCEL_MAX_CELL,
        )
    if report.control_removed:
        log.warning(
            "%d cell(s) of %s held control characters that XLSX cannot store; they were removed.",
            report.control_removed,
            path.name,
        )
    if report.neutralised:
        log.info(
            "%d cell(s) of %s began like a spreadsheet formula and got a leading apostrophe.",
            report.neutralised,
            path.name,
        )
    return report


def _check_excel_size(df: pd.DataFrame, path: Path) -> None:
    if len(df) + 1 > EXCEL_MAX_ROWS:
        raise OutputError(
            f"{len(df)} rows do not fit in one Excel sheet (at most {EXCEL_MAX_ROWS - 1:,} rows "
            f"under the header); write {path.with_suffix('.csv').name} or "
            f"{path.with_suffix('.parquet').name} instead, or split the input."
        )
    if len(df.columns) > EXCEL_MAX_COLS:
        raise OutputError(
            f"{len(df.columns)} columns do not fit in one Excel sheet (at most "
            f"{EXCEL_MAX_COLS:,}); write .csv or .parquet instead."
        )


_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _excel_safe(df: pd.DataFrame, report: WriteReport) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype.kind in "biufcmM":
            continue
        series = series.map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
        bad = _text_mask(series, lambda v: _ILLEGAL_XLSX.search(v) is not None)
        if bad.any():
            report.control_removed += int(bad.sum())
            series = series.map(lambda v: _ILLEGAL_XLSX.sub("", v) if isinstance(v, str) else v)
        long = _text_mask(series, lambda v: len(v) > EXCEL_MAX_CELL)
        if long.any():
            report.truncated += int(long.sum())
            series = series.map(lambda v: v[:EXCEL_MAX_CELL] if isinstance(v, str) else v)
        out[col] = series
    return out


def _write_delimited(df: pd.DataFrame, fh: IO[bytes], sep: str) -> None:
    text = _io.TextIOWrapper(fh, encoding="utf-8", newline="")
    # CRLF as in RFC 4180: the csv writer then quotes every cell holding a CR or an LF, so
    # a lone CR inside a narrative cannot split the record.
    df.to_csv(text, sep=sep, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    text.flush()
    text.detach()


def _write_jsonl(df: pd.DataFrame, fh: IO[bytes]) -> None:
    for record in df.to_dict(orient="records"):
        fh.write(json.dumps(record, ensure_ascii=False, default=_json_default).encode("utf-8"))
        fh.write(b"\n")


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _write_xlsx(df: pd.DataFrame, fh: IO[bytes]) -> None:
    with pd.ExcelWriter(fh, engine="openpyxl") as writer:  # type: ignore[call-overload]
        df.to_excel(writer, index=False)
