"""The terminal review screen: keys in, screens out (``allegations review``).

Keys are read one at a time with the standard library (termios/tty cbreak mode on POSIX,
msvcrt on Windows): no extra dependency, and nothing between the key and the store. Each
screen (:func:`build_screen`, from the session's state) is rendered by rich into a buffer
and written in one piece; the legend is written verbatim below it.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import sys
from collections.abc import Iterator
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from ..review import Case, ReviewSession, SuspectCase, evidence_spans, safe

__all__ = ["build_screen", "definitions_screen", "raw_keys", "render", "run_terminal"]

CLEAR = "\x1b[H\x1b[2J"
HIGHLIGHT = "bold reverse"
ENTER_ALT, LEAVE_ALT = "\x1b[?1049h\x1b[?25l", "\x1b[?25h\x1b[?1049l"



@contextlib.contextmanager
def raw_keys() -> Iterator[Any]:
    """Yield a function that waits for one key and returns its name.

    Names: the character itself, ``enter``, ``escape`` (arrows and other sequences), and
    ``q`` at end of input. Given a timeout in seconds, the function returns None when no
    key came in that time (POSIX; on Windows it waits for a key).
    """
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import msvcrt

        def read_windows(timeout: float | None = None) -> str:
            ch = msvcrt.getwch()  # type: ignore[attr-defined,unused-ignore]
            if ch in ("\x00", "\xe0"):
                msvcrt.getwch()  # type: ignore[attr-defined,unused-ignore]
                return "escape"
            if ch == "\x03":
                raise KeyboardInterrupt
            return "enter" if ch in ("\r", "\n") else ch

        yield read_windows
        return

    import select
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)  # no echo, no line buffering; Ctrl-C still interrupts

    def read_posix(timeout: float | None = None) -> str | None:
        if timeout is not None and not select.select([fd], [], [], timeout)[0]:
            return None
        first = os.read(fd, 1)
        if not first or first == b"\x04":
            return "q"
        if first in (b"\r", b"\n"):
            return "enter"
        if first == b"\x1b":
            while select.select([fd], [], [], 0.02)[0]:
                os.read(fd, 16)
            return "escape"
        data = first
        while True:  # a multi-byte UTF-8 character
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                if len(data) >= 4:
                    return "escape"
                data += os.read(fd, 1)

    try:
        yield read_posix
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _narrative(case: Case, show_evidence: bool) -> Text:
    text = Text(safe(case.text) or "(empty narrative)")
    if show_evidence:
        for phrases in case.phrases().values():
            for start, end in evidence_spans(case.text, phrases):
                text.stylize(HIGHLIGHT, start, end)
    return text


def _lines(part: RenderableType, width: int) -> int:
    """The terminal lines ``part`` takes at ``width`` columns."""
    return len(Console(width=width).render_lines(part, pad=False))


def _page(text: Text, width: int, rows: int, page: int) -> tuple[Text, int, int]:
    """Page ``page`` (wrapping around) of ``text`` wrapped at ``width``, ``rows`` lines a
    page: the page's text, its index and the number of pages."""
    wrapped = text.wrap(Console(width=width), width)
    n_pages = max(1, -(-len(wrapped) // rows))
    k = page % n_pages
    return Text("\n").join(wrapped[k * rows : (k + 1) * rows]), k, n_pages


#: The fewest narrative lines a page shows, however many labels there are.
MIN_PAGE_LINES = 3


def build_screen(
    session: ReviewSession, height: int | None = None, width: int = 100
) -> RenderableType:
    """The screen for the session's state: a case, the definitions, or the end of the queue.

    The legend is not part of it: the terminal front end writes the session's
    :attr:`~allegations.review._session.ReviewSession.legend` verbatim below every screen.
    With ``height`` (the terminal's lines) a narrative too long for the screen is shown a
    page at a time (space turns the page), so that the header above it and the labels and
    legend below it stay in view; ``width`` is the terminal's columns.
    """
    if session.showing_definitions:
        return definitions_screen(session)
    columns = width
    case = session.current
    total = len(session.queue)
    decided = session.n_decided
    head = Text(
        f"allegations review · {session.strategy} · reviewer {session.reviewer} · "
        f"{decided} of {total} decided · {session.n_saved} saved this session",
        style="bold",
    )
    parts: list[RenderableType] = [head]
    if session.learner is not None:
        parts.append(Text(f"learning: {session.learn_status}", style="dim"))
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
        at = len(parts)
        which = (
            "Choose the one label that applies."
            if session.single_label
            else "Check every label that applies."
        )
        if session.answers is not None:
            parts.append(Text(f"Adjudication: settle the reviewers' answers. {which}"))
            for d in session.answers.get(case.text_hash, []):
                given = "; ".join(d.labels) or "none apply"
                parts.append(Text(f"  {safe(d.reviewer)}: {given}"))
        elif session.hide_scores:
            parts.append(Text(f"Audit: the model's view is hidden. {which}"))
        else:
            called = ", ".join(f"{x} {case.scores[x]:.2f}" for x in case.predicted) or "no label"
            source = {"codebook": "Codebook suggests", "suspects": "Suggested"}.get(
                session.strategy, "Model predicts"
            )
            if isinstance(case, SuspectCase):
                given = ", ".join(case.given) or "no label"
                parts.append(Text(f"Given: {given} · out of fold: {case.why}"))
            parts.append(Text(f"{source}: {called}"))
            if case.phrases():
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
        parts.insert(at, _narrative_panel(session, case, parts, height, columns))
    parts.append(Text(session.status or " "))
    return Group(*parts)


def _narrative_panel(
    session: ReviewSession,
    case: Case,
    others: list[RenderableType],
    height: int | None,
    width: int,
) -> Panel:
    """The narrative in a panel; with ``height``, the page of it that fits the screen
    between the other parts, the status line and the legend."""
    text = _narrative(case, not session.hide_scores)
    if height is None:
        return Panel(text, title="narrative", title_align="left")
    used = sum(_lines(p, width) for p in [*others, Text(session.status or " ")])
    used += _lines(Text(session.legend), width) + 1  # + the legend and the line the cursor rests on
    rows = max(MIN_PAGE_LINES, height - used - 2)  # - the panel's top and bottom border
    shown, k, n_pages = _page(text, max(width - 4, 10), rows, session.page)
    title = "narrative"
    if n_pages > 1:
        title = f"narrative · page {k + 1} of {n_pages} · [space] next page"
    return Panel(shown, title=Text(title), title_align="left")


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


def render(session: ReviewSession) -> str:
    """The whole screen as one string: clear, the rich screen, the legend."""
    size = shutil.get_terminal_size((100, 40))
    width = min(size.columns, 120)
    buffer = io.StringIO()
    Console(file=buffer, width=width, force_terminal=True, highlight=False, emoji=False).print(
        build_screen(session, height=size.lines, width=width)
    )
    return CLEAR + buffer.getvalue() + session.legend + "\n"


def run_terminal(session: ReviewSession) -> None:
    """Show screens and apply keys until the reviewer quits."""
    out = sys.stdout

    def on_signal(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    catch = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {s: signal.signal(s, on_signal) for s in catch}
    out.write(ENTER_ALT)
    try:
        with raw_keys() as read_key:
            shown = None
            # With the learning loop the screen also changes without a key (a model comes
            # in): look every second, and redraw only what changed.
            wait = 1.0 if session.learner is not None else None
            while not session.finished:
                screen = render(session)
                if screen != shown:
                    out.write(screen)
                    out.flush()
                    shown = screen
                key = read_key(wait)
                if key is None:
                    session.refresh()
                    continue
                session.press(key)
    finally:
        out.write(LEAVE_ALT)
        out.flush()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
