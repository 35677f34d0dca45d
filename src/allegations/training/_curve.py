"""Would more labels help? Cross-validated quality at growing shares of the labelled cases.

For each seed, the labelled cases are shuffled once and the first 25, 50, 75 and 100% of
that order are cross-validated exactly as :func:`allegations.training.train` does (the same
folds, grids, calibration and thresholds), so each step adds cases to the step before.
Macro-F1 is taken over the same labels at every step: those with at least
:data:`~allegations.stats._metrics.MIN_SUPPORT` cases in the smallest share of every seed,
so a label that only becomes measurable later does not move the curve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from ..model import ModelConfig, build_preprocessor, parse_goal
from ..stats import MIN_SUPPORT, score_predictions
from ._codebook import Codebook
from ._crossval import (
    assign_groups,
    cross_fitted_predictions,
    cross_validate,
    make_folds,
    seed_examples,
)
from ._labels import canonical_labels, to_matrix
from ._train import MIN_ROWS, _check_labels

__all__ = ["CURVE_FRACTIONS", "LearningCurve", "learning_curve"]

CURVE_FRACTIONS = (0.25, 0.5, 0.75, 1.0)
#: A rise of macro-F1 over the last quarter at least this large reads as "still rising".
STILL_RISING = 0.02
#: Two-sided 97.5% points of Student's t for 1..9 degrees of freedom (95% intervals).
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262)


@dataclass
class LearningCurve:
    """Cross-validated quality at each share of the labelled cases.

    ``points`` holds one dict per share: ``fraction``, ``n_cases``, ``micro_f1`` and
    ``macro_f1`` (means over seeds), their 95% intervals ``micro_f1_95ci`` /
    ``macro_f1_95ci`` (Student's t over the seeds), and ``per_label`` (mean F1 per label).
    ``seed`` is the first seed (the others follow it) and ``n_folds`` the folds of each
    cross-validation.
    """

    points: list[dict[str, Any]]
    labels: list[str]
    macro_labels: list[str]
    n_seeds: int
    sentence: str = ""
    rise: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    n_folds: int | None = None


def _interval(values: Any) -> tuple[float, list[float]]:
    a = np.asarray(values, dtype=float)
    mean = float(a.mean())
    if len(a) < 2:
        return mean, [round(mean, 4), round(mean, 4)]
    t = _T975[min(len(a) - 2, len(_T975) - 1)]
    half = t * float(a.std(ddof=1)) / np.sqrt(len(a))
    return mean, [round(float(max(0.0, mean - half)), 4), round(float(min(1.0, mean + half)), 4)]


def learning_curve(
    texts: Sequence[Any],
    label_sets: Sequence[Sequence[str]],
    *,
    fractions: Sequence[float] = CURVE_FRACTIONS,
    n_seeds: int = 3,
    seed: int = 0,
    codebook: Codebook | None = None,
    goal: str = "f1",
    groups: Sequence[Any] | None = None,
    spacy_model: str | None = None,
    config: ModelConfig | None = None,
) -> LearningCurve:
    """Cross-validated micro- and macro-F1 at growing shares of the labelled cases.

    Parameters
    ----------
    texts, label_sets, codebook, goal, groups, spacy_model, config
        As for :func:`allegations.training.train`.
    fractions : sequence of float
        Shares of the cases, each in (0, 1], increasing.
    n_seeds : int
        Shuffles (and fold draws) per share; the intervals come from their spread.
    seed : int
        The first seed; the others follow it.

    Returns
    -------
    LearningCurve

    Raises
    ------
    InputError, LabelError
        As :func:`allegations.training.train`, or a share whose cases are too few to train.
    """
    config = config or ModelConfig()
    texts = list(texts)
    fractions = sorted(float(f) for f in fractions)
    if not fractions or fractions[0] <= 0 or fractions[-1] > 1:
        raise InputError(f"Fractions must lie in (0, 1]; got {fractions}.")
    if n_seeds < 1:
        raise InputError(f"The number of seeds must be at least 1, not {n_seeds}.")
    if len(texts) != len(label_sets):
        raise InputError(f"{len(texts)} texts but {len(label_sets)} label sets; they must match.")
    smallest = int(round(fractions[0] * len(texts)))
    if smallest < 2 * MIN_ROWS:
        raise InputError(
            f"A learning curve needs at least {2 * MIN_ROWS} cases in its smallest share "
            f"({fractions[0]:.0%} of {len(texts)} is {smallest}); label more cases or pass "
            "larger fractions."
        )
    labels, sets = canonical_labels(label_sets, codebook.label_names if codebook else None)
    y_all = to_matrix(sets, labels)
    _check_labels(labels, y_all)
    exclusive = bool((y_all.sum(axis=1) == 1).all())
    goals = []
    for label in labels:
        entry = codebook.get(label) if codebook else None
        goals.append(parse_goal(entry.goal if entry is not None and entry.goal else goal))
    preprocessor = build_preprocessor(config, exclusive=exclusive, spacy_model=spacy_model)
    preprocessor.fit(texts)
    docs_all = preprocessor.transform(texts)
    seeds_ex = seed_examples(codebook, labels, preprocessor)
    group_all = np.asarray(groups, dtype=object) if groups is not None else None

    f1 = np.zeros((n_seeds, len(fractions), len(labels)))
    micro = np.zeros((n_seeds, len(fractions)))
    measurable = np.ones(len(labels), dtype=bool)
    sizes = []
    for s in range(n_seeds):
        order = np.random.default_rng(seed + s).permutation(len(texts))
        for k, fraction in enumerate(fractions):
            take = np.sort(order[: int(round(fraction * len(texts)))])
            if s == 0:
                sizes.append(len(take))
            y = y_all[take]
            docs = docs_all[take]
            present = y.sum(axis=0) > 0
            if k == 0:
                measurable &= y.sum(axis=0) >= MIN_SUPPORT
            cols = np.flatnonzero(present)
            sub_groups = list(group_all[take]) if group_all is not None else None
            group_ids, _, _ = assign_groups(docs, sub_groups)
            fold = make_folds(y[:, cols], group_ids, config.n_folds, seed + s)
            seed_y = np.asarray(seeds_ex[1])[:, cols]
            keep_seed = seed_y.any(axis=1)
            seeds_sub = (np.asarray(seeds_ex[0], dtype=object)[keep_seed], seed_y[keep_seed])
            sub_exclusive = exclusive and bool((y[:, cols].sum(axis=1) == 1).all())
            cvd = cross_validate(
                docs,
                y[:, cols],
                fold,
                config=config,
                exclusive=sub_exclusive,
                seed=seed + s,
                seeds=seeds_sub,
            )
            pred = cross_fitted_predictions(
                cvd["proba"],
                y[:, cols],
                fold,
                [goals[j] for j in cols],
                sub_exclusive,
                max(config.threshold_prior, 0.0),
                config.threshold_rule,
            )
            full_pred = np.zeros(y.shape, dtype=np.int8)
            full_pred[:, cols] = pred
            scored = score_predictions(y, full_pred, labels)
            micro[s, k] = scored["micro_f1"]
            f1[s, k] = [row["f1"] or 0.0 for row in scored["per_label"]]
    macro_cols = np.flatnonzero(measurable)
    points = []
    for k, fraction in enumerate(fractions):
        macro_values = f1[:, k, macro_cols].mean(axis=1) if len(macro_cols) else np.zeros(n_seeds)
        micro_mean, micro_ci = _interval(micro[:, k])
        macro_mean, macro_ci = _interval(macro_values)
        points.append(
            {
                "fraction": fraction,
                "n_cases": sizes[k],
                "micro_f1": round(micro_mean, 4),
                "micro_f1_95ci": micro_ci,
                "macro_f1": round(macro_mean, 4),
                "macro_f1_95ci": macro_ci,
                "per_label": {
                    label: round(float(f1[:, k, j].mean()), 4) for j, label in enumerate(labels)
                },
            }
        )
    curve = LearningCurve(
        points=points,
        labels=labels,
        macro_labels=[labels[j] for j in macro_cols],
        n_seeds=n_seeds,
        seed=seed,
        n_folds=config.n_folds,
    )
    curve.rise, curve.sentence = _verdict(points, curve.macro_labels)
    return curve


def _verdict(points: list[dict[str, Any]], macro_labels: list[str]) -> tuple[dict[str, float], str]:
    """Per-label rise over the last step and one plain sentence about it."""
    if len(points) < 2:
        return {}, "One share only: no learning curve to read."
    last, before = points[-1], points[-2]
    rise = {
        label: round(last["per_label"][label] - before["per_label"][label], 4)
        for label in macro_labels
    }
    delta = last["macro_f1"] - before["macro_f1"]
    step = last["fraction"] - before["fraction"]
    span = "quarter" if abs(step - 0.25) < 1e-9 else f"{step:.0%}"
    if not macro_labels:
        return rise, "No label has enough cases in the smallest share to draw a macro-F1 curve."
    top = [x for x, r in sorted(rise.items(), key=lambda kv: -kv[1]) if r >= STILL_RISING][:2]
    most = f", most for {' and '.join(top)}" if top else ""
    if delta >= STILL_RISING:
        return rise, (
            f"Macro-F1 still rose by {delta:.2f} over the last {span} of the labelled cases: "
            f"more labels will likely help{most}."
        )
    if delta > -STILL_RISING:
        return rise, (
            f"Macro-F1 changed by {delta:+.2f} over the last {span} of the labelled cases: the "
            f"curve has flattened, so more labels of the same kind will likely help little{most}."
        )
    return rise, (
        f"Macro-F1 fell by {-delta:.2f} over the last {span} of the labelled cases: more labels "
        "of the same kind are unlikely to help; check the labels for mistakes (allegations "
        "suspects)."
    )
