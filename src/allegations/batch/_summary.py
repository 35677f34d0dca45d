"""The provenance of a run, written beside its output as ``OUT.summary.json``, and how a
reader of the output finds the tag columns with it (:func:`tag_view`).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from .._version import __version__
from ..model import Tagger
from ..tables import TableFormat, TableOptions, atomic_write, describe_sep
from ._engines import RunTotals
from ._options import TAG_PREFIX, OutputShape

__all__ = ["summary_path", "run_summary", "write_summary_json", "tag_view"]


def summary_path(out: str | Path) -> Path:
    """The provenance file written beside an output: ``OUT.summary.json``."""
    out = Path(out)
    return out.with_name(out.name + ".summary.json")


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
    already has (``tag_labels``), and leaves ``id`` out when the ``id_col`` column is
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
