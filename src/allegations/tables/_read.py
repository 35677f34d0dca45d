"""Read whole tables (CSV, TSV, XLSX, JSONL, Parquet) into frames of text.

Every cell is read as text so that ids keep their leading zeros and nothing is guessed.
Reading is strict (see :mod:`allegations.tables._checks`): text is decoded as UTF-8 (with
or without a byte-order mark), else as Windows-1252 with a warning, never silently as
Latin-1 (:mod:`allegations.tables._encoding`); a malformed record (wrong number of fields, a
quote never closed, a line that is not JSON) stops the read with its record number unless
``on_bad_rows="skip"``, which leaves it out and counts it in a :class:`ReadReport`.
Messages name files, record and line numbers and column names, never cell text.

Delimited text and XLSX are read here, with the layout helpers of
:mod:`allegations.tables._layout`; JSON Lines and Parquet in :mod:`allegations.tables._jsonl`
and :mod:`allegations.tables._parquet`.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import IO

import pandas as pd

from ..errors import InputError, MissingFileError
from ._checks import OnBadRows, ReadReport, table_format
from ._encoding import detect_encoding
from ._frames import scan_has_nul, strip_nul_reported, text_frame, warn_skipped
from ._jsonl import read_jsonl
from ._layout import header_names, open_delimited
from ._options import TableOptions
from ._parquet import read_parquet
from ._records import iter_delimited_records

__all__ = ["load_table", "check_input", "table_options", "sha256_file"]

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
    df = strip_nul_reported(df, path.name, report) if scan_has_nul(path) else df
    return df


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


# -- XLSX ----------------------------------------------------------------------------------


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
                f"{', '.join(names)}. Pass `sheet`."
            )
        target = sheet if sheet is not None else names[0]
        if sheet is None and len(names) > 1:
            log.warning(
                "%s has %d sheets; reading the first, '%s'. Pass `sheet` to choose.",
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
        raise InputError(f"`sheet` applies to .xlsx files only, not to {path.name}.")
    if options.sep is not None and fmt not in ("csv", "tsv"):
        raise InputError(f"`sep` applies to .csv and .tsv files only, not to {path.name}.")
    if (options.skip_rows or options.no_header) and fmt not in ("csv", "tsv", "xlsx"):
        raise InputError(
            f"`header_row`, `skip_rows` and `no_header` apply to CSV, TSV and XLSX files, "
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
            df = read_jsonl(path, options.on_bad_rows, report)
        else:
            df = read_parquet(path, report)
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


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()
