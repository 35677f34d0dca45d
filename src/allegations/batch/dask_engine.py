"""Tag tables on a Dask cluster: ``allegations predict DATA --engine dask``.

The input is a file, a glob of files or a folder of Parquet files, read as a
``dask.dataframe`` with the cell rules of :func:`allegations.tables.read.load_table` (every cell
text). CSV, TSV and JSON Lines give one partition per file (so quoted line breaks are never
split); Parquet gives one partition per row group. Each worker process unpickles the model
once and tags whole partitions with the model's own methods, so the predictions equal the
local engine's row for row.

The output is a single table file (its extension names the format; partitions are
gathered in order and written through
:func:`allegations.tables.chunk_writer.open_writer`, atomically) or, for a path without
extension, a folder of Parquet files (written to a hidden temporary folder and renamed
into place).

The input files and the model must be readable by every worker at the same paths (a shared
filesystem); see docs/batch-tagging.md for running on an existing cluster.
"""

from __future__ import annotations

import collections
import contextlib
import glob as _glob
import hashlib
import logging
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import AllegationsError, InputError, MissingFileError, OutputError
from ..model.persistence import load_model
from ..model.tagger import Tagger
from ..tables.checks import table_format
from ..tables.chunk_writer import open_writer
from ..tables.columns import require_column
from ..tables.formats import TableFormat
from ..tables.frames import cell_text
from ..tables.options import SNIFF_CHARS, TableOptions, detect_sep
from ..tables.read import load_table
from ..tables.stream import scan_file
from .engines import RunTotals
from .predict import (
    KEEP_ALL,
    KEEP_NONE,
    OutputShape,
    parse_keep_columns,
    run_summary,
    write_summary_json,
)

__all__ = ["predict_dask", "require_dask", "resolve_inputs", "local_cluster"]

log = logging.getLogger(__name__)

_MODELS: dict[str, Tagger] = {}


def require_dask() -> None:
    """Check that the optional Dask packages (the ``dask`` extra) can be imported.

    Raises
    ------
    AllegationsError
        If ``dask.dataframe`` or ``distributed`` cannot be imported; the message names
        ``pip install 'allegations[dask]'``.
    """
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        missing = exc.name or "dask"
        raise AllegationsError(
            f"--engine dask needs the optional packages dask and distributed (module "
            f"{missing!r} cannot be imported); install them with "
            "pip install 'allegations[dask]', or use --engine local."
        ) from exc


def resolve_inputs(data: str | Path) -> tuple[list[Path], str]:
    """Expand a file, a glob or a Parquet folder into files and their common format.

    Raises
    ------
    MissingFileError
        If nothing matches.
    InputError
        If the files are of several formats, or a folder holds no Parquet file.
    """
    text = str(data)
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".parquet", ".pq"))
        if not files:
            raise InputError(
                f"Folder {path} holds no .parquet files; pass a Parquet folder, a file or a glob."
            )
        return files, "parquet"
    if any(ch in text for ch in "*?["):
        files = sorted(Path(p) for p in _glob.glob(text, recursive=True) if Path(p).is_file())
        if not files:
            raise MissingFileError(f"No file matches {text}; check the pattern.")
    elif path.exists():
        files = [path]
    else:
        raise MissingFileError(f"File {path} not found; check the path.")
    formats = {table_format(p) for p in files}
    if len(formats) > 1:
        raise InputError(
            f"{text} matches files of several formats ({', '.join(sorted(formats))}); "
            "pass files of one format."
        )
    fmt = formats.pop()
    if fmt == "xlsx":
        raise InputError("--engine dask does not read .xlsx; use the local engine or export CSV.")
    return files, fmt


