"""File-level jobs behind the CLI commands: read tables, call the library, write outputs.

Each function takes paths and options, returns a plain dict summary, and raises
:class:`~allegations.errors.AllegationsError` subclasses for anything a user can cause.
"""

from __future__ import annotations

import contextlib
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
from ..errors import InputError, LabelError, NoFeaturesError, OutputError
from ..model.classifier import ModelConfig
from ..model.persistence import load_model, save_model
from ..model.tagger import Tagger
from ..tables.read import (
    ReadReport,
    atomic_write,
    load_table,
    numbers_only_counts,
    require_column,
    sha256_file,
    table_format,
    warn_if_numbers_only,
    warn_numbers_only,
)
from ..tables.stream import open_table, open_writer
from ..tables.write import check_excel_rows
from ..training.codebook import Codebook, load_codebook
from ..training.labels import labels_from_column, labels_from_columns
from ..training.train import evaluate, train, warn_label_design_changes
from .engines import RunTotals, tag_chunks

__all__ = [
    "LabelSpec",
    "LabelledData",
    "read_labelled",
    "train_files",
    "predict_file",
    "summary_path",
    "run_summary",
    "write_summary_json",
    "evaluate_file",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelSpec:
    """Where the labels are: one joined column, or one truthy column per label."""

    labels_col: str = "labels"
    label_sep: str = ";"
    label_cols: tuple[str, ...] = ()

    def read(self, df: pd.DataFrame, source: str) -> list[list[str]]:
        """Return the label set of every row of ``df``."""
        if self.label_cols:
            return labels_from_columns(df, self.label_cols, source=source)
        return labels_from_column(df, self.labels_col, self.label_sep, source=source)


@dataclass
class LabelledData:
    """Texts with their label sets, read from one or more files."""

    texts: list[str]
    label_sets: list[list[str]]
    ids: list[str]
    groups: list[str] | None
    files: list[dict[str, Any]] = field(default_factory=list)
    n_overridden: int = 0


def read_labelled(
    paths: Sequence[str | Path],
    *,
    text_col: str = "text",
    spec: LabelSpec | None = None,
    id_col: str | None = None,
    group_col: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    on_bad_rows: str = "error",
) -> LabelledData:
    """Read labelled rows from one or more tables.

    With ``id_col``, a row whose id appeared in an earlier file replaces that row (so a
    file of reviewed corrections passed last overrides the original labels). With
    ``on_bad_rows="skip"`` malformed records are left out and listed in ``files``.

    Raises
    ------
    InputError, ColumnError, LabelError
    """
    spec = spec or LabelSpec()
    if not paths:
        raise InputError("No data file given; pass at least one labelled table.")
    rows: dict[str, tuple[str, list[str], str]] = {}
    order: list[str] = []
    files = []
    n_overridden = 0
    first_sets: list[list[str]] = []
    corrections: list[tuple[str, list[str]]] = []
    for n_file, path in enumerate(paths):
        path = Path(path)
        report = ReadReport()
        df = load_table(
            path, sheet=sheet, encoding=encoding, on_bad_rows=on_bad_rows, report=report
        )
        require_column(df, text_col, path.name, "--text-col")
        if id_col is not None:
            require_column(df, id_col, path.name, "--id-col")
        if group_col is not None:
            require_column(df, group_col, path.name, "--group-col")
        for col in spec.label_cols or (spec.labels_col,):
            require_column(
                df, col, path.name, "--label-cols" if spec.label_cols else "--labels-col"
            )
        warn_numbers_only(df, text_col, path.name)
        label_sets = spec.read(df, path.name)
        _check_label_lengths(label_sets, path.name, report.kept_rows())
        texts = df[text_col].tolist()
        ids = (
            df[id_col].astype(str).tolist()
            if id_col is not None
            else [f"{path.name}:{i}" for i in report.kept_rows()]
        )
        groups = df[group_col].astype(str).tolist() if group_col else [""] * len(df)
        if n_file == 0:
            first_sets = label_sets
        else:  # corrections: warned about if they change the label design
            corrections.extend(zip(ids, label_sets, strict=True))
        for key, text, labels, group in zip(ids, texts, label_sets, groups, strict=True):
            if key in rows:
                n_overridden += 1
            else:
                order.append(key)
            rows[key] = (text, labels, group)
        entry = {"name": path.name, "rows": int(len(df)), "sha256": sha256_file(path)}
        if report.skipped:
            entry["skipped"] = report.summary()
        files.append(entry)
    if not order:
        raise InputError(
            f"{', '.join(Path(p).name for p in paths)} has no data rows; pass a "
            "table with a header and labelled rows."
        )
    if corrections:
        warn_label_design_changes(first_sets, corrections)
    if n_overridden:
        log.warning(
            "%d row(s) share an id with an earlier row; the later row's labels are used.",
            n_overridden,
        )
    return LabelledData(
        texts=[rows[k][0] for k in order],
        label_sets=[rows[k][1] for k in order],
        ids=order,
        groups=[rows[k][2] for k in order] if group_col else None,
        files=files,
        n_overridden=n_overridden,
    )


#: A label longer than this is taken for narrative text in the labels column.
MAX_LABEL_CHARS = 80


def _check_label_lengths(label_sets: list[list[str]], source: str, rows: list[int]) -> None:
    for row, labels in zip(rows, label_sets, strict=True):
        for label in labels:
            if len(label) > MAX_LABEL_CHARS:
                raise LabelError(
                    f"Row {row} of {source} has a label of {len(label)} characters (at most "
                    f"{MAX_LABEL_CHARS}); is --labels-col the narrative column? Pass the "
                    "column of labels, or check --label-sep."
                )


def train_files(
    paths: Sequence[str | Path],
    out: str | Path,
    *,
    text_col: str = "text",
    spec: LabelSpec | None = None,
    id_col: str | None = None,
    group_col: str | None = None,
    codebook_path: str | Path | None = None,
    seed: int = 0,
    goal: str = "f1",
    spacy_model: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    config: ModelConfig | None = None,
    on_bad_rows: str = "error",
    label_source: str | None = None,
) -> Tagger:
    """Train on labelled tables and save the model folder ``out``.

    Returns
    -------
    Tagger
        The saved model (its card holds the cross-validated metrics).
    """
    codebook: Codebook | None = load_codebook(codebook_path) if codebook_path else None
    data = read_labelled(
        paths,
        text_col=text_col,
        spec=spec,
        id_col=id_col,
        group_col=group_col,
        sheet=sheet,
        encoding=encoding,
        on_bad_rows=on_bad_rows,
    )
    if not any(data.label_sets):
        raise LabelError("No row has a label; check --labels-col / --label-cols and --label-sep.")
    if not any(str(t).strip() for t in data.texts):
        raise InputError(
            f"All {len(data.texts)} narratives in column '{text_col}' are blank; pass the "
            "column that holds the text with --text-col."
        )
    spec = spec or LabelSpec()
    info = {
        "files": data.files,
        "text_col": text_col,
        "n_rows": len(data.texts),
        "n_overridden_by_id": data.n_overridden,
        # the column options, so that 'allegations export' writes corrections that train
        # reads with the same options
        "id_col": id_col,
        "labels_col": None if spec.label_cols else spec.labels_col,
        "label_sep": None if spec.label_cols else spec.label_sep,
        "label_cols": list(spec.label_cols),
    }
    try:
        model = train(
            data.texts,
            data.label_sets,
            codebook=codebook,
            goal=goal,
            seed=seed,
            groups=data.groups,
            spacy_model=spacy_model,
            config=config,
            data_info=info,
            label_source=label_source,
        )
    except NoFeaturesError as exc:  # name the column the user chose
        raise NoFeaturesError(f"Column '{text_col}': {exc}") from None
    save_model(model, out)
    return model


def summary_path(out: str | Path) -> Path:
    """The provenance file written beside an output: ``OUT.summary.json``."""
    out = Path(out)
    return out.with_name(out.name + ".summary.json")


def predict_file(
    data_path: str | Path,
    out: str | Path,
    model: Tagger | str | Path,
    *,
    text_col: str = "text",
    id_col: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    on_bad_rows: str = "error",
    allow_version_mismatch: bool = False,
    n_process: int = 1,
    chunk_rows: int = 10_000,
    progress: Callable[[int, float | None], None] | None = None,
    return_frame: bool = False,
    write_summary: bool = True,
    evidence: bool = False,
    freeze_gc: bool = False,
    review_share: float | None = None,
) -> dict[str, Any]:
    """Tag every row of a table, streaming it in chunks, and write the predictions to ``out``.

    The output has one row per input row, in input order; ``id`` is the ``id_col`` value,
    else the data record number (first record = 1; records after a skipped malformed one
    keep their number). A table with no data rows gives an output with the header only.
    The output is written to a hidden temporary file beside ``out`` and renamed into place
    only when complete. A provenance file ``OUT.summary.json`` is written beside it (see
    :func:`summary_path`).

    Parameters
    ----------
    data_path, out : str or Path
        Input and output tables; formats follow the extensions.
    model : Tagger, str or Path
        A model or a model folder.
    text_col, id_col, sheet, encoding, on_bad_rows
        As for :func:`allegations.tables.read.load_table`.
    allow_version_mismatch : bool
        Load a model trained with other scikit-learn/spaCy versions.
    n_process : int
        Worker processes; the output is identical for any number.
    chunk_rows : int
        Rows per chunk: memory use is bounded by a few chunks.
    progress : callable, optional
        Called after each chunk with the rows done and the share of the input read
        (None when unknown).
    return_frame : bool
        Also return the whole prediction table as ``frame`` (keeps it in memory).
    write_summary : bool
        Write ``OUT.summary.json``.
    evidence : bool
        Add ``evidence`` (``label: "phrase" | ...``) and ``evidence_sentences`` columns
        (an ``evidence`` list in JSON Lines): the phrases that pushed each predicted label
        most and the sentences they stand in. Several times slower.
    freeze_gc : bool
        For a process that does nothing but this run (the command line): once the model
        is loaded and warm, move every live object to the collector's permanent
        generation (:func:`gc.freeze`), so the cyclic garbage collector stops rescanning
        the libraries' and the model's objects during the run (about 15 % of a
        100,000-row run). Leave it off in a notebook or a long-lived program.

    Returns
    -------
    dict
        ``rows``, ``label_counts``, ``no_label``, ``needs_review``, ``skipped``
        (``count``, ``rows``, ``reason`` of malformed records left out), ``written``
        (cells neutralised or truncated for spreadsheets), ``summary`` (the provenance
        dict) and, with ``return_frame``, ``frame``.

    Raises
    ------
    InputError, ColumnError, ModelError, OutputError
    """
    started = time.perf_counter()
    data_path, out = Path(data_path), Path(out)
    if out.resolve() == data_path.resolve() or _same_file(out, data_path):
        raise OutputError(
            f"--out {out} is the input file; choose another output path so the "
            "input is not overwritten."
        )
    out_format = table_format(out, for_output=True)
    if not isinstance(model, Tagger):
        model = load_model(model, allow_version_mismatch=allow_version_mismatch)
    if review_share is not None:
        model.review_share = review_share
    stream = open_table(
        data_path, sheet=sheet, encoding=encoding, chunk_rows=chunk_rows, on_bad_rows=on_bad_rows
    )
    if stream.format != "jsonl":  # JSON Lines keys are known only at the end
        require_column(_columns_frame(stream.columns), text_col, data_path.name, "--text-col")
        if id_col is not None:
            require_column(_columns_frame(stream.columns), id_col, data_path.name, "--id-col")
    if out_format == "xlsx":  # refuse before spending time on predictions
        n_rows = stream.total_rows
        if n_rows is None:  # an .xlsx output is built in memory anyway: count first
            counting = open_table(
                data_path, encoding=encoding, chunk_rows=chunk_rows, on_bad_rows=on_bad_rows
            )
            with logging_disabled():
                n_rows = sum(len(chunk) for chunk in counting)
        check_excel_rows(n_rows, out)
    if freeze_gc:  # once the input has passed its checks
        model.featurize(["warm up"])  # imports spaCy, builds its pipeline and the tables
        gc.freeze()
    totals = RunTotals(labels=model.labels)
    frames: list[pd.DataFrame] = []
    number_counts = [0, 0]  # non-blank texts, number-only texts

    def chunks() -> Iterator[tuple[list[Any], list[Any]]]:
        it = iter(stream)
        while True:
            t0 = time.perf_counter()
            chunk = next(it, None)
            if chunk is None:
                return
            texts = _column(chunk, text_col)
            n_values, n_numbers = numbers_only_counts(texts)
            number_counts[0] += n_values
            number_counts[1] += n_numbers
            ids: list[Any] = (
                _column(chunk, id_col) if id_col is not None else list(stream.record_numbers)
            )
            totals.seconds["read"] += time.perf_counter() - t0
            yield texts, ids

    results = tag_chunks(model, chunks(), n_process=n_process, evidence=evidence)
    # closing(): an interruption anywhere stops the worker processes at once.
    with contextlib.closing(results), open_writer(out, model.labels) as writer:
        for done in results:
            t0 = time.perf_counter()
            writer.write(done.frame)
            if return_frame:
                frames.append(done.frame)
            totals.add(done)
            totals.seconds["write"] += time.perf_counter() - t0
            if progress is not None:
                progress(totals.rows, stream.fraction_done())
        if totals.rows == 0:
            empty = model.frame_from_proba(np.zeros((0, len(model.labels))), [])
            writer.write(empty)
            frames.append(empty)
        if stream.format == "jsonl":  # checked before the output is renamed into place
            require_column(_columns_frame(stream.columns), text_col, data_path.name, "--text-col")
            if id_col is not None:
                require_column(_columns_frame(stream.columns), id_col, data_path.name, "--id-col")
        warn_if_numbers_only(text_col, data_path.name, *number_counts)
        t0 = time.perf_counter()
    totals.seconds["write"] += time.perf_counter() - t0
    summary = run_summary(
        model,
        stream,
        out,
        totals,
        engine="local",
        n_process=n_process,
        chunk_rows=chunk_rows,
        text_col=text_col,
        id_col=id_col,
        seconds_total=time.perf_counter() - started,
    )
    if write_summary:
        write_summary_json(summary, out)
    result: dict[str, Any] = {
        "rows": totals.rows,
        "label_counts": totals.counts(),
        "no_label": totals.no_label,
        "needs_review": totals.needs_review,
        "skipped": stream.report.summary(),
        "written": writer.report.as_dict(),
        "summary": summary,
    }
    if return_frame:
        result["frame"] = pd.concat(frames, ignore_index=True)
    return result


@contextlib.contextmanager
def logging_disabled() -> Iterator[None]:
    """Silence this package's log records (a second pass must not repeat warnings)."""
    logger = logging.getLogger("allegations")
    previous = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = previous


def _columns_frame(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns))


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
    text_col: str,
    id_col: str | None,
    seconds_total: float,
    out_format: str | None = None,
) -> dict[str, Any]:
    """The provenance of one run, as written to ``OUT.summary.json``."""
    seconds = {k: round(v, 3) for k, v in totals.seconds.items()}
    seconds["total"] = round(seconds_total, 3)
    skipped = dict(getattr(stream, "skipped", {}))
    report = getattr(stream, "report", None)
    skipped_numbers = report.skipped_rows if report is not None else []
    return {
        "allegations_version": __version__,
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "input": {
            "name": stream.path.name,
            "format": stream.format,
            "sha256": stream.sha256,
            "rows": totals.rows,
            "text_col": text_col,
            "id_col": id_col,
        },
        "output": {"name": out.name, "format": out_format or table_format(out, for_output=True)},
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


def evaluate_file(
    paths: Sequence[str | Path],
    model: Tagger | str | Path,
    *,
    text_col: str = "text",
    spec: LabelSpec | None = None,
    id_col: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    on_bad_rows: str = "error",
    allow_version_mismatch: bool = False,
) -> dict[str, Any]:
    """Score a model on labelled tables; see :func:`allegations.evaluate`."""
    if not isinstance(model, Tagger):
        model = load_model(model, allow_version_mismatch=allow_version_mismatch)
    data = read_labelled(
        paths,
        text_col=text_col,
        spec=spec,
        id_col=id_col,
        sheet=sheet,
        encoding=encoding,
        on_bad_rows=on_bad_rows,
    )
    report = evaluate(model, data.texts, data.label_sets)
    report["model_id"] = model.model_id
    report["data"] = data.files
    return report
