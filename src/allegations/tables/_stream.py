"""Read tables in chunks.

Readers yield :class:`pandas.DataFrame` chunks whose cells are text, read with the same
checks as :func:`allegations.tables._read.load_table` (encoding detection, header checks, malformed
records and ``on_bad_rows``), which shares its parsers with this module. CSV, TSV, JSON
Lines and Parquet are streamed; XLSX is read whole (a sheet holds at most 1,048,576 rows).
Predictions are written chunk by chunk by :mod:`allegations.tables._chunk_writer`.
"""

from __future__ import annotations

import codecs
import hashlib
import io as _io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from ._checks import OnBadRows, ReadReport, check_header
from ._encoding import detect_encoding
from ._frames import strip_nul_cells, text_frame, warn_nul_cells, warn_skipped
from ._jsonl import iter_jsonl_objects, jsonl_frame
from ._layout import header_names, open_delimited
from ._options import TableOptions
from ._parquet import arrow_text_frame
from ._read import check_input, load_table, table_options
from ._records import iter_delimited_records

__all__ = ["TableStream", "open_table", "scan_file"]

_BLOCK = 1 << 20


def scan_file(path: str | Path) -> tuple[str, bool, bool]:
    """Return the sha256 of a file, whether it is valid UTF-8 and whether it holds a NUL
    byte, in one pass.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    (str, bool, bool)
        The hex digest, True when every byte decodes as UTF-8, True when some byte is 0.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    utf8 = True
    nul = False
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
            nul = nul or b"\x00" in block
            if utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return digest.hexdigest(), utf8, nul


class TableStream:
    """Chunks of a table, each a DataFrame of text cells, in file order.

    Built by :func:`open_table`. Iterate it once.

    Attributes
    ----------
    path : Path
    format : str
        ``csv``, ``tsv``, ``jsonl``, ``parquet`` or ``xlsx``.
    columns : list of str
        The header (JSON Lines: the keys seen so far, complete once iterated).
    total_rows : int or None
        The number of data rows when the file says so up front (Parquet, XLSX).
    sha256 : str
        The sha256 of the file.
    report : ReadReport
        Encoding, records read, malformed records skipped (numbers and reasons only).
    record_numbers : list of int
        The record numbers (first data record = 1) of the rows of the last chunk: rows
        keep their number when malformed records before them are skipped.
    """

    def __init__(
        self,
        path: Path,
        fmt: str,
        columns: list[str],
        chunks: Callable[[TableStream], Iterator[tuple[pd.DataFrame, list[int]]]],
        *,
        sha256: str,
        report: ReadReport,
        total_rows: int | None = None,
    ) -> None:
        self.path = path
        self.format = fmt
        self.columns = columns
        self.total_rows = total_rows
        self.sha256 = sha256
        self.report = report
        self.record_numbers: list[int] = []
        self.rows_read = 0
        self._chunks = chunks
        self._fraction: Callable[[], float | None] = lambda: None
        #: False when the file is known to hold no NUL character (cells are not searched).
        self.may_hold_nul = True
        self._done = False

    @property
    def skipped(self) -> dict[str, int]:
        """Malformed records left out, counted by reason."""
        counts: dict[str, int] = {}
        for reason in self.report.skipped.values():
            counts[reason] = counts.get(reason, 0) + 1
        return counts

    def __iter__(self) -> Iterator[pd.DataFrame]:
        n_nul = 0
        for chunk, numbers in self._chunks(self):
            if self.may_hold_nul:
                chunk, n = strip_nul_cells(chunk)
                n_nul += n
            self.record_numbers = numbers
            self.rows_read += len(chunk)
            yield chunk
        self.report.n_nul_cells += n_nul
        warn_nul_cells(self.path.name, n_nul)
        warn_skipped(self.report, self.path.name)
        self._done = True

    def fraction_done(self) -> float | None:
        """The share of the input consumed so far (by bytes or rows), if known."""
        if self._done:
            return 1.0
        if self.total_rows:
            return min(self.rows_read / self.total_rows, 1.0)
        return self._fraction()


def open_table(
    path: str | Path,
    options: TableOptions | None = None,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    chunk_rows: int = 10_000,
    on_bad_rows: OnBadRows | str | None = None,
) -> TableStream:
    """Open a table for reading in chunks of ``chunk_rows`` rows.

    ``options`` (or the loose ``sheet``, ``encoding``, ``on_bad_rows``) say how to read it,
    as for :func:`allegations.tables._read.load_table`.

    The cells of every chunk equal those :func:`allegations.tables._read.load_table` returns for
    the same rows, with the same checks (encoding, header, malformed records and
    ``on_bad_rows``), in constant memory except for XLSX (read whole).

    Raises
    ------
    MissingFileError
        If the file does not exist.
    InputError
        If the file cannot be decoded or parsed, or has no header row.
    """
    path = Path(path)
    options = table_options(options, sheet, encoding, on_bad_rows)
    policy = options.on_bad_rows
    fmt = check_input(path, options)
    if chunk_rows < 1:
        raise InputError(f"Chunk size {chunk_rows} must be at least 1 row.")
    try:
        digest, _, nul = scan_file(path)
    except PermissionError:
        raise InputError(f"{path} cannot be read: permission denied.") from None
    report = ReadReport(source=path.name)
    if fmt in ("csv", "tsv"):
        stream = _delimited_stream(path, fmt, options, report, digest, chunk_rows)
        # A NUL character in delimited text is a 0 byte in every encoding read (UTF-8,
        # cp1252, UTF-16/32), so a file without one needs no per-cell NUL search.
        stream.may_hold_nul = nul
        return stream
    if fmt == "jsonl":
        return TableStream(
            path, fmt, [], _jsonl_chunks(policy, chunk_rows), sha256=digest, report=report
        )
    if fmt == "parquet":
        return _parquet_stream(path, digest, chunk_rows, report)
    df = load_table(path, options, report=report)

    def xlsx_chunks(_: TableStream) -> Iterator[tuple[pd.DataFrame, list[int]]]:
        for start in range(0, len(df), chunk_rows):
            chunk = df.iloc[start : start + chunk_rows].reset_index(drop=True)
            yield chunk, list(range(start + 1, start + len(chunk) + 1))

    return TableStream(
        path,
        fmt,
        list(df.columns),
        xlsx_chunks,
        sha256=digest,
        report=report,
        total_rows=len(df),
    )


def _delimited_stream(
    path: Path,
    fmt: str,
    options: TableOptions,
    report: ReadReport,
    digest: str,
    chunk_rows: int,
) -> TableStream:
    enc, warned = detect_encoding(path, options.encoding)  # warns once for a cp1252 fallback
    report.encoding, report.encoding_warned = enc, warned
    policy = options.on_bad_rows
    with open_delimited(path, fmt, enc, options, report) as (fh, first_line):
        sep = report.sep or ","
        first = next(
            iter_delimited_records(fh, sep, path.name, on_bad_rows=policy, first_line=first_line),
            None,
        )
    columns = header_names(first, path.name, options, first_line)
    size = max(path.stat().st_size, 1)
    handle: list[_io.TextIOWrapper] = []

    def chunks(stream: TableStream) -> Iterator[tuple[pd.DataFrame, list[int]]]:
        with open_delimited(path, fmt, enc, options, report) as (fh, line):
            handle.append(fh)  # type: ignore[arg-type]
            records = iter_delimited_records(
                fh,
                sep,
                path.name,
                on_bad_rows=policy,
                report=report,
                first_record=2 if options.no_header else 1,
                first_line=line,
            )
            head = next(records)  # the header, checked above
            rows: list[list[str]] = [head] if options.no_header else []
            numbers: list[int] = [1] if options.no_header else []
            report.n_records = max(report.n_records, len(rows))
            for row in records:
                rows.append(row)
                numbers.append(report.n_records)
                if len(rows) >= chunk_rows:
                    yield text_frame(rows, columns), numbers
                    rows, numbers = [], []
            if rows:
                yield text_frame(rows, columns), numbers

    stream = TableStream(path, fmt, columns, chunks, sha256=digest, report=report)
    # The byte position of the binary buffer under the text reader (it reads ahead).
    stream._fraction = lambda: (
        min(handle[0].buffer.tell() / size, 1.0) if handle else 0.0  # type: ignore[attr-defined]
    )
    return stream


def _jsonl_chunks(
    policy: OnBadRows, chunk_rows: int
) -> Callable[[TableStream], Iterator[tuple[pd.DataFrame, list[int]]]]:
    def chunks(stream: TableStream) -> Iterator[tuple[pd.DataFrame, list[int]]]:
        path = stream.path
        seen: dict[str, None] = dict.fromkeys(stream.columns)
        objects: list[dict[str, Any]] = []
        numbers: list[int] = []
        for obj in iter_jsonl_objects(path, policy, stream.report):
            objects.append(obj)
            numbers.append(stream.report.n_records)
            if len(objects) >= chunk_rows:
                yield _records_frame(objects, seen, stream), numbers
                objects, numbers = [], []
        if objects:
            yield _records_frame(objects, seen, stream), numbers

    return chunks


def _records_frame(
    objects: list[dict[str, Any]], seen: dict[str, None], stream: TableStream
) -> pd.DataFrame:
    df = jsonl_frame(objects, stream.path.name)
    for col in df.columns:
        seen.setdefault(str(col), None)
    check_header(list(seen), stream.path.name)
    stream.columns = list(seen)
    return df


def _parquet_stream(path: Path, digest: str, chunk_rows: int, report: ReadReport) -> TableStream:
    import pyarrow.parquet as pq

    try:
        pfile = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types
        raise InputError(
            f"{path.name} is not a readable Parquet file ({type(exc).__name__})."
        ) from None
    columns = check_header(pfile.schema_arrow.names, path.name)

    def chunks(_: TableStream) -> Iterator[tuple[pd.DataFrame, list[int]]]:
        start = 0
        with pfile:
            try:
                for batch in pfile.iter_batches(batch_size=chunk_rows):
                    df = arrow_text_frame(batch, columns, path.name)
                    numbers = list(range(start + 1, start + len(df) + 1))
                    start += len(df)
                    report.n_records = start
                    yield df, numbers
            except OSError as exc:
                raise InputError(
                    f"{path.name} is not a readable Parquet file ({type(exc).__name__})."
                ) from None

    return TableStream(
        path,
        "parquet",
        columns,
        chunks,
        sha256=digest,
        report=report,
        total_rows=pfile.metadata.num_rows,
    )
