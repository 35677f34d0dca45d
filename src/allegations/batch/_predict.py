"""Tag a table file: open -> check -> tag -> write -> provenance.

:func:`predict_file` is the whole path of ``allegations predict --engine local``: it opens
and checks the run (:func:`~allegations.batch._job.open_job`), tags and writes the input
chunk by chunk (:func:`tag_and_write`), and writes the provenance
(:mod:`allegations.batch._summary`). The options travel as one
:class:`~allegations.batch._options.PredictOptions` (its ``table`` is a
:class:`~allegations.tables._options.TableOptions`); the output format is decided once
(:class:`~allegations.tables._formats.TableFormat`) and the shape of an output row once
(:class:`~allegations.batch._options.OutputShape`: the user's columns, then the tag columns).
"""

from __future__ import annotations

import collections
import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model import Tagger
from ..tables import numbers_only_counts, open_writer, warn_if_numbers_only
from ._engines import RunTotals, tag_chunks
from ._job import Job, check_columns, job_shape, open_job
from ._options import KEEP_ALL, PredictOptions
from ._summary import run_summary, write_summary_json

__all__ = ["predict_file", "tag_and_write"]


def predict_file(
    data_path: str | Path,
    out: str | Path,
    model: Tagger | str | Path,
    options: PredictOptions | None = None,
    *,
    progress: Callable[[int, float | None], None] | None = None,
    return_frame: bool = False,
    write_summary: bool = True,
    freeze_gc: bool = False,
    **keywords: Any,
) -> dict[str, Any]:
    """Tag every row of a table, streaming it in chunks, and write the predictions to ``out``.

    The output has one row per input row, in input order: the input columns chosen by
    ``keep_columns``, then ``id`` (the ``id_col`` value, else the data record number, from
    1; records after a skipped malformed one keep their number), ``labels``, ``p_<label>``,
    ``confidence`` and ``needs_review``. It is written to a hidden temporary file beside
    ``out`` and renamed into place only when complete; ``OUT.summary.json`` (provenance)
    is written beside it.

    Parameters
    ----------
    data_path, out : str or Path
        Input and output tables; formats follow the extensions.
    model : Tagger, str or Path
        A model or a model folder.
    options : PredictOptions, optional
        The run's options; or give them as keywords (``text_col="narrative"``,
        ``id_col=...``, ``sheet``, ``encoding``, ``on_bad_rows``, ``sep``, ``skip_rows``,
        ``no_header``, ``keep_columns``, ``n_process``, ``chunk_rows``, ``evidence``,
        ``allow_version_mismatch``).
    progress : callable, optional
        Called after each chunk with the rows done and the share of the input read.
    return_frame : bool
        Also return the whole output table as ``frame`` (keeps it in memory).
    write_summary : bool
        Write ``OUT.summary.json``.
    freeze_gc : bool
        For a process that does nothing but this run (the command line): once the model
        is warm, :func:`gc.freeze` every live object so the collector stops rescanning
        the libraries' objects (about 15 % of a 100,000-row run).

    Returns
    -------
    dict
        ``rows``, ``label_counts``, ``no_label``, ``needs_review``, ``skipped``,
        ``written`` (cells neutralised or truncated for spreadsheets), ``summary`` (the
        provenance) and, with ``return_frame``, ``frame``.

    Raises
    ------
    InputError, ColumnError, ModelError, OutputError
    """
    started = time.perf_counter()
    if options is not None and keywords:
        raise TypeError("pass either options or keywords, not both")
    options = options or PredictOptions.build(**keywords)
    job = open_job(data_path, out, model, options)
    if freeze_gc:  # once the input has passed its checks
        job.model.featurize(["warm up"])  # imports spaCy, builds its pipeline and tables
        gc.freeze()
    totals, written, frames = tag_and_write(job, progress, return_frame)
    summary = run_summary(
        job.model,
        job.stream,
        job.out,
        totals,
        engine="local",
        n_process=options.n_process,
        chunk_rows=options.chunk_rows,
        table=options.table,
        seconds_total=time.perf_counter() - started,
        out_format=job.out_format.value,
        shape=job.shape,
    )
    if write_summary:
        write_summary_json(summary, job.out)
    result: dict[str, Any] = {
        "rows": totals.rows,
        "label_counts": totals.counts(),
        "no_label": totals.no_label,
        "needs_review": totals.needs_review,
        "skipped": job.stream.report.summary(),
        "written": written,
        "summary": summary,
    }
    if return_frame:
        result["frame"] = pd.concat(frames, ignore_index=True)
    return result


