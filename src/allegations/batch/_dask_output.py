"""The outputs of a Dask run: one table file, gathered in order and written through
:func:`allegations.tables._chunk_writer.open_writer` (atomically), or a folder of Parquet
files, written to a hidden temporary folder and renamed into place.
"""

from __future__ import annotations

import collections
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import OutputError
from ..model import Tagger
from ..tables import TableFormat, open_writer
from ._engines import RunTotals
from ._options import OutputShape

__all__ = ["write_file", "write_folder"]


def _count(totals: RunTotals, frame: pd.DataFrame, shape: OutputShape) -> None:
    totals.rows += len(frame)
    if totals.label_counts is None:
        totals.label_counts = np.zeros(len(totals.labels), dtype=np.int64)
    joined = frame[shape.name("labels")].astype(str)
    for j, label in enumerate(totals.labels):
        totals.label_counts[j] += int(joined.map(lambda s, lab=label: lab in s.split(";")).sum())
    totals.no_label += int((joined == "").sum())
    totals.needs_review += int(np.asarray(frame[shape.name("needs_review")], dtype=bool).sum())


def write_file(
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


def write_folder(tagged: Any, out: Path, model: Tagger, shape: OutputShape) -> RunTotals:
    """Write a Parquet folder beside ``out`` and rename it into place when complete."""
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"Folder {parent} does not exist; create it or choose another `out`.")
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
