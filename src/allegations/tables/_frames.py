"""Frames of text cells, as every reader returns them, and the cells' clean-up.

:func:`text_frame` builds a frame of text columns from records; :func:`cell_text` gives a
JSON or Arrow value as the text of its cell; NUL characters are removed from cells
(counted, with one warning), and :func:`warn_skipped` logs the one warning about malformed
records left out.
"""

from __future__ import annotations

import json
import logging
from operator import itemgetter
from pathlib import Path
from typing import Any

import pandas as pd

from ._checks import _CHUNK, _MAX_SHOWN, ReadReport

__all__ = [
    "text_frame",
    "cell_text",
    "strip_nul_cells",
    "warn_nul_cells",
    "strip_nul_reported",
    "scan_has_nul",
    "warn_skipped",
]

log = logging.getLogger("allegations.tables._read")


def _text_array(values: list[str]) -> Any:
    """A pandas string array of ``values`` (through Arrow: much faster than from objects)."""
    import pyarrow as pa

    return pd.array(pa.array(values, pa.large_string()), dtype="str")


def text_frame(rows: list[list[str]], columns: list[str]) -> pd.DataFrame:
    """A frame of text columns from records (lists of cells, one per column)."""
    return pd.DataFrame(
        {c: _text_array(list(map(itemgetter(i), rows))) for i, c in enumerate(columns)},
        columns=columns,
    )


def cell_text(value: Any) -> str:
    """The text of a JSON or Arrow value in a cell (missing as empty, lists and dicts as JSON)."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def scan_has_nul(path: Path) -> bool:
    """True when the file holds a NUL byte."""
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


def strip_nul_reported(df: pd.DataFrame, source: str, report: ReadReport) -> pd.DataFrame:
    """:func:`strip_nul_cells`, counted in ``report`` and warned about once."""
    df, n = strip_nul_cells(df)
    report.n_nul_cells += n
    warn_nul_cells(source, n)
    return df


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
