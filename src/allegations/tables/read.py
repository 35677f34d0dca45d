"""Read and write tables (CSV, TSV, XLSX, JSONL, Parquet); check their columns.

Every cell is read as text so that ids keep their leading zeros and nothing is guessed.
Reading is strict (see :mod:`allegations.tables.checks`): text is decoded as UTF-8 (with
or without a byte-order mark), else as Windows-1252 with a warning, never silently as
Latin-1; a malformed record (wrong number of fields, a quote never closed, a line that is
not JSON) stops the read with its record number unless ``on_bad_rows="skip"``, which
leaves it out and counts it in a :class:`ReadReport`. Messages name files, record and
line numbers and column names, never cell text.

Outputs (see :mod:`allegations.tables.write`) are written atomically, and
spreadsheet-bound outputs (CSV, TSV, XLSX) neutralise formula injection.

This module is the one to import: it re-exports the checks and writers.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import logging
import re
from collections.abc import Iterable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

import pandas as pd

from ..errors import BadRecordError, ColumnError, InputError, MissingFileError
from .checks import (
    _CHUNK,
    _MAX_SHOWN,
    FORMATS,
    ON_BAD_ROWS,
    OnBadRows,
    ReadReport,
    check_header,
    check_on_bad_rows,
    detect_encoding,
    iter_delimited_records,
    show_name,
    table_format,
)
from .options import SNIFF_CHARS, TableOptions, detect_sep
from .write import (
    EXCEL_MAX_CELL,
    EXCEL_MAX_COLS,
    EXCEL_MAX_ROWS,
    WriteReport,
    atomic_write,
    check_excel_size,
    neutralise_formula,
    neutralise_frame,
    write_table,
)

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
    "locate_header",
    "header_names",
    "open_delimited",
    "table_options",
    "check_input",
    "require_column",
    "warn_numbers_only",
    "numbers_only_counts",
    "warn_if_numbers_only",
    "iter_jsonl_objects",
    "jsonl_frame",
    "arrow_text_frame",
    "text_frame",
    "strip_nul_cells",
    "warn_nul_cells",
    "warn_skipped",
    "neutralise_formula",
    "neutralise_frame",
    "write_table",
    "atomic_write",
    "check_excel_size",
    "sha256_file",
    "EXCEL_MAX_ROWS",
    "EXCEL_MAX_COLS",
    "EXCEL_MAX_CELL",
]

log = logging.getLogger(__name__)


def _read_delimited(
    path: Path, fmt: str, options: TableOptions, report: ReadReport
) -> pd.DataFrame:
    enc, warned = detect_encoding(path, options.encoding)
    report.encoding, report.encoding_warned = enc, warned
    with open_delimited(path, fmt, enc, options, report) as (fh, first_line):
        rows = _clean_records(fh, report.sep or ",")
    header: list[str] | None
    if rows is not None:  # fast path: one C-level parse, no per-record Python work
        header, rows = (rows[0], rows[1:]) if rows else (None, [])
        if options.no_header and header is not None:
            rows.insert(0, header)
        report.n_records = len(rows)
    else:  # something is malformed: find it record by record (or skip it)
        with open_delimited(path, fmt, enc, options, report) as (fh, first_line):
            records = iter_delimited_records(
                fh,
                report.sep or ",",
                path.name,
                on_bad_rows=options.on_bad_rows,
                report=report,
                first_record=2 if options.no_header else 1,
                first_line=first_line,
            )
            header = next(records, None)
            rows = list(records)
            if options.no_header and header is not None:
                rows.insert(0, header)
                report.n_records = max(report.n_records, 1)
    columns = header_names(header, path.name, options, first_line)
    df = text_frame(rows, columns)
    df = _strip_nul(df, path.name, report) if _scan_has_nul(path) else df
    return df


def header_names(
    header: list[str] | None, source: str, options: TableOptions, line: int
) -> list[str]:
    """The column names of a table from its header row (or numbered, with ``no_header``).

    Raises
    ------
    InputError
        If there is no header row (an empty file, or only the skipped lines), or the
        header holds duplicate names.
    """
    if header is None or not any(h.strip() for h in header):
        where = f" below the {options.skip_rows} skipped line(s)" if options.skip_rows else ""
        what = "no data rows" if options.no_header else "no header row"
        raise InputError(f"{source} is empty{where}: it has {what}.")
    if options.no_header:
        return [f"column_{i}" for i in range(1, len(header) + 1)]
    return check_header(header, source)


@contextlib.contextmanager
def open_delimited(
    path: Path, fmt: str, encoding: str, options: TableOptions, report: ReadReport
) -> Iterator[tuple[IO[str], int]]:
    """Open delimited text past the lines skipped above the header; choose its separator.

    Yields the open file and the line number of its first unread line. The separator
    (given, or detected by :func:`~allegations.tables.options.detect_sep` on the first
    lines) is stored in ``report.sep``.
    """
    with open(path, encoding=encoding, errors="strict", newline="") as fh:
        for _ in range(options.skip_rows):
            if not fh.readline():
                break
        if options.sep is not None:
            report.sep = options.sep
        elif report.sep is None:
            start = fh.tell()
            sample = fh.read(SNIFF_CHARS)
            fh.seek(start)
            default = "," if fmt == "csv" else "\t"
            report.sep = detect_sep(sample, default)
            report.sep_detected = report.sep != default
        yield fh, options.skip_rows + 1


def _text_array(values: list[str]) -> Any:
    """A pandas string array of ``values`` (through Arrow: much faster than from objects)."""
    import pyarrow as pa

    return pd.array(pa.array(values, pa.large_string()), dtype="str")


def _clean_records(fh: IO[str], sep: str) -> list[list[str]] | None:
    """All non-blank records of a well-formed file (header first), or None if any record
    is malformed (then :func:`iter_delimited_records` finds and reports it)."""
    csv.field_size_limit(2**31 - 1)
    try:
        rows = list(csv.reader(fh, delimiter=sep, strict=True))
    except csv.Error:
        return None
    if not all(rows):  # blank lines are not records
        rows = [row for row in rows if row]
    if rows and set(map(len, rows)) != {len(rows[0])}:
        return None
    return rows


def _scan_has_nul(path: Path) -> bool:
    with open(path, "rb") as fh:
        return any(b"\x00" in block for block in iter(lambda: fh.read(_CHUNK), b""))


def strip_nul_cells(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Remove NUL characters from the text cells of ``df``; return it and the cell count."""
    n = 0
    for col in df.columns:
        values = df[col]
        mask = values.map(lambda v: isinstance(v, str) and "\x00" in v).astype(bool)
        if mask.any():
            n += int(mask.sum())
            df[col] = values.map(lambda v: v.replace("\x00", "") if isinstance(v, str) else v)
    return df, n


