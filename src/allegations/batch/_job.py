"""Open a ``predict`` run and check everything that can be checked before tagging.

:func:`open_job` decides the output format, loads the model, opens the input, checks the
columns the options name and the output's size, and decides the output's shape; the
:class:`Job` it returns is what the tag-and-write loop needs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import OutputError
from ..model import Tagger, load_model
from ..tables import TableFormat, TableStream, check_excel_rows, open_table, require_column
from ._options import KEEP_ALL, KEEP_NONE, OutputShape, PredictOptions

__all__ = ["Job", "open_job", "check_columns", "job_shape"]

log = logging.getLogger("allegations.batch._predict")


@dataclass
class Job:
    """One run, opened and checked: what the tag and write steps need."""

    data_path: Path
    out: Path
    out_format: TableFormat
    model: Tagger
    stream: TableStream
    options: PredictOptions
    shape: OutputShape | None = None  # JSON Lines input: known at the first chunk


def open_job(
    data_path: str | Path, out: str | Path, model: Tagger | str | Path, options: PredictOptions
) -> Job:
    """Open the input and the model and check everything that can be checked up front.

    Raises
    ------
    OutputError
        If ``out`` is the input, its format is unknown, or the input (of known length)
        does not fit in an Excel sheet.
    InputError, ColumnError, ModelError
    """
    data_path, out = Path(data_path), Path(out)
    if out.resolve() == data_path.resolve() or _same_file(out, data_path):
        raise OutputError(
            f"`out` {out} is the input file; choose another output path so the "
            "input is not overwritten."
        )
    out_format = TableFormat.of(out, for_output=True)
    if not isinstance(model, Tagger):
        model = load_model(model, allow_version_mismatch=options.allow_version_mismatch)
    if options.review_share is not None:
        model.review_share = options.review_share
    stream = open_table(data_path, options.table, chunk_rows=options.chunk_rows)
    job = Job(data_path, out, out_format, model, stream, options)
    if stream.format != "jsonl":  # JSON Lines keys are known only at the end
        check_columns(job)
        job.shape = job_shape(job, stream.columns)
    if out_format is TableFormat.xlsx and stream.total_rows is not None:
        check_excel_rows(stream.total_rows, out)  # before any time is spent; else as written
    return job


def check_columns(job: Job) -> None:
    """Raise :class:`ColumnError` if a column the options name is not in the input."""
    table, columns = job.options.table, pd.DataFrame(columns=job.stream.columns)
    where: dict[str, Any] = {"path": job.data_path, "options": table}
    require_column(columns, table.text_col, job.data_path.name, "text_col", **where)
    if table.id_col is not None:
        require_column(columns, table.id_col, job.data_path.name, "id_col", **where)
    keep = job.options.keep_columns
    for name in keep if isinstance(keep, tuple) else ():
        require_column(columns, name, job.data_path.name, "keep_columns", **where)


def job_shape(job: Job, columns: Sequence[str]) -> OutputShape:
    """The output shape of ``job`` for input ``columns``, with one warning for renamed tags."""
    keep = job.options.keep_columns
    kept = list(columns) if keep == KEEP_ALL else [] if keep == KEEP_NONE else list(keep)
    id_col = job.options.table.id_col
    shape = OutputShape(kept, job.model.labels, drop_id=id_col is not None and id_col in kept)
    if shape.renamed:
        log.warning(
            "The input already has column(s) %s; the tags are written as %s.",
            ", ".join(repr(k) for k in shape.renamed),
            ", ".join(repr(v) for v in shape.renamed.values()),
        )
    return shape


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False
