from __future__ import annotations

import numpy as np
import pandas as pd

from allegations.training._suspects import SUSPECT_COLUMNS, find_suspects, rank_suspects

from ..conftest import make_corpus, single_label_corpus


def test_flipped_label_is_ranked_first():
    corpus = make_corpus(150, seed=4)
    sets = [s.split(";") if s else [] for s in corpus.labels]
    # Case 7 clearly describes a bribe only; give it "threat" instead.
    corpus.loc[7, "text"] = "Officer took a bribe from a neighbour. Case closed."
    sets[7] = ["threat"]
    out = find_suspects(corpus.text.tolist(), sets, ids=corpus.id.tolist(), seed=0)
    assert out.columns.tolist() == SUSPECT_COLUMNS
    assert out.loc[0, "id"] == corpus.loc[7, "id"]
    assert out.loc[0, "rank"] == 1
    assert "remove: threat" in out.loc[0, "disagreeing"]
    assert "add: money" in out.loc[0, "disagreeing"]
    assert out["score"].is_monotonic_decreasing
    assert 0 < out.attrs["expected_mistakes"] <= len(out)


def test_single_label_rows_get_one_suggestion_and_rare_labels_are_not_flagged():
    texts, sets = single_label_corpus()
    flipped = [3, 31, 52, 88, 119, 151, 200, 233]
    truth = {i: sets[i][0] for i in flipped}
    for i in flipped:
        sets[i] = ["rude"] if truth[i] != "rude" else ["theft"]
    ids = [f"R{i}" for i in range(len(texts))]
    out = find_suspects(texts, sets, ids=ids, seed=0)
    top = out.head(len(flipped))
    assert {int(x[1:]) for x in top["id"]} == set(flipped)
    for row in top.itertuples():
        i = int(row.id[1:])
        assert (
            row.disagreeing.startswith(f"change: {sets[i][0]} ") and "add:" not in row.disagreeing
        )
        assert row.disagreeing.count("->") == 1 and f"-> {truth[i]} " in row.disagreeing
    # Not flagged merely for carrying the rare label.
    assert not set(out["given"]) & {"traffic"}
    assert "traffic" in out.attrs["not_disputed"]
    # Few rows are flagged (a list a person can act on), and the expected number of real
    # mistakes is close to the 8 planted.
    assert len(out) <= 20
    assert 4 <= out.attrs["expected_mistakes"] <= 14


def test_rank_suspects_respects_calibrated_chances():
    labels = ["a", "b", "c"]
    y = np.zeros((30, 3), dtype=int)
    y[:12, 0] = 1
    y[12:24, 1] = 1
    y[24:30, 2] = 1
    proba = np.where(y == 1, 0.9, 0.05)
    proba[:, 2] = np.where(y[:, 2] == 1, 0.1, 0.02)  # c: the model never finds it
    proba[3] = [0.2, 0.7, 0.02]  # given a, the model says b: one mistake, 80% sure
    out = rank_suspects(y, proba, labels, list(range(30)), exclusive=False)
    assert out["id"].tolist() == [3]
    assert out.loc[0, "disagreeing"] == "remove: a (p=0.20) | add: b (p=0.70)"
    assert out.loc[0, "score"] == round(1 - 0.2 * 0.3, 4)
    assert out.attrs["not_disputed"] == ["c"]
    assert isinstance(out, pd.DataFrame)
