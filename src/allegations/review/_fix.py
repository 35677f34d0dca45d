"""A review of suspected labelling mistakes: the most suspect training rows first.

:func:`open_suspects_review` runs :func:`~allegations.training._suspects.find_suspects` on a
labelled table and queues its rows, most suspect first. Each screen shows the given labels
and the out-of-fold model's suggestion; ``y`` accepts the suggestion, digits and
``enter`` save a corrected set, as in any review.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ..batch import LabelSpec, read_labelled
from ..errors import InputError
from ..training import Codebook, find_suspects
from ._cases import Case
from ._session import ReviewSession
from ._store import ReviewStore, text_hash

__all__ = ["SuspectCase", "open_suspects_review"]


@dataclass
class SuspectCase(Case):
    """A training row under suspicion: its given labels and why the model doubts them."""

    given: list[str] = field(default_factory=list)
    why: str = ""


def open_suspects_review(
    data_paths: list[Path],
    store_path: str | Path,
    *,
    text_col: str = "text",
    spec: LabelSpec | None = None,
    id_col: str | None = None,
    codebook: Codebook | None = None,
    reviewer: str = "reviewer",
    limit: int | None = None,
    seed: int = 0,
    sheet: str | None = None,
    encoding: str | None = None,
) -> ReviewSession:
    """Open a review of the rows whose labels the out-of-fold model doubts most.

    Decisions are saved with the strategy ``suspects`` and the model id
    ``out-of-fold:<hash of the labelled rows>``.

    Raises
    ------
    InputError, ColumnError, LabelError, StoreError
    """
    if limit is not None and limit < 1:
        raise InputError(f"`limit` must be at least 1, not {limit}.")
    reviewer = " ".join(str(reviewer).split())
    if not reviewer:
        raise InputError("The reviewer name is empty; pass `reviewer` NAME.")
    rows = read_labelled(
        data_paths, text_col=text_col, spec=spec, id_col=id_col, sheet=sheet, encoding=encoding
    )
    ids = rows.ids if id_col is not None else [str(i) for i in range(1, len(rows.texts) + 1)]
    found = find_suspects(
        rows.texts, rows.label_sets, ids=ids, codebook=codebook, seed=seed, groups=rows.groups
    )
    labels = list(found.attrs["labels"])
    text_of = dict(zip(ids, rows.texts, strict=True))
    digest = hashlib.sha256()
    for cid, text, sets in zip(ids, rows.texts, rows.label_sets, strict=True):
        digest.update(f"{cid}\t{text_hash(text)}\t{';'.join(sorted(sets))}\n".encode())
    queue: list[Case] = []
    records = found.to_dict("records")
    for k, row in enumerate(records[:limit] if limit else records):
        text = text_of[str(row["id"])]
        queue.append(
            SuspectCase(
                case_id=str(row["id"]),
                text=text,
                text_hash=text_hash(text),
                scores=dict(zip(labels, found.attrs["proba"][k], strict=True)),
                predicted=list(found.attrs["suggested"][k]),
                confidence=round(1.0 - float(row["score"]), 4),
                given=[x for x in str(row["given"]).split(";") if x],
                why=str(row["disagreeing"]),
            )
        )
    store = ReviewStore(store_path, labels=labels)
    try:
        return ReviewSession(
            store,
            queue,
            labels=labels,
            model_id=f"out-of-fold:{digest.hexdigest()[:12]}",
            reviewer=reviewer,
            strategy="suspects",
            definitions=codebook,
        )
    except BaseException:
        store.close()
        raise
