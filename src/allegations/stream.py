"""Read tables in chunks and write prediction tables incrementally, atomically.

Readers yield :class:`pandas.DataFrame` chunks whose cells are text, read with exactly the
options of :func:`allegations.io.load_table` (every cell as text, nothing turned into NaN,
UTF-8 with or without BOM and then Windows-1252 with a warning). CSV, TSV, JSON Lines and
Parquet are streamed; XLSX is read whole (a sheet holds at most 1,048,576 rows).

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

from .errors import InputError, MissingFileError, OutputError
from .io import _cell_text, _json_default, _parser_detail, load_table, table_format, write_table
from .tagger import nested_records

__all__ = [
    "XLSX_MAX_ROWS",
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

#: Data rows an .xlsx sheet can hold (1,048,576 rows less the header).
XLSX_MAX_ROWS = 1_048_575
PARTIAL_SUFFIX = ".partial"
_BLOCK = 1 << 20


def scan_file(path: str | Path) -> tuple[str, bool]:
    """Return the sha256 of a file and whether it is valid UTF-8, in one pass.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    (str, bool)
        The hex digest and True when every byte decodes as UTF-8.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    utf8 = True
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
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
    return digest.hexdigest(), utf8


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
    skipped : dict
        Rows skipped while reading, by reason (JSON Lines blank lines).
    """

    def __init__(
        self,
        path: Path,
        fmt: str,
        columns: list[str],
        chunks: Callable[[TableStream], Iterator[pd.DataFrame]],
        *,
        sha256: str,
        total_rows: int | None = None,
    ) -> None:
        self.path = path
        self.format = fmt
        self.columns = columns
        self.total_rows = total_rows
        self.sha256 = sha256
        self.skipped: dict[str, int] = {}
        self.rows_read = 0
        self._chunks = chunks
        self._fraction: Callable[[], float | None] = lambda: None
        self._done = False

    def __iter__(self) -> Iterator[pd.DataFrame]:
        for chunk in self._chunks(self):
            self.rows_read += len(chunk)
            yield chunk
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
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    chunk_rows: int = 10_000,
) -> TableStream:
    """Open a table for reading in chunks of ``chunk_rows`` rows.

    The cells of every chunk equal those :func:`allegations.io.load_table` returns for
    the same rows.

    Raises
    ------
    MissingFileError
        If the file does not exist.
    InputError
        If the file cannot be parsed or has no header row.
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"File {path} not found; check the path.")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a table file; pass a file.")
    fmt = table_format(path)
    if sheet is not None and fmt != "xlsx":
        raise InputError(f"--sheet applies to .xlsx files only, not to {path.name}.")
    if chunk_rows < 1:
        raise InputError(f"Chunk size {chunk_rows} must be at least 1 row.")
    try:
        digest, utf8 = scan_file(path)
    except PermissionError:
        raise InputError(f"{path} cannot be read: permission denied.") from None
    if fmt in ("csv", "tsv"):
        return _delimited_stream(path, fmt, encoding, utf8, digest, chunk_rows)
    if fmt == "jsonl":
        if not utf8:
            raise InputError(f"{path.name} is not valid UTF-8; JSON Lines must be UTF-8.")
        return TableStream(path, fmt, [], _jsonl_chunks(chunk_rows), sha256=digest)
    if fmt == "parquet":
        return _parquet_stream(path, digest, chunk_rows)
    df = load_table(path, sheet=sheet)
    if len(df) > XLSX_MAX_ROWS:  # not a file Excel wrote; refuse rather than guess
        raise InputError(
            f"{path.name} has {len(df):,} data rows, more than the {XLSX_MAX_ROWS:,} an .xlsx "
            "sheet can hold; export it as CSV or Parquet."
        )

    def xlsx_chunks(_: TableStream) -> Iterator[pd.DataFrame]:
        for start in range(0, len(df), chunk_rows):
            yield df.iloc[start : start + chunk_rows].reset_index(drop=True)

    return TableStream(path, fmt, list(df.columns), xlsx_chunks, sha256=digest, total_rows=len(df))


