"""The review sheets in the review store: which case each row of an exported sheet holds
(tables ``sheets`` and ``sheet_rows``), so that an import records the model's view of the
case with the reviewer's answer.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreError
from ._store_schema import immediate, now

__all__ = ["SheetRow", "load_sheet", "save_sheet", "sheet_ids"]


@dataclass(frozen=True)
class SheetRow:
    """One case written to a review sheet: what the import needs to record a decision."""

    row: int
    case_id: str
    text_hash: str
    predicted: dict[str, float]
    predicted_labels: tuple[str, ...]
    model_id: str


def save_sheet(
    con: sqlite3.Connection,
    path: Path,
    labels: list[str],
    sheet_id: str,
    *,
    purpose: str,
    strategy: str,
    rows: Sequence[SheetRow],
    design: str = "multi-label",
) -> None:
    """Remember which case each row of an exported sheet holds (one transaction).

    ``design`` is the label design the sheet was written for: ``"exclusive"`` (one
    label per case), ``"exclusive+none"`` (or none) or ``"multi-label"``.
    """
    try:
        with immediate(con):
            con.execute(
                "INSERT INTO sheets VALUES (?, ?, ?, ?, ?, ?)",
                (sheet_id, purpose, strategy, json.dumps(labels), design, now()),
            )
            con.executemany(
                "INSERT INTO sheet_rows VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        sheet_id,
                        r.row,
                        r.case_id,
                        r.text_hash,
                        json.dumps(r.predicted),
                        json.dumps(list(r.predicted_labels)),
                        r.model_id,
                    )  # fmt: skip
                    for r in rows
                ],
            )
    except sqlite3.Error as exc:
        raise StoreError(f"Cannot record the sheet in {path} ({exc}).") from None


def sheet_ids(con: sqlite3.Connection) -> list[str]:
    """Ids of the sheets exported from the store, oldest first."""
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    if "sheets" not in tables:
        return []
    rows = con.execute("SELECT sheet_id FROM sheets ORDER BY created, rowid")
    return [r[0] for r in rows]


def load_sheet(
    con: sqlite3.Connection, sheet_id: str
) -> tuple[dict[str, str], dict[str, SheetRow]] | None:
    """The purpose and strategy of an exported sheet and its rows by case id, or None."""
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    if "sheets" not in tables:
        return None
    head = con.execute(
        "SELECT purpose, strategy, labels, design FROM sheets WHERE sheet_id = ?", (sheet_id,)
    ).fetchone()
    if head is None:
        return None
    rows = con.execute(
        "SELECT row, case_id, text_hash, predicted, predicted_labels, model_id "
        "FROM sheet_rows WHERE sheet_id = ? ORDER BY row",
        (sheet_id,),
    ).fetchall()
    by_id = {
        r[1]: SheetRow(int(r[0]), r[1], r[2], json.loads(r[3]), tuple(json.loads(r[4])), r[5])
        for r in rows
    }
    return {
        "purpose": head[0],
        "strategy": head[1],
        "labels": head[2],
        "design": head[3],
    }, by_id
