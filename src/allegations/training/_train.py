"""Train and evaluate: plain functions that take texts and label sets and return data."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InputError, LabelError
from ..model import Goal, ModelConfig, Tagger, build_preprocessor, parse_goal
from ..stats import review_bands, score_predictions
from ..text import SpacyPreprocessor, lemma_text
from ._card import CrossFit, card_notes, cv_report, model_card
from ._codebook import Codebook
from ._crossval import (
    assign_groups,
    cross_fitted_predictions,
    cross_validate,
    fit_with_seeds,
    label_threshold,
    make_folds,
    seed_examples,
)
from ._labels import canonical_labels, check_similar_labels, label_key, to_matrix
from ._progress import add_work, advance

__all__ = ["train", "evaluate", "make_folds", "MIN_ROWS", "warn_label_design_changes"]

# Older name kept for callers and tests.
_group_ids = assign_groups

log = logging.getLogger(__name__)

#: The fewest labelled rows training accepts.
MIN_ROWS = 10
#: Threshold shrinkage values tried when ``ModelConfig.threshold_prior`` is negative.
PRIOR_GRID = (0.0, 5.0, 20.0)


def _check_labels(labels: list[str], y: np.ndarray) -> None:
    if len(labels) < 2:
        raise LabelError(
            f"Training needs at least two labels; the data has {len(labels)}"
            f"{': ' + repr(labels[0]) if labels else ''}. Check `labels_col` / `label_cols` and "
            "`label_sep`."
        )
    counts = y.sum(axis=0)
    never = [label for label, c in zip(labels, counts, strict=True) if c == 0]
    always = [label for label, c in zip(labels, counts, strict=True) if c == len(y)]
    if never:
        raise LabelError(
            f"Label(s) {', '.join(map(repr, never))} have no positive case, so they cannot be "
            "learned; label some cases with them or remove them from the codebook."
        )
    if always:
        raise LabelError(
            f"Label(s) {', '.join(map(repr, always))} are given to every case, so nothing "
            "separates them; add cases without them or drop the label."
        )


def train(
    texts: Sequence[Any],
    label_sets: Sequence[Sequence[str]],
    *,
    codebook: Codebook | None = None,
    goal: str = "f1",
    seed: int = 0,
    groups: Sequence[Any] | None = None,
    spacy_model: str | None = None,
    config: ModelConfig | None = None,
    exclusive: bool | None = None,
    data_info: dict[str, Any] | None = None,
    label_source: str | None = None,
) -> Tagger:
    """Train a tagger and measure it by cross-validation.

    Parameters
    ----------
    texts : sequence of str
        The narratives.
    label_sets : sequence of sequences of str
        The labels of each narrative (empty for none).
    codebook : Codebook, optional
        Fixes the label names and order; labels outside it are an error. Per-label
        ``goal`` entries override ``goal``.
    goal : str
        The operating point of every label: ``f1``, ``precision=0.9`` or ``recall=0.8``.
    seed : int
        Seeds the folds and solvers: the same seed and data give the same model.
    groups : sequence, optional
        A group id per case (complaint, case, officer): a group never straddles folds.
        Exact duplicate texts are grouped as well.
    spacy_model : str, optional
        An installed trained spaCy pipeline to lemmatise with.
    config : ModelConfig, optional
    exclusive : bool, optional
        Force exclusive (one label per case) or multi-label; by default exclusive when
        every case has exactly one label.
    data_info : dict, optional
        Provenance to record in the model card (file names, sha256).
    label_source : str, optional
        Who assigned the training labels ("hand-labelled by 2 reviewers", "the agency's own
        intake codes"), stored as ``card["label_source"]`` and said in the report's methods
        note; by default the codebook's ``label_source``, else None (not recorded).

    Returns
    -------
    Tagger
        The fitted model; ``model.card["cross_validation"]`` holds the cross-validated
        per-label metrics and ``model.card["notes"]`` the warnings.

    Raises
    ------
    InputError, LabelError
        Too few rows, too few labels, a label never or always given.
    """
    config = config or ModelConfig()
    texts = list(texts)
    labels, y, exclusive = _label_matrix(texts, label_sets, codebook, groups, config, exclusive)
    goals = _goals(labels, codebook, goal)
    preprocessor, docs, n_empty = _preprocess(texts, config, exclusive, spacy_model)
    crossfit = _cross_fit(
        docs, y, labels, goals, groups, codebook, preprocessor, config, exclusive, seed
    )
    cv, calibration, ece = cv_report(y, labels, goals, crossfit, config, exclusive, seed)
    notes = card_notes(cv, labels, crossfit.goal_met, config, n_empty)
    for note in notes:
        log.warning(note)

    advance("Fitting the final model", 0)
    final = fit_with_seeds(crossfit.pipeline, docs, y, exclusive, crossfit.seeds)
    advance("Fitting the final model")
    thresholds = np.array(crossfit.thresholds)
    card = model_card(
        labels=labels,
        y=y,
        exclusive=exclusive,
        seed=seed,
        config=config,
        cv=cv,
        thresholds=thresholds,
        goals=goals,
        codebook=codebook,
        spacy_model=spacy_model,
        data_info=data_info or {},
        calibration=calibration,
        bands=review_bands(thresholds, ece),
        notes=notes,
        n_empty=n_empty,
        texts=texts,
        oof_proba=crossfit.proba,
        label_source=label_source,
    )
    model = Tagger(
        labels=labels,
        exclusive=exclusive,
        preprocessor=preprocessor,
        pipeline=final,
        calibrator=crossfit.calibrator,
        thresholds=thresholds,
        bands=review_bands(thresholds, ece),
        ece=ece,
        card=card,
    )
    # The fast path's chunk table starts from every chunk normalised while training, as
    # spaCy's tokenizer cache keeps the training texts' words: a model used in the same
    # process then pays spaCy only for chunks it has never met. (Not saved with the model.)
    model.featurize([])
    return model


def _label_matrix(
    texts: list[Any],
    label_sets: Sequence[Sequence[str]],
    codebook: Codebook | None,
    groups: Sequence[Any] | None,
    config: ModelConfig,
    exclusive: bool | None,
) -> tuple[list[str], np.ndarray, bool]:
    """Check the inputs; return the labels, the 0/1 label matrix and whether the model is
    exclusive (one label per case)."""
    if len(texts) != len(label_sets):
        raise InputError(f"{len(texts)} texts but {len(label_sets)} label sets; they must match.")
    if groups is not None and len(groups) != len(texts):
        raise InputError(f"{len(groups)} group ids for {len(texts)} texts; they must match.")
    if len(texts) < MIN_ROWS:
        raise InputError(
            f"Training needs at least {MIN_ROWS} labelled rows; got {len(texts)}. Label more cases."
        )
    labels, sets = canonical_labels(label_sets, codebook.label_names if codebook else None)
    if codebook is None and not config.allow_similar_labels:
        check_similar_labels(sets, labels)
    y = to_matrix(sets, labels)
    _check_labels(labels, y)
    if exclusive is None:
        exclusive = bool((y.sum(axis=1) == 1).all())
    elif exclusive and not (y.sum(axis=1) == 1).all():
        raise LabelError(
            "Exclusive training needs exactly one label per case; some cases have none or several."
        )
    return labels, y, exclusive


def _goals(labels: list[str], codebook: Codebook | None, goal: str) -> list[Goal]:
    """Each label's operating point: its codebook entry's goal, else ``goal``."""
    default_goal = parse_goal(goal)
    goals = []
    for label in labels:
        entry = codebook.get(label) if codebook else None
        goals.append(parse_goal(entry.goal) if entry is not None and entry.goal else default_goal)
    return goals


def _preprocess(
    texts: list[Any], config: ModelConfig, exclusive: bool, spacy_model: str | None
) -> tuple[SpacyPreprocessor, np.ndarray, int]:
    """Fit the spaCy step; return it, the normalised documents and how many are empty."""
    # Progress units: preprocessing, grouping, the final fit; cross-validation adds its fits.
    add_work(3, f"Preprocessing {len(texts):,} narratives")
    preprocessor = build_preprocessor(config, exclusive=exclusive, spacy_model=spacy_model)
    preprocessor.fit(texts)
    docs = preprocessor.transform(texts)
    preprocessor.keep_chunks(texts)  # saved with the model: see keep_chunks
    n_empty = int(sum(1 for d in docs if not lemma_text(d)))
    return preprocessor, docs, n_empty


def _cross_fit(
    docs: np.ndarray,
    y: np.ndarray,
    labels: list[str],
    goals: list[Goal],
    groups: Sequence[Any] | None,
    codebook: Codebook | None,
    preprocessor: SpacyPreprocessor,
    config: ModelConfig,
    exclusive: bool,
    seed: int,
) -> CrossFit:
    """Group duplicates, cross-validate, and choose each label's threshold (and the
    threshold shrinkage) on the out-of-fold probabilities."""
    advance("Grouping duplicate narratives")
    group_ids, n_dup, n_near = assign_groups(docs, groups)
    advance("Cross-validating")
    fold = make_folds(y, group_ids, config.n_folds, seed)
    seeds = seed_examples(codebook, labels, preprocessor)
    cvd = cross_validate(docs, y, fold, config=config, exclusive=exclusive, seed=seed, seeds=seeds)
    oof_proba = cvd["proba"]
    prior = config.threshold_prior
    if prior < 0 and not exclusive:
        # Inner choice: the shrinkage whose cross-fitted decisions score best (mean of
        # micro- and macro-F1) on the training data's own folds.
        def merit(candidate: float) -> float:
            pred = cross_fitted_predictions(
                oof_proba, y, fold, goals, exclusive, candidate, config.threshold_rule
            )
            scored = score_predictions(y, pred, labels)
            return float(scored["micro_f1"] + (scored["macro_f1"] or 0.0))

        prior = max(PRIOR_GRID, key=lambda c: (merit(c), -c))
    prior = max(prior, 0.0)
    thresholds, goal_met = [], []
    for j, g in enumerate(goals):
        t, met = label_threshold(y[:, j], oof_proba[:, j], g, prior, config.threshold_rule)
        thresholds.append(0.5 if exclusive else t)
        goal_met.append(met)
    cv_pred = cross_fitted_predictions(
        oof_proba, y, fold, goals, exclusive, prior, config.threshold_rule
    )
    return CrossFit(
        pipeline=cvd["pipeline"],
        calibrator=cvd["calibrator"],
        proba=oof_proba,
        crossfit_proba=cvd["crossfit_proba"],
        C=cvd["C"],
        nb_scale=cvd["nb_scale"],
        fold=fold,
        group_ids=group_ids,
        n_dup=n_dup,
        n_near=n_near,
        seeds=seeds,
        prior=prior,
        thresholds=thresholds,
        goal_met=goal_met,
        pred=cv_pred,
    )


def evaluate(
    model: Tagger, texts: Sequence[Any], label_sets: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Score ``model`` on labelled cases.

    Labels in the data that the model does not know are counted and reported under
    ``unknown_labels`` (they cannot be predicted); matching ignores case and spaces.

    Returns
    -------
    dict
        As :func:`allegations.stats._metrics.score_predictions`, plus ``unknown_labels``.
    """
    texts = list(texts)
    if len(texts) == 0:
        raise InputError("There are no rows to evaluate on; pass a table with labelled rows.")
    known = {label_key(label) for label in model.labels}
    unknown: dict[str, int] = {}
    for labels in label_sets:
        for label in labels:
            if label_key(label) not in known:
                unknown[label] = unknown.get(label, 0) + 1
    y_true = to_matrix(label_sets, model.labels)
    y_pred = model.decide(model.predict_proba(texts))
    report = score_predictions(y_true, y_pred, model.labels)
    report["unknown_labels"] = unknown
    if unknown:
        log.warning(
            "%d label value(s) in the data are not model labels and were ignored: %s",
            sum(unknown.values()),
            ", ".join(sorted(unknown)),
        )
    return report