def _delimited_stream(
    path: Path, fmt: str, encoding: str | None, utf8: bool, digest: str, chunk_rows: int
) -> TableStream:
    sep = "," if fmt == "csv" else "\t"
    if encoding is None:
        enc = "utf-8-sig" if utf8 else "cp1252"
    else:
        enc = encoding
        try:
            codecs.lookup(enc)
        except LookupError:
            raise InputError(
                f"Unknown encoding '{enc}'; pass a Python codec name such as "
                "utf-8 or cp1252 to --encoding."
            ) from None
    options: dict[str, Any] = {
        "sep": sep,
        "dtype": str,
        "keep_default_na": False,
        "na_filter": False,
        "encoding": enc,
        "encoding_errors": "strict",
        "engine": "c",
    }
    try:
        header = pd.read_csv(path, nrows=0, **options)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path.name} is empty: it has no header row.") from None
    except UnicodeDecodeError as exc:
        raise _decode_error(path, enc, exc) from None
    except pd.errors.ParserError as exc:
        raise _parse_error(path, exc) from None
    if encoding is None and not utf8:
        log.warning("%s is not UTF-8; read it as %s. Pass --encoding to choose.", path.name, enc)
    size = max(path.stat().st_size, 1)
    handle: list[IO[bytes]] = []

    def chunks(stream: TableStream) -> Iterator[pd.DataFrame]:
        with open(path, "rb") as fh:
            handle.append(fh)
            try:
                reader = pd.read_csv(fh, chunksize=chunk_rows, **options)
                with reader:
                    for chunk in reader:
                        chunk.columns = [str(c) for c in chunk.columns]
                        yield chunk
            except UnicodeDecodeError as exc:
                raise _decode_error(path, enc, exc) from None
            except pd.errors.ParserError as exc:
                raise _parse_error(path, exc) from None

    stream = TableStream(path, fmt, [str(c) for c in header.columns], chunks, sha256=digest)
    stream._fraction = lambda: min(handle[0].tell() / size, 1.0) if handle else 0.0
    return stream


def _decode_error(path: Path, enc: str, exc: UnicodeDecodeError) -> InputError:
    return InputError(
        f"{path.name} is not valid {enc} text (byte {exc.start}); pass the right "
        "--encoding (for example cp1252 or latin-1)."
    )


def _parse_error(path: Path, exc: Exception) -> InputError:
    return InputError(
        f"{path.name} cannot be parsed: {_parser_detail(exc)}. Check the quoting of that record."
    )


def _jsonl_chunks(chunk_rows: int) -> Callable[[TableStream], Iterator[pd.DataFrame]]:
    def chunks(stream: TableStream) -> Iterator[pd.DataFrame]:
        path = stream.path
        size = max(path.stat().st_size, 1)
        seen: dict[str, None] = dict.fromkeys(stream.columns)
        rows: list[dict[str, str]] = []
        with open(path, "rb") as fh:
            stream._fraction = lambda: min(fh.tell() / size, 1.0)
            for lineno, raw in enumerate(fh, start=1):
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
                if not line.strip():
                    stream.skipped["blank line"] = stream.skipped.get("blank line", 0) + 1
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    raise InputError(
                        f"{path.name} line {lineno} is not valid JSON; fix or remove that line."
                    ) from None
                if not isinstance(obj, dict):
                    raise InputError(
                        f"{path.name} line {lineno} is not a JSON object; each "
                        'line must be an object such as {"text": "..."}.'
                    )
                rows.append({str(k): _cell_text(v) for k, v in obj.items()})
                if len(rows) >= chunk_rows:
                    yield _records_frame(rows, seen, stream)
                    rows = []
        if rows:
            yield _records_frame(rows, seen, stream)

    return chunks


def _records_frame(
    rows: list[dict[str, str]], seen: dict[str, None], stream: TableStream
) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for col in df.columns:
        seen.setdefault(str(col), None)
    stream.columns = list(seen)
    return df.fillna("")


