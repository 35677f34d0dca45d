"""The review store: one SQLite file holding every review decision, append-only.

Each decision is one row of ``decisions``: the case id, the hash of its text, the labels
the reviewer decided, the labels the model predicted with their scores, the model id,
the reviewer, the strategy that queued the case and the time. Rows are never changed or
deleted (triggers refuse it); an undo is a new row that names the row it undoes.

Durability: the file is opened in WAL mode with ``synchronous=FULL`` and each decision is
its own transaction, so once :meth:`ReviewStore.record` returns the decision survives a
killed process (and, on storage that honours fsync, a power cut). The review screen shows
the next case only after that return.

The store also keeps the text of each decided case (table ``texts``, keyed by hash) so
that ``allegations export`` needs nothing but the store, and the audit design (which
cases of the release were drawn from which confidence band) so that ``allegations
estimate`` can weight the audited cases.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..training.labels import label_key

__all__ = [
    "AuditDesign",
    "Decision",
    "ROLES",
    "ReviewStore",
    "STORE_FORMAT",
    "SheetRow",
    "text_hash",
]

STORE_FORMAT = "allegations-review-store"
#: 2 added ``decisions.role`` (reviewer or adjudicator) and the sheet tables; a version-1
#: store is read as it is and migrated the first time it is opened to write.
STORE_VERSION = 2
#: Roles of a decision: a reviewer's answer, or an adjudicator's answer that settles a case
#: on which reviewers disagree.
ROLES = ("reviewer", "adjudicator")

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


def text_hash(text: str) -> str:
    """Return the sha256 of a narrative with its whitespace collapsed (the case's identity)."""
    return hashlib.sha256(" ".join(str(text).split()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Decision:
    """One row of the decisions table."""

    seq: int
    kind: str
    case_id: str
    text_hash: str
    labels: tuple[str, ...]
    predicted: dict[str, float]
    predicted_labels: tuple[str, ...]
    model_id: str
    reviewer: str
    strategy: str
    undoes: int | None
    decided_at: str
    role: str = "reviewer"


@dataclass(frozen=True)
class SheetRow:
    """One case written to a review sheet: what the import needs to record a decision."""

    row: int
    case_id: str
    text_hash: str
    predicted: dict[str, float]
    predicted_labels: tuple[str, ...]
    model_id: str


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


def _decision(seq: int, row: tuple[Any, ...]) -> Decision:
    return Decision(
        seq, row[0], row[1], row[2], tuple(json.loads(row[3])), json.loads(row[4]),
        tuple(json.loads(row[5])), row[6], row[7], row[8], row[9], row[10], row[11],
    )  # fmt: skip


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class ReviewStore:
    """An open review store.

    Parameters
    ----------
    path : str or Path
        The SQLite file.
    labels : sequence of str, optional
        The label set of the model in use. A new store records it; an existing store must
        have the same set, else :class:`StoreError` names the difference.
    create : bool
        Create the file if it does not exist (review, import). Commands that only read a
        store (export, estimate) pass False.

    Raises
    ------
    StoreError
        If the file is not a review store, fails SQLite's quick check, was made for other
        labels, or does not exist and ``create`` is False.
    """

    def __init__(
        self, path: str | Path, *, labels: Sequence[str] | None = None, create: bool = True
    ) -> None:
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise StoreError(
                f"Review store {self.path} not found; check the path, or create one with "
                "'allegations review DATA --model MODEL --store FILE'."
            )
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder; --store takes a file such as review.db.")
        if not self.path.parent.is_dir():
            raise StoreError(
                f"Folder {self.path.parent} does not exist; create it or choose another --store."
            )
        is_new = not self.path.exists() or self.path.stat().st_size == 0
        try:
            self._con = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open review store {self.path} ({exc}).") from None
        try:
            self._setup(is_new, labels)
        except sqlite3.DatabaseError as exc:
            self._con.close()
            raise StoreError(
                f"{self.path} is not a usable review store ({exc}); pass the file made by "
                "'allegations review', or a new path to start one."
            ) from None
        except StoreError:
            self._con.close()
            raise

    # -- opening ------------------------------------------------------------------------
    def _setup(self, is_new: bool, labels: Sequence[str] | None) -> None:
        con = self._con
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA foreign_keys=ON")
        con.execute("PRAGMA busy_timeout=10000")
        if not is_new:
            check = con.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StoreError(
                    f"Review store {self.path} fails SQLite's quick check ({check}); it is "
                    "left untouched. Restore a backup or start a new --store."
                )
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            if "meta" not in tables:
                raise StoreError(
                    f"{self.path} is an SQLite file but not a review store; choose another --store."
                )
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("format") != STORE_FORMAT:
                raise StoreError(
                    f"{self.path} is an SQLite file but not a review store; choose another --store."
                )
            if int(meta.get("format_version", "0")) > STORE_VERSION:
                raise StoreError(
                    f"{self.path} was written by a newer allegations (store format "
                    f"{meta.get('format_version')}); upgrade allegations to read it."
                )
        columns = {r[1] for r in con.execute("PRAGMA table_info(decisions)")}
        self._has_role = is_new or "role" in columns
        if not is_new and labels is None:
            return  # an existing store opened to read it: no write, no lock
        if is_new and labels is None:
            raise StoreError(
                f"Review store {self.path} does not exist yet and no label set was given; "
                "start it with 'allegations review' or pass --model."
            )
        con.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";\n"):
                if statement.strip():
                    con.execute(statement)
            if not self._has_role:  # a version-1 store: add the role column
                con.execute(
                    "ALTER TABLE decisions ADD COLUMN role TEXT NOT NULL DEFAULT 'reviewer'"
                )
                con.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('format_version', ?)",
                    (str(STORE_VERSION),),
                )
                self._has_role = True
            if is_new and labels is not None:
                rows = [
                    ("format", STORE_FORMAT),
                    ("format_version", str(STORE_VERSION)),
                    ("labels", json.dumps(list(labels))),
                    ("created", _now()),
                ]
                con.executemany("INSERT OR IGNORE INTO meta VALUES (?, ?)", rows)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        if labels is not None:
            self.check_labels(labels)

    def check_labels(self, labels: Sequence[str], what: str = "the model") -> None:
        """Raise :class:`StoreError` unless ``labels`` is the store's label set."""
        mine = {label_key(x): x for x in self.labels}
        theirs = {label_key(x): x for x in labels}
        if set(mine) != set(theirs):
            missing = [mine[k] for k in mine if k not in theirs]
            extra = [theirs[k] for k in theirs if k not in mine]
            parts = []
            if missing:
                parts.append(f"only in the store: {', '.join(missing)}")
            if extra:
                parts.append(f"only in {what}: {', '.join(extra)}")
            raise StoreError(
                f"Review store {self.path} was made for other labels ({'; '.join(parts)}). "
                "Use the model the store was started with, or a new --store."
            )

    @property
    def labels(self) -> list[str]:
        """The label set of the store, in the order it was created with."""
        row = self._con.execute("SELECT value FROM meta WHERE key = 'labels'").fetchone()
        return list(json.loads(row[0])) if row else []

    def meta(self) -> dict[str, str]:
        """The store's metadata (format, labels, creation time, audit settings)."""
        return dict(self._con.execute("SELECT key, value FROM meta").fetchall())

    def close(self) -> None:
        """Close the connection (every decision is already committed)."""
        self._con.close()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------
    def record(
        self,
        *,
        case_id: str,
        text: str,
        labels: Iterable[str],
        predicted: dict[str, float],
        predicted_labels: Iterable[str] = (),
        model_id: str,
        reviewer: str,
        strategy: str,
        thash: str | None = None,
        role: str = "reviewer",
    ) -> Decision:
        """Append one decision and commit it; return it once it is durable.

        ``role`` is ``"reviewer"`` for an answer, ``"adjudicator"`` for the answer that
        settles a case on which reviewers disagree.

        Raises
        ------
        StoreError
            If a label is not in the store's label set, or the write fails.
        """
        row, text_row = self._decision_row(
            case_id=case_id, text=text, labels=labels, predicted=predicted,
            predicted_labels=predicted_labels, model_id=model_id, reviewer=reviewer,
            strategy=strategy, thash=thash, role=role,
        )  # fmt: skip
        seq = self._write([(row, text_row)])[0]
        return _decision(seq, row)

    def record_many(self, items: Sequence[dict[str, Any]]) -> list[Decision]:
        """Append several decisions (keyword dicts as for :meth:`record`) in ONE transaction.

        Either every decision is saved or none is (an import of a sheet).
        """
        rows = [self._decision_row(**item) for item in items]
        seqs = self._write(rows)
        return [_decision(seq, row) for seq, (row, _) in zip(seqs, rows, strict=True)]

    def _decision_row(
        self,
        *,
        case_id: str,
        text: str,
        labels: Iterable[str],
        predicted: dict[str, float],
        predicted_labels: Iterable[str] = (),
        model_id: str,
        reviewer: str,
        strategy: str,
        thash: str | None = None,
        role: str = "reviewer",
    ) -> tuple[tuple[Any, ...], tuple[str, str]]:
        if role not in ROLES:
            raise StoreError(f"Unknown decision role {role!r}; roles are {', '.join(ROLES)}.")
        known = {label_key(x): x for x in self.labels}
        chosen: list[str] = []
        for label in labels:
            name = known.get(label_key(label))
            if name is None:
                raise StoreError(
                    f"Label '{label}' is not in the label set of {self.path} "
                    f"({', '.join(self.labels)})."
                )
            if name not in chosen:
                chosen.append(name)
        chosen.sort(key=list(known.values()).index)
        called = [str(x) for x in predicted_labels]
        thash = thash or text_hash(text)
        when = _now()
        row = (
            "decide",
            str(case_id),
            thash,
            json.dumps(chosen),
            json.dumps({k: float(v) for k, v in predicted.items()}),
            json.dumps(called),
            model_id,
            reviewer,
            strategy,
            None,
            when,
            role,
        )
        return row, (thash, str(text))

    def undo_last(self, reviewer: str, strategy: str = "") -> Decision | None:
        """Record an undo of ``reviewer``'s latest standing decision; return that decision.

        Returns None when the reviewer has nothing left to undo.
        """
        standing = self._standing(self.decisions(reviewer=reviewer))
        if not standing:
            return None
        target = max(standing, key=lambda d: d.seq)
        row = (
            "undo",
            target.case_id,
            target.text_hash,
            "[]",
            "{}",
            "[]",
            target.model_id,
            reviewer,
            strategy or target.strategy,
            target.seq,
            _now(),
            target.role,
        )
        self._write([(row, None)])
        return target

    def _write(self, rows: Sequence[tuple[tuple[Any, ...], tuple[str, str] | None]]) -> list[int]:
        con = self._con
        seqs: list[int] = []
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                for row, text_row in rows:
                    if text_row is not None:
                        con.execute("INSERT OR IGNORE INTO texts VALUES (?, ?)", text_row)
                    cur = con.execute(
                        "INSERT INTO decisions (kind, case_id, text_hash, labels, predicted, "
                        "predicted_labels, model_id, reviewer, strategy, undoes, decided_at, "
                        "role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        row,
                    )
                    seqs.append(int(cur.lastrowid or 0))
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            what = f"case {rows[0][0][1]}" if len(rows) == 1 else f"{len(rows)} cases"
            raise StoreError(
                f"The decision on {what} was NOT saved to {self.path} ({exc}); "
                "earlier decisions are intact. Fix the cause (disk space, permissions, "
                "another program holding the file) and try again."
            ) from None
        return seqs

    # -- reading ------------------------------------------------------------------------
    def decisions(self, reviewer: str | None = None) -> list[Decision]:
        """Every row (decisions and undos), oldest first; optionally one reviewer's."""
        role = "role" if self._has_role else "'reviewer'"  # a version-1 store read as is
        sql = (
            "SELECT seq, kind, case_id, text_hash, labels, predicted, predicted_labels, "
            f"model_id, reviewer, strategy, undoes, decided_at, {role} FROM decisions"
        )
        args: tuple[Any, ...] = ()
        if reviewer is not None:
            sql += " WHERE reviewer = ?"
            args = (reviewer,)
        rows = self._con.execute(sql + " ORDER BY seq", args).fetchall()
        return [
            Decision(
                int(r[0]),
                r[1],
                r[2],
                r[3],
                tuple(json.loads(r[4])),
                json.loads(r[5]),
                tuple(json.loads(r[6])),
                r[7],
                r[8],
                r[9],
                r[10],
                r[11],
                r[12],
            )  # fmt: skip
            for r in rows
        ]

    @staticmethod
    def _standing(rows: Sequence[Decision]) -> list[Decision]:
        undone = {d.undoes for d in rows if d.kind == "undo"}
        return [d for d in rows if d.kind == "decide" and d.seq not in undone]

    def standing(self, reviewer: str | None = None) -> dict[tuple[str, str], Decision]:
        """The decision in force per (reviewer, text hash): the latest one not undone."""
        out: dict[tuple[str, str], Decision] = {}
        for d in self._standing(self.decisions(reviewer)):
            out[(d.reviewer, d.text_hash)] = d  # rows are in seq order: the latest wins
        return out

    def final(self, reviewer: str | None = None) -> dict[str, Decision]:
        """One decision per text hash: the latest standing one over all (or one) reviewers."""
        out: dict[str, Decision] = {}
        for d in sorted(self.standing(reviewer).values(), key=lambda d: d.seq):
            out[d.text_hash] = d
        return out

    def decided_hashes(self, reviewer: str, strategy: str | None = None) -> set[str]:
        """Text hashes that ``reviewer`` has a standing decision on (made under ``strategy``)."""
        return {
            h
            for (_, h), d in self.standing(reviewer).items()
            if strategy is None or d.strategy == strategy
        }

    def reviewers(self) -> list[str]:
        """Names of everyone who has a decision in the store, in order of first decision."""
        rows = self._con.execute(
            "SELECT reviewer, MIN(seq) FROM decisions GROUP BY reviewer ORDER BY 2"
        ).fetchall()
        return [r[0] for r in rows]

    def texts(self, hashes: Iterable[str]) -> dict[str, str]:
        """The stored narrative of each of ``hashes`` that has one."""
        wanted = list(dict.fromkeys(hashes))
        out: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(
                self._con.execute(
                    f"SELECT text_hash, text FROM texts WHERE text_hash IN ({marks})", chunk
                ).fetchall()
            )
        return out

    def integrity_check(self) -> str:
        """Run ``PRAGMA integrity_check``; "ok" when the file is sound."""
        return str(self._con.execute("PRAGMA integrity_check").fetchone()[0])

    # -- audit design -------------------------------------------------------------------
    def audit_design(self) -> AuditDesign | None:
        """The stored audit design, or None if no audit was started in this store."""
        meta = self.meta()
        if "audit_fingerprint" not in meta:
            return None
        rows = self._con.execute(
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

    def save_audit_design(self, design: AuditDesign) -> None:
        """Store an audit design (once per store), in one transaction.

        Raises
        ------
        StoreError
            If the store already holds a design for another release.
        """
        current = self.meta().get("audit_fingerprint")
        if current is not None:
            if current != design.fingerprint:
                raise StoreError(
                    f"Review store {self.path} already holds an audit of another release "
                    "(other ids or texts); audit this release in a new --store."
                )
            return
        rank = {pos: i for i, pos in enumerate(design.sample)}
        con = self._con
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
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
                        ("audit_created", _now()),
                    ],
                )
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot save the audit sample to {self.path} ({exc}).") from None

    # -- metadata and sheets ------------------------------------------------------------
    def set_meta(self, values: dict[str, str], *, replace: bool = False) -> None:
        """Record settings in the store's metadata (kept if present, unless ``replace``)."""
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            con.executemany(f"{verb} INTO meta VALUES (?, ?)", list(values.items()))
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise

    def save_sheet(
        self,
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
        con = self._con
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                con.execute(
                    "INSERT INTO sheets VALUES (?, ?, ?, ?, ?, ?)",
                    (sheet_id, purpose, strategy, json.dumps(self.labels), design, _now()),
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
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot record the sheet in {self.path} ({exc}).") from None

    def sheet_ids(self) -> list[str]:
        """Ids of the sheets exported from this store, oldest first."""
        tables = {r[0] for r in self._con.execute("SELECT name FROM sqlite_master")}
        if "sheets" not in tables:
            return []
        rows = self._con.execute("SELECT sheet_id FROM sheets ORDER BY created, rowid")
        return [r[0] for r in rows]

    def sheet(self, sheet_id: str) -> tuple[dict[str, str], dict[str, SheetRow]] | None:
        """The purpose and strategy of an exported sheet and its rows by case id, or None."""
        tables = {r[0] for r in self._con.execute("SELECT name FROM sqlite_master")}
        if "sheets" not in tables:
            return None
        head = self._con.execute(
            "SELECT purpose, strategy, labels, design FROM sheets WHERE sheet_id = ?", (sheet_id,)
        ).fetchone()
        if head is None:
            return None
        rows = self._con.execute(
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
