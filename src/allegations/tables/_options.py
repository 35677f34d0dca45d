"""The options that say how to read a table: its columns, its layout, its encoding.

One frozen :class:`TableOptions` travels from the command line through every reader
instead of the same loose keywords in each function. The layout options (``sep``,
``skip_rows``, ``no_header``) apply to CSV/TSV and, except ``sep``, to XLSX.
"""

from __future__ import annotations

import collections
import csv
import io
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..errors import InputError
from ._checks import OnBadRows, check_on_bad_rows

__all__ = ["TableOptions", "SEPARATORS", "SEP_NAMES", "detect_sep", "describe_sep"]

#: The separators a delimited file is tried with when ``sep`` is not given.
SEPARATORS = (",", ";", "\t", "|")
#: How a separator is named in messages and summaries.
SEP_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
#: Lines looked at to detect the separator.
_SNIFF_LINES = 50
_SNIFF_CHARS = 1 << 16
#: Read this much of a file to detect its separator.
SNIFF_CHARS = _SNIFF_CHARS


@dataclass(frozen=True)
class TableOptions:
    """How to read one table: which columns hold what, and how the file is laid out.

    Parameters
    ----------
    text_col : str
        The column holding the narrative text.
    id_col : str, optional
        The column holding a case id (default: the data record number, from 1).
    sheet : str, optional
        XLSX only: the sheet to read (default: the first).
    encoding : str, optional
        CSV/TSV only: the text encoding (default: UTF-8, else Windows-1252 with a warning).
    on_bad_rows : {"error", "skip"}
        A malformed record stops the read, or is left out and counted.
    sep : str, optional
        CSV/TSV only: the field separator (one character). Default: detected among
        comma, semicolon, tab and pipe from the first lines.
    skip_rows : int
        Lines (CSV/TSV) or sheet rows (XLSX) above the header to leave out, such as a
        title; the header is then line ``skip_rows + 1`` (:attr:`header_row`).
    no_header : bool
        The file has no header row: every record is data and the columns are named
        ``column_1``, ``column_2``, ...

    Raises
    ------
    InputError
        For an unknown ``on_bad_rows``, a separator that is not one character (or is a
        quote or a line break) or a negative ``skip_rows``.
    """

    text_col: str = "text"
    id_col: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    on_bad_rows: OnBadRows = "error"
    sep: str | None = None
    skip_rows: int = 0
    no_header: bool = False

    def __post_init__(self) -> None:
        policy = check_on_bad_rows(str(getattr(self.on_bad_rows, "value", self.on_bad_rows)))
        object.__setattr__(self, "on_bad_rows", policy)
        if self.sep is not None:
            sep = _unescape(self.sep)
            if len(sep) != 1 or sep in '"\r\n':
                raise InputError(
                    f"`sep` must be one character such as , ; | or \\t (tab), not {self.sep!r}."
                )
            object.__setattr__(self, "sep", sep)
        if self.skip_rows < 0:
            raise InputError(f"`skip_rows` must be 0 or more, not {self.skip_rows}.")

    @property
    def header_row(self) -> int | None:
        """The line (sheet row) of the header, from 1; None when there is no header."""
        return None if self.no_header else self.skip_rows + 1

    @classmethod
    def from_layout(
        cls, *, header_row: int | None = None, skip_rows: int | None = None, **kwargs: Any
    ) -> TableOptions:
        """Build options from ``header_row`` (line of the header, from 1) or ``skip_rows``.

        Raises
        ------
        InputError
            If both are given and disagree, or ``header_row`` is below 1.
        """
        if header_row is not None and header_row < 1:
            raise InputError(f"`header_row` must be 1 or more (the first line), not {header_row}.")
        if header_row is not None and skip_rows is not None and skip_rows != header_row - 1:
            raise InputError(
                f"`header_row` {header_row} and `skip_rows` {skip_rows} disagree (the header "
                f"on line {header_row} means skipping {header_row - 1}); pass one of them."
            )
        skip = header_row - 1 if header_row is not None else (skip_rows or 0)
        return cls(skip_rows=skip, **kwargs)

    def with_columns(self, text_col: str, id_col: str | None = None) -> TableOptions:
        """The same layout with other text and id columns."""
        return replace(self, text_col=text_col, id_col=id_col)

    @staticmethod
    def recorded_layout(record: Mapping[str, Any]) -> dict[str, Any]:
        """The layout options a provenance record holds (what :meth:`layout` wrote into
        it, e.g. a model card's ``data``), ready for ``TableOptions(**...)``."""
        return {k: record[k] for k in ("sep", "skip_rows", "no_header") if record.get(k)}

    def layout(self) -> dict[str, Any]:
        """The layout options that differ from the default, for a provenance record."""
        out: dict[str, Any] = {}
        if self.sep is not None:
            out["sep"] = self.sep
        if self.skip_rows:
            out["skip_rows"] = self.skip_rows
        if self.no_header:
            out["no_header"] = True
        return out


def _unescape(sep: str) -> str:
    """``\\t`` typed on a command line (two characters) means a tab; so do 'tab' and 'TAB'."""
    named = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    return named.get(sep.lower() if len(sep) > 1 else sep, sep)


def describe_sep(sep: str) -> str:
    """A separator's name for messages (``semicolon``), or the character quoted."""
    return SEP_NAMES.get(sep, repr(sep))


def detect_sep(sample: str, default: str) -> str:
    """Choose the field separator of delimited text from its first lines.

    Each candidate of :data:`SEPARATORS` splits the sample's records (quotes respected);
    a candidate qualifies when at least 80 % of the records get its most common number
    of fields, above one, without a quote left at a field's edge (a title line above the
    header may differ; a quote left over means a quoted cell was split).
    The qualifying candidate that splits the most records alike wins (a separator that
    only occurs inside narratives splits them unevenly), then the one giving more
    fields, then ``default`` (the extension's separator). When none qualifies,
    ``default`` is kept.

    Parameters
    ----------
    sample : str
        The beginning of the file.
    default : str
        The separator to keep when the sample does not decide.
    """
    cut = len(sample) >= _SNIFF_CHARS  # the last record may be cut short
    best: tuple[float, int, int] | None = None
    chosen = default
    for rank, sep in enumerate(SEPARATORS):
        rows = _sniff_rows(sample, sep, cut)
        if not rows:
            continue
        widths = collections.Counter(len(r) for r in rows)
        width, n = widths.most_common(1)[0]
        # Split by the wrong character, a quoted cell leaves a quote at a field's edge.
        n_broken = sum(1 for row in rows if any(_quote_at_edge(cell) for cell in row))
        share = (n - n_broken) / len(rows)
        if width < 2 or share < 0.8:
            continue
        score = (share, width, 1 if sep == default else -rank)
        if best is None or score > best:
            best, chosen = score, sep
    return chosen


def _quote_at_edge(cell: str) -> bool:
    cell = cell.strip()
    return cell.startswith('"') or cell.endswith('"')


def _sniff_rows(text: str, sep: str, cut: bool) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        rows = [row for row in itertools.islice(reader, _SNIFF_LINES + 1) if row]
    except csv.Error:
        return []
    if cut or len(rows) > _SNIFF_LINES:
        rows = rows[:-1]
    return rows