def warn_nul_cells(source: str, n: int) -> None:
    """Log the one warning about removed NUL characters."""
    if n:
        log.warning("%s: %d cell(s) held NUL characters (\\x00); they were removed.", source, n)


def _strip_nul(df: pd.DataFrame, source: str, report: ReadReport) -> pd.DataFrame:
    df, n = strip_nul_cells(df)
    report.n_nul_cells += n
    warn_nul_cells(source, n)
    return df


def text_frame(rows: list[list[str]], columns: list[str]) -> pd.DataFrame:
    """A frame of text columns from records (lists of cells, one per column)."""
    return pd.DataFrame(
        {c: _text_array(list(map(itemgetter(i), rows))) for i, c in enumerate(columns)},
        columns=columns,
    )


def warn_skipped(report: ReadReport, source: str) -> None:
    """Log the one warning about malformed records left out (numbers only, no text)."""
    if report.skipped:
        rows = report.skipped_rows
        shown = ", ".join(map(str, rows[:_MAX_SHOWN])) + (", ..." if len(rows) > _MAX_SHOWN else "")
        log.warning(
            "Skipped %d malformed record(s) of %s (record %s: %s); they are not in the output.",
            len(rows),
            source,
            shown,
            report.summary()["reason"],
        )


# -- the other formats -------------------------------------------------------------------


def _read_xlsx(path: Path, options: TableOptions) -> pd.DataFrame:
    sheet = options.sheet
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
    raw = raw.fillna("").iloc[options.skip_rows :]
    if raw.empty:
        header_names(None, f"Sheet '{target}' of {path.name}", options, options.skip_rows + 1)
    first = raw.iloc[0].tolist()
    columns = header_names(first, f"{path.name} (sheet '{target}')", options, options.skip_rows + 1)
    df = raw if options.no_header else raw.iloc[1:]
    df = df.reset_index(drop=True)
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


def iter_jsonl_objects(
    path: Path, on_bad_rows: OnBadRows, report: ReadReport
) -> Iterator[dict[str, Any]]:
    """Yield the JSON objects of a JSON Lines file, checking each line.

    ``report.n_records`` is the record number of the object just yielded (blank lines are
    not records). Malformed lines raise :class:`BadRecordError` or, with
    ``on_bad_rows="skip"``, are counted in ``report.skipped``.

    Raises
    ------
    InputError
        If the file holds no JSON line at all.
    """
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
                elif _SURROGATE_ESCAPE.search(raw_line) and not _is_unicode(obj):
                    problem, reason = (
                        "holds a \\u escape of half a character (a lone surrogate, "
                        "\\ud800-\\udfff without its pair), which is not text",
                        "lone surrogate",
                    )
            except UnicodeDecodeError:
                problem, reason = "is not valid UTF-8 (JSON Lines must be UTF-8)", "not UTF-8"
            except _DuplicateKey as exc:
                problem = f"has the key {', '.join(map(show_name, exc.keys))} more than once"
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
            yield obj
    if not record:
        raise InputError(f"{path.name} is empty: it has no JSON lines.")


