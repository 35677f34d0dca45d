"""Checks shared by every table reader: formats, encodings, headers, records.

Plain functions, so that the whole-file reader (:func:`allegations.tables.read.load_table`) and a
chunked reader apply the same rules:

* :func:`detect_encoding`: strict UTF-8 (BOM-aware), UTF-16/32 by byte-order mark, else
  strict Windows-1252 with a warning naming the encoding and ``--encoding``; never a
  silent Latin-1; mixed encodings and undecodable bytes are refused with the byte offset
  and line;
* :func:`check_header`: duplicate column names (ignoring case and surrounding spaces) are
  refused; blank names are numbered;
* :func:`iter_delimited_records`: every record must have the header's number of fields
  and close its quotes; a bad record stops the read with its record and line numbers, or
  with ``on_bad_rows="skip"`` is left out and counted in a :class:`ReadReport`.

Messages name files, record and line numbers and column names, never cell text (long
"column names" are a first row of data and are not shown).
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import BadRecordError, InputError, OutputError

__all__ = [
    "FORMATS",
    "ON_BAD_ROWS",
    "OnBadRows",
    "ReadReport",
    "table_format",
    "check_on_bad_rows",
    "detect_encoding",
    "check_header",
    "show_name",
    "iter_delimited_records",
]

log = logging.getLogger("allegations.tables.read")

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
    sep : str or None
        The field separator used (CSV/TSV).
    sep_detected : bool
        True when the separator was detected and is not the extension's (a semicolon
        ``.csv``, say).
    """

    source: str = ""
    encoding: str | None = None
    encoding_warned: bool = False
    n_records: int = 0
    skipped: dict[int, str] = field(default_factory=dict)
    n_nul_cells: int = 0
    sep: str | None = None
    sep_detected: bool = False

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


def _scan(path: Path, encoding: str) -> _Scan:
    """Strictly decode the whole file in chunks; note the first failure."""
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
                return scan
            if final:
                return scan
            n_lines += block.count(b"\n")
            offset += len(block)


def _first_utf8_line(path: Path) -> int | None:
    """The line of the first well-formed multi-byte UTF-8 sequence, if any.

    Only called on a file that is not valid UTF-8: finding such a sequence there means two
    encodings are mixed (real cp1252 text almost never forms one).
    """
    n_lines = 1
    tail = b""
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            data = tail + block
            found = _UTF8_MULTIBYTE.search(data)
            if found:
                return n_lines + data[: found.start()].count(b"\n")
            keep = min(3, len(data))  # a sequence may straddle two blocks
            tail = data[len(data) - keep :]
            n_lines += data[: len(data) - keep].count(b"\n")
    return None


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
            "".encode(encoding)  # also refuses bytes-to-bytes codecs such as base64
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
    utf8_line = _first_utf8_line(path)
    if utf8_line is not None:
        raise InputError(
            f"{name} mixes encodings: line {utf8_line} holds UTF-8 text, but {where} is not "
            "UTF-8 (often two exports joined together). Re-save the file in one encoding, or "
            "pass --encoding to read all of it one way."
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


def show_name(name: object) -> str:
    """A column name fit for a message: quoted, or elided when long (a first row of data
    taken for the header must not be printed)."""
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
            " and ".join(f"{show_name(out[p - 1])} (column {p})" for p in pos) for pos in dupes
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
                what = f"has {len(row)} fields; the header has {n_fields}"
                if record == first_record and n_fields is not None and len(row) > n_fields:
                    what += (
                        f" (if a title or note sits above the header, pass --header-row "
                        f"with the header's line number, perhaps {start_line}; if the "
                        "separator is not the one detected, pass --sep)"
                    )
                raise _bad(source, record, start_line, what)
            report.skipped[record] = "wrong number of fields"
            continue
        yield row
