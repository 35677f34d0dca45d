"""The reviewers of a web review: one :class:`ReviewSession` per reviewer over one store.

The browser sends the same keys as the terminal; :class:`ReviewHub` hands them to that
reviewer's :class:`~allegations.review._session.ReviewSession`, so the queue, the
strategies, the decisions, undo, resume and the audit's blindness are the terminal
screen's own code. Each reviewer gets a connection of their own to the store (as two
terminal reviews would), and every session and store call runs on one worker thread:
SQLite connections stay on the thread that opened them, the sessions need no locks, and
a decision is committed before the state that shows the next case is returned.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ...errors import InputError
from .._cases import Case, evidence_spans
from .._session import ReviewSession
from .._store import ReviewStore

__all__ = ["MAX_REVIEWER", "ReviewHub", "StaleState", "case_segments", "reviewer_name"]

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_REVIEWER = 80
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: Keys a browser may send: the terminal's keys (``q`` is handled here: leave the review).
KEYS = frozenset({"y", "n", "s", "u", "?", "q", "enter", *"0123456789"})


class StaleState(Exception):
    """The browser acted on a state that is no longer the reviewer's current one."""

    def __init__(self, state: dict[str, Any]) -> None:
        super().__init__("stale")
        self.state = state


def reviewer_name(value: object) -> str:
    """A reviewer name as ``open_review`` keeps it (whitespace collapsed), checked.

    Raises
    ------
    InputError
        If the name is empty, too long or holds control characters.
    """
    if not isinstance(value, str):
        raise InputError("The reviewer name must be text; type your name.")
    name = " ".join(value.split())
    if not name:
        raise InputError("The reviewer name is empty; type your name.")
    if len(name) > MAX_REVIEWER or _CONTROL.search(name):
        raise InputError(
            f"The reviewer name is {len(name)} characters long or holds control characters; "
            f"use at most {MAX_REVIEWER} plain characters."
        )
    return name


