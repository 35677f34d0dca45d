"""``allegations review``: the keyboard-driven terminal review.

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
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from ..batch.workflows import LabelSpec
from ..review.cases import Case, evidence_spans
from ..review.cold import open_codebook_review
from ..review.fix import SuspectCase, open_suspects_review
from ..review.session import LEGEND, ReviewSession, open_review, safe
from ..training.codebook import load_codebook
from ._app import (
    Encoding,
    IdCol,
    LabelsCol,
    LabelSep,
    Sheet,
    TextCol,
    app,
    console,
    errors_to_exit,
    fail,
    setup_logging,
)

CLEAR = "\x1b[H\x1b[2J"
HIGHLIGHT = "bold reverse"
ENTER_ALT, LEAVE_ALT = "\x1b[?1049h\x1b[?25l", "\x1b[?25h\x1b[?1049l"


class Strategy(str, Enum):
    uncertain = "uncertain"
    audit = "audit"
    random = "random"
    balanced = "balanced"
    mixed = "mixed"
    default = "default"
    suspects = "suspects"


@contextlib.contextmanager
def raw_keys() -> Iterator[Any]:
    """Yield a function that waits for one key and returns its name.

    Names: the character itself, ``enter``, ``escape`` (arrows and other sequences), and
    ``q`` at end of input.
    """
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import msvcrt

        def read_windows() -> str:
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

    def read_posix() -> str:
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


def render(session: ReviewSession) -> str:
    """The whole screen as one string: clear, the rich screen, the legend."""
    width = min(shutil.get_terminal_size((100, 40)).columns, 120)
    buffer = io.StringIO()
    Console(file=buffer, width=width, force_terminal=True, highlight=False, emoji=False).print(
        build_screen(session)
    )
    return CLEAR + buffer.getvalue() + LEGEND + "\n"


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
            while not session.finished:
                out.write(render(session))
                out.flush()
                session.press(read_key())
    finally:
        out.write(LEAVE_ALT)
        out.flush()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@app.command(
    "review",
    short_help="Review unsure predictions in the terminal, case by case.",
)
def review_cli(
    data: Annotated[Path, typer.Argument(metavar="DATA", help="Table of narratives to review.")],
    store: Annotated[
        Path,
        typer.Option(
            "--store",
            help="Review store (SQLite file): created if missing, resumed if it exists.",
        ),
    ],
    model: Annotated[
        Path | None,
        typer.Option(
            "--model", "-m", help="Model folder (optional with --codebook: a cold start)."
        ),
    ] = None,
    codebook: Annotated[
        Path | None,
        typer.Option(
            "--codebook",
            help="Codebook TOML. Without --model, the codebook alone orders the cases: every "
            "label gets likely positives in turn, plus some cases that match no label.",
        ),
    ] = None,
    text_col: TextCol = "text",
    id_col: IdCol = None,
    reviewer: Annotated[
        str | None,
        typer.Option("--reviewer", help="Your name, saved with each decision (default: $USER)."),
    ] = None,
    label: Annotated[
        str | None,
        typer.Option("--label", help="Order (or band the audit) by this label's confidence only."),
    ] = None,
    strategy: Annotated[
        Strategy,
        typer.Option(
            "--strategy",
            help="uncertain: least confident first; audit: stratified random sample across "
            "confidence bands, scores hidden; random: a seeded shuffle; balanced: each label "
            "in turn, its least sure cases first, no near-copies; mixed: balanced, uncertain "
            "and random cases interleaved; default: the best measured (docs/learning.md); "
            "suspects: labelled DATA's rows whose labels the out-of-fold model doubts most "
            "(no --model needed; see --labels-col).",
        ),
    ] = Strategy.uncertain,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=1,
            help="Queue length: the first N cases of the order (audit: sample size, default 200).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random and audit draws.")] = 0,
    labels_col: LabelsCol = "labels",
    label_sep: LabelSep = ";",
    sheet: Sheet = None,
    encoding: Encoding = None,
) -> None:
    """Review the model's predictions one case per screen with single keys; every decision is
    saved before the next case shows, and a rerun resumes where you stopped. With no model
    yet, --codebook alone orders the cases (second example).

    Examples:

        allegations review release.csv --model models/mine --store review.db --id-col case_id
        allegations review release.csv --codebook data/codebook.toml --store review.db
    """
    setup_logging(False)
    name = reviewer or os.environ.get("USER") or os.environ.get("USERNAME") or "reviewer"
    if strategy is Strategy.suspects:
        with errors_to_exit():
            session = open_suspects_review(
                [data],
                store,
                text_col=text_col,
                spec=LabelSpec(labels_col=labels_col, label_sep=label_sep),
                id_col=id_col,
                codebook=load_codebook(codebook) if codebook else None,
                reviewer=name,
                limit=limit,
                seed=seed,
                sheet=sheet,
                encoding=encoding,
            )
        _run(session, store)
        return
    if model is None and codebook is None:
        raise typer.BadParameter(
            "pass --model MODEL_DIR, or --codebook FILE to start from the codebook alone.",
            param_hint="--model",
        )
    if model is None and strategy is Strategy.audit:
        raise typer.BadParameter(
            "the audit bands cases by a model's confidence; pass --model.",
            param_hint="--strategy",
        )
    with errors_to_exit():
        if model is None:
            assert codebook is not None
            session = open_codebook_review(
                data,
                load_codebook(codebook),
                store,
                text_col=text_col,
                id_col=id_col,
                reviewer=name,
                limit=limit,
                seed=seed,
                sheet=sheet,
                encoding=encoding,
            )
        else:
            session = open_review(
                data,
                model,
                store,
                text_col=text_col,
                id_col=id_col,
                reviewer=name,
                label=label,
                strategy=strategy.value,
                limit=limit,
                seed=seed,
                sheet=sheet,
                encoding=encoding,
            )
    _run(session, store)


def _run(session: ReviewSession, store: Path) -> None:
    """Run the terminal review of ``session``, then say what was saved."""
    try:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            fail(
                "allegations review needs an interactive terminal (stdin and stdout are not "
                "both terminals); run it in a terminal window, not in a pipe."
            )
        with errors_to_exit():
            run_terminal(session)
    except KeyboardInterrupt:
        pass
    finally:
        session.store.close()
    console.print(
        f"Saved {session.n_saved} decision(s) to {store} this session ({session.n_undone} "
        f"undone); {session.n_decided} of {len(session.queue)} case(s) in this queue decided.",
        highlight=False,
    )
