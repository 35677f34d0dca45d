"""The review session: the queue of cases, the keys, and what each screen shows.

Nothing here touches the terminal: :class:`ReviewSession` takes key names and updates its
state (committing each decision to the :class:`~allegations.review_store.ReviewStore`
before it moves on), and :func:`build_screen` turns that state into a rich renderable.
``allegations review`` (``cli/review.py``) reads the keys and writes the screens.

The model runs once, when the session is prepared; moving from case to case only reads
the precomputed probabilities.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from .codebook import Codebook
from .errors import InputError, StoreError
from .io import load_table, require_column
from .persistence import load_model
from .review_store import AuditDesign, ReviewStore, text_hash
from .tagger import Tagger

__all__ = [
    "AUDIT_EDGES",
    "Case",
    "LEGEND",
    "ReviewSession",
    "STRATEGIES",
    "build_screen",
    "definitions_screen",
    "draw_audit",
    "evidence_spans",
    "load_cases",
    "open_review",
    "order_cases",
    "parse_evidence",
]

log = logging.getLogger(__name__)

LEGEND = (
    "[y] accept  [n] none apply  [1-9] toggle label  [enter] save  [s] skip  [u] undo  "
    "[?] definitions  [q] quit"
)
STRATEGIES = ("uncertain", "audit", "random")
#: Confidence bands of the audit sample (confidence = min over labels of |2p - 1|).
AUDIT_EDGES = (0.0, 0.25, 0.5, 0.75, 1.0)
DEFAULT_AUDIT_SIZE = 200
HIGHLIGHT = "bold reverse"


@dataclass
class Case:
    """One narrative with the model's view of it."""

    case_id: str
    text: str
    text_hash: str
    scores: dict[str, float]
    predicted: list[str]
    confidence: float
    evidence: dict[str, list[str]] = field(default_factory=dict)


# -- evidence ---------------------------------------------------------------------------
_EVIDENCE_ITEM = re.compile(r'\s*([^:|]+?)\s*:\s*"((?:[^"\\]|\\.)*)"\s*')


def parse_evidence(value: Any) -> dict[str, list[str]]:
    """Parse an ``evidence`` cell (``label: "phrase" | label: "phrase"``) into phrases per label.

    Empty or missing values give ``{}``; items that do not parse are ignored.
    """
    if value is None or (isinstance(value, float) and value != value):
        return {}
    if isinstance(value, dict):  # JSON Lines output may nest it
        return {
            str(k): [str(p) for p in (v if isinstance(v, list) else [v])] for k, v in value.items()
        }
    out: dict[str, list[str]] = {}
    for part in str(value).split(" | "):
        match = _EVIDENCE_ITEM.fullmatch(part)
        if match and match.group(2).strip():
            phrase = match.group(2).replace('\\"', '"')
            out.setdefault(match.group(1), []).append(phrase)
    return out


def evidence_spans(text: str, phrases: Sequence[str]) -> list[tuple[int, int]]:
    """Character spans of every case-insensitive occurrence of ``phrases`` in ``text``."""
    spans: list[tuple[int, int]] = []
    folded = text.casefold()
    for phrase in phrases:
        needle = phrase.casefold().strip()
        if not needle or len(needle) != len(phrase.strip()):
            continue
        start = folded.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + 1)
    return sorted(spans)


# -- cases and queues -------------------------------------------------------------------
def load_cases(
    data_path: str | Path,
    model: Tagger,
    *,
    text_col: str = "text",
    id_col: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
) -> list[Case]:
    """Read a table and run the model once over it; return one :class:`Case` per row.

    Raises
    ------
    InputError, ColumnError
        If the table cannot be read, lacks a column, or has repeated ids.
    """
    data_path = Path(data_path)
    df = load_table(data_path, sheet=sheet, encoding=encoding)
    require_column(df, text_col, data_path.name, "--text-col")
    if id_col is not None:
        require_column(df, id_col, data_path.name, "--id-col")
        ids = df[id_col].astype(str).tolist()
    else:
        ids = [str(i) for i in range(1, len(df) + 1)]
    if not ids:
        raise InputError(f"{data_path.name} has no data rows; pass a table with narratives.")
    seen: set[str] = set()
    repeated = [i for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]
    if repeated:
        raise InputError(
            f"Column '{id_col}' of {data_path.name} repeats {len(repeated)} id(s) (first: "
            f"{repeated[0]!r}); review needs one id per case. Pass another --id-col."
        )
    texts = ["" if t is None else str(t) for t in df[text_col].tolist()]
    # A model that can cite evidence (an ``evidence`` argument or column) gets it shown.
    predict: Any = model.predict
    if "evidence" in inspect.signature(predict).parameters:
        frame = predict(texts, ids=ids, evidence=True)
    else:
        frame = predict(texts, ids=ids)
    columns = [f"p_{label}" for label in model.labels]
    proba = frame[columns].to_numpy(dtype=float)
    conf = frame["confidence"].to_numpy(dtype=float)
    evidence = frame["evidence"].tolist() if "evidence" in frame.columns else [None] * len(ids)
    cases = []
    for i, (cid, text) in enumerate(zip(ids, texts, strict=True)):
        cases.append(
            Case(
                case_id=cid,
                text=text,
                text_hash=text_hash(text),
                scores={label: float(p) for label, p in zip(model.labels, proba[i], strict=True)},
                predicted=[s for s in str(frame["labels"].iat[i]).split(";") if s],
                confidence=float(conf[i]),
                evidence=parse_evidence(evidence[i]),
            )
        )
    return cases


