"""Selection of the cases to label next: each strategy's contract, the cold start."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from allegations import load_codebook, select
from allegations.errors import InputError
from allegations.review._cases import Case, order_cases
from allegations.review._select import (
    COLD_NONE_SHARE,
    SELECT_STRATEGIES,
    codebook_scores,
    rank_by_scores,
)

from ..conftest import BOOK, DATA, make_corpus


def _pool(n: int = 300, seed: int = 0) -> list[str]:
    texts = make_corpus(n, seed=seed).text.tolist()
    # One planted rare case: the only forgery, and only the codebook's phrase names it.
    texts[217 % n] = (
        "The clerk forged the signature of a supervisor on a transfer form. Case closed."
    )
    return texts


@pytest.mark.parametrize("strategy", SELECT_STRATEGIES)
def test_every_strategy_returns_distinct_positions_deterministically(trained_model, strategy):
    texts = _pool(150, seed=4)
    first = select(texts, 40, model=trained_model, strategy=strategy, seed=3)
    assert len(first) == 40 == len(set(first))
    assert all(0 <= i < len(texts) for i in first)
    assert first == select(texts, 40, model=trained_model, strategy=strategy, seed=3)
    # n larger than the pool gives every position once.
    assert sorted(select(texts[:30], 99, model=trained_model, strategy=strategy)) == list(range(30))


def test_uncertain_is_the_models_least_confident_first(trained_model):
    texts = _pool(150, seed=5)
    confidence = trained_model.predict(texts)["confidence"].to_numpy()
    chosen = select(texts, 25, model=trained_model, strategy="uncertain")
    rest = np.setdiff1d(np.arange(len(texts)), chosen)
    assert confidence[chosen].max() <= confidence[rest].min() + 1e-4


def test_random_differs_by_seed_and_needs_no_model():
    texts = _pool(100)
    a, b = (
        select(texts, 20, strategy="random", seed=0),
        select(texts, 20, strategy="random", seed=1),
    )
    assert a != b and len(set(a)) == 20


def test_balanced_gives_a_rare_label_its_share_early():
    # 200 cases; label 0 is common and sure, label 2 is rare: its few likely cases
    # (p near the boundary) must come early in a balanced batch, not after 150 cases of
    # label 0's uncertainty.
    rng = np.random.default_rng(0)
    proba = np.column_stack(
        [rng.uniform(0.3, 0.7, 200), rng.uniform(0.0, 0.2, 200), np.full(200, 0.01)]
    )
    proba[[57, 133], 2] = 0.45  # the two likely positives of the rare label
    decided = (proba >= 0.5).astype(int)
    uncertain = rank_by_scores(proba, decided, 20, strategy="uncertain")
    balanced = rank_by_scores(proba, decided, 20, strategy="balanced")
    assert not {57, 133} & set(uncertain)  # pure uncertainty never reaches them
    assert {57, 133} <= set(balanced[:9])


def test_no_batch_is_all_near_duplicates():
    # Half the pool is copies of one narrative that the model is unsure about.
    base = (
        "The officer queried the state database on a neighbour after an argument about "
        "parking, printed the results and showed them to his brother, who then confronted "
        "the neighbour at the door. The neighbour complained to the district."
    )
    texts = [f"{base} Filed in week {i % 3}." for i in range(100)]
    texts += [
        f"Distinct case {i}: "
        + " ".join(
            random.Random(i).sample(
                ["late", "vehicle", "overtime", "leave", "uniform", "radio", "report", "shift"], 5
            )
        )
        for i in range(100)
    ]
    proba = np.r_[np.full(100, 0.5), np.linspace(0.0, 0.3, 100)].reshape(-1, 1)
    decided = (proba >= 0.5).astype(int)
    for strategy in ("balanced", "mixed", "default"):
        chosen = rank_by_scores(proba, decided, 20, strategy=strategy, texts=texts)
        copies = [i for i in chosen if i < 100]
        assert len(copies) <= 1, (strategy, copies)
    # Without the guard (uncertain), the batch is all copies: the guard is what helps.
    assert all(i < 100 for i in rank_by_scores(proba, decided, 20, strategy="uncertain"))


def test_mixed_holds_a_random_share(trained_model):
    texts = _pool(200, seed=6)
    uncertain = set(select(texts, 50, model=trained_model, strategy="uncertain"))
    mixed = select(texts, 50, model=trained_model, strategy="mixed", seed=0)
    assert len(set(mixed) - uncertain) >= 10  # balanced and random picks outside the top 50


def test_cold_start_finds_a_planted_rare_label_and_cases_matching_none():
    texts = _pool()
    chosen = select(texts, 20, codebook=BOOK, seed=0)
    assert 217 in chosen[:8]
    scores = codebook_scores(texts, BOOK)
    assert scores.shape == (len(texts), 4) and scores.min() >= 0 and scores.max() <= 1
    unmatched = [i for i in select(texts, 100, codebook=BOOK) if scores[i].max() < 0.5]
    assert len(unmatched) >= int(COLD_NONE_SHARE * 100) - 1


def test_cold_start_on_the_bundled_sample_covers_every_label():
    """Goal of issue 18: with 0 labels and the bundled codebook, the first 100 cases
    chosen hold positives of every label the bundled data has."""
    df = pd.read_csv(DATA / "sample.csv", dtype=str)
    sets = [[s for s in str(v).split(";") if s and s != "nan"] for v in df["labels"]]
    book = load_codebook(DATA / "codebook.toml")
    chosen = select(df.text.tolist(), 100, codebook=book, seed=0)
    found = Counter(x for i in chosen for x in sets[i])
    assert set(found) == {x for s in sets for x in s}
    assert any(not sets[i] for i in chosen)  # and some cases with no label


def test_bad_arguments_are_input_errors(trained_model):
    with pytest.raises(InputError, match="Unknown selection strategy 'greedy'"):
        select(["a"], 1, model=trained_model, strategy="greedy")
    with pytest.raises(InputError, match="needs a model or a codebook"):
        select(["a", "b"], 1)
    with pytest.raises(InputError, match="n must be 0 or more"):
        select(["a"], -1, strategy="random")
    assert select([], 5, codebook=BOOK) == []


def _case(i: int, p: float, text: str) -> Case:
    return Case(
        case_id=str(i),
        text=text,
        text_hash=str(i),
        scores={"a": p, "b": 1 - p},
        predicted=["a"] if p >= 0.5 else ["b"],
        confidence=abs(2 * p - 1),
    )


def test_order_cases_runs_the_new_strategies_and_keeps_the_old():
    cases = [_case(i, p, f"case {i} text {i * 7}") for i, p in enumerate(np.linspace(0, 1, 40))]
    assert set(order_cases(cases, "uncertain", limit=2)) == {19, 20}
    for strategy in ("balanced", "mixed", "default"):
        order = order_cases(cases, strategy, limit=10, seed=1)
        assert len(order) == 10 == len(set(order))
        assert order == order_cases(cases, strategy, limit=10, seed=1)
    assert len(order_cases(cases, "balanced", label="a")) == 40
    with pytest.raises(InputError, match="Unknown strategy"):
        order_cases(cases, "greedy")
