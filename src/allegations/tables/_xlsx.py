"""Write XLSX workbooks a reporter can use at once: a frozen header row, a filter on
every column, and column widths that fit the content.

The sheet's XML is written straight into the workbook's zip, chunk by chunk, with each
column's cells escaped and joined at once: memory stays flat and the time stays close to
CSV's (openpyxl builds an object per cell: about 10x CSV's time on the Philadelphia
export; see ``benchmarks/xlsx_output.py`` and ``docs/batch-tagging.md``). Cells are made
safe for Excel as :func:`allegations.tables._write.write_table` always did: formulas
neutralised, control characters removed, cells cut at 32,767 characters, more rows than a
sheet holds refused. Text is written as inline strings; numbers and booleans as such.
"""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

from ..errors import OutputError
from ._write import EXCEL_MAX_COLS, WriteReport, check_excel_rows, excel_safe, neutralise_frame

__all__ = ["XlsxWriter", "column_widths", "column_letter", "MAX_WIDTH", "MIN_WIDTH"]

#: Column widths, in characters: narrow columns stay readable, long text is cut at a
#: width a screen can show.
MIN_WIDTH = 8
MAX_WIDTH = 60
#: Rows looked at to size the columns.
_WIDTH_SAMPLE = 200
SHEET = "Sheet1"

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"

_STATIC = {
    "[Content_Types].xml": _DECL
    + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/></Types>',
    "_rels/.rels": _DECL
    + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_DOC_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>",
    "xl/_rels/workbook.xml.rels": _DECL
    + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_DOC_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC_REL}/styles" Target="styles.xml"/>'
    "</Relationships>",
    # One font, the two fills Excel requires, one border, one cell format; the header's
    # cells use the second format (bold).
    "xl/styles.xml": _DECL + f"<styleSheet {_NS}>"
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>",
}


