"""Check the columns a caller needs once a table is read.

:func:`require_column` refuses a missing column, naming the columns there are (never a
data cell) and, when it can, the line of the file that holds the name; the numbers-only
warning says when the narrative column holds only numbers (the wrong ``text_col``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ColumnError
from ._checks import show_name, table_format
from ._layout import locate_header
from ._options import TableOptions

__all__ = [
    "require_column",
    "numbers_only_counts",
    "warn_numbers_only",
    "warn_if_numbers_only",
]

log = logging.getLogger("allegations.tables._read")


def require_column(
    df: pd.DataFrame,
    column: str,
    source: str,
    parameter: str,
    *,
    path: Path | None = None,
    options: TableOptions | None = None,
    what: str = "",
) -> None:
    """Raise :class:`ColumnError` naming the existing columns if ``column`` is absent.

    ``parameter`` is the caller's parameter that named the column (``text_col``) or the
    table (``what`` then says what it takes); the message asks to pass another (the
    command line shows it as its flag).

    The header's cells are shown (they are the column names the user chose), except
    long ones, which are a first row of data taken for the header. With ``path`` and
    ``options``, the message also says on which line of the file ``column`` appears (a
    title above the header), or suggests ``no_header``; it never quotes a data cell.
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
        unit = "row" if table_format(path or "") == "xlsx" else "line"
        hint = f" '{column}' is on {unit} {line} of the file: pass `header_row` {line}."
    elif looks_like_data:
        hint = (
            " The first row looks like data: does the file have a header row? If not, "
            "pass `no_header` (the columns are then column_1, column_2, ...)."
        )
    raise ColumnError(
        f"Column '{column}' not found in {source}; columns are: "
        f"{', '.join(names) or '(none)'}. Pass `{parameter}`{what}.{hint}"
    )


_NUMBERISH = re.compile(r"^[\d\s.,:;/+\-()%$#]*$")


def numbers_only_counts(values: Iterable[Any]) -> tuple[int, int]:
    """Count the non-blank cells of ``values`` and how many of them are only a number."""
    texts = [str(v) for v in values if str(v).strip()]
    return len(texts), sum(1 for v in texts if _NUMBERISH.match(v))


def warn_numbers_only(df: pd.DataFrame, column: str, source: str) -> bool:
    """Log a warning (and return True) if every non-blank cell of ``column`` is a number.

    A narrative column of numbers is usually the wrong ``text_col`` (an id or a date);
    the run goes on, since such rows are still tagged (with little to go on).
    """
    return warn_if_numbers_only(column, source, *numbers_only_counts(df[column]))


def warn_if_numbers_only(column: str, source: str, n_values: int, n_numbers: int) -> bool:
    """The warning of :func:`warn_numbers_only`, from counts summed over chunks."""
    if n_values and n_numbers == n_values:
        log.warning(
            "Column '%s' of %s holds only numbers (%d non-blank rows); is `text_col` the "
            "narrative column?",
            column,
            source,
            n_values,
        )
        return True
    return False
