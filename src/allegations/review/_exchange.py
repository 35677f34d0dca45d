"""Move review decisions out of the store: training tables, Prodigy, Label Studio.

* ``training``: a table (id, text, labels joined by ";") in any format of
  :func:`allegations.tables._write.write_table`; ``allegations train original.csv reviewed.csv
  --id-col id`` then retrains with the reviewed labels overriding the original rows.
* ``prodigy``: JSON Lines of Prodigy choice tasks: ``text``, ``options``, ``accept`` (the
  labels), ``answer`` ("accept"), ``meta`` (case id, reviewer, model id, scores).
* ``label-studio``: a JSON list of Label Studio tasks with ``data.text``, the decision as an
  annotation (a ``choices`` result named ``labels`` on ``text``) and the model's call as a
  prediction with its score.

:mod:`allegations.review._exchange_import` reads the last two formats back, so a team can
review in those tools instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, OutputError
from ..tables import atomic_write, write_table
from ..training import label_key
from ._store import Decision, ReviewStore

__all__ = ["EXPORT_FORMATS", "export_store"]

log = logging.getLogger(__name__)

EXPORT_FORMATS = ("training", "prodigy", "label-studio")
FROM_NAME, TO_NAME = "labels", "text"


def _final_rows(store: ReviewStore, reviewer: str | None) -> list[tuple[Decision, str]]:
    final = store.final(reviewer)
    texts = store.texts(final)
    by_id: dict[str, Decision] = {}
    for d in sorted(final.values(), key=lambda d: d.seq):
        by_id[d.case_id] = d  # one row per id: the latest decision wins
    if len(by_id) < len(final):
        log.warning(
            "%d decided case(s) share an id with a later decision on another text; the later "
            "decision is exported.",
            len(final) - len(by_id),
        )
    return [(d, texts.get(d.text_hash, "")) for d in sorted(by_id.values(), key=lambda d: d.seq)]


def export_store(
    store_path: str | Path,
    out: str | Path,
    *,
    fmt: str = "training",
    reviewer: str | None = None,
    id_col: str | None = None,
    text_col: str | None = None,
    labels_col: str | None = None,
) -> dict[str, Any]:
    """Write the decisions in force (one per case) to ``out``.

    Parameters
    ----------
    store_path : str or Path
    out : str or Path
        For ``training`` any table extension (.csv .tsv .xlsx .jsonl .parquet); for
        ``prodigy`` a .jsonl file; for ``label-studio`` a .json file.
    fmt : {"training", "prodigy", "label-studio"}
    reviewer : str, optional
        Export one reviewer's decisions only (default: the latest decision on each case,
        whoever made it).
    id_col, text_col, labels_col : str, optional
        Column names of the training table. By default those the model's training data
        was read with (recorded in the store by ``allegations review``): the same column
        names, and one 1/0 column per label when the training data had them
        (``label_cols``), so ``train`` reads the export with the original options.
        Without recorded options: ``id``, ``text``, ``labels``.

    Returns
    -------
    dict
        ``rows`` written, ``format``, ``reviewers``, ``options`` (the column options
        ``train`` needs) and ``retrain`` (the command that retrains with the export).

    Raises
    ------
    StoreError, OutputError, InputError
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"Unknown format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}.")
    out = Path(out)
    if out.resolve() == Path(store_path).resolve():
        raise OutputError(f"`out` {out} is the store itself; choose another output path.")
    with ReviewStore(store_path, create=False) as store:
        labels = store.labels
        if reviewer is not None and reviewer not in store.reviewers():
            raise InputError(
                f"Reviewer '{reviewer}' has no decision in {store_path}; reviewers are: "
                f"{', '.join(store.reviewers()) or '(none)'}."
            )
        rows = _final_rows(store, reviewer)
        recorded = json.loads(store.meta().get("training_options", "{}"))
    summary: dict[str, Any] = {
        "rows": len(rows),
        "format": fmt,
        "reviewers": sorted({d.reviewer for d, _ in rows}),
    }
    if fmt == "training":
        options = _training_options(recorded, labels, id_col, text_col, labels_col)
        frame = _training_frame(rows, labels, options)
        write_table(frame, out)
        summary["options"] = options
        summary["retrain"] = retrain_command(out, options, recorded.get("original"))
    elif fmt == "prodigy":
        _write_text(out, "".join(json.dumps(_prodigy_task(d, t, labels)) + "\n" for d, t in rows))
    else:
        tasks = [_label_studio_task(d, t) for d, t in rows]
        _write_text(out, json.dumps(tasks, indent=1, ensure_ascii=False) + "\n")
    return summary


