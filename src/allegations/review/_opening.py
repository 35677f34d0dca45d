"""Opening a review: the model and data read once, the queue built, the store opened.

:func:`open_review` runs the model once over the release (through
:func:`~allegations.review._cases.load_cases`), builds the queue of the chosen strategy
(or the stored audit draw, or the disputed cases to adjudicate) and returns a
:class:`~allegations.review._session.ReviewSession` positioned on the first undecided case.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ..errors import InputError, StoreError
from ..model import Tagger, load_model
from ..tables import TableOptions
from ..training import Codebook
from ._answers import disputes
from ._cases import (
    DEFAULT_AUDIT_SIZE,
    STRATEGIES,
    draw_audit,
    load_cases,
    order_cases,
    release_fingerprint,
)
from ._session import ReviewSession
from ._store import ReviewStore

__all__ = ["label_design", "open_review", "training_options"]

log = logging.getLogger(__name__)


def open_review(
    data_path: str | Path,
    model: Tagger | str | Path,
    store_path: str | Path,
    *,
    text_col: str = "text",
    id_col: str | None = None,
    reviewer: str = "reviewer",
    label: str | None = None,
    strategy: str = "uncertain",
    limit: int | None = None,
    seed: int = 0,
    sheet: str | None = None,
    encoding: str | None = None,
    table: TableOptions | None = None,
    adjudicate: bool = False,
) -> ReviewSession:
    """Load the model and data, run the model once, build the queue and open the store.

    With ``adjudicate`` the queue is the cases of the data on which reviewers in the
    store disagree and that no adjudication settled yet (``strategy`` and ``limit`` do
    not apply); the session shows each reviewer's answer and records the settling one.

    Returns
    -------
    ReviewSession
        Positioned on the first case the reviewer has not decided.

    Raises
    ------
    ModelError, InputError, ColumnError, StoreError
    """
    if strategy not in STRATEGIES:
        raise InputError(f"Unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}.")
    if limit is not None and limit < 1:
        raise InputError(f"`limit` must be at least 1, not {limit}.")
    reviewer = " ".join(str(reviewer).split())
    if not reviewer:
        raise InputError("The reviewer name is empty; pass `reviewer` NAME.")
    if not isinstance(model, Tagger):
        model = load_model(model)
    if label is not None:
        match = [x for x in model.labels if x.casefold() == label.casefold()]
        if not match:
            raise InputError(
                f"Label '{label}' is not one of the model's labels ({', '.join(model.labels)}); "
                "pass one of those as `label`."
            )
        label = match[0]
    store = ReviewStore(store_path, labels=model.labels)
    try:
        single_label, allow_none = label_design(model)
        store.set_meta(
            {
                "label_design": "exclusive" if single_label else "multi-label",
                "allow_none": "1" if allow_none else "0",
            }
        )
        store.set_meta({"training_options": json.dumps(training_options(model))}, replace=True)
        cases = load_cases(
            data_path,
            model,
            text_col=text_col,
            id_col=id_col,
            sheet=sheet,
            encoding=encoding,
            table=table,
        )
        answers = None
        if adjudicate:
            answers = disputes(store)
            queue = [c for c in cases if c.text_hash in answers]
            outside = len(set(answers) - {c.text_hash for c in queue})
            if outside:
                log.warning(
                    "%d disputed case(s) of the store are not in %s; adjudicate them with the "
                    "data they came from.",
                    outside,
                    Path(data_path).name,
                )
            if not queue:
                raise InputError(
                    f"No case of {Path(data_path).name} is disputed in {store_path}: reviewers "
                    "agree on every case they both coded, or it is settled; nothing to adjudicate."
                )
            answers = {h: answers[h] for h in {c.text_hash for c in queue}}
            strategy = "adjudicate"
        elif strategy == "audit":
            design = store.audit_design()
            if design is None:
                design = draw_audit(cases, size=limit or DEFAULT_AUDIT_SIZE, label=label, seed=seed)
                store.save_audit_design(design)
            elif design.fingerprint != release_fingerprint(cases, label):
                raise StoreError(
                    f"Review store {store_path} already holds an audit of another release "
                    "(other ids or texts, or another `label`); audit this release in a new "
                    "`store_path`."
                )
            elif limit is not None and limit != len(design.sample):
                log.warning(
                    "This store's audit sample has %d cases; `limit` %d is ignored.",
                    len(design.sample),
                    limit,
                )
            queue = [cases[i] for i in design.sample]
        else:
            order = order_cases(cases, strategy, label=label, limit=limit, seed=seed)
            queue = [cases[i] for i in order]
        codebook = model.card.get("codebook")
        return ReviewSession(
            store,
            queue,
            labels=model.labels,
            model_id=model.model_id,
            reviewer=reviewer,
            strategy=strategy,
            definitions=Codebook.from_dict(codebook) if codebook else None,
            single_label=single_label,
            allow_none=allow_none,
            answers=answers,
        )
    except BaseException:
        store.close()
        raise


def label_design(model: Tagger) -> tuple[bool, bool]:
    """(single label per case, "none apply" allowed) of a model, from how it was trained.

    A single-label model accepts "none apply" only when its training data had cases
    without a label (outside the codebook).
    """
    single = bool(model.exclusive)
    allow_none = not single or int(model.card.get("n_cases_without_label", 0) or 0) > 0
    return single, allow_none


def training_options(model: Tagger) -> dict[str, object]:
    """The column and layout options the model's training data was read with (for
    ``export`` and the learning loop's ``labelled`` tables)."""
    data = model.card.get("data") or {}
    keys = ("text_col", "id_col", "labels_col", "label_sep", "label_cols")
    out: dict[str, object] = {k: data[k] for k in keys if data.get(k) not in (None, "", [])}
    out.update(TableOptions.recorded_layout(data))  # the layout, when train was given one
    files = data.get("files") or []
    if files and isinstance(files[0], dict) and files[0].get("name"):
        out["original"] = str(files[0]["name"])
    return out
