"""The layout of a delimited or XLSX table: lines skipped above the header, the header row
(or none), the separator.

:func:`open_delimited` opens delimited text past the skipped lines and chooses its
separator; :func:`header_names` turns the header row (or its absence, with ``no_header``)
into column names; :func:`locate_header` finds the line of a column name below a title, for
the hint of a missing-column message.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pandas as pd

from ..errors import InputError
from ._checks import ReadReport, check_header, table_format
from ._options import SNIFF_CHARS, TableOptions, detect_sep

__all__ = ["header_names", "open_delimited", "locate_header", "HEADER_SEARCH_ROWS"]


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
    (given, or detected by :func:`~allegations.tables._options.detect_sep` on the first
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
