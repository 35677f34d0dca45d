"""The review store: durability settings, append-only rows, undo, label checks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allegations.errors import StoreError
from allegations.review._store import ReviewStore, text_hash

LABELS = ["money", "query", "threat"]


def record(store: ReviewStore, case: str, labels: list[str], reviewer: str = "ana"):
    return store.record(
        case_id=case,
        text=f"narrative of {case}",
        labels=labels,
        predicted={"money": 0.1, "query": 0.7, "threat": 0.4},
        predicted_labels=["query"],
        model_id="m1",
        reviewer=reviewer,
        strategy="uncertain",
    )


def test_store_is_wal_full_and_keeps_every_field(tmp_path: Path):
    path = tmp_path / "r.db"
    with ReviewStore(path, labels=LABELS) as store:
        d = record(store, "C1", ["threat", "query"])
        assert d.labels == ("query", "threat")  # label order of the store
        assert store._con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store._con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    with ReviewStore(path, create=False) as store:
        (row,) = store.decisions()
        assert (row.case_id, row.text_hash, row.labels) == (
            "C1",
            text_hash("narrative of C1"),
            d.labels,
        )
        assert row.predicted == {"money": 0.1, "query": 0.7, "threat": 0.4}
        assert row.predicted_labels == ("query",)
        assert (row.model_id, row.reviewer, row.strategy) == ("m1", "ana", "uncertain")
        assert row.decided_at.endswith("+00:00")
        assert store.texts([row.text_hash]) == {row.text_hash: "narrative of C1"}
        assert store.integrity_check() == "ok"


def test_decisions_are_append_only(tmp_path: Path):
    path = tmp_path / "r.db"
    with ReviewStore(path, labels=LABELS) as store:
        record(store, "C1", ["money"])
    con = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE decisions SET labels = '[]'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM decisions")
    con.close()


def test_undo_is_a_new_row_and_restores_the_previous_state(tmp_path: Path):
    with ReviewStore(tmp_path / "r.db", labels=LABELS) as store:
        record(store, "C1", ["money"])
        record(store, "C2", ["query"])
        record(store, "C3", [], reviewer="bo")
        undone = store.undo_last("ana")
        assert undone is not None and undone.case_id == "C2"
        assert [d.kind for d in store.decisions()] == ["decide", "decide", "decide", "undo"]
        assert store.decisions()[-1].undoes == undone.seq
        assert {d.case_id for d in store.standing("ana").values()} == {"C1"}
        assert store.undo_last("ana").case_id == "C1"
        assert store.undo_last("ana") is None
        assert store.decided_hashes("bo") == {text_hash("narrative of C3")}


def test_unknown_label_is_refused(tmp_path: Path):
    with ReviewStore(tmp_path / "r.db", labels=LABELS) as store:
        with pytest.raises(StoreError, match="Label 'stalking' is not in the label set"):
            record(store, "C1", ["stalking"])
        assert store.decisions() == []


def test_store_for_other_labels_is_refused_naming_the_difference(tmp_path: Path):
    ReviewStore(tmp_path / "r.db", labels=LABELS).close()
    with pytest.raises(StoreError, match="only in the store: threat; only in the model: stalking"):
        ReviewStore(tmp_path / "r.db", labels=["money", "query", "stalking"])
    ReviewStore(tmp_path / "r.db", labels=["Query", "money", "threat"]).close()  # same set


def test_not_a_store_missing_store_and_damaged_store(tmp_path: Path):
    with pytest.raises(StoreError, match="not found"):
        ReviewStore(tmp_path / "none.db", create=False)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="not a review store"):
        ReviewStore(other, labels=LABELS)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a usable review store"):
        ReviewStore(junk, labels=LABELS)
    assert junk.read_bytes().startswith(b"this is not sqlite")  # left untouched


OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("decide"),
            st.sampled_from(["ana", "bo"]),
            st.sampled_from(["C1", "C2", "C3", "C4"]),
            st.sets(st.sampled_from(LABELS)),
        ),
        st.tuples(st.just("undo"), st.sampled_from(["ana", "bo"])),
        st.tuples(st.just("reopen")),
    ),
    max_size=30,
)


@given(ops=OPS)
def test_store_matches_an_in_memory_model(tmp_path_factory: pytest.TempPathFactory, ops):
    path = tmp_path_factory.mktemp("prop") / "r.db"
    store = ReviewStore(path, labels=LABELS)
    model: list[list] = []  # [seq, reviewer, case, labels, undone]
    try:
        for op in ops:
            if op[0] == "decide":
                d = record(store, op[2], sorted(op[3]), reviewer=op[1])
                model.append([d.seq, op[1], op[2], tuple(sorted(op[3])), False])
            elif op[0] == "undo":
                live = [m for m in model if m[1] == op[1] and not m[4]]
                undone = store.undo_last(op[1])
                if live:
                    target = max(live, key=lambda m: m[0])
                    target[4] = True
                    assert undone is not None and undone.seq == target[0]
                else:
                    assert undone is None
            else:
                store.close()
                store = ReviewStore(path, labels=LABELS)
            expected = {}
            for _seq, reviewer, case, labels, undone_flag in model:
                if not undone_flag:
                    expected[(reviewer, case)] = labels
            got = {(d.reviewer, d.case_id): d.labels for d in store.standing().values()}
            assert got == expected
    finally:
        store.close()


def test_a_write_that_fails_is_not_acknowledged_and_a_retry_succeeds(tmp_path: Path):
    path = tmp_path / "r.db"
    with ReviewStore(path, labels=LABELS) as store:
        record(store, "C1", ["money"])
        store._con.execute("PRAGMA busy_timeout=50")
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        with pytest.raises(StoreError, match="decision on case C2 was NOT saved"):
            record(store, "C2", ["query"])
        other.execute("ROLLBACK")
        other.close()
        record(store, "C2", ["query"])
        assert [d.case_id for d in store.decisions()] == ["C1", "C2"]
