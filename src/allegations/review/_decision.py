"""One review decision: the :class:`Decision` row, the text hash that identifies a case,
and how a decision is written as a row of the store's ``decisions`` table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..training import label_key
from ._store_schema import now

__all__ = ["Decision", "ROLES", "decision_from_row", "decision_row", "text_hash"]

#: Roles of a decision: a reviewer's answer, or an adjudicator's answer that settles a case
#: on which reviewers disagree.
ROLES = ("reviewer", "adjudicator")


def text_hash(text: str) -> str:
    """Return the sha256 of a narrative with its whitespace collapsed (the case's identity)."""
    return hashlib.sha256(" ".join(str(text).split()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Decision:
    """One row of the decisions table."""

    seq: int
    kind: str
    case_id: str
    text_hash: str
    labels: tuple[str, ...]
    predicted: dict[str, float]
    predicted_labels: tuple[str, ...]
    model_id: str
    reviewer: str
    strategy: str
    undoes: int | None
    decided_at: str
    role: str = "reviewer"


def decision_from_row(seq: int, row: tuple[Any, ...]) -> Decision:
    """The :class:`Decision` of a row made by :func:`decision_row`, stored as ``seq``."""
    return Decision(
        seq, row[0], row[1], row[2], tuple(json.loads(row[3])), json.loads(row[4]),
        tuple(json.loads(row[5])), row[6], row[7], row[8], row[9], row[10], row[11],
    )  # fmt: skip


def decision_row(
    label_set: list[str],
    store_path: Path,
    *,
    case_id: str,
    text: str,
    labels: Iterable[str],
    predicted: dict[str, float],
    predicted_labels: Iterable[str] = (),
    model_id: str,
    reviewer: str,
    strategy: str,
    thash: str | None = None,
    role: str = "reviewer",
) -> tuple[tuple[Any, ...], tuple[str, str]]:
    """The ``decisions`` row of a decision and its ``texts`` row (text hash, text).

    ``labels`` are matched to ``label_set``, the store's labels (at ``store_path``), and
    written in its order.

    Raises
    ------
    StoreError
        If ``role`` is not one of :data:`ROLES` or a label is not in ``label_set``.
    """
    if role not in ROLES:
        raise StoreError(f"Unknown decision role {role!r}; roles are {', '.join(ROLES)}.")
    known = {label_key(x): x for x in label_set}
    chosen: list[str] = []
    for label in labels:
        name = known.get(label_key(label))
        if name is None:
            raise StoreError(
                f"Label '{label}' is not in the label set of {store_path} ({', '.join(label_set)})."
            )
        if name not in chosen:
            chosen.append(name)
    chosen.sort(key=list(known.values()).index)
    called = [str(x) for x in predicted_labels]
    thash = thash or text_hash(text)
    when = now()
    row = (
        "decide",
        str(case_id),
        thash,
        json.dumps(chosen),
        json.dumps({k: float(v) for k, v in predicted.items()}),
        json.dumps(called),
        model_id,
        reviewer,
        strategy,
        None,
        when,
        role,
    )
    return row, (thash, str(text))
