"""Add the decisions of a Prodigy or Label Studio export to the review store, so a team
can review in those tools instead.

* ``prodigy``: JSON Lines of Prodigy choice tasks; an accepted task with its ``accept``
  list is a decision (``meta``: case id, reviewer, model id, scores).
* ``label-studio``: a JSON list of Label Studio tasks with ``data.text``; the last
  annotation not cancelled is the decision, the prediction the model's call.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError, StoreError
from ..model import read_manifest
from ..training import label_key
from ._store import ReviewStore, text_hash

__all__ = ["IMPORT_FORMATS", "import_file"]

IMPORT_FORMATS = ("prodigy", "label-studio")


def _read_prodigy(path: Path) -> tuple[list[dict[str, Any]], list[str], int]:
    items: list[dict[str, Any]] = []
    option_labels: list[str] = []
    skipped = 0
    with open(path, encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                task = json.loads(line)
            except json.JSONDecodeError:
                raise InputError(
                    f"{path.name} line {lineno} is not valid JSON; fix or remove that line."
                ) from None
            if not isinstance(task, dict) or not isinstance(task.get("text"), str):
                raise InputError(
                    f"{path.name} line {lineno} has no 'text'; Prodigy tasks need a text field."
                )
            id_to_label = {}
            for opt in task.get("options", []) or []:
                if isinstance(opt, dict) and "id" in opt:
                    name = str(opt.get("text", opt["id"]))
                    id_to_label[str(opt["id"])] = name
                    if name not in option_labels:
                        option_labels.append(name)
            if task.get("answer") != "accept" or not isinstance(task.get("accept"), list):
                skipped += 1  # rejected, ignored or binary tasks are no full decision
                continue
            meta = _dict(task.get("meta"))
            items.append(
                {
                    "where": f"line {lineno}",
                    "text": task["text"],
                    "labels": [id_to_label.get(str(a), str(a)) for a in task["accept"]],
                    "case_id": str(meta.get("id", task.get("id", ""))),
                    "reviewer": str(task.get("_annotator_id") or meta.get("reviewer") or ""),
                    "scores": _scores(meta.get("scores")),
                    "predicted": _strings(meta.get("predicted")),
                    "model_id": str(meta.get("model_id", "")),
                }
            )
    return items, option_labels, skipped


def _read_label_studio(path: Path) -> tuple[list[dict[str, Any]], list[str], int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{path.name} is not a Label Studio JSON export ({type(exc).__name__}); export the "
            "project as JSON."
        ) from None
    tasks = data if isinstance(data, list) else [data]
    items: list[dict[str, Any]] = []
    seen_labels: list[str] = []
    skipped = 0
    for n, task in enumerate(tasks, start=1):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise InputError(f"{path.name} task {n} is not a Label Studio task (no 'data').")
        text = task["data"].get("text")
        if not isinstance(text, str):
            raise InputError(
                f"{path.name} task {n} has no data.text; the narrative must be in 'text'."
            )
        done = [
            a
            for a in task.get("annotations", []) or []
            if isinstance(a, dict) and not a.get("was_cancelled")
        ]
        chosen = _ls_choices(done[-1].get("result", [])) if done else None
        predicted = []
        for p in task.get("predictions", []) or []:
            if isinstance(p, dict):
                predicted = _ls_choices(p.get("result", []))
        for x in (chosen or []) + predicted:
            if x not in seen_labels:
                seen_labels.append(x)
        if chosen is None:
            skipped += 1
            continue
        completed = done[-1].get("completed_by")
        if isinstance(completed, dict):
            completed = completed.get("email") or completed.get("id")
        meta = _dict(task.get("meta"))
        ann_meta = _dict(done[-1].get("meta"))
        items.append(
            {
                "where": f"task {n}",
                "text": text,
                "labels": chosen,
                "case_id": str(task["data"].get("case_id", task.get("id", ""))),
                "reviewer": str(ann_meta.get("reviewer") or completed or ""),
                "scores": _scores(meta.get("scores")),
                "predicted": predicted,
                "model_id": "",
            }
        )
    return items, seen_labels, skipped


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [str(x) for x in value] if isinstance(value, list) else []


def _scores(value: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, score in _dict(value).items():
        try:
            out[str(key)] = float(score)
        except (TypeError, ValueError):
            continue  # a score that is not a number is dropped, not guessed
    return out


def _ls_choices(result: Any) -> list[str]:
    out: list[str] = []
    for item in result if isinstance(result, list) else []:
        if isinstance(item, dict) and item.get("type") == "choices":
            for x in (item.get("value") or {}).get("choices", []) or []:
                if str(x) not in out:
                    out.append(str(x))
    return out


def import_file(
    path: str | Path,
    store_path: str | Path,
    *,
    fmt: str | None = None,
    reviewer: str | None = None,
    model_path: str | Path | None = None,
) -> dict[str, Any]:
    """Add the decisions of a Prodigy or Label Studio export to a review store.

    Parameters
    ----------
    path : str or Path
        Prodigy JSON Lines (.jsonl) or a Label Studio JSON export (.json).
    store_path : str or Path
        The store; created if missing, with the labels of ``model_path`` or else those named
        in the file.
    fmt : {"prodigy", "label-studio"}, optional
        Default: from the extension (.jsonl prodigy, .json label-studio).
    reviewer : str, optional
        Name for decisions whose file gives no annotator (default "import").
    model_path : str or Path, optional
        A model folder whose label set the store must have.

    Returns
    -------
    dict
        ``imported``, ``unchanged`` (already in the store), ``skipped`` (no full decision).

    Raises
    ------
    InputError, StoreError
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"File {path} not found; check the path.")
    if fmt is None:
        suffix = path.suffix.lower()
        fmt = {".jsonl": "prodigy", ".ndjson": "prodigy", ".json": "label-studio"}.get(suffix)
        if fmt is None:
            raise InputError(
                f"Cannot tell the format of {path.name} from '{suffix}'; pass `fmt` prodigy "
                "or `fmt` label-studio."
            )
    if fmt not in IMPORT_FORMATS:
        raise InputError(f"Unknown format {fmt!r}; choose one of {', '.join(IMPORT_FORMATS)}.")
    reader = _read_prodigy if fmt == "prodigy" else _read_label_studio
    items, file_labels, skipped = reader(path)
    labels = list(read_manifest(model_path)["labels"]) if model_path is not None else None
    if labels is None and not Path(store_path).exists():
        labels = file_labels
        if not labels:
            raise StoreError(
                f"{path.name} names no labels and the store {store_path} does not exist; pass "
                "`model_path` to give the label set."
            )
    imported = unchanged = 0
    with ReviewStore(store_path, labels=labels) as store:
        known = {label_key(x): x for x in store.labels}
        standing = store.standing()
        for item in items:
            unknown = [x for x in item["labels"] if label_key(x) not in known]
            if unknown:
                raise InputError(
                    f"{path.name} {item['where']} has label(s) {', '.join(unknown)} that are not "
                    f"in the store ({', '.join(store.labels)}); nothing after it was imported."
                )
            name = item["reviewer"] or reviewer or "import"
            thash = text_hash(item["text"])
            case_id = item["case_id"] or thash[:12]
            chosen = [known[label_key(x)] for x in item["labels"]]
            current = standing.get((name, thash))
            if current is not None and set(current.labels) == set(chosen):
                unchanged += 1
                continue
            store.record(
                case_id=case_id,
                text=item["text"],
                labels=chosen,
                predicted=item["scores"],
                predicted_labels=item["predicted"],
                model_id=item["model_id"],
                reviewer=name,
                strategy="import",
                thash=thash,
            )
            imported += 1
    return {"imported": imported, "unchanged": unchanged, "skipped": skipped, "format": fmt}
