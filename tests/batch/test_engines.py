"""Tagging one chunk: each distinct text scored once, labels decided once, counts that match
the table."""

from __future__ import annotations

import numpy as np
import pytest

from allegations.batch._engines import tag_chunk

from ..conftest import make_corpus


def test_a_chunk_is_decided_once_and_its_counts_match_its_table(
    trained_model, monkeypatch: pytest.MonkeyPatch
):
    texts = make_corpus(10, seed=4).text.tolist()
    rows = [*texts, "", "   ", None, texts[0]]
    calls = []
    original = trained_model.decide

    def counting(proba):
        calls.append(len(proba))
        return original(proba)

    monkeypatch.setattr(trained_model, "decide", counting)
    result = tag_chunk(trained_model, rows, list(range(len(rows))), evidence=True)
    assert calls == [len(rows)]  # table, review flag, evidence and counts share it
    frame = result.frame
    blank = [False] * 10 + [True, True, True, False]
    assert frame["labels"][np.array(blank)].tolist() == ["", "", ""]
    assert not frame["needs_review"][np.array(blank)].any()
    per_label = {
        label: sum(label in str(v).split(";") for v in frame["labels"])
        for label in trained_model.labels
    }
    assert dict(zip(trained_model.labels, result.label_counts.tolist(), strict=True)) == per_label
    assert result.n_no_label == sum(v == "" for v in frame["labels"])
    assert result.n_distinct == 13  # the repeated narrative is scored once