def tag_and_write(
    job: Job,
    progress: Callable[[int, float | None], None] | None,
    return_frame: bool,
) -> tuple[RunTotals, dict[str, int], list[pd.DataFrame]]:
    """Tag the input chunk by chunk and write each output chunk as it comes."""
    model, stream, table = job.model, job.stream, job.options.table
    totals = RunTotals(labels=model.labels)
    frames: list[pd.DataFrame] = []
    number_counts = [0, 0]  # non-blank texts, number-only texts
    in_flight: collections.deque[pd.DataFrame] = collections.deque()  # their kept columns

    def chunks() -> Iterator[tuple[list[Any], list[Any]]]:
        it = iter(stream)
        while True:
            t0 = time.perf_counter()
            chunk = next(it, None)
            if chunk is None:
                return
            texts = _column(chunk, table.text_col)
            n_values, n_numbers = numbers_only_counts(texts)
            number_counts[0] += n_values
            number_counts[1] += n_numbers
            ids = _column(chunk, table.id_col) if table.id_col else list(stream.record_numbers)
            if job.shape is None:  # JSON Lines: the first chunk's keys
                job.shape = job_shape(job, list(chunk.columns))
            in_flight.append(_kept(chunk, job))
            totals.seconds["read"] += time.perf_counter() - t0
            yield texts, ids

    results = tag_chunks(
        model, chunks(), n_process=job.options.n_process, evidence=job.options.evidence
    )
    # closing(): an interruption anywhere stops the worker processes at once.
    with contextlib.closing(results), open_writer(job.out, None, fmt=job.out_format) as writer:
        for done in results:
            t0 = time.perf_counter()
            assert job.shape is not None
            evidence = done.frame.attrs.get("evidence")
            frame = job.shape.frame(in_flight.popleft(), done.frame, job.out_format, evidence)
            writer.write(frame)
            if return_frame:
                frames.append(frame)
            totals.add(done)
            totals.seconds["write"] += time.perf_counter() - t0
            if progress is not None:
                progress(totals.rows, stream.fraction_done())
        if totals.rows == 0:
            shape = job.shape or job_shape(job, stream.columns)
            empty = model.frame_from_proba(np.zeros((0, len(model.labels))), [])
            kept = pd.DataFrame({c: pd.Series([], dtype=str) for c in shape.kept})
            frames.append(shape.frame(kept, empty, job.out_format))
            writer.write(frames[-1])
        if stream.format == "jsonl":  # checked before the output is renamed into place
            check_columns(job)
        warn_if_numbers_only(table.text_col, job.data_path.name, *number_counts)
    return totals, writer.report.as_dict(), frames


def _kept(chunk: pd.DataFrame, job: Job) -> pd.DataFrame:
    """The kept columns of an input chunk (JSON Lines: a key missing from it is blank)."""
    shape, stream = job.shape, job.stream
    assert shape is not None
    if not shape.kept:
        return chunk.iloc[:, :0]
    if stream.format != "jsonl":
        return chunk[shape.kept]
    new = [c for c in stream.columns if c not in shape.kept]
    if new and job.options.keep_columns == KEEP_ALL:
        raise InputError(
            f"{stream.path.name}: the key {new[0]!r} first appears after record "
            f"{stream.rows_read - len(chunk)}, so the output's columns (those of the first "
            "records) cannot hold it. Pass `keep_columns` with the keys to keep, or none."
        )
    return chunk.reindex(columns=shape.kept, fill_value="")


def _column(chunk: pd.DataFrame, name: str) -> list[Any]:
    # JSON Lines: a key missing from every row of a chunk is an empty cell, as in load_table.
    if name not in chunk.columns:
        return [""] * len(chunk)
    return chunk[name].tolist()
