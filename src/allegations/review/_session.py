"""The review session: the queue, the keys, and the decisions they commit.

Nothing here touches the terminal: :class:`ReviewSession` takes key names and updates its
state, committing each decision to the :class:`~allegations.review._store.ReviewStore`
before it moves on. ``allegations review`` (``cli/review.py``) reads the keys, renders
the session's state and writes the screens.

The model runs once, in :func:`~allegations.review._opening.open_review`, which builds the
session; moving from case to case only reads the precomputed probabilities.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..training import Codebook
from ._cases import (
    Case,
)
from ._store import Decision, ReviewStore

if TYPE_CHECKING:
    from ._learn import Learner

__all__ = ["AUDIT_LEGEND", "LEGEND", "ReviewSession", "safe"]

log = logging.getLogger(__name__)

#: The keys, written verbatim under every screen (review with the model's call in view).
LEGEND = (
    "[y] accept  [n] none apply  [1-9] toggle label  [enter] save  [s] skip  [u] undo  "
    "[?] definitions  [q] quit"
)
#: The keys of a blind audit or an adjudication: the model's call is no default to accept,
#: and "none apply" is a key of its own (enter with nothing checked saves nothing).
AUDIT_LEGEND = (
    "[1-9] check label  [enter] save checked  [n] none apply  [s] skip  [u] undo  "
    "[?] definitions  [q] quit"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(value: str) -> str:
    """``value`` with terminal control characters (escape sequences) replaced by spaces.

    One character for one, so evidence spans found in the original text still line up.
    """
    return _CONTROL.sub(" ", value)


class ReviewSession:
    """The state of one review: queue, position, selection; keys in, decisions stored.

    Parameters
    ----------
    store : ReviewStore
    queue : list of Case
        The cases in review order (cases the reviewer already decided are passed over).
    labels : list of str
        The model's labels, numbered from 1 on screen.
    model_id, reviewer, strategy : str
        Recorded with every decision.
    definitions : Codebook, optional
        Shown by ``?``.
    single_label : bool
        The model gives exactly one label per case: a digit chooses that label, and a
        decision holds exactly one label (or none, when ``allow_none``).
    allow_none : bool
        "None apply" is an answer (multi-label models; single-label models whose training
        data had cases outside the codebook).
    answers : dict, optional
        Adjudication: the disagreeing reviewers' decisions per text hash, shown on screen;
        the session's decisions are recorded with the role "adjudicator".
    """

    def __init__(
        self,
        store: ReviewStore,
        queue: list[Case],
        *,
        labels: Sequence[str],
        model_id: str,
        reviewer: str,
        strategy: str,
        definitions: Codebook | None = None,
        single_label: bool = False,
        allow_none: bool = True,
        answers: dict[str, list[Decision]] | None = None,
    ) -> None:
        self.store = store
        self.queue = list(queue)
        self.labels = list(labels)
        self.model_id = model_id
        self.reviewer = reviewer
        self.strategy = strategy
        self.definitions = definitions
        self.single_label = single_label
        self.allow_none = allow_none or not single_label
        self.answers = answers
        self.role = "adjudicator" if answers is not None else "reviewer"
        self.blind = strategy == "audit" or answers is not None
        self.hide_scores = self.blind
        # The audit needs blind answers: only audit decisions count as done there.
        self._decided_under = "audit" if strategy == "audit" else None
        self.decided = store.decided_hashes(reviewer, self._decided_under)
        self.skipped: set[str] = set()
        self.n_saved = 0
        self.n_undone = 0
        #: The latest save or undo: ("saved", the decision) or ("undid", the undone decision).
        self.last_action: tuple[str, Decision] | None = None
        self.status = ""
        self.showing_definitions = False
        self.finished = False
        #: The page of a long narrative on screen (space turns it; a new case starts at 0).
        self.page = 0
        self.selection: list[str] = []
        self._pending: str | None = None
        self.index = -1
        self._queue_hashes = {c.text_hash for c in self.queue}
        #: The learning loop (``review --learn``), which re-ranks the queue as models arrive.
        self.learner: Learner | None = None
        self._generation = 0
        self._advance(0)
        if self.n_decided:
            self.status = (
                f"Resumed: {self.n_decided} case(s) of this queue were already decided by "
                f"{reviewer}."
            )

    @property
    def legend(self) -> str:
        """The keys of this session, written verbatim under every screen."""
        text = AUDIT_LEGEND if self.blind else LEGEND
        if self.single_label:
            text = text.replace("[1-9] check label", "[1-9] choose label").replace(
                "[1-9] toggle label", "[1-9] choose label"
            )
            if not self.allow_none:
                text = text.replace("  [n] none apply", "").replace("[n] none apply  ", "")
        return text

    # -- state --------------------------------------------------------------------------
    @property
    def current(self) -> Case | None:
        """The case on screen, or None when the queue is done."""
        return self.queue[self.index] if 0 <= self.index < len(self.queue) else None

    @property
    def n_decided(self) -> int:
        """Cases of the queue this reviewer has a standing decision on."""
        return len(self.decided & self._queue_hashes)

    @property
    def n_remaining(self) -> int:
        """Distinct cases of the queue not yet decided by this reviewer (skipped included)."""
        return len(self._queue_hashes) - self.n_decided

    def case_strategy(self, case: Case) -> str:
        """The strategy a decision on ``case`` is recorded under (an adjudication takes the
        strategy of the answers it settles, so a settled audit case stays in the audit)."""
        if self.answers is not None:
            given = self.answers.get(case.text_hash, [])
            if any(d.strategy == "audit" for d in given):
                return "audit"
            if given:
                return given[-1].strategy
        return self.strategy

    def _advance(self, start: int) -> None:
        for i in range(start, len(self.queue)):
            h = self.queue[i].text_hash
            if h not in self.decided and h not in self.skipped:
                self._show(i)
                return
        self.index = len(self.queue)
        self.selection = []

    def _show(self, i: int) -> None:
        self.index = i
        case = self.queue[i]
        self.selection = [] if self.blind else list(case.predicted)
        self._pending = None
        self.page = 0

    @property
    def learn_status(self) -> str:
        """The learning loop's one-line status ("" without ``--learn``)."""
        return self.learner.status() if self.learner is not None else ""

    # -- the learning loop --------------------------------------------------------------
    def refresh(self) -> bool:
        """Take a new model's ranking if the loop has one (never waits); True if re-ranked."""
        learner = self.learner
        if learner is None:
            return False
        learner.poll()
        if learner.generation == self._generation:
            return False
        self._generation = learner.generation
        self.requeue(learner.upcoming(), limit=learner.limit)
        return True

    def requeue(self, upcoming: Sequence[Case], *, limit: int | None = None) -> None:
        """Replace the cases after the one on screen with ``upcoming`` (best first).

        The case on screen and the ones before it stay as they are; cases this reviewer
        decided are left out; with ``limit`` the queue holds at most that many cases.
        """
        head = self.queue[: self.index + 1] if self.current is not None else list(self.queue)
        seen = {c.text_hash for c in head}
        rest = [c for c in upcoming if c.text_hash not in seen and c.text_hash not in self.decided]
        if limit is not None:
            rest = rest[: max(limit - len(head), 0)]
        self.queue = head + rest
        self._queue_hashes = {c.text_hash for c in self.queue}
        if self.current is None:
            self._advance(len(head))

    # -- keys ---------------------------------------------------------------------------
    def press(self, key: str) -> None:
        """Apply one key: ``y n s u ? q``, ``enter``, or a digit."""
        self.refresh()
        if self.showing_definitions:
            self.showing_definitions = False
            return
        if key == "q":
            self.finished = True
            return
        if key == "?":
            self.showing_definitions = True
            return
        if key == "u":
            self.undo()
            return
        case = self.current
        if case is None:
            self.status = "This queue is done: [u] undo the last decision or [q] quit."
            return
        if len(key) == 1 and key in "0123456789":
            self._digit(key)
        elif key == "y" and self.blind:
            self.status = (
                "The model's call is hidden and is no answer here: check the labels that apply "
                "with 1-9 and press enter" + (", or press n if none apply." if self.allow_none
                                             else ".")
            )  # fmt: skip
        elif key == "y":
            self.save(case.predicted)
        elif key == "n":
            if not self.allow_none:
                self.status = (
                    "This model gives exactly one label per case: choose one with 1-9, then enter."
                )
                return
            self.save([])
        elif key == "enter":
            if not self.selection and (self.blind or not self.allow_none):
                self.status = "No label is checked: check one with 1-9" + (
                    ", or press n if none apply." if self.allow_none else "."
                )
                return
            self.save(self.selection)
        elif key == " ":  # the next page of a long narrative (the screen wraps around)
            self.page += 1
            self.status = ""
        elif key == "s":
            self.skipped.add(case.text_hash)
            self.status = f"Skipped case {safe(case.case_id)}; it comes back on the next run."
            self._advance(self.index + 1)
        else:
            self.status = f"Key {safe(key)!r} does nothing here; see the keys below."

    def _digit(self, key: str) -> None:
        if self._pending is not None:
            self._pending += key
            if len(self._pending) < 2:
                self.status = f"Label number: {self._pending}_"
                return
            number, self._pending = int(self._pending), None
            self.toggle(number)
        elif key == "0" and len(self.labels) > 9:
            self._pending = ""
            self.status = "Label number: __ (type two digits)"
        else:
            self.toggle(int(key))

    def toggle(self, number: int) -> None:
        """Add or remove label ``number`` (1-based) in the current selection."""
        if not 1 <= number <= len(self.labels):
            self.status = f"There is no label {number}; labels are 1-{len(self.labels)}."
            return
        label = self.labels[number - 1]
        if label in self.selection:
            self.selection.remove(label)
        elif self.single_label:
            self.selection = [label]  # one label per case: choosing one replaces the other
        else:
            self.selection.append(label)
        self.selection.sort(key=self.labels.index)
        self.status = ""

    def save(self, labels: Sequence[str]) -> None:
        """Commit a decision on the current case, then move to the next case."""
        case = self.current
        if case is None:
            return
        if self.single_label and len(labels) > 1:
            self.status = f"This model gives exactly one label per case, not {len(labels)}."
            return
        decision = self.store.record(
            case_id=case.case_id,
            text=case.text,
            labels=labels,
            predicted=case.scores,
            predicted_labels=case.predicted,
            model_id=case.model_id or self.model_id,
            reviewer=self.reviewer,
            strategy=self.case_strategy(case),
            thash=case.text_hash,
            role=self.role,
        )
        self.decided.add(case.text_hash)
        self.n_saved += 1
        self.last_action = ("saved", decision)
        shown = "; ".join(decision.labels) or "none apply"
        self.status = f"Saved case {safe(case.case_id)}: {shown} (decision #{decision.seq})."
        self._advance(self.index + 1)
        if self.learner is not None:
            self.learner.note_decision(self)
            self.refresh()

    def undo(self) -> None:
        """Record an undo of this reviewer's latest decision and show that case again."""
        target = self.store.undo_last(self.reviewer, self.strategy)
        if target is None:
            self.status = "Nothing to undo."
            return
        self.n_undone += 1
        self.last_action = ("undid", target)
        self.decided = self.store.decided_hashes(self.reviewer, self._decided_under)
        where = next((i for i, c in enumerate(self.queue) if c.text_hash == target.text_hash), None)
        if where is None:  # decided in an earlier session, outside this queue
            text = self.store.texts([target.text_hash]).get(target.text_hash, "")
            scores = {k: float(v) for k, v in target.predicted.items()}
            self.queue.insert(
                max(self.index, 0),
                Case(
                    case_id=target.case_id,
                    text=text,
                    text_hash=target.text_hash,
                    scores=scores,
                    predicted=list(target.predicted_labels),
                    confidence=min((abs(2 * p - 1) for p in scores.values()), default=1.0),
                ),
            )
            where = max(self.index, 0)
            self._queue_hashes.add(target.text_hash)
        self.skipped.discard(target.text_hash)
        self._show(where)
        shown = "; ".join(target.labels) or "none apply"
        self.status = f"Undid decision #{target.seq} on case {safe(target.case_id)} (was: {shown})."
