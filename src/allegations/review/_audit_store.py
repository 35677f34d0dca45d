"""The audit design in the review store: which cases of a release were drawn from which
confidence band (table ``audit_population`` and the ``audit_*`` metadata), so that
``allegations estimate`` can weight the audited cases.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ._store_schema import immediate, now

__all__ = ["AuditDesign", "load_audit_design", "save_audit_design"]


@dataclass(frozen=True)
class AuditDesign:
    """A stratified audit sample of a release.

    Attributes
    ----------
    case_ids, text_hashes : list of str
        Every case of the release, in file order.
    bands : list of int
        The confidence band of each case (0 = least confident).
    predicted : list of list of str
        The labels the model called for each case.
    sample : list of int
        Positions (into the lists above) of the sampled cases, in presentation order.
    edges : list of float
        Band edges on the confidence scale.
    fingerprint : str
        A hash of the release's ids and texts: the design belongs to that release only.
    """

    case_ids: list[str]
    text_hashes: list[str]
    bands: list[int]
    predicted: list[list[str]]
    sample: list[int]
    edges: list[float]
    fingerprint: str
    seed: int = 0
    label: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def load_audit_design(con: sqlite3.Connection, meta: dict[str, str]) -> AuditDesign | None:
    """The audit design stored in ``con`` (whose metadata is ``meta``), or None."""
    if "audit_fingerprint" not in meta:
        return None
    rows = con.execute(
        "SELECT position, case_id, text_hash, band, predicted, sample_rank "
        "FROM audit_population ORDER BY position"
    ).fetchall()
    sampled = sorted((r[5], r[0]) for r in rows if r[5] is not None)
    return AuditDesign(
        case_ids=[r[1] for r in rows],
        text_hashes=[r[2] for r in rows],
        bands=[int(r[3]) for r in rows],
        predicted=[list(json.loads(r[4])) for r in rows],
        sample=[pos for _, pos in sampled],
        edges=list(json.loads(meta["audit_edges"])),
        fingerprint=meta["audit_fingerprint"],
        seed=int(meta.get("audit_seed", "0")),
        label=meta.get("audit_label", ""),
    )


def save_audit_design(
    con: sqlite3.Connection, path: Path, meta: dict[str, str], design: AuditDesign
) -> None:
    """Store an audit design (once per store), in one transaction.

    Raises
    ------
    StoreError
        If the store already holds a design for another release.
    """
    current = meta.get("audit_fingerprint")
    if current is not None:
        if current != design.fingerprint:
            raise StoreError(
                f"Review store {path} already holds an audit of another release "
                "(other ids or texts); audit this release in a new `store_path`."
            )
        return
    rank = {pos: i for i, pos in enumerate(design.sample)}
    try:
        with immediate(con):
            con.executemany(
                "INSERT INTO audit_population VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (i, cid, h, band, json.dumps(pred), rank.get(i))
                    for i, (cid, h, band, pred) in enumerate(
                        zip(
                            design.case_ids,
                            design.text_hashes,
                            design.bands,
                            design.predicted,
                            strict=True,
                        )
                    )
                ),
            )
            con.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ("audit_fingerprint", design.fingerprint),
                    ("audit_edges", json.dumps(design.edges)),
                    ("audit_seed", str(design.seed)),
                    ("audit_label", design.label),
                    ("audit_created", now()),
                ],
            )
    except sqlite3.Error as exc:
        raise StoreError(f"Cannot save the audit sample to {path} ({exc}).") from None
