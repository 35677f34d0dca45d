"""Write whole tables atomically, safe to open in a spreadsheet.

* :func:`write_table`: through :func:`~allegations.tables._atomic.atomic_write`, so no
  partial file is ever left behind;
* :func:`neutralise_formula` / :func:`neutralise_frame`: a text cell beginning with
  ``= + - @``, tab, CR or NUL gets a leading apostrophe (OWASP CSV injection) in CSV, TSV
  and XLSX; JSON Lines and Parquet keep values as they are;
* XLSX: cells are cut to Excel's 32,767-character limit (counted), control characters
  XLSX cannot hold are removed (counted), and more rows than a sheet holds is refused.
"""

from __future__ import annotations

import csv
import functools
import io as _io
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from ..errors import OutputError
from ._atomic import atomic_write
from ._checks import table_format

__all__ = [
    "nested_records",
    "EXCEL_MAX_ROWS",
    "EXCEL_MAX_COLS",
    "EXCEL_MAX_CELL",
    "FORMULA_START",
    "WriteReport",
    "check_excel_size",
    "neutralise_formula",
    "neutralise_frame",
    "format_rounded_floats",
    "write_table",
    "excel_safe",
    "check_excel_rows",
    "warn_xlsx_changes",
    "json_default",
]

log = logging.getLogger("allegations.tables._read")

#: Excel's limits: rows per sheet (header included) and characters per cell.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
EXCEL_MAX_CELL = 32_767
#: First characters that make a spreadsheet treat a cell as a formula (OWASP, ASVS 1.2.10).
FORMULA_START = frozenset("=+-@\t\r\x00")


@dataclass
class WriteReport:
    """What writing changed so that a spreadsheet shows the data safely.

    Attributes
    ----------
    neutralised : int
        Cells given a leading apostrophe because they began like a formula.
    truncated : int
        XLSX cells cut to Excel's 32,767-character limit.
    control_removed : int
        XLSX cells from which control characters (not allowed in XLSX) were removed.
    """

    neutralised: int = 0
    truncated: int = 0
    control_removed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "neutralised": self.neutralised,
            "truncated": self.truncated,
            "control_removed": self.control_removed,
        }


def neutralise_formula(value: Any) -> Any:
    """Prefix ``'`` to a text cell that a spreadsheet would run as a formula.

    A cell beginning with ``=``, ``+``, ``-``, ``@``, tab, carriage return or NUL gets a
    leading apostrophe (OWASP CSV injection advice); anything else, and every non-text
    value, is returned unchanged.
    """
    if isinstance(value, str) and value[:1] in FORMULA_START and value:
        return "'" + value
    return value


def _text_mask(series: pd.Series, test: Callable[[str], bool]) -> pd.Series:
    return series.map(lambda v: isinstance(v, str) and test(v)).astype(bool)


