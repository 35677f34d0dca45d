"""Likely labelling mistakes: training rows whose labels disagree with out-of-fold predictions.

The method follows confident learning (Northcutt et al., 2021), applied one label at a
time. Out-of-fold calibrated probabilities ``p`` come from the same cross-validation as
:func:`allegations.training.train`. For each label, its per-class confidence thresholds are the
mean ``p`` over the cases that carry it and the mean ``1 - p`` over the cases that do
not. A case that carries the label but whose ``1 - p`` reaches the second threshold
(confidently not this label), or that lacks it but whose ``p`` reaches the first
(confidently this label), disagrees on that label. Cases are ranked by their strongest
disagreement: how sure the model is, out of fold, that the given label is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model.classifier import ModelConfig, build_preprocessor
from .codebook import Codebook
from .crossval import assign_groups, cross_validate, make_folds, seed_examples
from .labels import canonical_labels, to_matrix
from .train import MIN_ROWS, _check_labels

__all__ = ["find_suspects", "SUSPECT_COLUMNS"]

SUSPECT_COLUMNS = ["rank", "id", "given", "disagreeing", "score"]


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
        add: LABEL (p=0.95)``) and ``score`` (the strongest disagreement, 0-1).

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
    proba = cross_validate(
        docs, y, fold, config=config, exclusive=exclusive, seed=seed, seeds=seeds
    )["proba"]
    return rank_suspects(y, proba, labels, ids)


def rank_suspects(
    y: np.ndarray, proba: np.ndarray, labels: Sequence[str], ids: Sequence[Any]
) -> pd.DataFrame:
    """The confident-learning ranking of :func:`find_suspects`, from out-of-fold ``proba``."""
    given = y.astype(bool)
    n_labels = y.shape[1]
    t_pos = np.array(
        [proba[given[:, j], j].mean() if given[:, j].any() else 1.0 for j in range(n_labels)]
    )
    t_neg = np.array(
        [
            (1.0 - proba[~given[:, j], j]).mean() if (~given[:, j]).any() else 1.0
            for j in range(n_labels)
        ]
    )
    remove = given & (1.0 - proba >= t_neg)  # given, but confidently not this label
    add = ~given & (proba >= t_pos)  # not given, but confidently this label
    margin = np.where(remove, 1.0 - proba, 0.0) + np.where(add, proba, 0.0)
    score = margin.max(axis=1)
    suspect = np.flatnonzero(score > 0)
    order = suspect[np.lexsort((suspect, -score[suspect]))]
    rows = []
    for rank, i in enumerate(order.tolist(), start=1):
        parts = [
            f"{'remove' if remove[i, j] else 'add'}: {labels[int(j)]} (p={proba[i, j]:.2f})"
            for j in np.argsort(-margin[i], kind="stable")
            if margin[i, j] > 0
        ]
        rows.append(
            {
                "rank": rank,
                "id": ids[i],
                "given": ";".join(labels[j] for j in np.flatnonzero(given[i]).tolist()),
                "disagreeing": " | ".join(parts),
                "score": round(float(score[i]), 4),
            }
        )
    return pd.DataFrame(rows, columns=SUSPECT_COLUMNS)
