"""The front ends of ``allegations review``: the terminal screen, a review sheet, the
browser, and the learning loop started and stopped around them.

:mod:`allegations.cli.review` parses the options and opens the session; these functions
run it and say what was saved.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..batch import LabelSpec
from ..review import ReviewSession, attach_learner, write_sheet
from ..tables import TableOptions
from ._app import console, errors_to_exit, fail
from ._review_screen import run_terminal


def start_learning(
    session: ReviewSession,
    labelled: list[Path],
    every: int,
    out: Path | None,
    *,
    spec: LabelSpec,
    text_col: str,
    seed: int,
    limit: int | None,
    now: bool,
) -> None:
    """Attach the learning loop; ``now`` (a sheet): retrain at once, in this process.

    ``spec`` and ``text_col`` (the command's --labels-col, --label-sep, --text-col) read
    ``labelled`` where the store recorded no training options (a codebook start)."""
    with errors_to_exit():
        learner = attach_learner(
            session,
            labelled=labelled,
            spec=spec,
            table=TableOptions(text_col=text_col),
            codebook=session.definitions,
            every=every,
            limit=limit or (every if now else None),
            seed=seed,
            out=out,
            background=not now,
        )
    if now:
        if labelled or session.store.final(None):
            console.print("Training a model on the cases labelled so far...", highlight=False)
            learner.start(session)
            session.refresh()
        console.print(f"Learning: {session.learn_status}", highlight=False, markup=False)


def stop_learning(session: ReviewSession, out: Path | None) -> None:
    learner = session.learner
    assert learner is not None
    running = learner.running
    learner.close()
    model = learner.model
    if running:
        console.print(
            f"Learning: model {learner.number} was still training and was stopped.",
            highlight=False,
        )
    if model is not None and out is not None:
        console.print(
            f"Learning: {model.status()}; it is in {out} (its card records how the loop chose "
            "its cases).",
            highlight=False,
            markup=False,
        )


def run_terminal_review(session: ReviewSession, store: Path) -> None:
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


def export_queue_sheet(session: ReviewSession, path: Path) -> None:
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
