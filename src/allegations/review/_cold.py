"""A review with no model yet: the codebook alone scores and orders the cases (cold start).

:class:`CodebookScorer` looks like a model to :func:`~allegations.review._cases.load_cases`
(``labels``, ``predict``, ``explain``): its "probabilities" are the codebook match scores
of :func:`~allegations.review._select.codebook_scores`, its suggested labels those whose
seed phrases occur in the narrative, and its evidence those phrases.
:func:`open_codebook_review` opens a review session ordered by
:func:`~allegations.review._select.select`'s cold start.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model import Tagger, join_labels
from ..stats import wrong_chance
from ..tables import TableOptions
from ..training import Codebook
from ._cases import load_cases
from ._select import codebook_scores, cold_order
from ._session import ReviewSession
from ._store import ReviewStore

__all__ = ["CodebookScorer", "open_codebook_review"]

#: A seed phrase in the narrative gives at least this score (see ``codebook_scores``).
SUGGEST_AT = 0.5


class CodebookScorer:
    """Codebook match scores in the shape of a model's predictions (no training)."""

    def __init__(self, codebook: Codebook) -> None:
        self.codebook = codebook
        self.labels = codebook.label_names
        self.model_id = f"codebook:{codebook.sha256[:12] or codebook.name}"
        self.card: dict[str, Any] = {"codebook": codebook.to_dict()}

    def predict(self, texts: Sequence[Any], ids: Sequence[Any] | None = None) -> pd.DataFrame:
        """The prediction table: seed-phrase matches as labels, match scores as ``p_``."""
        texts = list(texts)
        scores = codebook_scores(texts, self.codebook)
        decided = scores >= SUGGEST_AT
        wrong = wrong_chance(scores, decided)
        data: dict[str, Any] = {
            "id": list(range(len(texts)) if ids is None else ids),
            "labels": join_labels(decided, self.labels),
        }
        for j, label in enumerate(self.labels):
            data[f"p_{label}"] = np.round(scores[:, j], 4)
        data["confidence"] = np.round(1.0 - wrong.max(axis=1), 4) if len(texts) else []
        return pd.DataFrame(data)

    def explain(self, texts: Sequence[Any], decided: np.ndarray) -> list[list[dict[str, Any]]]:
        """The seed phrases of each decided label that occur in each text."""
        out: list[list[dict[str, Any]]] = []
        for text, row in zip(texts, np.asarray(decided), strict=True):
            folded = str(text).casefold()
            items = []
            for j in np.flatnonzero(row).tolist():
                for phrase in self.codebook.labels[j].seed_phrases:
                    if re.search(r"\b" + re.escape(phrase.casefold()) + r"\b", folded):
                        items.append({"label": self.labels[j], "phrase": phrase})
            out.append(items)
        return out


def open_codebook_review(
    data_path: str | Path,
    codebook: Codebook,
    store_path: str | Path,
    *,
    text_col: str = "text",
    id_col: str | None = None,
    reviewer: str = "reviewer",
    limit: int | None = None,
    seed: int = 0,
    sheet: str | None = None,
    encoding: str | None = None,
    table: TableOptions | None = None,
) -> ReviewSession:
    """Open a review ordered by the codebook alone (no model).

    Every label gets likely positives in turn (the cases that match its seed phrases and
    definition best), with a share of cases that match no label; a batch holds no
    near-duplicates. Decisions are saved as in any review, with the model id
    ``codebook:<sha256 prefix>`` and the strategy ``codebook``.

    Raises
    ------
    InputError, ColumnError, StoreError
    """
    if limit is not None and limit < 1:
        raise InputError(f"`limit` must be at least 1, not {limit}.")
    reviewer = " ".join(str(reviewer).split())
    if not reviewer:
        raise InputError("The reviewer name is empty; pass `reviewer` NAME.")
    scorer = CodebookScorer(codebook)
    store = ReviewStore(store_path, labels=scorer.labels)
    try:
        cases = load_cases(
            data_path,
            cast(Tagger, scorer),
            text_col=text_col,
            id_col=id_col,
            sheet=sheet,
            encoding=encoding,
            table=table,
        )
        scores = np.array([[c.scores[x] for x in scorer.labels] for c in cases], dtype=float)
        n = len(cases) if limit is None else min(limit, len(cases))
        order = cold_order(scores, [c.text for c in cases], n, seed)
        return ReviewSession(
            store,
            [cases[i] for i in order],
            labels=scorer.labels,
            model_id=scorer.model_id,
            reviewer=reviewer,
            strategy="codebook",
            definitions=codebook,
        )
    except BaseException:
        store.close()
        raise
