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
from ..review.session import ReviewSession, open_review, safe
from ..review.sheets import write_sheet
from ..training.codebook import load_codebook
from ._app import (
    Encoding,
    HeaderRow,
    IdCol,
    LabelsCol,
    LabelSep,
    NoHeader,
    Sep,
    Sheet,
    SkipRows,
    TextCol,
    app,
    console,
    errors_to_exit,
    fail,
    setup_logging,
    table_options,
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
    :attr:`~allegations.review.session.ReviewSession.legend` verbatim below every screen.
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
    sep: Sep = None,
    header_row: HeaderRow = None,
    skip_rows: SkipRows = None,
    no_header: NoHeader = False,
    # -- sheets and adjudication (review/sheets.py) --
    export_sheet: Annotated[
        Path | None,
        typer.Option(
            "--export-sheet",
            help="Write the queue as a spreadsheet to fill in anywhere (.xlsx or .csv) instead "
            "of opening the screen; read it back with 'allegations import FILE --store STORE "
            "--reviewer NAME'.",
        ),
    ] = None,
    adjudicate: Annotated[
        bool,
        typer.Option(
            "--adjudicate",
            help="Settle the cases on which reviewers in the store disagree: shows only those, "
            "with each reviewer's answer; your answer is stored as the adjudication.",
        ),
    ] = False,
    # -- review in the browser (issue 20) --
    web: Annotated[
        bool,
        typer.Option(
            "--web",
            help="Review in the browser: serve a local page (several reviewers at once) "
            "instead of the terminal screen.",
        ),
    ] = False,
    port: Annotated[
        int,
        typer.Option("--port", min=0, max=65535, help="--web: port to serve on (0: a free one)."),
    ] = 0,
    open_browser: Annotated[
        bool, typer.Option("--open", help="--web: open the page in the default browser.")
    ] = False,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="--web: address to serve on. Anything but 127.0.0.1 lets other machines "
            "reach the narratives (with the token).",
        ),
    ] = "127.0.0.1",
) -> None:
    """Review the model's predictions one case per screen with single keys; every decision is
    saved before the next case shows, and a rerun resumes where you stopped. With no model
    yet, --codebook alone orders the cases (second example); --export-sheet writes the
    queue as a spreadsheet instead (third); with --web, the same review as a local web page.

    Examples:

        allegations review release.csv --model models/mine --store review.db --id-col case_id
        allegations review release.csv --codebook data/codebook.toml --store review.db
        allegations review release.csv -m models/mine --store audit.db --strategy audit
        --export-sheet audit.xlsx
    """
    setup_logging(False)
    name = reviewer or os.environ.get("USER") or os.environ.get("USERNAME") or "reviewer"
    table = table_options(
        text_col=text_col,
        id_col=id_col,
        sheet=sheet,
        encoding=encoding,
        sep=sep,
        header_row=header_row,
        skip_rows=skip_rows,
        no_header=no_header,
    )
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
    else:
        _check_sources(model, codebook, strategy)
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
                    table=table,
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
                    table=table,
                    adjudicate=adjudicate,
                )
    if export_sheet is not None:
        _export_sheet(session, export_sheet)
        return
    if web:
        run_web(session, store, reviewer=name, host=host, port=port, open_browser=open_browser)
        return
    _run(session, store)


def _check_sources(model: Path | None, codebook: Path | None, strategy: Strategy) -> None:
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


def _export_sheet(session: ReviewSession, path: Path) -> None:
    """Write the session's queue as a review sheet (no terminal needed)."""
    strategies = {session.case_strategy(c) for c in session.queue} or {session.strategy}
    strategy = "audit" if "audit" in strategies else sorted(strategies)[0]
    try:
        with errors_to_exit():
            result = write_sheet(
                session.store,
                session.queue,
                path,
                strategy=strategy,
                model_id=session.model_id,
                single_label=session.single_label,
                allow_none=session.allow_none,
                answers=session.answers,
            )
    finally:
        session.store.close()
    what = "disputed case(s) to adjudicate" if session.answers is not None else "case(s)"
    console.print(
        f"Wrote {result['rows']} {what} to {path} (instructions inside). When filled in: "
        f"allegations import {path} --store {session.store.path} --reviewer NAME"
        + (" --adjudicate" if session.answers is not None else ""),
        highlight=False,
        markup=False,
    )


# -- review in the browser (issue 20) -------------------------------------------------------
def run_web(
    session: ReviewSession,
    store: Path,
    *,
    reviewer: str,
    host: str,
    port: int,
    open_browser: bool,
) -> None:
    """Serve the review as a local web page until Ctrl-C; print the URL with its token."""
    import secrets
    import threading
    import webbrowser

    try:
        from ..review.web import ReviewHub, create_app, loopback, open_socket, serve
    except ImportError as exc:
        session.store.close()
        fail(
            f"allegations review --web needs Starlette and uvicorn (cannot import {exc.name}); "
            "install them with: pip install 'allegations[web]'"
        )
    hub = ReviewHub(session, default_reviewer=reviewer)
    try:
        with errors_to_exit():
            sock = open_socket(host, port)
        bound = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        if loopback(host):
            allowed: list[str] | None = [f"{h}:{bound}" for h in (shown, "127.0.0.1", "localhost")]
        else:
            allowed = None
            typer.echo(
                f"Warning: --host {host} serves the review beyond this machine; anyone who "
                "can reach it and has the URL's token sees the narratives, unencrypted (plain "
                "HTTP). Use the default 127.0.0.1 unless you must.",
                err=True,
            )
        token = secrets.token_urlsafe(32)
        app_ = create_app(hub, token=token, allowed_hosts=allowed)
        url = f"http://{shown}:{bound}/?token={token}"
        typer.echo(f"Review {session.strategy} · {len(hub.queue)} case(s) · store {store}")
        typer.echo(f"Open this address in a browser (keep it private, it holds the key): {url}")
        typer.echo("Each reviewer types their name on the page. Stop the server with Ctrl-C.")
        sys.stdout.flush()
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        serve(app_, sock)
    finally:
        totals = hub.totals()
        hub.close()
    console.print(
        f"Saved {totals['saved']} decision(s) to {store} this session ({totals['undone']} "
        f"undone) by {totals['reviewers']} reviewer(s).",
        highlight=False,
    )
