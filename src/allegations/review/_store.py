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

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..training import label_key
from ._audit_store import AuditDesign, load_audit_design, save_audit_design
from ._decision import Decision, decision_from_row, decision_row, text_hash
from ._sheet_store import SheetRow, load_sheet, save_sheet, sheet_ids
from ._store_schema import connect, immediate, now, prepare

#: Decision and text_hash are defined in .decision; they are named here too because
#: callers import them with the store.
__all__ = ["Decision", "ReviewStore", "text_hash"]


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
        self._con, is_new = connect(self.path, create=create)
        try:
            self._has_role = prepare(self._con, self.path, is_new, labels)
            if labels is not None:
                self.check_labels(labels)
        except sqlite3.DatabaseError as exc:
            self._con.close()
            raise StoreError(
                f"{self.path} is not a usable review store ({exc}); pass the file made by "
                "'allegations review', or a new path to start one."
            ) from None
        except StoreError:
            self._con.close()
            raise

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
                "Use the model the store was started with, or a new `store_path`."
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
        row, text_row = decision_row(
            self.labels, self.path,
            case_id=case_id, text=text, labels=labels, predicted=predicted,
            predicted_labels=predicted_labels, model_id=model_id, reviewer=reviewer,
            strategy=strategy, thash=thash, role=role,
        )  # fmt: skip
        seq = self._write([(row, text_row)])[0]
        return decision_from_row(seq, row)

    def record_many(self, items: Sequence[dict[str, Any]]) -> list[Decision]:
        """Append several decisions (keyword dicts as for :meth:`record`) in ONE transaction.

        Either every decision is saved or none is (an import of a sheet).
        """
        rows = [decision_row(self.labels, self.path, **item) for item in items]
        seqs = self._write(rows)
        return [decision_from_row(seq, row) for seq, (row, _) in zip(seqs, rows, strict=True)]

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
            now(),
            target.role,
        )
        self._write([(row, None)])
        return target

    def _write(self, rows: Sequence[tuple[tuple[Any, ...], tuple[str, str] | None]]) -> list[int]:
        con = self._con
        seqs: list[int] = []
        try:
            with immediate(con):
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
        return load_audit_design(self._con, self.meta())

    def save_audit_design(self, design: AuditDesign) -> None:
        """Store an audit design (once per store), in one transaction.

        Raises
        ------
        StoreError
            If the store already holds a design for another release.
        """
        save_audit_design(self._con, self.path, self.meta(), design)

    # -- metadata and sheets ------------------------------------------------------------
    def set_meta(self, values: dict[str, str], *, replace: bool = False) -> None:
        """Record settings in the store's metadata (kept if present, unless ``replace``)."""
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        con = self._con
        with immediate(con):
            con.executemany(f"{verb} INTO meta VALUES (?, ?)", list(values.items()))

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
        save_sheet(
            self._con, self.path, self.labels, sheet_id,
            purpose=purpose, strategy=strategy, rows=rows, design=design,
        )  # fmt: skip

    def sheet_ids(self) -> list[str]:
        """Ids of the sheets exported from this store, oldest first."""
        return sheet_ids(self._con)

    def sheet(self, sheet_id: str) -> tuple[dict[str, str], dict[str, SheetRow]] | None:
        """The purpose and strategy of an exported sheet and its rows by case id, or None."""
        return load_sheet(self._con, sheet_id)
