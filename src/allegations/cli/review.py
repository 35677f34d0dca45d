"""``allegations review``: the keyboard-driven terminal review.

Keys are read one at a time with the standard library (termios/tty cbreak mode on POSIX,
msvcrt on Windows): no extra dependency, and nothing between the key and the store. Each
screen is rendered by rich into a buffer and written in one piece; the legend is written
verbatim below it.
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
from rich.console import Console

from ..review_app import LEGEND, ReviewSession, build_screen, open_review
from ._app import (
    Encoding,
    IdCol,
    Sheet,
    TextCol,
    app,
    console,
    errors_to_exit,
    fail,
    setup_logging,
)

CLEAR = "\x1b[H\x1b[2J"
ENTER_ALT, LEAVE_ALT = "\x1b[?1049h\x1b[?25l", "\x1b[?25h\x1b[?1049l"


class Strategy(str, Enum):
    uncertain = "uncertain"
    audit = "audit"
    random = "random"


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


@app.command("review")
def review_cli(
    data: Annotated[Path, typer.Argument(metavar="DATA", help="Table of narratives to review.")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Model folder.")],
    store: Annotated[
        Path,
        typer.Option(
            "--store",
            help="Review store (SQLite file): created if missing, resumed if it exists.",
        ),
    ],
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
            "confidence bands, scores hidden; random: a seeded shuffle.",
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
    sheet: Sheet = None,
    encoding: Encoding = None,
) -> None:
    """Review the model's predictions one case per screen with single keys; every decision is
    saved before the next case shows, and a rerun resumes where you stopped.

    Example:

        allegations review release.csv --model models/mine --store review.db --id-col case_id
    """
    setup_logging(False)
    name = reviewer or os.environ.get("USER") or os.environ.get("USERNAME") or "reviewer"
    with errors_to_exit():
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
