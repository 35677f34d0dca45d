"""Constructed review stores whose estimates are worked out by hand
(tests/review/test_estimate.py, test_adjudication.py, tests/cli/test_estimate.py)."""

from __future__ import annotations

from pathlib import Path

from allegations.review._audit_store import AuditDesign
from allegations.review._store import ReviewStore, text_hash

# The constructed release: 40 cases, band 0 = cases 0-9 (N0 = 10), band 1 = cases 10-39
# (N1 = 30). The model tags label "a" on cases 0-5 and 10-14 (M = 11), "b" on none.
# Audited: band 0 cases 0, 1, 2, 6 (n0 = 4, weight 10/4 = 2.5); band 1 cases 10, 15, 16,
# 17, 18 (n1 = 5, weight 30/5 = 6). Cases 3 and 19 were drawn but skipped.
TRUTH = {
    0: ["a"], 1: ["a"], 2: [], 6: ["a", "b"], 10: ["a"], 15: [], 16: ["a"], 17: [], 18: [],
}  # fmt: skip
N, M = 40, 11


def text(i: int) -> str:
    return f"constructed case number {i}"


def build_store(path: Path) -> None:
    design = AuditDesign(
        case_ids=[f"K{i}" for i in range(N)],
        text_hashes=[text_hash(text(i)) for i in range(N)],
        bands=[0] * 10 + [1] * 30,
        predicted=[["a"] if i in (*range(6), *range(10, 15)) else [] for i in range(N)],
        sample=[6, 0, 19, 1, 10, 2, 15, 3, 16, 17, 18],
        edges=[0.0, 0.5, 1.0],
        fingerprint="constructed",
    )
    with ReviewStore(path, labels=["a", "b"]) as store:
        store.save_audit_design(design)

        def decide(i: int, labels: list[str], reviewer: str = "ana", strategy: str = "audit"):
            store.record(
                case_id=f"K{i}", text=text(i), labels=labels, predicted={"a": 0.5, "b": 0.1},
                predicted_labels=design.predicted[i], model_id="m1", reviewer=reviewer,
                strategy=strategy,
            )  # fmt: skip

        decide(16, [])  # a wrong answer, undone below: must not count
        store.undo_last("ana")
        for i, labels in TRUTH.items():
            decide(i, labels)
        decide(25, ["a"], strategy="uncertain")  # not part of the audit: must not count
        # A second reviewer double-codes four cases outside the audit (agreement only).
        for i, labels in {0: ["a"], 1: [], 2: [], 6: []}.items():
            decide(i, labels, reviewer="bo", strategy="uncertain")


def audit_with_two_reviewers(path: Path) -> None:
    build_store(path)  # ana audited cases 0, 1, 2, 6, 10, 15-18
    with ReviewStore(path, labels=["a", "b"]) as store:
        for i, labels in {0: ["a"], 2: ["a"], 6: ["a", "b"], 15: ["a"]}.items():
            store.record(
                case_id=f"K{i}", text=text(i), labels=labels, predicted={"a": 0.5},
                model_id="m1", reviewer="bo", strategy="audit",
            )  # fmt: skip
