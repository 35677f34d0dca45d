from __future__ import annotations

from allegations.training.suspects import SUSPECT_COLUMNS, find_suspects

from ..conftest import make_corpus


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