#: A JSON ``\\u`` escape of a surrogate (half of a UTF-16 pair); a pair decodes to one
#: character, a lone one to a string that cannot be written as UTF-8.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _is_unicode(obj: Any) -> bool:
    """True when every string in ``obj`` can be written as UTF-8 (no lone surrogate)."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def jsonl_frame(objects: list[dict[str, Any]], source: str) -> pd.DataFrame:
    """The text frame of parsed JSON Lines objects (keys missing from a row are empty)."""
    df = pd.DataFrame(objects)
    check_header(df.columns, source)
    df = df.map(_cell_text) if len(df.columns) else df
    return df.fillna("")


def _read_jsonl(path: Path, on_bad_rows: OnBadRows, report: ReadReport) -> pd.DataFrame:
    df = jsonl_frame(list(iter_jsonl_objects(path, on_bad_rows, report)), path.name)
    return _strip_nul(df, path.name, report)


def arrow_text_frame(table: Any, columns: list[str], source: str) -> pd.DataFrame:
    """Turn an Arrow table or record batch into a frame of text cells.

    Dictionary columns are decoded, binary columns must hold UTF-8 text, and every other
    value becomes its text (as :func:`load_table` gives for Parquet).

    Raises
    ------
    InputError
        If a binary or text column holds bytes that are not UTF-8.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

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
                    f"Column {show_name(name)} of {source} holds bytes that are not UTF-8 "
                    "text; convert it to text before tagging."
                ) from None
        try:
            values = column.to_pylist()
        except UnicodeDecodeError:  # a text column whose bytes are not UTF-8
            raise InputError(
                f"Column {show_name(name)} of {source} holds bytes that are not UTF-8 "
                "text; re-export the file with UTF-8 text."
            ) from None
        data[name] = pd.array([_cell_text(v) for v in values], dtype="str")
    return pd.DataFrame(data, columns=columns)


def _read_parquet(path: Path, report: ReadReport) -> pd.DataFrame:
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
    df = arrow_text_frame(table, columns, path.name)
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


def check_input(path: Path, options: TableOptions) -> str:
    """Check an input path against its options; return its format.

    Raises
    ------
    MissingFileError
        If the file does not exist.
    InputError
        If it is a folder, has an unknown extension, or an option does not apply to its
        format (``sheet`` to other than XLSX; ``sep`` to other than CSV/TSV;
        ``skip_rows`` and ``no_header`` to JSON Lines or Parquet).
    """
    if not path.exists():
        raise MissingFileError(f"File {path} not found; check the path.")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a table file; pass a file.")
    fmt = table_format(path)
    if options.sheet is not None and fmt != "xlsx":
        raise InputError(f"--sheet applies to .xlsx files only, not to {path.name}.")
    if options.sep is not None and fmt not in ("csv", "tsv"):
        raise InputError(f"--sep applies to .csv and .tsv files only, not to {path.name}.")
    if (options.skip_rows or options.no_header) and fmt not in ("csv", "tsv", "xlsx"):
        raise InputError(
            f"--header-row, --skip-rows and --no-header apply to CSV, TSV and XLSX files, "
            f"not to {path.name} (its column names are part of the format)."
        )
    return fmt


def table_options(
    options: TableOptions | None,
    sheet: str | None,
    encoding: str | None,
    on_bad_rows: OnBadRows | str | None,
) -> TableOptions:
    """``options``, or options built from the loose keywords of the older signature."""
    if options is None:
        return TableOptions(sheet=sheet, encoding=encoding, on_bad_rows=on_bad_rows or "error")  # type: ignore[arg-type]
    if sheet is not None or encoding is not None or on_bad_rows is not None:
        raise TypeError("pass either options or sheet/encoding/on_bad_rows, not both")
    return options


