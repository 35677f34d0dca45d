"""The candidate choice inside cross-validation: C, naive-Bayes scaling, their ensemble."""

from __future__ import annotations

import numpy as np
import pytest

from allegations.model._classifier import build_pipeline
from allegations.model._config import ModelConfig
from allegations.text._preprocess import SpacyPreprocessor
from allegations.training._crossval import (
    _average_precision,
    _oof_scores,
    cross_validate,
    make_folds,
)
from allegations.training._labels import canonical_labels, to_matrix

from ..conftest import make_corpus

NO_SEEDS = (np.zeros(0, dtype=object), np.zeros((0, 3), dtype=np.int8))


def _noisy(n=160, seed=3, flip=0.15):
    corpus = make_corpus(n, seed=seed)
    sets = [s.split(";") if s else [] for s in corpus.labels]
    rng = np.random.default_rng(seed)
    for i in range(n):
        if rng.random() < flip:
            sets[i] = sorted(set(sets[i]) ^ {"money"})
    labels, sets = canonical_labels(sets)
    docs = SpacyPreprocessor().fit(corpus.text).transform(corpus.text)
    y = to_matrix(sets, labels)
    return docs, y, make_folds(y, np.arange(n), 5, 0)


def _single_candidates(docs, y, fold, config):
    """Every (C, scaling) candidate of ``config`` and its out-of-fold scores, fitted here
    independently of ``cross_validate``."""
    singles = [(c, nb) for nb in config.nb_grid for c in config.C_grid]
    by = [
        _oof_scores(
            build_pipeline(config, exclusive=False, seed=0, C=c, nb_scale=nb),
            docs,
            y,
            fold,
            False,
            NO_SEEDS,
        )
        for c, nb in singles
    ]
    return singles, by


@pytest.mark.slow
def test_each_label_gets_the_candidate_with_best_out_of_fold_precision():
    docs, y, fold = _noisy()
    config = ModelConfig(C_grid=(0.05, 8.0), nb_grid=(False, True), ensemble=True, ensemble_below=0)
    cvd = cross_validate(docs, y, fold, config=config, exclusive=False, seed=0, seeds=NO_SEEDS)
    singles, by = _single_candidates(docs, y, fold, config)
    by.append(np.mean(by, axis=0))  # the ensemble's out-of-fold scores: the mean logit
    for j in range(y.shape[1]):
        ap = [_average_precision(y[:, j], s[:, j]) for s in by]
        best = int(np.argmax(ap))
        np.testing.assert_allclose(cvd["scores"][:, j], by[best][:, j], atol=1e-8)
        if best < len(singles):
            assert (cvd["C"][j], cvd["nb_scale"][j]) == singles[best]
        else:  # the ensemble: every candidate is a member
            assert tuple(zip(cvd["C"][j], cvd["nb_scale"][j], strict=True)) == tuple(singles)
    # the unfitted final pipeline carries the per-label choice
    classifier = cvd["pipeline"].named_steps["classify"]
    assert tuple(classifier.C) == cvd["C"] and tuple(classifier.nb_scale) == cvd["nb_scale"]


def test_labels_with_few_positives_take_the_logit_mean_without_a_choice():
    docs, y, fold = _noisy()
    counts = y.sum(axis=0)
    below = int(np.sort(counts)[-1])  # every label but the most frequent is "few"
    config = ModelConfig(
        C_grid=(0.05, 8.0), nb_grid=(False, True), ensemble=True, ensemble_below=below
    )
    cvd = cross_validate(docs, y, fold, config=config, exclusive=False, seed=0, seeds=NO_SEEDS)
    singles, by = _single_candidates(docs, y, fold, config)
    mean = np.mean(by, axis=0)
    overruled = 0
    for j in range(y.shape[1]):
        ap = [_average_precision(y[:, j], s[:, j]) for s in [*by, mean]]
        if counts[j] < below:
            np.testing.assert_allclose(cvd["scores"][:, j], mean[:, j], atol=1e-8)
            assert tuple(zip(cvd["C"][j], cvd["nb_scale"][j], strict=True)) == tuple(singles)
            overruled += int(np.argmax(ap) < len(singles))
        else:  # enough positives: still the best out-of-fold average precision
            best = [*by, mean][int(np.argmax(ap))]
            np.testing.assert_allclose(cvd["scores"][:, j], best[:, j], atol=1e-8)
    # the rule changed at least one label's choice (else this test shows nothing)
    assert overruled >= 1
    assert ModelConfig().ensemble_below == 100


