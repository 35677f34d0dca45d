"""Tag tables on a Dask cluster: ``allegations predict DATA --engine dask``.

The input is a file, a glob of files or a folder of Parquet files, read as a
``dask.dataframe`` with the cell rules of :func:`allegations.tables._read.load_table` (every cell
text; see :mod:`allegations.batch._dask_input`). Each worker process unpickles the model
once and tags whole partitions with the model's own methods, so the predictions equal the
local engine's row for row.

The output is a single table file (its extension names the format) or, for a path
without extension, a folder of Parquet files (see :mod:`allegations.batch._dask_output`).

The input files and the model must be readable by every worker at the same paths (a shared
filesystem); see docs/batch-tagging.md for running on an existing cluster.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import AllegationsError, InputError, OutputError
from ..model import Tagger, load_model
from ..tables import TableFormat, TableOptions, require_column, table_format
from ._dask_input import InputInfo, read_inputs, resolve_inputs
from ._dask_output import write_file, write_folder
from ._options import KEEP_ALL, KEEP_NONE, OutputShape, parse_keep_columns
from ._summary import run_summary, write_summary_json

__all__ = ["predict_dask", "require_dask", "local_cluster"]

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
            f"The Dask engine needs the optional packages dask and distributed (module "
            f"{missing!r} cannot be imported); install them with "
            "pip install 'allegations[dask]', or use the local engine."
        ) from exc


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
        As for :func:`allegations.batch._predict.predict_file`.
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
    if any(out.resolve() == p.resolve() for p in files):  # a folder output is checked later
        raise OutputError(f"`out` {out} is an input file; choose another path.")
    if not isinstance(model, Tagger):
        model = load_model(model)
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    key = model.model_id or hashlib.sha256(payload).hexdigest()

    ddf = read_inputs(files, fmt, table)
    columns = [str(c) for c in ddf.columns]
    header = pd.DataFrame(columns=columns)
    where: dict[str, Any] = {"path": files[0], "options": table}
    require_column(header, text_col, str(data), "text_col", **where)
    if id_col is not None:
        require_column(header, id_col, str(data), "id_col", **where)
    for name in keep if isinstance(keep, tuple) else ():
        require_column(header, name, str(data), "keep_columns", **where)
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
                    "check the address or leave out `scheduler` to start a local cluster."
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
            totals = write_folder(tagged, out, model, flat)
        else:
            totals = write_file(client, tagged, out, model, shape, flat)

    summary = run_summary(
        model,
        InputInfo(files, fmt),
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
    summary["input"]["files"] = InputInfo(files, fmt).files
    if write_summary:
        write_summary_json(summary, out)
    return {
        "rows": totals.rows,
        "label_counts": totals.counts(),
        "no_label": totals.no_label,
        "needs_review": totals.needs_review,
        "summary": summary,
    }