def load_table(
    path: str | Path,
    options: TableOptions | None = None,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    on_bad_rows: OnBadRows | str | None = None,
    report: ReadReport | None = None,
) -> pd.DataFrame:
    """Read a whole table with every cell as text (missing cells as empty strings).

    Parameters
    ----------
    path : str or Path
        A .csv, .tsv, .xlsx, .jsonl or .parquet file.
    options : TableOptions, optional
        How to read it (sheet, encoding, bad records, separator, header row); or the
        keywords below, for the common ones.
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
    options = table_options(options, sheet, encoding, on_bad_rows)
    fmt = check_input(path, options)
    report = report if report is not None else ReadReport()
    report.source = path.name
    try:
        if fmt in ("csv", "tsv"):
            df = _read_delimited(path, fmt, options, report)
        elif fmt == "xlsx":
            df = _read_xlsx(path, options)
            report.n_records = len(df)
        elif fmt == "jsonl":
            df = _read_jsonl(path, options.on_bad_rows, report)
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
    warn_skipped(report, path.name)
    return df


def require_column(
    df: pd.DataFrame,
    column: str,
    source: str,
    option: str,
    *,
    path: Path | None = None,
    options: TableOptions | None = None,
) -> None:
    """Raise :class:`ColumnError` naming the existing columns if ``column`` is absent.

    The header's cells are shown (they are the column names the user chose), except
    long ones, which are a first row of data taken for the header. With ``path`` and
    ``options``, the message also says on which line of the file ``column`` appears (a
    title above the header), or suggests ``--no-header``; it never quotes a data cell.
    """
    if column in df.columns:
        return
    shown = [show_name(c) for c in df.columns]
    names = [str(c) if s == repr(str(c)) else s for c, s in zip(df.columns, shown, strict=True)]
    looks_like_data = any(s.startswith("<") for s in shown)
    if looks_like_data:  # a row of data taken for the header: show none of its cells
        names = [f"{len(names)} cells of a first row that looks like data (not shown)"]
    hint = ""
    line = locate_header(path, options, column) if path is not None and options else None
    if line is not None:
        what = "row" if table_format(path or "") == "xlsx" else "line"
        hint = f" '{column}' is on {what} {line} of the file: pass --header-row {line}."
    elif looks_like_data:
        hint = (
            " The first row looks like data: does the file have a header row? If not, "
            "pass --no-header (the columns are then column_1, column_2, ...)."
        )
    raise ColumnError(
        f"Column '{column}' not found in {source}; columns are: "
        f"{', '.join(names) or '(none)'}. Pass {option}.{hint}"
    )


#: How many rows :func:`locate_header` looks through for a header below a title.
HEADER_SEARCH_ROWS = 30


def locate_header(path: Path | None, options: TableOptions | None, column: str) -> int | None:
    """The line (sheet row) of a CSV/TSV/XLSX file, from 1, among its first
    :data:`HEADER_SEARCH_ROWS`, holding a cell equal to ``column`` (ignoring case and
    surrounding spaces); None if none does, or it is the header already read.

    Only a number is returned: no cell text leaves this function.
    """
    if path is None or options is None:
        return None
    key = column.strip().casefold()
    try:
        fmt = table_format(path)
        if fmt == "xlsx":
            raw = pd.read_excel(
                path,
                sheet_name=options.sheet or 0,
                header=None,
                dtype=str,
                nrows=HEADER_SEARCH_ROWS,
            ).fillna("")
            rows = [(i, [str(v) for v in row]) for i, row in enumerate(raw.values.tolist(), 1)]
        elif fmt in ("csv", "tsv"):
            rows = []
            with open(
                path, encoding=options.encoding or "utf-8-sig", errors="replace", newline=""
            ) as fh:
                sep = options.sep or detect_sep(fh.read(SNIFF_CHARS), "," if fmt == "csv" else "\t")
                fh.seek(0)
                reader = csv.reader(fh, delimiter=sep)
                start = 1
                for row in reader:
                    rows.append((start, row))
                    start = reader.line_num + 1
                    if len(rows) >= HEADER_SEARCH_ROWS:
                        break
        else:
            return None
    except Exception:  # a hint only: never fail the error message itself
        return None
    for number, cells in rows:
        if any(str(c).strip().casefold() == key for c in cells):
            return None if number == options.header_row else number
    return None


_NUMBERISH = re.compile(r"^[\d\s.,:;/+\-()%$#]*$")


def numbers_only_counts(values: Iterable[Any]) -> tuple[int, int]:
    """Count the non-blank cells of ``values`` and how many of them are only a number."""
    texts = [str(v) for v in values if str(v).strip()]
    return len(texts), sum(1 for v in texts if _NUMBERISH.match(v))


def warn_numbers_only(df: pd.DataFrame, column: str, source: str) -> bool:
    """Log a warning (and return True) if every non-blank cell of ``column`` is a number.

    A narrative column of numbers is usually the wrong ``--text-col`` (an id or a date);
    the run goes on, since such rows are still tagged (with little to go on).
    """
    return warn_if_numbers_only(column, source, *numbers_only_counts(df[column]))


def warn_if_numbers_only(column: str, source: str, n_values: int, n_numbers: int) -> bool:
    """The warning of :func:`warn_numbers_only`, from counts summed over chunks."""
    if n_values and n_numbers == n_values:
        log.warning(
            "Column '%s' of %s holds only numbers (%d non-blank rows); is --text-col the "
            "narrative column?",
            column,
            source,
            n_values,
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
