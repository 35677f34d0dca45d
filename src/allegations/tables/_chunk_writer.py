"""Write prediction tables chunk by chunk, atomically (through
:func:`~allegations.tables._atomic.partial_output`): nothing appears at the destination until
the last chunk is written.
"""

from __future__ import annotations

import contextlib
import csv
import io as _io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from ..errors import OutputError
from ._atomic import partial_output, write_failure
from ._formats import TableFormat
from ._write import (
    WriteReport,
    format_rounded_floats,
    json_default,
    nested_records,
    neutralise_frame,
    warn_xlsx_changes,
)
from ._xlsx import XlsxWriter

__all__ = ["ChunkWriter", "open_writer"]


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
    (counted in ``report``), as :func:`allegations.tables._write.write_table` does; JSON Lines and
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
                line = json.dumps(record, ensure_ascii=False, default=json_default)
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
        (see :func:`~allegations.tables._write.nested_records`); None writes the chunks'
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
        raise OutputError(write_failure(path, exc)) from None
    if isinstance(writer, XlsxWriter):
        warn_xlsx_changes(writer.report, path.name)
