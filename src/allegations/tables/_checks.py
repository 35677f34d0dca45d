"""Checks shared by every table reader: formats, the bad-record policy, headers.

Plain functions, so that the whole-file reader (:func:`allegations.tables._read.load_table`) and a
chunked reader apply the same rules:

* :func:`table_format`: the format named by a file's extension;
* :func:`check_header`: duplicate column names (ignoring case and surrounding spaces) are
  refused; blank names are numbered;
* :class:`ReadReport`: what a read found (encoding, records, malformed records left out).

The encoding is chosen by :func:`allegations.tables._encoding.detect_encoding`, the records
of delimited text checked by :func:`allegations.tables._records.iter_delimited_records`.

Messages name files, record and line numbers and column names, never cell text (long
"column names" are a first row of data and are not shown).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import InputError, OutputError

__all__ = [
    "FORMATS",
    "ON_BAD_ROWS",
    "OnBadRows",
    "ReadReport",
    "table_format",
    "check_on_bad_rows",
    "check_header",
    "show_name",
]


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
        raise InputError(f"`on_bad_rows` must be one of {', '.join(ON_BAD_ROWS)}, not {value!r}.")
    return value  # type: ignore[return-value]


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
