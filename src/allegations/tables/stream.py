"""Read tables in chunks and write prediction tables incrementally, atomically.

Readers yield :class:`pandas.DataFrame` chunks whose cells are text, read with the same
checks as :func:`allegations.tables.read.load_table` (encoding detection, header checks, malformed
records and ``--on-bad-rows``), which shares its parsers with this module. CSV, TSV, JSON
Lines and Parquet are streamed; XLSX is read whole (a sheet holds at most 1,048,576 rows).

Writers append chunks to a hidden temporary file in the destination folder, named
``.<name>.<random>.partial``; on success the file is flushed, fsynced and renamed over the
destination, so an interrupted run leaves nothing at the destination. A run killed with
SIGKILL cannot remove its temporary file: the next run writing the same destination
removes such leftovers (a live run holds an exclusive lock on its own file, so only
abandoned ones are removed).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io as _io
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from ..errors import InputError, OutputError
from .formats import TableFormat
from .options import TableOptions
from .read import (
    OnBadRows,
    ReadReport,
    WriteReport,
    arrow_text_frame,
    check_header,
    check_input,
    detect_encoding,
    header_names,
    iter_delimited_records,
    iter_jsonl_objects,
    jsonl_frame,
    load_table,
    neutralise_frame,
    open_delimited,
    strip_nul_cells,
    table_options,
    text_frame,
    warn_nul_cells,
    warn_skipped,
)
from .write import (
    _json_default,
    _write_failure,
    format_rounded_floats,
    fsync_folder,
    nested_records,
    warn_xlsx_changes,
)
from .xlsx import XlsxWriter

__all__ = [
    "TableStream",
    "open_table",
    "scan_file",
    "ChunkWriter",
    "open_writer",
    "partial_output",
    "remove_stale_partials",
    "PARTIAL_SUFFIX",
]

log = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".partial"
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
    as for :func:`allegations.tables.read.load_table`.

    The cells of every chunk equal those :func:`allegations.tables.read.load_table` returns for
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


# -- output ------------------------------------------------------------------------------
def remove_stale_partials(path: str | Path) -> int:
    """Remove temporary files that killed runs left beside ``path``; return how many.

    Only files named ``.<name>.*.partial`` that no running process holds locked are
    removed (without ``fcntl``, on Windows, nothing is removed).
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return 0
    removed = 0
    for candidate in folder.glob(f".{path.name}.*{PARTIAL_SUFFIX}"):
        try:
            fd = os.open(candidate, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a live run holds it
            os.close(fd)
            continue
        try:
            candidate.unlink()
            removed += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    if removed:
        log.info("Removed %d temporary file(s) left by an interrupted run.", removed)
    return removed


@contextlib.contextmanager
def partial_output(path: str | Path) -> Iterator[IO[bytes]]:
    """Open ``.<name>.<random>.partial`` beside ``path``; on success fsync and rename it.

    The file is locked for as long as it is open, so that :func:`remove_stale_partials`
    tells a live run's file from an abandoned one. On any exception (including
    KeyboardInterrupt) the temporary file is removed and ``path`` is left as it was.

    Raises
    ------
    OutputError
        If the destination folder does not exist or cannot be written.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"Folder {folder} does not exist; create it or choose another --out.")
    remove_stale_partials(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PARTIAL_SUFFIX, dir=folder)
    except OSError as exc:
        raise OutputError(
            f"Cannot write to {folder} ({exc.strerror}); choose another --out."
        ) from None
    try:
        with contextlib.suppress(ImportError, OSError):
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
            os.replace(tmp_name, path)  # still locked: no cleaner can remove it first
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    fsync_folder(folder)  # make the rename itself durable (POSIX)


class ChunkWriter:
    """Append prediction chunks to an open binary file in one table format.

    Parameters
    ----------
    fh : binary file
        Where to write (normally from :func:`partial_output`).
    fmt : str
        ``csv``, ``tsv``, ``jsonl`` or ``parquet``.
    labels : sequence of str, optional
        The model's labels (JSON Lines nests the ``p_<label>`` columns under ``scores``);
        None writes JSON Lines records as the frame's columns are.

    CSV and TSV cells that begin like a spreadsheet formula get a leading apostrophe
    (counted in ``report``), as :func:`allegations.tables.read.write_table` does; JSON Lines and
    Parquet keep values as they are.
    """

    def __init__(self, fh: IO[bytes], fmt: str, labels: Sequence[str] | None) -> None:
        if fmt not in ("csv", "tsv", "jsonl", "parquet"):
            raise OutputError(f"Format {fmt} cannot be written in chunks.")
        self.fh = fh
        self.format = fmt
        self.labels = None if labels is None else list(labels)
        self.report = WriteReport()
        self.rows = 0
        self._started = False
        self._parquet: Any = None
        self._schema: Any = None
        self._empty: pd.DataFrame | None = None

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` (a prediction table)."""
        if len(frame) == 0:
            if self._empty is None:
                self._empty = frame
            return
        self.rows += len(frame)
        if self.format in ("csv", "tsv"):
            self._write_delimited(frame)
        elif self.format == "jsonl":
            shaped = frame if self.labels is None else nested_records(frame, self.labels)
            for record in shaped.to_dict(orient="records"):
                line = json.dumps(record, ensure_ascii=False, default=_json_default)
                self.fh.write(line.encode("utf-8") + b"\n")
        else:
            self._write_parquet(frame)
        self._started = True

    def close(self) -> None:
        """Finish the file (an empty input still gets a header or a schema)."""
        if not self._started and self._empty is not None:
            if self.format in ("csv", "tsv"):
                self._write_delimited(self._empty)
            elif self.format == "parquet":
                self._write_parquet(self._empty)
            self._started = True
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None

    def discard(self) -> None:
        """Stop after a failure (the temporary file is removed by the caller)."""
        if self._parquet is not None:
            with contextlib.suppress(Exception):
                self._parquet.close()
            self._parquet = None

    def _write_delimited(self, frame: pd.DataFrame) -> None:
        frame, n = neutralise_frame(frame)
        self.report.neutralised += n
        frame = format_rounded_floats(frame)
        text = _io.TextIOWrapper(self.fh, encoding="utf-8", newline="")
        frame.to_csv(  # CRLF as io.write_table (RFC 4180): cells with CR or LF get quoted
            text,
            sep="," if self.format == "csv" else "\t",
            index=False,
            header=not self._started,
            quoting=csv.QUOTE_MINIMAL,
            lineterminator="\r\n",
        )
        text.flush()
        text.detach()

    def _write_parquet(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._schema is None:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            self._schema = table.schema
            self._parquet = pq.ParquetWriter(self.fh, self._schema)
        else:
            table = pa.Table.from_pandas(frame, preserve_index=False, schema=self._schema)
        self._parquet.write_table(table)


@contextlib.contextmanager
def open_writer(
    path: str | Path,
    labels: Sequence[str] | None,
    *,
    fmt: TableFormat | None = None,
) -> Iterator[ChunkWriter | XlsxWriter]:
    """Write a table chunk by chunk to ``path``, atomically.

    Nothing appears at ``path`` until the block ends without an exception.

    Parameters
    ----------
    path : str or Path
    labels : sequence of str, optional
        The model's labels, when the chunks are prediction tables that JSON Lines nests
        (see :func:`~allegations.tables.write.nested_records`); None writes the chunks'
        columns as they are.
    fmt : TableFormat, optional
        The format, when the caller has decided it (default: by the extension).

    Yields
    ------
    writer
        Call ``writer.write(frame)`` for each chunk, in order.

    Raises
    ------
    OutputError
        If the format is unknown, an XLSX sheet would overflow, or the file cannot be
        written.
    """
    path = Path(path)
    fmt = fmt or TableFormat.of(path, for_output=True)
    try:
        with partial_output(path) as fh:
            writer: ChunkWriter | XlsxWriter
            if fmt is TableFormat.xlsx:
                writer = XlsxWriter(fh, name=path.name)
            else:
                writer = ChunkWriter(fh, fmt.value, labels)
            try:
                yield writer
            except BaseException:
                writer.discard()
                raise
            writer.close()
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(_write_failure(path, exc)) from None
    if isinstance(writer, XlsxWriter):
        warn_xlsx_changes(writer.report, path.name)
