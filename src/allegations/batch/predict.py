"""Tag a table file: open -> check -> tag -> write -> provenance.

:func:`predict_file` is the whole path of ``allegations predict --engine local``; each step
is a function below it. The options travel as one :class:`PredictOptions` (its ``table``
is a :class:`~allegations.tables.options.TableOptions`); the output format is decided once
(:class:`~allegations.tables.formats.TableFormat`) and the shape of an output row once
(:class:`OutputShape`: the user's columns, then the tag columns).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import gc
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..errors import InputError, OutputError
from ..model.persistence import load_model
from ..model.tagger import Tagger
from ..tables.atomic import atomic_write
from ..tables.chunk_writer import open_writer
from ..tables.columns import numbers_only_counts, require_column, warn_if_numbers_only
from ..tables.formats import TableFormat
from ..tables.options import TableOptions, describe_sep
from ..tables.stream import TableStream, open_table
from ..tables.write import check_excel_rows, nested_records
from .engines import RunTotals, tag_chunks

__all__ = [
    "KEEP_ALL",
    "KEEP_NONE",
    "TAG_PREFIX",
    "PredictOptions",
    "OutputShape",
    "parse_keep_columns",
    "predict_file",
    "summary_path",
    "run_summary",
    "tag_view",
    "write_summary_json",
]

log = logging.getLogger(__name__)

KEEP_ALL = "all"
KEEP_NONE = "none"
#: Put before a tag column's name when the user's table has a column of that name.
TAG_PREFIX = "tag_"

Keep = str | tuple[str, ...]


def parse_keep_columns(value: str | Sequence[str]) -> Keep:
    """``"all"``, ``"none"`` or a tuple of column names from ``A,B,...``.

    Raises
    ------
    InputError
        If a list is empty or names a column twice.
    """
    if not isinstance(value, str):
        names = tuple(value)
    elif value.strip().lower() in (KEEP_ALL, KEEP_NONE):
        return value.strip().lower()
    else:
        names = tuple(part.strip() for part in value.split(",") if part.strip())
    if not names:
        raise InputError("--keep-columns must be all, none or column names joined by commas.")
    if len(set(names)) != len(names):
        raise InputError("--keep-columns names a column more than once; name each once.")
    return names


@dataclass(frozen=True)
class PredictOptions:
    """Everything ``predict`` needs besides the paths and the model.

    Parameters
    ----------
    table : TableOptions
        How to read the input (columns, sheet, encoding, bad records, layout).
    keep_columns : "all", "none" or tuple of str
        The input columns copied into the output, before the tag columns ("none": only
        the tag columns, with ``id``). A tag column whose name the input also has is
        renamed ``tag_<name>``; ``id`` is left out when ``table.id_col`` is kept.
    n_process : int
        Worker processes; the output is identical for any number.
    chunk_rows : int
        Rows per chunk: memory use is bounded by a few chunks.
    evidence : bool
        Add the phrases that pushed each predicted label most and their sentences.
    allow_version_mismatch : bool
        Load a model whose tokenizer check fails (with a warning).
    review_share : float or None
        Flag in ``needs_review`` the cases less confident than the cut-off under which this
        share of the training cases fell out of fold (None: the model's own, 0.1 by default).
    """

    table: TableOptions = field(default_factory=TableOptions)
    keep_columns: Keep = KEEP_NONE
    n_process: int = 1
    chunk_rows: int = 10_000
    evidence: bool = False
    allow_version_mismatch: bool = False
    review_share: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "keep_columns", parse_keep_columns(self.keep_columns))

    @classmethod
    def build(cls, **keywords: Any) -> PredictOptions:
        """Options from the loose keywords (``text_col=...``, ``n_process=...``)."""
        names = {f.name for f in dataclasses.fields(TableOptions)}
        table = TableOptions(**{k: v for k, v in keywords.items() if k in names})
        return cls(table=table, **{k: v for k, v in keywords.items() if k not in names})


class OutputShape:
    """The columns of an output row: the kept input columns, then the tag columns.

    Parameters
    ----------
    kept : list of str
        The input columns copied into the output, in input order.
    labels : sequence of str
        The model's labels.
    drop_id : bool
        Leave out the tag ``id`` column (it would repeat the kept ``--id-col``).
    """

    def __init__(self, kept: Sequence[str], labels: Sequence[str], drop_id: bool) -> None:
        self.kept = list(kept)
        self.labels = list(labels)
        self.drop_id = drop_id
        taken = set(self.kept)
        self.renamed: dict[str, str] = {}
        tag_names = [] if drop_id else ["id"]
        tag_names += ["labels", "scores", "evidence", "evidence_sentences"]
        tag_names += [f"p_{label}" for label in self.labels] + ["confidence", "needs_review"]
        for name in tag_names:
            new = name
            while new in taken:
                new = TAG_PREFIX + new
            if new != name:
                self.renamed[name] = new

    def name(self, tag_column: str) -> str:
        """The output name of a tag column (``labels`` or ``tag_labels``)."""
        return self.renamed.get(tag_column, tag_column)

    def frame(
        self,
        kept: pd.DataFrame,
        tags: pd.DataFrame,
        fmt: TableFormat,
        evidence: list[Any] | None = None,
    ) -> pd.DataFrame:
        """One output chunk: the kept input columns beside the tags (nested for JSON Lines)."""
        if fmt.nested:
            tags = nested_records(tags, self.labels, evidence)
        if self.drop_id:
            tags = tags.drop(columns="id")
        tags = tags.rename(columns=self.renamed) if self.renamed else tags
        if not self.kept:
            return tags
        return pd.concat([kept.reset_index(drop=True), tags.reset_index(drop=True)], axis=1)

    def reshape(self, flat: pd.DataFrame, fmt: TableFormat, made_by: OutputShape) -> pd.DataFrame:
        """An output chunk for ``fmt`` from one that ``made_by.frame`` made for CSV with
        every tag column (the Dask engine tags partitions before it writes them)."""
        back = {new: old for old, new in made_by.renamed.items()}
        tag_cols = [c for c in flat.columns[len(self.kept) :]]
        tags = flat[tag_cols].rename(columns=back)
        return self.frame(flat[self.kept], tags, fmt)


def summary_path(out: str | Path) -> Path:
    """The provenance file written beside an output: ``OUT.summary.json``."""
    out = Path(out)
    return out.with_name(out.name + ".summary.json")


@dataclass
class _Job:
    """One run, opened and checked: what the tag and write steps need."""

    data_path: Path
    out: Path
    out_format: TableFormat
    model: Tagger
    stream: TableStream
    options: PredictOptions
    shape: OutputShape | None = None  # JSON Lines input: known at the first chunk


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


def open_job(
    data_path: str | Path, out: str | Path, model: Tagger | str | Path, options: PredictOptions
) -> _Job:
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
            f"--out {out} is the input file; choose another output path so the "
            "input is not overwritten."
        )
    out_format = TableFormat.of(out, for_output=True)
    if not isinstance(model, Tagger):
        model = load_model(model, allow_version_mismatch=options.allow_version_mismatch)
    if options.review_share is not None:
        model.review_share = options.review_share
    stream = open_table(data_path, options.table, chunk_rows=options.chunk_rows)
    job = _Job(data_path, out, out_format, model, stream, options)
    if stream.format != "jsonl":  # JSON Lines keys are known only at the end
        check_columns(job)
        job.shape = _shape(job, stream.columns)
    if out_format is TableFormat.xlsx and stream.total_rows is not None:
        check_excel_rows(stream.total_rows, out)  # before any time is spent; else as written
    return job


def check_columns(job: _Job) -> None:
    """Raise :class:`ColumnError` if a column the options name is not in the input."""
    table, columns = job.options.table, pd.DataFrame(columns=job.stream.columns)
    where: dict[str, Any] = {"path": job.data_path, "options": table}
    require_column(columns, table.text_col, job.data_path.name, "--text-col", **where)
    if table.id_col is not None:
        require_column(columns, table.id_col, job.data_path.name, "--id-col", **where)
    keep = job.options.keep_columns
    for name in keep if isinstance(keep, tuple) else ():
        require_column(columns, name, job.data_path.name, "--keep-columns", **where)


def _shape(job: _Job, columns: Sequence[str]) -> OutputShape:
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


def tag_and_write(
    job: _Job,
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
                job.shape = _shape(job, list(chunk.columns))
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
            shape = job.shape or _shape(job, stream.columns)
            empty = model.frame_from_proba(np.zeros((0, len(model.labels))), [])
            kept = pd.DataFrame({c: pd.Series([], dtype=str) for c in shape.kept})
            frames.append(shape.frame(kept, empty, job.out_format))
            writer.write(frames[-1])
        if stream.format == "jsonl":  # checked before the output is renamed into place
            check_columns(job)
        warn_if_numbers_only(table.text_col, job.data_path.name, *number_counts)
    return totals, writer.report.as_dict(), frames


def _kept(chunk: pd.DataFrame, job: _Job) -> pd.DataFrame:
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
            "records) cannot hold it. Pass --keep-columns with the keys to keep, or none."
        )
    return chunk.reindex(columns=shape.kept, fill_value="")


def _column(chunk: pd.DataFrame, name: str) -> list[Any]:
    # JSON Lines: a key missing from every row of a chunk is an empty cell, as in load_table.
    if name not in chunk.columns:
        return [""] * len(chunk)
    return chunk[name].tolist()


def run_summary(
    model: Tagger,
    stream: Any,
    out: Path,
    totals: RunTotals,
    *,
    engine: str,
    n_process: int,
    chunk_rows: int | None,
    table: TableOptions,
    seconds_total: float,
    out_format: str | None = None,
    shape: OutputShape | None = None,
) -> dict[str, Any]:
    """The provenance of one run, as written to ``OUT.summary.json``."""
    seconds = {k: round(v, 3) for k, v in totals.seconds.items()}
    seconds["total"] = round(seconds_total, 3)
    skipped = dict(getattr(stream, "skipped", {}))
    report = getattr(stream, "report", None)
    skipped_numbers = report.skipped_rows if report is not None else []
    sep = getattr(report, "sep", None)
    layout = table.layout()
    if sep is not None:
        layout["sep"] = describe_sep(sep)
        layout["sep_detected"] = bool(report.sep_detected) if report is not None else False
    output: dict[str, Any] = {
        "name": out.name,
        "format": out_format or TableFormat.of(out, for_output=True).value,
    }
    if shape is not None:
        output["kept_columns"] = shape.kept
        output["renamed_tag_columns"] = shape.renamed
    return {
        "allegations_version": __version__,
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "input": {
            "name": stream.path.name,
            "format": stream.format,
            "sha256": stream.sha256,
            "rows": totals.rows,
            "text_col": table.text_col,
            "id_col": table.id_col,
            **layout,
        },
        "output": output,
        "model": {
            "id": model.model_id,
            "version": model.card.get("versions", {}).get("allegations", ""),
            "created": model.card.get("created", ""),
            "task": "exclusive" if model.exclusive else "multi-label",
            "labels": model.labels,
        },
        "thresholds": {
            label: round(float(t), 4)
            for label, t in zip(model.labels, model.thresholds, strict=True)
        },
        "review_bands": {
            label: [round(float(lo), 4), round(float(hi), 4)]
            for label, (lo, hi) in zip(model.labels, model.bands, strict=True)
        },
        "label_counts": totals.counts(),
        "no_label": totals.no_label,
        "needs_review": totals.needs_review,
        "empty_text": totals.empty_text,
        "distinct_texts_scored": totals.distinct_texts,
        "skipped": {
            "rows": sum(skipped.values()),
            "reasons": skipped,
            "record_numbers": skipped_numbers,
        },
        "engine": engine,
        "n_process": n_process,
        "chunk_rows": chunk_rows,
        "timings_seconds": seconds,
        "timings_note": "preprocess, features, classify and label are summed over worker "
        "processes; total is wall-clock time",
        "rows_per_second": round(totals.rows / seconds_total, 1) if seconds_total > 0 else None,
    }


def write_summary_json(summary: dict[str, Any], out: str | Path) -> Path:
    """Write ``summary`` atomically to ``OUT.summary.json`` and return that path."""
    path = summary_path(out)
    with atomic_write(path, "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


#: The tag columns of a prediction table whose names may clash with the user's columns.
_TAG_NAMES = (
    "id",
    "labels",
    "scores",
    "confidence",
    "needs_review",
    "evidence",
    "evidence_sentences",
)


def tag_view(df: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """A prediction table with its tag columns under their own names (``id``, ``labels``,
    ``p_*``, ``confidence``, ``needs_review``...), whatever the user's columns around them.

    ``predict`` keeps the user's columns and renames a tag column whose name the input
    already has (``tag_labels``), and leaves ``id`` out when the ``--id-col`` column is
    kept; a reader that took ``labels`` as it stands would count the input's own labels.
    The run's ``OUT.summary.json`` beside ``path``, when present, says which columns were
    renamed and which column holds the ids; without it, ``tag_<name>`` wins over ``<name>``.
    """
    summary: dict[str, Any] = {}
    side = summary_path(path)
    if side.is_file():
        try:
            loaded = json.loads(side.read_text(encoding="utf-8"))
            summary = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            summary = {}
    output = summary.get("output") if isinstance(summary.get("output"), dict) else {}
    renamed = output.get("renamed_tag_columns") if isinstance(output, dict) else None
    if not isinstance(renamed, dict):
        columns = set(df.columns)
        tags = [*_TAG_NAMES, *(c[len(TAG_PREFIX) :] for c in columns if c.startswith(TAG_PREFIX))]
        renamed = {t: TAG_PREFIX + t for t in tags if TAG_PREFIX + t in columns}
    renamed = {k: v for k, v in renamed.items() if v in df.columns}
    view = df.drop(columns=[k for k in renamed if k in df.columns]).rename(
        columns={v: k for k, v in renamed.items()}
    )
    if "id" not in view.columns:
        given = (
            summary.get("input", {}).get("id_col")
            if isinstance(summary.get("input"), dict)
            else None
        )
        if isinstance(given, str) and given in df.columns:
            view["id"] = df[given]
    return view