def _parquet_stream(path: Path, digest: str, chunk_rows: int) -> TableStream:
    import pyarrow.parquet as pq

    try:
        pfile = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types
        raise InputError(
            f"{path.name} is not a readable Parquet file ({type(exc).__name__})."
        ) from None
    columns = [str(c) for c in pfile.schema_arrow.names]

    def chunks(_: TableStream) -> Iterator[pd.DataFrame]:
        with pfile:
            try:
                for batch in pfile.iter_batches(batch_size=chunk_rows):
                    df = batch.to_pandas()
                    df.columns = [str(c) for c in df.columns]
                    yield df.map(_cell_text) if len(df.columns) else df
            except OSError as exc:
                raise InputError(
                    f"{path.name} is not a readable Parquet file ({type(exc).__name__})."
                ) from None

    return TableStream(
        path, "parquet", columns, chunks, sha256=digest, total_rows=pfile.metadata.num_rows
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
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


CellSanitiser = Callable[[str], str]


class ChunkWriter:
    """Append prediction chunks to an open binary file in one table format.

    Parameters
    ----------
    fh : binary file
        Where to write (normally from :func:`partial_output`).
    fmt : str
        ``csv``, ``tsv``, ``jsonl`` or ``parquet``.
    labels : sequence of str
        The model's labels (JSON Lines nests the ``p_<label>`` columns under ``scores``).
    sanitise : callable, optional
        Applied to every text cell written to CSV/TSV (for example to neutralise
        spreadsheet formulas); JSON Lines and Parquet keep values as they are.
    """

    def __init__(
        self,
        fh: IO[bytes],
        fmt: str,
        labels: Sequence[str],
        sanitise: CellSanitiser | None = None,
    ) -> None:
        if fmt not in ("csv", "tsv", "jsonl", "parquet"):
            raise OutputError(f"Format {fmt} cannot be written in chunks.")
        self.fh = fh
        self.format = fmt
        self.labels = list(labels)
        self.sanitise = sanitise
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
            for record in nested_records(frame, self.labels).to_dict(orient="records"):
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

    def _write_delimited(self, frame: pd.DataFrame) -> None:
        if self.sanitise is not None:
            frame = _sanitised(frame, self.sanitise)
        text = _io.TextIOWrapper(self.fh, encoding="utf-8", newline="")
        frame.to_csv(
            text,
            sep="," if self.format == "csv" else "\t",
            index=False,
            header=not self._started,
            quoting=csv.QUOTE_MINIMAL,
            lineterminator="\n",
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


def _sanitised(frame: pd.DataFrame, sanitise: CellSanitiser) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: sanitise(v) if isinstance(v, str) else v)
    return out


class _WholeWriter:
    """XLSX: gather the chunks and write the workbook once with :func:`io.write_table`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.frames: list[pd.DataFrame] = []
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        if self.rows + len(frame) > XLSX_MAX_ROWS:
            raise OutputError(
                f"{self.path.name} would get more than {XLSX_MAX_ROWS:,} rows, the most an "
                ".xlsx sheet holds; write .csv, .tsv, .jsonl or .parquet instead."
            )
        self.rows += len(frame)
        self.frames.append(frame)

    def close(self) -> None:
        frames = [f for f in self.frames if len(f)] or self.frames[:1]
        write_table(pd.concat(frames, ignore_index=True), self.path)


@contextlib.contextmanager
def open_writer(
    path: str | Path,
    labels: Sequence[str],
    *,
    sanitise: CellSanitiser | None = None,
) -> Iterator[ChunkWriter | _WholeWriter]:
    """Write a prediction table chunk by chunk to ``path``, atomically.

    Nothing appears at ``path`` until the block ends without an exception.

    Yields
    ------
    writer
        Call ``writer.write(frame)`` for each chunk, in order.

    Raises
    ------
    OutputError
        If the format is unknown or the file cannot be written.
    """
    path = Path(path)
    fmt = table_format(path, for_output=True)
    if fmt == "xlsx":
        whole = _WholeWriter(path)
        yield whole
        whole.close()
        return
    try:
        with partial_output(path) as fh:
            writer = ChunkWriter(fh, fmt, labels, sanitise)
            try:
                yield writer
            finally:
                writer.close()
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(
            f"Cannot write {path} ({exc.strerror or exc}); check the folder and free disk space."
        ) from None
