"""The audit design in the review store: a round trip, and another release refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from allegations.errors import StoreError
from allegations.review._audit_store import AuditDesign
from allegations.review._store import ReviewStore

LABELS = ["money", "query", "threat"]


def test_audit_design_round_trip_and_other_release_refused(tmp_path: Path):
    design = AuditDesign(
        case_ids=["a", "b", "c"],
        text_hashes=["h1", "h2", "h3"],
        bands=[0, 1, 1],
        predicted=[["money"], [], ["query", "threat"]],
        sample=[2, 0],
        edges=[0.0, 0.5, 1.0],
        fingerprint="f1",
        seed=4,
    )
    with ReviewStore(tmp_path / "r.db", labels=LABELS) as store:
        assert store.audit_design() is None
        store.save_audit_design(design)
        store.save_audit_design(design)  # same release: nothing happens
        back = store.audit_design()
        assert back is not None
        assert (back.case_ids, back.bands, back.predicted, back.sample, back.seed) == (
            design.case_ids, design.bands, design.predicted, design.sample, 4,
        )  # fmt: skip
        other = AuditDesign(**{**design.__dict__, "fingerprint": "f2"})
        with pytest.raises(StoreError, match="already holds an audit of another release"):
            store.save_audit_design(other)
