"""The review store's file format: its tables, the checks on opening a file, the migration.

A store is one SQLite file in WAL mode with ``synchronous=FULL``. Opening an existing file
runs SQLite's quick check and refuses a file that is not a review store or was written by
a newer allegations; opening it to write creates the tables and migrates a version-1 store
(which lacks ``decisions.role``) in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from ..errors import StoreError

__all__ = ["STORE_FORMAT", "STORE_VERSION", "connect", "now", "prepare"]

STORE_FORMAT = "allegations-review-store"
#: 2 added ``decisions.role`` (reviewer or adjudicator) and the sheet tables; a version-1
#: store is read as it is and migrated the first time it is opened to write.
STORE_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS texts (text_hash TEXT PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('decide', 'undo')),
    case_id TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    labels TEXT NOT NULL,
    predicted TEXT NOT NULL,
    predicted_labels TEXT NOT NULL,
    model_id TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    strategy TEXT NOT NULL,
    undoes INTEGER REFERENCES decisions(seq),
    decided_at TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'reviewer'
);
CREATE INDEX IF NOT EXISTS decisions_by_reviewer ON decisions (reviewer, text_hash);
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'review decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'review decisions are append-only'); END;
CREATE TABLE IF NOT EXISTS audit_population (
    position INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    band INTEGER NOT NULL,
    predicted TEXT NOT NULL,
    sample_rank INTEGER
);
CREATE TABLE IF NOT EXISTS sheets (
    sheet_id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    strategy TEXT NOT NULL,
    labels TEXT NOT NULL,
    design TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sheet_rows (
    sheet_id TEXT NOT NULL REFERENCES sheets(sheet_id),
    row INTEGER NOT NULL,
    case_id TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    predicted TEXT NOT NULL,
    predicted_labels TEXT NOT NULL,
    model_id TEXT NOT NULL,
    PRIMARY KEY (sheet_id, row)
);
"""


@contextmanager
def immediate(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: ``BEGIN IMMEDIATE`` (the write lock up front, so a second
    reviewer waits instead of failing half-way), committed at the end, rolled back on any
    exception."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


def now() -> str:
    """The current time as the store records it (UTC, ISO 8601, milliseconds)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def connect(path: Path, *, create: bool) -> tuple[sqlite3.Connection, bool]:
    """Check ``path`` and open it; return the connection and whether the store is new.

    Raises
    ------
    StoreError
        If the file does not exist and ``create`` is False, ``path`` is a folder, its
        folder does not exist, or SQLite cannot open it.
    """
    if not path.exists() and not create:
        raise StoreError(
            f"Review store {path} not found; check the path, or create one with "
            "'allegations review DATA --model MODEL --store FILE'."
        )
    if path.is_dir():
        raise StoreError(f"{path} is a folder; `store_path` takes a file such as review.db.")
    if not path.parent.is_dir():
        raise StoreError(
            f"Folder {path.parent} does not exist; create it or choose another `store_path`."
        )
    is_new = not path.exists() or path.stat().st_size == 0
    try:
        con = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    except sqlite3.Error as exc:
        raise StoreError(f"Cannot open review store {path} ({exc}).") from None
    return con, is_new


def prepare(
    con: sqlite3.Connection, path: Path, is_new: bool, labels: Sequence[str] | None
) -> bool:
    """Set the durability pragmas, check an existing store, create or migrate the tables.

    An existing store opened without ``labels`` is only read: nothing is written and no
    lock is taken. Returns whether ``decisions`` has the ``role`` column (a version-1 store
    read as it is has not).

    Raises
    ------
    StoreError
        If the file fails the quick check, is not a review store, is of a newer format,
        or is new and no ``labels`` were given.
    sqlite3.DatabaseError
        If the file is not an SQLite database.
    """
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA busy_timeout=10000")
    if not is_new:
        check = con.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise StoreError(
                f"Review store {path} fails SQLite's quick check ({check}); it is "
                "left untouched. Restore a backup or start a new `store_path`."
            )
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        if "meta" not in tables:
            raise StoreError(
                f"{path} is an SQLite file but not a review store; choose another `store_path`."
            )
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != STORE_FORMAT:
            raise StoreError(
                f"{path} is an SQLite file but not a review store; choose another `store_path`."
            )
        if int(meta.get("format_version", "0")) > STORE_VERSION:
            raise StoreError(
                f"{path} was written by a newer allegations (store format "
                f"{meta.get('format_version')}); upgrade allegations to read it."
            )
    columns = {r[1] for r in con.execute("PRAGMA table_info(decisions)")}
    has_role = is_new or "role" in columns
    if not is_new and labels is None:
        return has_role  # an existing store opened to read it: no write, no lock
    if is_new and labels is None:
        raise StoreError(
            f"Review store {path} does not exist yet and no label set was given; "
            "start it with 'allegations review' or pass `model`."
        )
    with immediate(con):
        for statement in _SCHEMA.split(";\n"):
            if statement.strip():
                con.execute(statement)
        if not has_role:  # a version-1 store: add the role column
            con.execute("ALTER TABLE decisions ADD COLUMN role TEXT NOT NULL DEFAULT 'reviewer'")
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('format_version', ?)",
                (str(STORE_VERSION),),
            )
            has_role = True
        if is_new and labels is not None:
            rows = [
                ("format", STORE_FORMAT),
                ("format_version", str(STORE_VERSION)),
                ("labels", json.dumps(list(labels))),
                ("created", now()),
            ]
            con.executemany("INSERT OR IGNORE INTO meta VALUES (?, ?)", rows)
    return has_role