def case_segments(case: Case, show_evidence: bool) -> list[dict[str, Any]]:
    """The narrative cut into pieces, each with the labels whose evidence covers it.

    Pieces rather than character offsets: Python counts code points and JavaScript UTF-16
    units, so offsets would drift after an emoji. The browser puts each piece in a text
    node (a ``<mark>`` for evidence), never parsing it as HTML.
    """
    text = case.text
    if not text:
        return []
    owners: list[set[str]] = [set() for _ in text] if show_evidence else []
    if show_evidence:
        for label, phrases in case.phrases().items():
            for start, end in evidence_spans(text, phrases):
                for i in range(start, min(end, len(text))):
                    owners[i].add(label)
    if not owners or not any(owners):
        return [{"text": text, "labels": []}]
    pieces: list[dict[str, Any]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or owners[i] != owners[start]:
            pieces.append({"text": text[start:i], "labels": sorted(owners[start])})
            start = i
    return pieces


class ReviewHub:
    """Review sessions by reviewer, over one store file and one queue.

    Parameters
    ----------
    template : ReviewSession
        A session made by :func:`~allegations.review._opening.open_review`: its queue,
        labels, model id, strategy and definitions are shared by every reviewer. Its store
        is closed here (each reviewer opens their own connection on the worker thread).
    default_reviewer : str
        The name the page proposes (``--reviewer`` or $USER).
    """

    def __init__(self, template: ReviewSession, *, default_reviewer: str) -> None:
        self.store_path = Path(template.store.path)
        self.queue = list(template.queue)
        self.labels = list(template.labels)
        self.model_id = template.model_id
        self.strategy = template.strategy
        self.definitions = template.definitions
        # The label design and the adjudication the terminal screen keeps: every browser
        # reviewer's session follows the same rules.
        self.single_label = template.single_label
        self.allow_none = template.allow_none
        self.answers = template.answers
        # The learning loop (--learn --web): one loop for all reviewers; each reviewer's
        # queue takes a new model's ranking on their next key.
        self.learner = template.learner
        self.default_reviewer = default_reviewer
        template.store.close()
        self._sessions: dict[str, ReviewSession] = {}
        self._versions: dict[str, int] = {}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="allegations-review")
        self._closed = False

    # -- running on the worker thread ---------------------------------------------------
    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, fn, *args)

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on the worker thread and wait for it (benchmarks, tests, shutdown)."""
        return self._worker.submit(fn, *args).result()

    async def join(self, reviewer: object) -> dict[str, Any]:
        """Start or resume ``reviewer``'s review; return the state to show."""
        name = reviewer_name(reviewer)
        return await self._run(self._join, name)

    async def press(self, reviewer: object, key: object, version: object) -> dict[str, Any]:
        """Apply one key of the terminal's (``y n s u ? q enter 0-9``) for ``reviewer``.

        Raises
        ------
        InputError
            An unknown key, or a reviewer who has not joined.
        StaleState
            ``version`` is not the reviewer's current state (another tab acted first).
        StoreError
            The decision could not be saved (nothing moved on).
        """
        name = reviewer_name(reviewer)
        if not isinstance(key, str) or key not in KEYS:
            raise InputError(
                f"Key {str(key)[:12]!r} is not a review key; use y, n, s, u, ?, q, enter or a "
                "digit."
            )
        return await self._run(self._press, name, key, version)

    async def toggle(self, reviewer: object, number: object, version: object) -> dict[str, Any]:
        """Toggle label ``number`` (1-based), the mouse's way to the digit keys."""
        name = reviewer_name(reviewer)
        if isinstance(number, bool) or not isinstance(number, int):
            raise InputError(f"Label number {str(number)[:12]!r} is not a whole number.")
        return await self._run(self._toggle, name, number, version)

    def _session(self, name: str) -> ReviewSession:
        session = self._sessions.get(name)
        if session is None:
            raise InputError(
                f"Reviewer {name!r} has not started a review here; reload the page and type "
                "the name again."
            )
        return session

    def _join(self, name: str) -> dict[str, Any]:
        if self._closed:
            raise InputError("The review server is shutting down; start it again.")
        session = self._sessions.get(name)
        if session is None:
            store = ReviewStore(self.store_path, labels=self.labels)
            try:
                session = ReviewSession(
                    store,
                    self.queue,
                    labels=self.labels,
                    model_id=self.model_id,
                    reviewer=name,
                    strategy=self.strategy,
                    definitions=self.definitions,
                    single_label=self.single_label,
                    allow_none=self.allow_none,
                    answers=self.answers,
                )
            except BaseException:
                store.close()
                raise
            session.learner = self.learner
            self._sessions[name] = session
            self._versions[name] = 0
            log.info("Reviewer joined the web review (%d reviewer(s)).", len(self._sessions))
        session.finished = False
        session.showing_definitions = False
        return self._state(name)

    def _check_version(self, name: str, version: object) -> None:
        if version is not None and version != self._versions[name]:
            state = self._state(name)
            state["status"] = (
                "This page was behind (another tab of this reviewer acted first): nothing was "
                "applied. This is the current case."
            )
            raise StaleState(state)

    def _press(self, name: str, key: str, version: object) -> dict[str, Any]:
        session = self._session(name)
        self._check_version(name, version)
        session.last_action = None
        if key == "q":
            session.showing_definitions = False
            session.finished = True
            session.status = "You left the review; every decision is saved."
        else:
            session.press(key)
        self._versions[name] += 1
        return self._state(name)

    def _toggle(self, name: str, number: int, version: object) -> dict[str, Any]:
        session = self._session(name)
        self._check_version(name, version)
        session.last_action = None
        if session.current is not None and not session.showing_definitions:
            session.toggle(number)
        self._versions[name] += 1
        return self._state(name)

    # -- what the page shows ------------------------------------------------------------
    def _state(self, name: str) -> dict[str, Any]:
        session = self._sessions[name]
        blind = session.hide_scores
        case = session.current
        labels = []
        for number, label in enumerate(session.labels, start=1):
            item: dict[str, Any] = {
                "number": number,
                "name": label,
                "checked": label in session.selection,
            }
            if case is not None and not blind:
                item["score"] = round(float(case.scores.get(label, 0.0)), 4)
                item["predicted"] = label in case.predicted
            labels.append(item)
        shown: dict[str, Any] | None = None
        if case is not None:
            shown = {
                "position": session.index + 1,
                "id": case.case_id,
                "segments": case_segments(case, not blind),
            }
            if session.answers is not None:
                shown["answers"] = [
                    {"reviewer": d.reviewer, "labels": list(d.labels)}
                    for d in session.answers.get(case.text_hash, [])
                ]
            if not blind:
                shown["confidence"] = round(float(case.confidence), 4)
                shown["predicted"] = [
                    {"name": x, "score": round(float(case.scores.get(x, 0.0)), 4)}
                    for x in case.predicted
                ]
                shown["evidence"] = bool(case.phrases())
        last = None
        if session.last_action is not None:
            kind, decision = session.last_action
            last = {
                "kind": kind,
                "seq": decision.seq,
                "case_id": decision.case_id,
                "labels": list(decision.labels),
            }
        return {
            "reviewer": name,
            "strategy": session.strategy,
            "blind": blind,
            "version": self._versions[name],
            "total": len(session.queue),
            "decided": session.n_decided,
            "remaining": session.n_remaining,
            "saved": session.n_saved,
            "undone": session.n_undone,
            "status": session.status,
            "learning": session.learn_status,
            "left": session.finished,
            "legend": session.legend,
            "labels": labels,
            "case": shown,
            "definitions": self._definitions(session) if session.showing_definitions else None,
            "last": last,
        }

    @staticmethod
    def _definitions(session: ReviewSession) -> list[dict[str, Any]]:
        book = session.definitions
        out = []
        for number, label in enumerate(session.labels, start=1):
            entry = book.get(label) if book is not None else None
            out.append(
                {
                    "number": number,
                    "name": label,
                    "definition": None if entry is None else (entry.definition or ""),
                    "include": [] if entry is None else list(entry.include),
                    "exclude": [] if entry is None else list(entry.exclude),
                }
            )
        return out

    # -- totals and shutdown ------------------------------------------------------------
    def totals(self) -> dict[str, int]:
        """Decisions saved and undone this run, over every reviewer, and the reviewers."""
        sessions = list(self._sessions.values())
        return {
            "reviewers": len(sessions),
            "saved": sum(s.n_saved for s in sessions),
            "undone": sum(s.n_undone for s in sessions),
        }

    def close(self) -> None:
        """Close every reviewer's store connection (every decision is already committed)."""
        if self._closed:
            return
        self._closed = True

        def close_all() -> None:
            for session in self._sessions.values():
                session.store.close()

        self.run_sync(close_all)
        self._worker.shutdown(wait=True)
