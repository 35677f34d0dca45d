"""Train and evaluate: plain functions that take texts and label sets and return data."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np

from ..errors import InputError, LabelError
from ..model.classifier import build_preprocessor
from ..model.confidence import DEFAULT_REVIEW_SHARE, confidence_of, review_distribution
from ..model.config import ModelConfig
from ..model.persistence import library_versions
from ..model.tagger import Tagger
from ..model.thresholds import Goal, parse_goal
from ..stats.intervals import wilson_counts
from ..stats.metrics import MIN_SUPPORT, score_predictions
from ..stats.reliability import REVIEW_ERROR, reliability, review_bands
from ..stats.report_stats import report_data_from_training
from ..text.preprocess import lemma_text
from .codebook import Codebook
from .crossval import (
    assign_groups,
    cross_fitted_predictions,
    cross_validate,
    fit_with_seeds,
    label_threshold,
    make_folds,
    seed_examples,
)
from .labels import canonical_labels, check_similar_labels, label_key, to_matrix
from .neardup import NEAR_DUPLICATE_COSINE
from .progress import add_work, advance

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
            f"{': ' + repr(labels[0]) if labels else ''}. Check --labels-col / --label-cols and "
            "--label-sep."
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

    default_goal = parse_goal(goal)
    goals = []
    for label in labels:
        entry = codebook.get(label) if codebook else None
        goals.append(parse_goal(entry.goal) if entry is not None and entry.goal else default_goal)

    # Progress units: preprocessing, grouping, the final fit; cross-validation adds its fits.
    add_work(3, f"Preprocessing {len(texts):,} narratives")
    preprocessor = build_preprocessor(config, exclusive=exclusive, spacy_model=spacy_model)
    preprocessor.fit(texts)
    docs = preprocessor.transform(texts)
    preprocessor.keep_chunks(texts)  # saved with the model: see keep_chunks
    empty = int(sum(1 for d in docs if not lemma_text(d)))
    advance("Grouping duplicate narratives")
    group_ids, n_dup, n_near = assign_groups(docs, groups)
    advance("Cross-validating")
    fold = make_folds(y, group_ids, config.n_folds, seed)
    seeds = seed_examples(codebook, labels, preprocessor)
    cvd = cross_validate(docs, y, fold, config=config, exclusive=exclusive, seed=seed, seeds=seeds)
    pipeline, calibrator, oof_proba = cvd["pipeline"], cvd["calibrator"], cvd["proba"]
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
    cv = score_predictions(y, cv_pred, labels)
    cv["threshold_prior"] = prior
    calibration = {
        label: reliability(y[:, j], cvd["crossfit_proba"][:, j]) for j, label in enumerate(labels)
    }
    ece = np.array([calibration[label]["ece"] for label in labels])
    for j, row in enumerate(cv["per_label"]):
        row["threshold"] = round(thresholds[j], 4)
        row["goal"] = str(goals[j])
        row["goal_met_out_of_fold"] = goal_met[j]
        at = oof_proba[:, j] >= thresholds[j] if not exclusive else cv_pred[:, j].astype(bool)
        n_at, tp_at = int(at.sum()), int((at & (y[:, j] == 1)).sum())
        row["oof_precision_at_threshold"] = round(tp_at / n_at, 4) if n_at else None
        row["oof_recall_at_threshold"] = round(tp_at / max(int(y[:, j].sum()), 1), 4)
        # Wilson intervals of the cross-validated counts: the same function as the
        # report and `estimate` (stats/intervals.py), never a 100-100 point.
        tp_cv = int(((cv_pred[:, j] == 1) & (y[:, j] == 1)).sum())
        row["precision_95ci"] = wilson_counts(tp_cv, int(cv_pred[:, j].sum()))
        row["recall_95ci"] = wilson_counts(tp_cv, int(y[:, j].sum()))
        row["ece"] = calibration[labels[j]]["ece"]
    cv["n_folds"] = int(len(np.unique(fold)))
    cv["n_grouped_duplicates"] = n_dup
    cv["n_grouped_near_duplicates"] = n_near
    cv["near_duplicate_cosine"] = NEAR_DUPLICATE_COSINE
    cv["n_seed_examples"] = int(len(seeds[0]))
    # An ensemble label's members as a list, as the card reads back from JSON.
    cv["C"] = {label: _jsonable(c) for label, c in zip(labels, cvd["C"], strict=True)}
    cv["nb_scale"] = {
        label: _jsonable(nb) for label, nb in zip(labels, cvd["nb_scale"], strict=True)
    }
    cv["n_groups"] = int(len(np.unique(group_ids)))
    cv["scheme"] = (
        f"{cv['n_folds']}-fold cross-validation, stratified on each case's rarest label, exact "
        f"and near-duplicate texts (word-3-shingle TF-IDF cosine >= {NEAR_DUPLICATE_COSINE}) "
        "and user groups kept in one fold; each fold's thresholds chosen on the "
        "other folds' out-of-fold probabilities"
    )

    notes = []
    too_few = [r["label"] for r in cv["per_label"] if r["too_few"]]
    if too_few:
        notes.append(
            f"{len(too_few)} label(s) have fewer than {MIN_SUPPORT} cases: too few "
            f"examples to measure ({', '.join(too_few)}); their threshold is 0.5."
        )
    missed = [
        labels[j] for j, m in enumerate(goal_met) if not m and not cv["per_label"][j]["too_few"]
    ]
    if missed:
        notes.append(
            f"Goal not reachable out of fold for {', '.join(missed)}; the F1-best "
            "threshold is used."
        )
    if cv["n_folds"] < config.n_folds:
        notes.append(
            f"Small data: {cv['n_folds']}-fold cross-validation instead of {config.n_folds} "
            "(too few cases of any one label, or too few distinct cases, for more); the "
            "quality figures are rough. Label more cases for steadier figures."
        )
    if empty:
        notes.append(f"{empty} case(s) have no text after preprocessing.")
    for note in notes:
        log.warning(note)

    advance("Fitting the final model", 0)
    final = fit_with_seeds(pipeline, docs, y, exclusive, seeds)
    advance("Fitting the final model")
    thresholds_arr = np.array(thresholds)
    # Out-of-fold curves, label co-occurrence and text lengths for `allegations report`
    # (numbers only: no text leaves this function).
    report_data = report_data_from_training(
        y, oof_proba, [len(t) if isinstance(t, str) else 0 for t in texts], labels
    )
    card = _model_card(
        labels=labels,
        y=y,
        exclusive=exclusive,
        seed=seed,
        config=config,
        cv=cv,
        thresholds=thresholds_arr,
        goals=goals,
        codebook=codebook,
        spacy_model=spacy_model,
        data_info=data_info or {},
        calibration=calibration,
        bands=review_bands(thresholds_arr, ece),
        notes=notes,
        n_empty=empty,
    )
    card["report_data"] = report_data
    card["label_source"] = _label_source(label_source, codebook)
    # The review budget: the out-of-fold confidence distribution, from which predict picks
    # the cut-off below which about --review-share of a release falls (model/tagger.py).
    oof_decided = (
        np.eye(len(labels), dtype=np.int8)[oof_proba.argmax(axis=1)]
        if exclusive
        else (oof_proba >= thresholds_arr).astype(np.int8)
    )
    card["review"].update(review_distribution(confidence_of(oof_proba, oof_decided)))
    card["review"]["default_share"] = DEFAULT_REVIEW_SHARE
    card["review"]["rule"] = (
        "needs_review flags the least confident cases: those whose confidence is below the "
        "out-of-fold confidence under which the review share (10% by default; predict "
        "--review-share) of training cases fell; confidence is one minus the largest "
        "calibrated chance that one of the case's decisions is wrong"
    )
    model = Tagger(
        labels=labels,
        exclusive=exclusive,
        preprocessor=preprocessor,
        pipeline=final,
        calibrator=calibrator,
        thresholds=thresholds_arr,
        bands=review_bands(thresholds_arr, ece),
        ece=ece,
        card=card,
    )
    # The fast path's chunk table starts from every chunk normalised while training, as
    # spaCy's tokenizer cache keeps the training texts' words: a model used in the same
    # process then pays spaCy only for chunks it has never met. (Not saved with the model.)
    model.featurize([])
    return model


def _label_source(given: str | None, codebook: Codebook | None) -> str | None:
    """Who assigned the labels: the argument, else the codebook's ``label_source``."""
    text = " ".join((given or "").split())
    if not text and codebook is not None:
        text = " ".join(str(codebook.extra.get("label_source", "")).split())
    return text or None


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _model_card(
    *,
    labels: list[str],
    y: np.ndarray,
    exclusive: bool,
    seed: int,
    config: ModelConfig,
    cv: dict[str, Any],
    thresholds: np.ndarray,
    goals: list[Goal],
    codebook: Codebook | None,
    spacy_model: str | None,
    data_info: dict[str, Any],
    notes: list[str],
    n_empty: int,
    calibration: dict[str, Any],
    bands: np.ndarray,
) -> dict[str, Any]:
    counts = y.sum(axis=0)
    n_lead = config.lead_for(exclusive)
    opening = "first sentence" if n_lead == 1 else f"first {n_lead} sentences"
    lead = (
        f", and of the lemma 1-{config.ngram_max}-grams of the {opening} (weight "
        f"{config.lead_weight:g})"
        if n_lead > 0
        else ""
    )
    return {
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "task": "exclusive" if exclusive else "multi-label",
        "labels": labels,
        "label_counts": {label: int(c) for label, c in zip(labels, counts, strict=True)},
        "n_cases": int(len(y)),
        "n_cases_without_label": int((y.sum(axis=1) == 0).sum()),
        "n_cases_with_several_labels": int((y.sum(axis=1) > 1).sum()),
        "n_cases_empty_text": n_empty,
        "seed": seed,
        "data": data_info,
        "codebook": codebook.to_dict() if codebook else None,
        "preprocessing": {
            "spacy_model": spacy_model or "blank:en + spacy-lookups-data lemma_lookup",
            "redactions": "normalised to one token",
        },
        "model": {
            "features": f"TF-IDF of lemma 1-{config.ngram_max}-grams and of lemma affixes "
            f"(prefixes of {config.affix_range[0]}-{config.affix_range[1]} characters, "
            f"{config.affix_range[0]}-character suffix){lead}, sublinear tf, each block "
            "L2-normalised",
            "classifier": "multinomial logistic regression, C chosen by out-of-fold "
            "average precision"
            if exclusive
            else "one-vs-rest logistic regression; per label, out-of-fold average "
            "precision chooses C, naive-Bayes feature scaling or not, or the mean of those "
            "candidates' logits (one linear model either way); a label with fewer than "
            f"{config.ensemble_below} positive cases takes the mean",
            "calibration": "per-label sigmoid (Platt) fitted on out-of-fold scores",
            "config": config.to_dict(),
        },
        "thresholds": {
            label: round(float(t), 4) for label, t in zip(labels, thresholds, strict=True)
        },
        "goals": {label: str(g) for label, g in zip(labels, goals, strict=True)},
        "calibration": calibration,
        "review": {
            "rule": "a case needs review when, for some label, the calibrated chance that "
            f"its decision is wrong plus the label's expected calibration error exceeds "
            f"{REVIEW_ERROR}; reliability bins are from cross-fitted calibration",
            "error": REVIEW_ERROR,
            "bands": {
                label: [round(float(lo), 4), round(float(hi), 4)]
                for label, (lo, hi) in zip(labels, bands, strict=True)
            },
        },
        "cross_validation": cv,
        "notes": notes,
        "versions": library_versions(),
    }


def evaluate(
    model: Tagger, texts: Sequence[Any], label_sets: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Score ``model`` on labelled cases.

    Labels in the data that the model does not know are counted and reported under
    ``unknown_labels`` (they cannot be predicted); matching ignores case and spaces.

    Returns
    -------
    dict
        As :func:`allegations.stats.metrics.score_predictions`, plus ``unknown_labels``.
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