def warn_label_design_changes(
    original: Sequence[Sequence[str]], corrections: Sequence[tuple[str, Sequence[str]]]
) -> list[str]:
    """Warn (and return the warnings) when corrections change the label design.

    ``original`` are the label sets of the first training file; ``corrections`` the
    (row id, label set) of the rows the later files bring. Two changes are warned about,
    naming the rows (ids only): single-label data made multi-label (a corrected row with
    no label or several, when every original row has exactly one), and a label that the
    original data never uses.
    """
    found: list[str] = []

    def listed(keys: list[str]) -> str:
        return ", ".join(keys[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")

    if original and all(len(s) == 1 for s in original):
        bad = [key for key, s in corrections if len(s) != 1]
        if bad:
            found.append(
                f"Every case of the first file has exactly one label, but {len(bad)} corrected "
                f"row(s) have none or several ({listed(bad)}): the model is trained as "
                "multi-label, with other thresholds. Give those rows one label each to keep "
                "the single-label design."
            )
    known = {label_key(x) for s in original for x in s}
    added: dict[str, list[str]] = {}
    for key, labels in corrections:
        for label in labels:
            if label_key(label) not in known:
                added.setdefault(label, []).append(key)
    for label, keys in added.items():
        found.append(
            f"Label '{label}' is not used in the first file; corrected row(s) {listed(keys)} "
            "add it. Check its spelling, or keep it on purpose (a new category)."
        )
    for message in found:
        log.warning("%s", message)
    return found