def neutralise_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Return a copy of ``df`` with :func:`neutralise_formula` applied, and the cell count.

    Column names are neutralised too (they become the header row).
    """
    out = df.copy()
    n = 0
    for col in out.columns:
        series = out[col]
        if series.dtype.kind in "biufcmM":  # numbers, booleans, dates: never formulas
            continue
        mask = _text_mask(series, lambda v: v[:1] in FORMULA_START)
        if mask.any():
            n += int(mask.sum())
            out[col] = series.astype(object).where(~mask, "'" + series[mask].astype(str))
    renamed = [neutralise_formula(str(c)) for c in out.columns]
    n += sum(1 for a, b in zip(renamed, out.columns, strict=True) if a != str(b))
    out.columns = renamed
    return out, n


def write_table(df: pd.DataFrame, path: str | Path) -> WriteReport:
    """Write ``df`` atomically in the format named by the extension of ``path``.

    CSV, TSV and XLSX are opened by spreadsheets, so text cells that begin like a formula
    get a leading apostrophe (see :func:`neutralise_formula`). XLSX cells longer than
    32,767 characters are truncated (counted in the report, with a warning) and control
    characters XLSX cannot hold are removed; a frame with more rows than an Excel sheet
    holds is refused. JSON Lines and Parquet keep every value as it is; list and dict
    cells stay JSON in JSON Lines.

    Returns
    -------
    WriteReport

    Raises
    ------
    OutputError
        If the format is unknown, the table does not fit in XLSX, or the file cannot be
        written (no folder, no permission, disk full).
    """
    path = Path(path)
    fmt = table_format(path, for_output=True)
    report = WriteReport()
    if fmt == "xlsx":
        check_excel_size(df, path)
    if fmt in ("csv", "tsv"):
        df, report.neutralised = neutralise_frame(df)
    writers: dict[str, Callable[[IO[Any]], None]] = {
        "csv": lambda fh: _write_delimited(df, fh, ","),
        "tsv": lambda fh: _write_delimited(df, fh, "\t"),
        "jsonl": lambda fh: _write_jsonl(df, fh),
        "parquet": lambda fh: df.to_parquet(fh, index=False),
        "xlsx": lambda fh: _write_xlsx(df, fh, path.name, report),
    }
    with atomic_write(path, "wb") as fh:
        writers[fmt](fh)
    warn_xlsx_changes(report, path.name)
    if report.neutralised:
        log.info(
            "%d cell(s) of %s began like a spreadsheet formula and got a leading apostrophe.",
            report.neutralised,
            path.name,
        )
    return report


def warn_xlsx_changes(report: WriteReport, name: str) -> None:
    """Log the warnings about XLSX cells that were cut or lost control characters."""
    if report.truncated:
        log.warning(
            "%d cell(s) of %s were longer than Excel's %d-character limit and were cut; "
            "write .csv, .jsonl or .parquet to keep the full text.",
            report.truncated,
            name,
            EXCEL_MAX_CELL,
        )
    if report.control_removed:
        log.warning(
            "%d cell(s) of %s held control characters that XLSX cannot store; they were removed.",
            report.control_removed,
            name,
        )


def check_excel_rows(n_rows: int, path: Path, *, so_far: bool = False) -> None:
    """Raise :class:`OutputError` if ``n_rows`` data rows do not fit in one Excel sheet
    (``so_far``: the rows written until now, of an input whose length is not known)."""
    if n_rows + 1 > EXCEL_MAX_ROWS:
        count = f"More than {EXCEL_MAX_ROWS - 1:,}" if so_far else f"{n_rows}"
        raise OutputError(
            f"{count} rows do not fit in one Excel sheet (at most {EXCEL_MAX_ROWS - 1:,} rows "
            f"under the header); write {path.with_suffix('.csv').name} or "
            f"{path.with_suffix('.parquet').name} instead, or split the input."
        )


def check_excel_size(df: pd.DataFrame, path: Path) -> None:
    """Raise :class:`OutputError` if ``df`` does not fit in one Excel sheet."""
    check_excel_rows(len(df), path)
    if len(df.columns) > EXCEL_MAX_COLS:
        raise OutputError(
            f"{len(df.columns)} columns do not fit in one Excel sheet (at most "
            f"{EXCEL_MAX_COLS:,}); write .csv or .parquet instead."
        )


_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def excel_safe(df: pd.DataFrame, report: WriteReport) -> pd.DataFrame:
    """A copy of ``df`` that XLSX can hold: lists and dicts as JSON, control characters
    removed and cells cut at Excel's limit (both counted in ``report``).

    A column is searched once as a whole (one regular-expression scan in C); cells are
    looked at one by one only in a column that needs a change.
    """
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype.kind in "biufcmM":
            continue
        values = series.tolist()
        changed = any(isinstance(v, (list, dict)) for v in values)
        if changed:
            values = [json.dumps(v) if isinstance(v, (list, dict)) else v for v in values]
        texts = [v for v in values if isinstance(v, str)]
        if _ILLEGAL_XLSX.search("\n".join(texts)):
            bad = [isinstance(v, str) and _ILLEGAL_XLSX.search(v) is not None for v in values]
            report.control_removed += sum(bad)
            values = [
                _ILLEGAL_XLSX.sub("", v) if b else v for v, b in zip(values, bad, strict=True)
            ]
            changed = True
        if texts and max(map(len, texts)) > EXCEL_MAX_CELL:
            long = [isinstance(v, str) and len(v) > EXCEL_MAX_CELL for v in values]
            report.truncated += sum(long)
            values = [v[:EXCEL_MAX_CELL] if b else v for v, b in zip(values, long, strict=True)]
            changed = True
        if changed:
            out[col] = pd.Series(values, index=series.index, dtype=object)
    return out


@functools.cache
def _four_decimals() -> np.ndarray:
    """Every value in [0, 1] with at most four decimals (as ``numpy.round(x, 4)`` gives
    them), as text exactly as pandas writes a float (numpy's shortest repr)."""
    return (np.arange(10_001, dtype=np.float64) / 1e4).astype(str).astype(object)


def format_rounded_floats(df: pd.DataFrame) -> pd.DataFrame:
    """Pre-format float columns whose values are all in [0, 1] with at most four decimals
    (probabilities and confidence), by table look-up instead of one float-to-text
    conversion per cell. The text is exactly what ``DataFrame.to_csv`` writes for them;
    other columns are left alone.
    """
    out = None
    for col in df.columns:
        values = df[col].to_numpy()
        if values.dtype != np.float64 or len(values) == 0:
            continue
        scaled = np.rint(values * 1e4)
        if not (np.all(scaled / 1e4 == values) and scaled.min() >= 0 and scaled.max() <= 1e4):
            continue
        if out is None:
            out = df.copy()
        out[col] = pd.Series(
            _four_decimals()[scaled.astype(np.int64)], index=df.index, dtype=object
        )
    return df if out is None else out


def _write_delimited(df: pd.DataFrame, fh: IO[bytes], sep: str) -> None:
    df = format_rounded_floats(df)
    text = _io.TextIOWrapper(fh, encoding="utf-8", newline="")
    # CRLF as in RFC 4180: the csv writer then quotes every cell holding a CR or an LF, so
    # a lone CR inside a narrative cannot split the record.
    df.to_csv(text, sep=sep, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    text.flush()
    text.detach()


def _write_jsonl(df: pd.DataFrame, fh: IO[bytes]) -> None:
    for record in df.to_dict(orient="records"):
        fh.write(json.dumps(record, ensure_ascii=False, default=json_default).encode("utf-8"))
        fh.write(b"\n")


def json_default(value: Any) -> Any:
    """The JSON value of a numpy scalar or array (``json.dumps(default=...)``)."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _write_xlsx(df: pd.DataFrame, fh: IO[bytes], name: str, report: WriteReport) -> None:
    from ._xlsx import XlsxWriter  # frozen header, filter, widths; streamed rows

    writer = XlsxWriter(fh, name=name)
    writer.write(df)
    writer.close()
    report.neutralised += writer.report.neutralised
    report.truncated += writer.report.truncated
    report.control_removed += writer.report.control_removed


def nested_records(
    frame: pd.DataFrame,
    labels: Sequence[str],
    evidence: list[list[dict[str, Any]]] | None = None,
) -> pd.DataFrame:
    """Reshape a prediction table for JSON Lines: ``id``, ``labels`` (a list), ``scores``
    (label to probability), ``confidence``, ``needs_review``, and with ``evidence`` (from
    :meth:`allegations.model.Tagger.frame_from_texts`, ``frame.attrs["evidence"]`` by default) an
    ``evidence`` list of ``{label, phrase, sentence, weight}``."""
    columns = [f"p_{label}" for label in labels]
    probs = frame[columns].to_numpy(dtype=float).tolist() if len(frame) else []
    data = {
        "id": frame["id"].tolist(),
        "labels": [s.split(";") if s else [] for s in frame["labels"]],
        "scores": [dict(zip(labels, row, strict=True)) for row in probs],
        "confidence": frame["confidence"].astype(float).tolist(),
        "needs_review": frame["needs_review"].astype(bool).tolist(),
    }
    if evidence is None:
        evidence = frame.attrs.get("evidence")
    if evidence is not None:
        data["evidence"] = evidence
    return pd.DataFrame(data, columns=list(data))