def test_exclusive_models_keep_one_multinomial_candidate():
    docs, y, fold = _noisy()
    one = np.zeros_like(y)
    one[np.arange(len(y)), y.argmax(axis=1)] = 1
    config = ModelConfig(nb_grid=(False, True), ensemble=True)
    cvd = cross_validate(docs, one, fold, config=config, exclusive=True, seed=0, seeds=NO_SEEDS)
    assert set(cvd["nb_scale"]) == {False} and len(set(cvd["C"])) == 1
    assert cvd["C"][0] in config.exclusive_C_grid
    assert cvd["pipeline"].named_steps["classify"].__class__.__name__ == "LogisticRegression"


def test_half_f1_rule_sets_the_threshold_at_half_the_best_out_of_fold_f1():
    import pytest

    from allegations.errors import InputError
    from allegations.model._thresholds import Goal, choose_threshold
    from allegations.training._crossval import f1_at, label_threshold

    rng = np.random.default_rng(5)
    p = rng.beta(1, 6, 2000)
    y = (rng.random(2000) < p).astype(int)  # calibrated by construction
    cut, _ = choose_threshold(y, p, Goal("f1"))
    assert label_threshold(y, p, Goal("f1"), rule="best_cut")[0] == cut
    half, met = label_threshold(y, p, Goal("f1"))
    assert met and half == pytest.approx(f1_at(y, p, cut) / 2)
    # for calibrated probabilities half the best F1 is (close to) the best threshold
    assert f1_at(y, p, half) > f1_at(y, p, cut) - 0.02
    # a precision goal is unchanged by the rule; the shrinkage still applies after it
    assert (
        label_threshold(y, p, Goal("precision", 0.6))[0]
        == choose_threshold(y, p, Goal("precision", 0.6))[0]
    )
    n_pos = int(y.sum())
    shrunk, _ = label_threshold(y, p, Goal("f1"), prior=n_pos)
    assert shrunk == pytest.approx((half + 0.5) / 2)
    with pytest.raises(InputError, match="Threshold rule 'best'"):
        label_threshold(y, p, Goal("f1"), rule="best")


def test_half_f1_rule_resists_a_threshold_dragged_down_by_few_positives():
    from allegations.model._thresholds import Goal
    from allegations.training._crossval import label_threshold

    # 4 clear positives, then 6 positives mixed with 6 negatives at probability ~0.02,
    # then 300 negatives lower still. The best cut goes down to 0.02 (F1 0.77 against
    # 0.57): flagging every case scored like those 12. Half the best F1 keeps the 4.
    p = np.r_[[0.9, 0.8, 0.7, 0.6], np.linspace(0.021, 0.02, 12), np.linspace(0.001, 0.01, 300)]
    y = np.r_[np.ones(4), np.tile([1, 0], 6), np.zeros(300)].astype(int)
    best_cut, _ = label_threshold(y, p, Goal("f1"), rule="best_cut")
    half, _ = label_threshold(y, p, Goal("f1"))
    assert best_cut < 0.05 and (p >= best_cut).sum() >= 14
    assert 0.3 < half < 0.6 and (p >= half).sum() == 4


def _positional_corpus(n=120, seed=4):
    """Every case names both acts; its label is the act its first sentence names."""
    rng = np.random.default_rng(seed)
    acts = {"theft": "stole", "assault": "assaulted"}
    pool = ["quietly", "again", "on friday", "at night", "near the depot", "twice", "openly"]
    texts, sets = [], []
    for _ in range(n):
        first, second = rng.permutation(list(acts))
        a, b, c, d = rng.choice(pool, 4)
        texts.append(f"The officer {a} {acts[first]} {b}. A witness {c} {acts[second]} {d}.")
        sets.append([str(first)])
    labels, sets = canonical_labels(sets)
    docs = SpacyPreprocessor().fit(texts).transform(texts)
    y = to_matrix(sets, labels)
    return docs, y, make_folds(y, np.arange(n), 5, 0)


@pytest.mark.slow
def test_the_lead_block_tells_apart_cases_whose_opening_sentence_decides():
    docs, y, fold = _positional_corpus()
    for exclusive in (False, True):
        ap = {}
        for lead in (0, 1):
            config = ModelConfig(lead_sentences=lead, exclusive_lead_sentences=lead)
            cvd = cross_validate(
                docs, y, fold, config=config, exclusive=exclusive, seed=0, seeds=NO_SEEDS
            )
            features = cvd["pipeline"].named_steps["features"]
            assert features.lead_sentences == lead
            ap[lead] = np.mean(
                [_average_precision(y[:, j], cvd["scores"][:, j]) for j in range(y.shape[1])]
            )
        # Without the lead, every case holds the same words: only the lead tells them apart.
        assert ap[0] < 0.75 < 0.95 < ap[1]
    default = ModelConfig()
    assert (default.lead_sentences, default.exclusive_lead_sentences) == (0, 1)
    assert default.lead_weight == 0.5
