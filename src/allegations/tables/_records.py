"""Check the records of delimited text one by one.

:func:`iter_delimited_records`: every record must have the header's number of fields and
close its quotes; a bad record stops the read with its record and line numbers, or with
``on_bad_rows="skip"`` is left out and counted in a :class:`~allegations.tables._checks.ReadReport`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from ..errors import BadRecordError, InputError
from ._checks import OnBadRows, ReadReport

__all__ = ["iter_delimited_records"]


def _bad(source: str, record: int, line: int, what: str) -> BadRecordError:
    return BadRecordError(
        f"{source} record {record} (line {line}) {what}. Fix that record in the file, or "
        "pass `on_bad_rows` skip to leave out malformed records (they are counted and "
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
                what = f"has {len(row)} fields; the header has {n_fields}"
                if record == first_record and n_fields is not None and len(row) > n_fields:
                    what += (
                        f" (if a title or note sits above the header, pass `header_row` "
                        f"with the header's line number, perhaps {start_line}; if the "
                        "separator is not the one detected, pass `sep`)"
                    )
                raise _bad(source, record, start_line, what)
            report.skipped[record] = "wrong number of fields"
            continue
        yield row