def _training_options(
    recorded: dict[str, Any],
    labels: Sequence[str],
    id_col: str | None,
    text_col: str | None,
    labels_col: str | None,
) -> dict[str, Any]:
    """The column options of the export: explicit ones, else the recorded ones."""
    options: dict[str, Any] = {
        "id_col": id_col or recorded.get("id_col") or "id",
        "text_col": text_col or recorded.get("text_col") or "text",
        # the training data had no id column: the reviewed cases are added, not matched
        "id_in_training": bool(id_col or recorded.get("id_col") or not recorded),
    }
    label_cols = recorded.get("label_cols") or []
    if labels_col is None and label_cols:
        by_key = {label_key(c): str(c) for c in label_cols}
        options["label_cols"] = [by_key.get(label_key(x), x) for x in labels]
    else:
        options["labels_col"] = labels_col or recorded.get("labels_col") or "labels"
        options["label_sep"] = recorded.get("label_sep") or ";" if labels_col is None else ";"
        bad = [x for x in labels if options["label_sep"] in x]
        if bad:
            raise OutputError(
                f"Label(s) {', '.join(bad)} contain '{options['label_sep']}', the separator of "
                "the labels column; export with `fmt` prodigy instead."
            )
    names = [options["id_col"], options["text_col"]] + (
        options["label_cols"] if "label_cols" in options else [options["labels_col"]]
    )
    if len(set(names)) < len(names):
        raise InputError(f"Column names must differ; got {', '.join(names)}.")
    return options


def _training_frame(
    rows: list[tuple[Decision, str]], labels: Sequence[str], options: dict[str, Any]
) -> pd.DataFrame:
    data: dict[str, list[Any]] = {
        options["id_col"]: [d.case_id for d, _ in rows],
        options["text_col"]: [text for _, text in rows],
    }
    if "label_cols" in options:
        for label, column in zip(labels, options["label_cols"], strict=True):
            data[column] = [int(label in d.labels) for d, _ in rows]
    else:
        data[options["labels_col"]] = [options["label_sep"].join(d.labels) for d, _ in rows]
    return pd.DataFrame(data, columns=list(data))


def retrain_command(out: str | Path, options: dict[str, Any], original: str | None) -> str:
    """The ``allegations train`` command that retrains with an export's corrections."""
    first = original or "ORIGINAL_TRAINING_FILE"
    parts = ["allegations", "train", _quote(first), _quote(str(out))]
    parts += ["--text-col", _quote(options["text_col"])]
    if "label_cols" in options:
        parts += ["--label-cols", _quote(",".join(options["label_cols"]))]
    else:
        parts += ["--labels-col", _quote(options["labels_col"])]
        if options["label_sep"] != ";":
            parts += ["--label-sep", _quote(options["label_sep"])]
    if options.get("id_in_training", True):
        parts += ["--id-col", _quote(options["id_col"])]
    parts += ["--out", "models/retrained"]
    return " ".join(parts)


def _quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


def _write_text(path: Path, text: str) -> None:
    try:
        with atomic_write(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"Cannot write {path} ({exc.strerror or exc}).") from None


def _prodigy_task(d: Decision, text: str, labels: Sequence[str]) -> dict[str, Any]:
    return {
        "text": text,
        "options": [{"id": x, "text": x} for x in labels],
        "accept": list(d.labels),
        "answer": "accept",
        "_view_id": "choice",
        "config": {"choice_style": "multiple"},
        "_annotator_id": d.reviewer,
        "meta": {
            "id": d.case_id,
            "reviewer": d.reviewer,
            "strategy": d.strategy,
            "model_id": d.model_id,
            "predicted": list(d.predicted_labels),
            "scores": d.predicted,
            "decided_at": d.decided_at,
        },
    }


def _choices(labels: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {
            "from_name": FROM_NAME,
            "to_name": TO_NAME,
            "type": "choices",
            "value": {"choices": list(labels)},
        }
    ]


def _label_studio_task(d: Decision, text: str) -> dict[str, Any]:
    scores = d.predicted
    confidence = min((abs(2 * float(p) - 1) for p in scores.values()), default=1.0)
    task: dict[str, Any] = {
        "data": {"text": text, "case_id": d.case_id},
        "annotations": [
            {
                "result": _choices(d.labels),
                "meta": {"reviewer": d.reviewer, "strategy": d.strategy},
                "created_at": d.decided_at,
            }
        ],
        "meta": {"reviewer": d.reviewer, "scores": scores},
    }
    if d.model_id or scores:
        task["predictions"] = [
            {
                "model_version": d.model_id[:12] or "unknown",
                "score": round(confidence, 4),
                "result": _choices(d.predicted_labels),
            }
        ]
    return task