def local_cluster(n_workers: int | None = None) -> Any:
    """Start a local Dask cluster of single-threaded worker processes."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=n_workers or max(os.cpu_count() or 1, 1),
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        # The scheduler's HTTP endpoint (health, metrics) would otherwise try port 8787 and
        # warn when another cluster holds it: take any free local port instead.
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
    )


def _worker_model(payload: bytes, key: str) -> Tagger:
    model = _MODELS.get(key)
    if model is None:
        model = _MODELS[key] = pickle.loads(payload)
    return model


def _text_cells(df: pd.DataFrame) -> pd.DataFrame:
    df.columns = [str(c) for c in df.columns]
    return df.map(cell_text) if len(df.columns) else df


def _tag_partition(
    df: pd.DataFrame,
    payload: bytes,
    key: str,
    text_col: str,
    id_col: str | None,
    offsets: Sequence[int] | None,
    shape: OutputShape,
    partition_info: dict[str, Any] | None = None,
) -> pd.DataFrame:
    model = _worker_model(payload, key)
    texts = df[text_col].tolist() if len(df) else []
    if id_col is not None:
        ids: list[Any] = df[id_col].tolist()
    else:
        number = partition_info["number"] if partition_info else 0
        start = offsets[number] if offsets is not None else 0
        ids = list(range(start + 1, start + len(df) + 1))
    tags = model.frame_from_proba(model.predict_proba(texts), ids, model.blank_mask(texts))
    frame = shape.frame(df[shape.kept], tags, TableFormat.csv)
    frame.index = df.index if len(frame) == len(df) else frame.index
    return frame


def _read(files: list[Path], fmt: str, table: TableOptions) -> Any:
    import dask.dataframe as dd
    from dask import delayed

    names = [str(p) for p in files]
    if fmt in ("csv", "tsv"):
        encoding = table.encoding
        if encoding is None:
            encoding = "utf-8-sig"
            for p in files:
                if not scan_file(p)[1]:
                    encoding = "cp1252"
                    log.warning("%s is not UTF-8; read it as cp1252. Pass --encoding.", p.name)
                    break
        sep = table.sep
        if sep is None:
            with open(files[0], encoding=encoding, errors="replace", newline="") as fh:
                for _ in range(table.skip_rows):
                    fh.readline()
                sep = detect_sep(fh.read(SNIFF_CHARS), "," if fmt == "csv" else "\t")
        layout: dict[str, Any] = {"sep": sep, "skiprows": table.skip_rows or None}
        if table.no_header:
            width = len(load_table(files[0], table).columns)
            layout.update(header=None, names=[f"column_{i}" for i in range(1, width + 1)])
        return dd.read_csv(
            names,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding=encoding,
            blocksize=None,
            **layout,
        )
    if fmt == "parquet":
        ddf = dd.read_parquet(names, split_row_groups=True)
        return ddf.map_partitions(_text_cells, meta=pd.DataFrame(columns=list(ddf.columns)))
    parts = [delayed(load_table)(p, table) for p in files]
    first = load_table(files[0], table)
    return dd.from_delayed(parts, meta=first.iloc[:0], verify_meta=False)


def predict_dask(
    data: str | Path,
    out: str | Path,
    model: Tagger | str | Path,
    *,
    text_col: str = "text",
    id_col: str | None = None,
    encoding: str | None = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    write_summary: bool = True,
    keep_columns: str | Sequence[str] = "none",
    table: TableOptions | None = None,
) -> dict[str, Any]:
    """Tag a file, a glob of files or a Parquet folder on Dask and write the predictions.

    Parameters
    ----------
    data : str or Path
        A table file, a glob (``releases/*.csv``) or a folder of Parquet files.
    out : str or Path
        A table file (format by extension) or, without extension, a Parquet folder.
    model : Tagger, str or Path
    text_col, id_col, encoding
        As for :func:`allegations.batch.predict.predict_file`.
    keep_columns : "all", "none" or column names
        The input columns copied into the output, as for ``predict_file``.
    table : TableOptions, optional
        Replaces ``text_col``, ``id_col`` and ``encoding``, with the layout options
        (``sep``, ``skip_rows``, ``no_header``).
    scheduler : str, optional
        Address of a running Dask scheduler; by default a local cluster is started.
    n_workers : int, optional
        Workers of the local cluster (default: one per CPU).
    write_summary : bool
        Write ``OUT.summary.json`` beside the output.

    Returns
    -------
    dict
        ``rows``, ``label_counts``, ``no_label``, ``needs_review``, ``summary``.

    Raises
    ------
    AllegationsError
        If the ``dask`` extra is not installed (see :func:`require_dask`).
    InputError, ColumnError, ModelError, OutputError
    """
    require_dask()
    from distributed import Client

    table = table or TableOptions(text_col=text_col, id_col=id_col, encoding=encoding)
    text_col, id_col = table.text_col, table.id_col
    keep = parse_keep_columns(keep_columns)
    started = time.perf_counter()
    out = Path(out)
    files, fmt = resolve_inputs(data)
    folder_out = out.suffix == "" or out.is_dir()
    if not folder_out:
        table_format(out, for_output=True)
    if any(out.resolve() == p.resolve() for p in files):
        raise OutputError(f"--out {out} is an input file; choose another output path.")
    if not isinstance(model, Tagger):
        model = load_model(model)
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    key = model.model_id or hashlib.sha256(payload).hexdigest()

    ddf = _read(files, fmt, table)
    columns = [str(c) for c in ddf.columns]
    header = pd.DataFrame(columns=columns)
    where: dict[str, Any] = {"path": files[0], "options": table}
    require_column(header, text_col, str(data), "--text-col", **where)
    if id_col is not None:
        require_column(header, id_col, str(data), "--id-col", **where)
    for name in keep if isinstance(keep, tuple) else ():
        require_column(header, name, str(data), "--keep-columns", **where)
    kept = columns if keep == KEEP_ALL else [] if keep == KEEP_NONE else list(keep)
    flat = OutputShape(kept, model.labels, drop_id=False)  # what partitions return
    shape = OutputShape(kept, model.labels, drop_id=id_col is not None and id_col in kept)
    if shape.renamed:
        log.warning(
            "The input already has column(s) %s; the tags are written as %s.",
            ", ".join(repr(k) for k in shape.renamed),
            ", ".join(repr(v) for v in shape.renamed.values()),
        )

    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(local_cluster(n_workers))
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(scheduler, timeout="20s"))
            except OSError as exc:
                raise InputError(
                    f"Cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}); "
                    "check the address or leave out --scheduler to start a local cluster."
                ) from None
        [payload_future] = client.scatter([payload], broadcast=True, hash=False)
        offsets = None
        if id_col is None:  # row numbers run across partitions
            lengths = ddf.map_partitions(len).compute().tolist()
            offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int).tolist()
        # The real output of one empty text, so the dtypes match every partition's.
        tags = model.frame_from_proba(model.predict_proba([""]), ["x" if id_col else 1])
        meta = flat.frame(ddf._meta[kept], tags.iloc[:0], TableFormat.csv)
        tagged = ddf.map_partitions(
            _tag_partition, payload_future, key, text_col, id_col, offsets, flat, meta=meta
        )
        if folder_out:
            totals = _write_folder(tagged, out, model, flat)
        else:
            totals = _write_file(client, tagged, out, model, shape, flat)

    summary = run_summary(
        model,
        _InputInfo(files, fmt),
        out,
        totals,
        engine="dask",
        n_process=0,
        chunk_rows=None,
        table=table,
        seconds_total=time.perf_counter() - started,
        out_format="parquet folder" if folder_out else None,
        shape=flat if folder_out else shape,
    )
    summary["dask"] = {"scheduler": scheduler or "local cluster", "partitions": ddf.npartitions}
    summary["timings_note"] = "the Dask engine reports total wall-clock time only"
    summary["input"]["files"] = _InputInfo(files, fmt).files
    if write_summary:
        write_summary_json(summary, out)
    return {
        "rows": totals.rows,
        "label_counts": totals.counts(),
        "no_label": totals.no_label,
        "needs_review": totals.needs_review,
        "summary": summary,
    }


class _InputInfo:
    """What the summary records about the inputs of a Dask run."""

    def __init__(self, files: list[Path], fmt: str) -> None:
        self.path = files[0] if len(files) == 1 else files[0].parent
        self.format = fmt
        self.files = [{"name": p.name, "sha256": scan_file(p)[0]} for p in files]
        self.sha256 = (
            self.files[0]["sha256"]
            if len(files) == 1
            else hashlib.sha256("".join(f["sha256"] for f in self.files).encode()).hexdigest()
        )
        self.skipped: dict[str, int] = {}


def _count(totals: RunTotals, frame: pd.DataFrame, shape: OutputShape) -> None:
    totals.rows += len(frame)
    if totals.label_counts is None:
        totals.label_counts = np.zeros(len(totals.labels), dtype=np.int64)
    joined = frame[shape.name("labels")].astype(str)
    for j, label in enumerate(totals.labels):
        totals.label_counts[j] += int(joined.map(lambda s, lab=label: lab in s.split(";")).sum())
    totals.no_label += int((joined == "").sum())
    totals.needs_review += int(np.asarray(frame[shape.name("needs_review")], dtype=bool).sum())


def _write_file(
    client: Any, tagged: Any, out: Path, model: Tagger, shape: OutputShape, flat: OutputShape
) -> RunTotals:
    """Gather partitions in order (a few in flight) and write them as one file."""
    totals = RunTotals(labels=model.labels)
    parts = tagged.to_delayed()
    window = max(2 * len(client.scheduler_info().get("workers", {})), 2)
    pending: collections.deque[Any] = collections.deque()
    fmt = TableFormat.of(out, for_output=True)
    with open_writer(out, None, fmt=fmt) as writer:
        for part in _ordered(client, parts, pending, window):
            frame = part.reset_index(drop=True)
            _count(totals, frame, flat)
            writer.write(shape.reshape(frame, fmt, flat))
        if totals.rows == 0:
            empty = model.frame_from_proba(np.zeros((0, len(model.labels))), [])
            kept = pd.DataFrame({c: pd.Series([], dtype=str) for c in shape.kept})
            writer.write(shape.frame(kept, empty, fmt))
    return totals


def _ordered(client: Any, parts: list[Any], pending: Any, window: int) -> Iterator[pd.DataFrame]:
    for part in parts:
        pending.append(client.compute(part))
        while len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _write_folder(tagged: Any, out: Path, model: Tagger, shape: OutputShape) -> RunTotals:
    """Write a Parquet folder beside ``out`` and rename it into place when complete."""
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"Folder {parent} does not exist; create it or choose another --out.")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=parent))
    try:
        tagged.to_parquet(str(tmp), write_index=False)
        totals = RunTotals(labels=model.labels)
        back = pd.read_parquet(tmp, columns=[shape.name("labels"), shape.name("needs_review")])
        _count(totals, back, shape)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return totals
