"""Likely labelling mistakes: training rows whose given labels the out-of-fold model doubts.

Each row is scored by how sure the out-of-fold model is that its given labels are wrong.
The probabilities are cross-fitted (each fold calibrated by a calibrator fitted on the
other folds), so the scores are calibrated chances and their sum over the flagged rows is
an expected number of real mistakes (``frame.attrs["expected_mistakes"]``).

- One label per row (exclusive data): the chance the given label is wrong is ``1 - p``
  of that label; a row is flagged when the model puts another label first with at least
  :data:`FLAG_AT`; it gets one suggestion, ``change: GIVEN -> OTHER``.
- Several labels per row: per label, the chance the decision is wrong is ``1 - p`` for a
  given label and ``p`` for a missing one; a label is disputed when that chance reaches
  :data:`FLAG_AT` (``remove: LABEL`` or ``add: LABEL``), and the row's score is the
  chance that at least one disputed decision is wrong.

A rare label is not a reason to flag: a given label is disputed ("remove", or "change"
away from it) only when the model finds that label's cases out of fold (at least
:data:`~allegations.stats._metrics.MIN_SUPPORT` of them and an out-of-fold recall of at
least :data:`MIN_RECALL`); for a label it cannot find, a low probability says nothing
about one case.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model import ModelConfig, build_preprocessor
from ..stats import MIN_SUPPORT
from ._codebook import Codebook
from ._crossval import assign_groups, cross_validate, make_folds, seed_examples
from ._labels import canonical_labels, to_matrix
from ._train import MIN_ROWS, _check_labels

__all__ = ["find_suspects", "SUSPECT_COLUMNS"]

SUSPECT_COLUMNS = ["rank", "id", "given", "disagreeing", "score"]
#: A decision is disputed when the out-of-fold chance that it is wrong reaches this.
FLAG_AT = 0.5
#: A given label is disputed only if the model finds at least this share of its cases.
MIN_RECALL = 0.5


def find_suspects(
    texts: Sequence[Any],
    label_sets: Sequence[Sequence[str]],
    *,
    ids: Sequence[Any] | None = None,
    codebook: Codebook | None = None,
    seed: int = 0,
    groups: Sequence[Any] | None = None,
    spacy_model: str | None = None,
    config: ModelConfig | None = None,
) -> pd.DataFrame:
    """Rank the rows whose given labels disagree most with out-of-fold predictions.

    Parameters
    ----------
    texts, label_sets : the labelled rows (as for :func:`allegations.training.train`)
    ids : sequence, optional
        One id per row; by default the row number (from 1).
    codebook, seed, groups, spacy_model, config : as for :func:`allegations.training.train`

    Returns
    -------
    pandas.DataFrame
        One row per suspect case, most suspect first: ``rank``, ``id``, ``given`` (the
        labels as given, joined by ";"), ``disagreeing`` (``remove: LABEL (p=0.03) |
        add: LABEL (p=0.95)``, or ``change: A (p=0.10) -> B (p=0.85)`` for one label per
        row) and ``score`` (the calibrated chance that the row's labels are wrong).
        ``attrs["expected_mistakes"]`` is the sum of the scores (the expected number of
        real mistakes among the rows listed), ``attrs["not_disputed"]`` the labels the
        model cannot find and so never disputes.

    Raises
    ------
    InputError, LabelError
        As :func:`allegations.training.train`.
    """
    config = config or ModelConfig()
    texts = list(texts)
    if len(texts) != len(label_sets):
        raise InputError(f"{len(texts)} texts but {len(label_sets)} label sets; they must match.")
    if len(texts) < MIN_ROWS:
        raise InputError(
            f"Finding suspects needs at least {MIN_ROWS} labelled rows; got {len(texts)}."
        )
    ids = list(range(1, len(texts) + 1)) if ids is None else list(ids)
    labels, sets = canonical_labels(label_sets, codebook.label_names if codebook else None)
    y = to_matrix(sets, labels)
    _check_labels(labels, y)
    exclusive = bool((y.sum(axis=1) == 1).all())
    preprocessor = build_preprocessor(config, exclusive=exclusive, spacy_model=spacy_model)
    preprocessor.fit(texts)
    docs = preprocessor.transform(texts)
    group_ids, _, _ = assign_groups(docs, groups)
    fold = make_folds(y, group_ids, config.n_folds, seed)
    seeds = seed_examples(codebook, labels, preprocessor)
    cvd = cross_validate(docs, y, fold, config=config, exclusive=exclusive, seed=seed, seeds=seeds)
    return rank_suspects(y, cvd["crossfit_proba"], labels, ids, exclusive=exclusive)


def _learnable(y: np.ndarray, proba: np.ndarray, exclusive: bool) -> np.ndarray:
    """Labels whose given cases the out-of-fold model finds (see the module docstring)."""
    given = y.astype(bool)
    if exclusive:
        found = proba.argmax(axis=1)[:, None] == np.arange(y.shape[1])[None, :]
    else:
        found = proba >= 0.5
    support = given.sum(axis=0)
    recall = np.divide(
        (found & given).sum(axis=0), support, out=np.zeros(y.shape[1]), where=support > 0
    )
    return (support >= MIN_SUPPORT) & (recall >= MIN_RECALL)


def rank_suspects(
    y: np.ndarray,
    proba: np.ndarray,
    labels: Sequence[str],
    ids: Sequence[Any],
    *,
    exclusive: bool = False,
) -> pd.DataFrame:
    """The ranking of :func:`find_suspects`, from calibrated out-of-fold ``proba``."""
    given = y.astype(bool)
    learnable = _learnable(y, proba, exclusive)
    rows = []
    if exclusive:
        g = given.argmax(axis=1)
        p_given = proba[np.arange(len(y)), g]
        other = np.where(np.arange(y.shape[1])[None, :] == g[:, None], -1.0, proba)
        best = other.argmax(axis=1)
        p_best = other[np.arange(len(y)), best]
        flagged = learnable[g] & (p_best >= FLAG_AT) & (p_best > p_given)
        score = 1.0 - p_given
        for i in np.flatnonzero(flagged).tolist():
            rows.append(
                (
                    float(score[i]),
                    i,
                    f"change: {labels[g[i]]} (p={p_given[i]:.2f}) -> {labels[best[i]]} "
                    f"(p={p_best[i]:.2f})",
                )
            )
    else:
        wrong = np.where(given, 1.0 - proba, proba)
        disputed = (wrong >= FLAG_AT) & (~given | learnable[None, :])
        for i in np.flatnonzero(disputed.any(axis=1)).tolist():
            cols = np.flatnonzero(disputed[i])
            cols = cols[np.argsort(-wrong[i, cols], kind="stable")]
            chance = 1.0 - float(np.prod(1.0 - wrong[i, cols]))
            parts = [
                f"{'remove' if given[i, j] else 'add'}: {labels[int(j)]} (p={proba[i, j]:.2f})"
                for j in cols
            ]
            rows.append((chance, i, " | ".join(parts)))
    rows.sort(key=lambda r: (-r[0], r[1]))
    suggested = []
    for _, i, text in rows:
        if exclusive:
            keep = {labels[int(best[i])]}
        else:
            keep = {labels[j] for j in np.flatnonzero(given[i]).tolist()}
            for part in text.split(" | "):
                action, _, rest = part.partition(": ")
                name = rest.rsplit(" (p=", 1)[0]
                keep = keep - {name} if action == "remove" else keep | {name}
        suggested.append([x for x in labels if x in keep])
    frame = pd.DataFrame(
        [
            {
                "rank": rank,
                "id": ids[i],
                "given": ";".join(labels[j] for j in np.flatnonzero(given[i]).tolist()),
                "disagreeing": text,
                "score": round(chance, 4),
            }
            for rank, (chance, i, text) in enumerate(rows, start=1)
        ],
        columns=SUSPECT_COLUMNS,
    )
    # For a review of the suspects: the labels, each listed row's suggested labels and
    # out-of-fold probabilities (numbers and label names only).
    frame.attrs["labels"] = list(labels)
    frame.attrs["suggested"] = suggested
    frame.attrs["proba"] = [[round(float(p), 4) for p in proba[i]] for _, i, _ in rows]
    frame.attrs["expected_mistakes"] = round(float(sum(r[0] for r in rows)), 1)
    frame.attrs["n_rows"] = int(len(y))
    frame.attrs["not_disputed"] = [labels[j] for j in np.flatnonzero(~learnable).tolist()]
    return frame