def case_confidence(case: Case, label: str | None) -> float:
    """The confidence that orders the queue: the case's, or ``|2p - 1|`` of one label."""
    if label is None:
        return case.confidence
    return abs(2.0 * case.scores[label] - 1.0)


def order_cases(
    cases: Sequence[Case],
    strategy: str,
    *,
    label: str | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> list[int]:
    """Positions of ``cases`` in review order for ``uncertain`` or ``random``.

    ``uncertain``: least confident first (ties in file order). ``random``: a seeded
    shuffle. ``limit`` keeps the first N of that order, so a rerun with the same options
    walks the same queue.
    """
    if strategy == "uncertain":
        conf = np.array([case_confidence(c, label) for c in cases])
        order = np.argsort(conf, kind="stable").tolist()
    elif strategy == "random":
        order = np.random.default_rng(seed).permutation(len(cases)).tolist()
    else:
        raise InputError(f"Unknown strategy {strategy!r}; choose one of uncertain, random, audit.")
    return [int(i) for i in order[:limit]] if limit is not None else [int(i) for i in order]


def release_fingerprint(cases: Sequence[Case], label: str | None) -> str:
    """A hash of the release's ids and texts (and the banding label)."""
    digest = hashlib.sha256(f"label={label or ''}\n".encode())
    for case in cases:
        digest.update(f"{case.case_id}\t{case.text_hash}\n".encode())
    return digest.hexdigest()


def allocate(sizes: Sequence[int], total: int) -> list[int]:
    """Split ``total`` draws as evenly as possible over strata of ``sizes`` (capped by size)."""
    alloc = [0] * len(sizes)
    left = min(total, sum(sizes))
    while left > 0:
        open_strata = [h for h, n in enumerate(sizes) if alloc[h] < n]
        share = max(1, left // len(open_strata))
        for h in open_strata:
            take = min(share, sizes[h] - alloc[h], left)
            alloc[h] += take
            left -= take
            if left == 0:
                break
    return alloc


def draw_audit(
    cases: Sequence[Case],
    *,
    size: int = DEFAULT_AUDIT_SIZE,
    label: str | None = None,
    seed: int = 0,
    edges: Sequence[float] = AUDIT_EDGES,
) -> AuditDesign:
    """Draw a stratified random sample across confidence bands.

    Each case falls in the band of its confidence (``edges``); ``size`` draws are split
    evenly over the bands (a band smaller than its share gives all its cases, the rest
    goes to the others) and drawn without replacement with ``seed``; the sample is then
    shuffled so that the order gives no hint of the band.
    """
    conf = np.array([case_confidence(c, label) for c in cases])
    bands = np.searchsorted(np.asarray(edges[1:-1]), conf, side="right")
    n_bands = len(edges) - 1
    sizes = [int((bands == h).sum()) for h in range(n_bands)]
    alloc = allocate(sizes, size)
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for h in range(n_bands):
        members = np.flatnonzero(bands == h)
        if alloc[h]:
            chosen.extend(int(i) for i in rng.choice(members, size=alloc[h], replace=False))
    order = rng.permutation(len(chosen))
    return AuditDesign(
        case_ids=[c.case_id for c in cases],
        text_hashes=[c.text_hash for c in cases],
        bands=[int(b) for b in bands],
        predicted=[list(c.predicted) for c in cases],
        sample=[chosen[i] for i in order],
        edges=[float(e) for e in edges],
        fingerprint=release_fingerprint(cases, label),
        seed=seed,
        label=label or "",
    )


# -- the session ------------------------------------------------------------------------
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
    ) -> None:
        self.store = store
        self.queue = list(queue)
        self.labels = list(labels)
        self.model_id = model_id
        self.reviewer = reviewer
        self.strategy = strategy
        self.definitions = definitions
        self.hide_scores = strategy == "audit"
        # The audit needs blind answers: only audit decisions count as done there.
        self._decided_under = "audit" if self.hide_scores else None
        self.decided = store.decided_hashes(reviewer, self._decided_under)
        self.skipped: set[str] = set()
        self.n_saved = 0
        self.n_undone = 0
        self.status = ""
        self.showing_definitions = False
        self.finished = False
        self.selection: list[str] = []
        self._pending: str | None = None
        self.index = -1
        self._queue_hashes = {c.text_hash for c in self.queue}
        self._advance(0)
        if self.n_decided:
            self.status = (
                f"Resumed: {self.n_decided} case(s) of this queue were already decided by "
                f"{reviewer}."
            )

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
        self.selection = [] if self.hide_scores else list(case.predicted)
        self._pending = None

    # -- keys ---------------------------------------------------------------------------
    def press(self, key: str) -> None:
        """Apply one key: ``y n s u ? q``, ``enter``, or a digit."""
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
        elif key == "y":
            self.save(self.selection if self.hide_scores else case.predicted)
        elif key == "n":
            self.save([])
        elif key == "enter":
            self.save(self.selection)
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
        else:
            self.selection.append(label)
        self.selection.sort(key=self.labels.index)
        self.status = ""

    def save(self, labels: Sequence[str]) -> None:
        """Commit a decision on the current case, then move to the next case."""
        case = self.current
        if case is None:
            return
        decision = self.store.record(
            case_id=case.case_id,
            text=case.text,
            labels=labels,
            predicted=case.scores,
            predicted_labels=case.predicted,
            model_id=self.model_id,
            reviewer=self.reviewer,
            strategy=self.strategy,
            thash=case.text_hash,
        )
        self.decided.add(case.text_hash)
        self.n_saved += 1
        shown = "; ".join(decision.labels) or "none apply"
        self.status = f"Saved case {safe(case.case_id)}: {shown} (decision #{decision.seq})."
        self._advance(self.index + 1)

    def undo(self) -> None:
        """Record an undo of this reviewer's latest decision and show that case again."""
        target = self.store.undo_last(self.reviewer, self.strategy)
        if target is None:
            self.status = "Nothing to undo."
            return
        self.n_undone += 1
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


def open_review(
    data_path: str | Path,
    model: Tagger | str | Path,
    store_path: str | Path,
    *,
    text_col: str = "text",
    id_col: str | None = None,
    reviewer: str = "reviewer",
    label: str | None = None,
    strategy: str = "uncertain",
    limit: int | None = None,
    seed: int = 0,
    sheet: str | None = None,
    encoding: str | None = None,
) -> ReviewSession:
    """Load the model and data, run the model once, build the queue and open the store.

    Returns
    -------
    ReviewSession
        Positioned on the first case the reviewer has not decided.

    Raises
    ------
    ModelError, InputError, ColumnError, StoreError
    """
    if strategy not in STRATEGIES:
        raise InputError(f"Unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}.")
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1, not {limit}.")
    reviewer = " ".join(str(reviewer).split())
    if not reviewer:
        raise InputError("The reviewer name is empty; pass --reviewer NAME.")
    if not isinstance(model, Tagger):
        model = load_model(model)
    if label is not None:
        match = [x for x in model.labels if x.casefold() == label.casefold()]
        if not match:
            raise InputError(
                f"Label '{label}' is not one of the model's labels ({', '.join(model.labels)}); "
                "pass one of those to --label."
            )
        label = match[0]
    store = ReviewStore(store_path, labels=model.labels)
    try:
        cases = load_cases(
            data_path, model, text_col=text_col, id_col=id_col, sheet=sheet, encoding=encoding
        )
        if strategy == "audit":
            design = store.audit_design()
            if design is None:
                design = draw_audit(cases, size=limit or DEFAULT_AUDIT_SIZE, label=label, seed=seed)
                store.save_audit_design(design)
            elif design.fingerprint != release_fingerprint(cases, label):
                raise StoreError(
                    f"Review store {store_path} already holds an audit of another release "
                    "(other ids or texts, or another --label); audit this release in a new "
                    "--store."
                )
            elif limit is not None and limit != len(design.sample):
                log.warning(
                    "This store's audit sample has %d cases; --limit %d is ignored.",
                    len(design.sample),
                    limit,
                )
            queue = [cases[i] for i in design.sample]
        else:
            order = order_cases(cases, strategy, label=label, limit=limit, seed=seed)
            queue = [cases[i] for i in order]
        codebook = model.card.get("codebook")
        return ReviewSession(
            store,
            queue,
            labels=model.labels,
            model_id=model.model_id,
            reviewer=reviewer,
            strategy=strategy,
            definitions=Codebook.from_dict(codebook) if codebook else None,
        )
    except BaseException:
        store.close()
        raise


# -- screens ----------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(value: str) -> str:
    """``value`` with terminal control characters (escape sequences) replaced by spaces.

    One character for one, so evidence spans found in the original text still line up.
    """
    return _CONTROL.sub(" ", value)


def _narrative(case: Case, show_evidence: bool) -> Text:
    text = Text(safe(case.text) or "(empty narrative)")
    if show_evidence:
        for phrases in case.evidence.values():
            for start, end in evidence_spans(case.text, phrases):
                text.stylize(HIGHLIGHT, start, end)
    return text


def build_screen(session: ReviewSession) -> RenderableType:
    """The screen for the session's state: a case, the definitions, or the end of the queue.

    The legend is not part of it: the terminal front end writes :data:`LEGEND` verbatim
    below every screen.
    """
    if session.showing_definitions:
        return definitions_screen(session)
    case = session.current
    total = len(session.queue)
    decided = session.n_decided
    head = Text(
        f"allegations review · {session.strategy} · reviewer {session.reviewer} · "
        f"{decided} of {total} decided · {session.n_saved} saved this session",
        style="bold",
    )
    parts: list[RenderableType] = [head]
    if case is None:
        if session.n_remaining:
            end = (
                f"\nEnd of the queue: {session.n_remaining} case(s) not decided (skipped); "
                "they come back on the next run.\n"
            )
        else:
            end = "\nEvery case in this queue is decided.\n"
        parts.append(Text(end))
    else:
        where = f"case {session.index + 1} of {total} · id {safe(case.case_id)}"
        if not session.hide_scores:
            where += f" · confidence {case.confidence:.2f}"
        parts.append(Text(where))
        parts.append(
            Panel(_narrative(case, not session.hide_scores), title="narrative", title_align="left")
        )
        if session.hide_scores:
            parts.append(Text("Audit: the model's view is hidden. Check every label that applies."))
        else:
            called = ", ".join(f"{x} {case.scores[x]:.2f}" for x in case.predicted) or "no label"
            parts.append(Text(f"Model predicts: {called}"))
            if case.evidence:
                parts.append(Text("Evidence is highlighted in the narrative.", style="dim"))
        width = max(len(x) for x in session.labels)
        for j, label in enumerate(session.labels, start=1):
            mark = "x" if label in session.selection else " "
            line = Text(f" [{mark}] {j:>2} {label:<{width}}")
            if not session.hide_scores:
                line.append(f"  {case.scores[label]:.2f}", style="dim")
                if label in case.predicted:
                    line.append("  model: yes", style="bold")
            parts.append(line)
        if len(session.labels) > 9:
            parts.append(Text("Labels 10 and up: press 0, then the two-digit number.", style="dim"))
    parts.append(Text(session.status or " "))
    return Group(*parts)


def definitions_screen(session: ReviewSession) -> RenderableType:
    """The codebook definitions of the labels (any key returns to the case)."""
    title = Text("Label definitions (press any key to go back)", style="bold")
    parts: list[RenderableType] = [title]
    book = session.definitions
    for j, label in enumerate(session.labels, start=1):
        entry = book.get(label) if book is not None else None
        parts.append(Text(f"{j:>2} {label}", style="bold"))
        if entry is None:
            parts.append(Text("    (no definition: the model was trained without a codebook)"))
            continue
        parts.append(Text(safe(f"    {entry.definition or '(no definition text)'}")))
        if entry.include:
            parts.append(Text(safe(f"    include: {'; '.join(entry.include)}")))
        if entry.exclude:
            parts.append(Text(safe(f"    exclude: {'; '.join(entry.exclude)}")))
    return Group(*parts)
