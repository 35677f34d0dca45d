"""Write XLSX workbooks a reporter can use at once: a frozen header row, a filter on
every column, and column widths that fit the content.

Rows are streamed with openpyxl's write-only mode (each row goes to disk as it is
written), so memory stays flat and the time stays close to CSV's (see
``benchmarks/xlsx_output.py``). Cells are made safe for Excel as
:func:`allegations.tables.write.write_table` always did: formulas neutralised, control
characters removed, cells cut at 32,767 characters, more rows than a sheet holds refused.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from ..errors import OutputError
from .write import EXCEL_MAX_COLS, WriteReport, check_excel_rows, excel_safe, neutralise_frame

__all__ = ["XlsxWriter", "column_widths", "MAX_WIDTH", "MIN_WIDTH"]

#: Column widths, in characters: narrow columns stay readable, long text wraps the view
#: at a width a screen can show.
MIN_WIDTH = 8
MAX_WIDTH = 60
#: Rows looked at to size the columns.
_WIDTH_SAMPLE = 200


def column_widths(frame: pd.DataFrame) -> list[float]:
    """A width per column: its longest header or cell among the first rows, within
    :data:`MIN_WIDTH` and :data:`MAX_WIDTH` (numbers as written, four decimals)."""
    widths = []
    head = frame.head(_WIDTH_SAMPLE)
    for col in head.columns:
        values = head[col]
        if values.dtype.kind == "f":
            longest = 6
        elif values.dtype.kind in "biu":
            longest = max((len(str(v)) for v in values), default=1)
        else:
            longest = max((len(str(v)) for v in values), default=0)
        longest = max(longest, len(str(col)) + 2)  # room for the filter button
        widths.append(float(min(max(longest + 1, MIN_WIDTH), MAX_WIDTH)))
    return widths


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


class XlsxWriter:
    """Append frames (same columns) to one sheet of a new workbook; ``close`` saves it.

    Parameters
    ----------
    fh : binary file
        Where the workbook goes (normally from an atomic writer).
    sheet_title : str
        The sheet's name.

    The first frame sets the header and the column widths.
    """

    def __init__(self, fh: IO[bytes], sheet_title: str = "Sheet1", name: str = "") -> None:
        from openpyxl import Workbook

        self.fh = fh
        self.name = name
        self.report = WriteReport()
        self.rows = 0
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(sheet_title)
        self._columns: list[str] | None = None

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame``; raise :class:`OutputError` past Excel's limits."""
        check_excel_rows(self.rows + len(frame), Path(self.name or "output.xlsx"), so_far=True)
        if self._columns is None:
            self._start(frame)
        if not len(frame):
            return
        frame, n = neutralise_frame(frame)
        self.report.neutralised += n
        frame = excel_safe(frame, self.report)
        append = self._sheet.append
        for row in zip(*(_cells(frame[c]) for c in frame.columns), strict=True):
            append(row)
        self.rows += len(frame)

    def _start(self, frame: pd.DataFrame) -> None:
        if len(frame.columns) > EXCEL_MAX_COLS:
            raise OutputError(
                f"{len(frame.columns)} columns do not fit in one Excel sheet (at most "
                f"{EXCEL_MAX_COLS:,}); write .csv or .parquet instead."
            )
        header, _ = neutralise_frame(frame.iloc[:0])
        self._columns = [str(c) for c in header.columns]
        for i, width in enumerate(column_widths(frame), start=1):
            self._sheet.column_dimensions[_letter(i)].width = width
        self._sheet.freeze_panes = "A2"
        self._sheet.append(self._columns)

    def discard(self) -> None:
        """Stop after a failure: finish the sheet's temporary file and remove it."""
        with contextlib.suppress(Exception):
            self._sheet.close()
        writer = getattr(self._sheet, "_writer", None)
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.cleanup()  # openpyxl's temporary file of the sheet

    def close(self) -> None:
        """Set the filter over every written row and save the workbook."""
        if self._columns is None:
            self._start(pd.DataFrame())
        if self._columns:
            last = _letter(len(self._columns))
            self._sheet.auto_filter.ref = f"A1:{last}{self.rows + 1}"
        self._book.save(self.fh)


def _cells(series: pd.Series) -> Sequence[Any]:
    """Python values openpyxl writes fast: text, floats, ints, booleans; NaN as blank."""
    kind = series.dtype.kind
    if kind == "f":
        values = series.to_numpy(dtype=float)
        return [None if math.isnan(v) else v for v in values.tolist()]
    if kind in "biu":
        return series.to_numpy().tolist()
    out = series.tolist()
    return [None if isinstance(v, float) and v != v else _plain(v) for v in out]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