def column_letter(index: int) -> str:
    """The letters of column ``index`` (1 = A, 27 = AA)."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_widths(frame: pd.DataFrame) -> list[float]:
    """A width per column: its longest header or cell among the first rows, within
    :data:`MIN_WIDTH` and :data:`MAX_WIDTH` (numbers as written, four decimals)."""
    widths = []
    head = frame.head(_WIDTH_SAMPLE)
    for col in head.columns:
        values = head[col]
        if values.dtype.kind == "f":
            longest = 6
        else:
            longest = max((len(str(v)) for v in values), default=0)
        longest = max(longest, len(str(col)) + 2)  # room for the filter button
        widths.append(float(min(max(longest + 1, MIN_WIDTH), MAX_WIDTH)))
    return widths


class XlsxWriter:
    """Append frames (same columns) to the one sheet of a new workbook; ``close`` ends it.

    Parameters
    ----------
    fh : binary file
        Where the workbook goes (normally from an atomic writer).
    name : str
        The output's file name, for messages.

    The first frame sets the header and the column widths.
    """

    def __init__(self, fh: IO[bytes], name: str = "") -> None:
        self.name = name or "output.xlsx"
        self.report = WriteReport()
        self.rows = 0
        self._zip = zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._sheet: IO[bytes] | None = None
        self._columns: list[str] | None = None

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame``; raise :class:`OutputError` past Excel's limits."""
        check_excel_rows(self.rows + len(frame), Path(self.name), so_far=True)
        if self._columns is None:
            self._start(frame)
        if not len(frame):
            return
        frame, n = neutralise_frame(frame)
        self.report.neutralised += n
        frame = excel_safe(frame, self.report)
        numbers = np.arange(self.rows + 2, self.rows + 2 + len(frame)).astype(str).astype(object)
        pieces: list[Any] = ['<row r="' + numbers + '">']
        for j, col in enumerate(frame.columns, start=1):
            pieces.extend(_cells(frame[col], column_letter(j) + numbers))
        pieces.append(itertools.repeat("</row>", len(frame)))
        # One join over every piece of every row: no text is copied twice.
        self._put("".join(itertools.chain.from_iterable(zip(*pieces, strict=True))))
        self.rows += len(frame)

    def _start(self, frame: pd.DataFrame) -> None:
        if len(frame.columns) > EXCEL_MAX_COLS:
            raise OutputError(
                f"{len(frame.columns)} columns do not fit in one Excel sheet (at most "
                f"{EXCEL_MAX_COLS:,}); write .csv or .parquet instead."
            )
        header, _ = neutralise_frame(frame.iloc[:0])
        self._columns = [str(c) for c in header.columns]
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'
            for i, w in enumerate(column_widths(frame), start=1)
        )
        head = "".join(
            f'<c r="{column_letter(i)}1" t="inlineStr" s="1"><is><t xml:space="preserve">'
            f"{escape(name)}</t></is></c>"
            for i, name in enumerate(self._columns, start=1)
        )
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._put(
            f'{_DECL}<worksheet {_NS} {_REL_NS}><sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + f'<sheetData><row r="1">{head}</row>'
        )

    def _put(self, text: str) -> None:
        assert self._sheet is not None
        self._sheet.write(text.encode("utf-8"))

    def discard(self) -> None:
        """Stop after a failure (the caller removes the unfinished file)."""
        if self._sheet is not None:
            self._sheet.close()
            self._sheet = None
        self._zip.close()

    def close(self) -> None:
        """Write the filter over every row and the workbook's other parts."""
        if self._columns is None:
            self._start(pd.DataFrame())
        assert self._columns is not None
        ref = f"A1:{column_letter(max(len(self._columns), 1))}{self.rows + 1}"
        self._put("</sheetData>" + (f'<autoFilter ref="{ref}"/>' if self._columns else ""))
        self._put("</worksheet>")
        assert self._sheet is not None
        self._sheet.close()
        for part, text in _STATIC.items():
            self._zip.writestr(part, text)
        absolute = _absolute(ref)
        names = (
            f'<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" '
            f"hidden=\"1\">'{SHEET}'!{absolute}</definedName></definedNames>"
            if self._columns
            else ""
        )
        self._zip.writestr(
            "xl/workbook.xml",
            f"{_DECL}<workbook {_NS} {_REL_NS}><sheets><sheet name={quoteattr(SHEET)} "
            f'sheetId="1" r:id="rId1"/></sheets>{names}</workbook>',
        )
        self._zip.close()


def _absolute(ref: str) -> str:
    """``A1:D13`` as ``$A$1:$D$13``."""
    parts = []
    for cell in ref.split(":"):
        letters = "".join(ch for ch in cell if ch.isalpha())
        parts.append(f"${letters}${cell[len(letters) :]}")
    return ":".join(parts)


def _cells(series: pd.Series, refs: Any) -> list[Any]:
    """The ``<c>`` elements of one column as three sequences (one item per row): the
    opening tags, the values, the closing tags."""
    n = len(series)
    kind = series.dtype.kind
    if kind == "b":
        flags = np.where(series.to_numpy(dtype=bool), "1", "0").astype(object)
        return ['<c r="' + refs + '" t="b"><v>', flags, itertools.repeat("</v></c>", n)]
    if kind in "iuf":
        values = series.to_numpy()
        text = values.astype(str).astype(object)  # numpy's shortest repr, as CSV has it
        opening = '<c r="' + refs + '"><v>'
        if kind == "f":
            blank = ~np.isfinite(values.astype(float))
            if blank.any():
                text = np.where(blank, "", text).astype(object)
                closing = np.where(blank, "", "</v></c>").astype(object)
                return [np.where(blank, '<c r="' + refs + '"/>', opening), text, closing]
        return [opening, text, itertools.repeat("</v></c>", n)]
    texts = [_text(v) for v in series.tolist()]
    opening = '<c r="' + refs + '" t="inlineStr"><is><t xml:space="preserve">'
    return [opening, texts, itertools.repeat("</t></is></c>", n)]


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, str):
        if "&" in value or "<" in value or ">" in value:
            value = escape(value)
        if "\r" in value:  # XML reading turns a bare CR into LF: keep it as a reference
            value = value.replace("\r", "&#13;")
        return value
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    return escape(str(value))
