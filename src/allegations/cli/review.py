"""``allegations review``: review case by case in the terminal, a sheet or the browser.

The command parses its options, opens the session (:mod:`allegations.review`) and hands it
to one front end: the terminal screen (:mod:`._review_screen`), a review sheet, or the
local web page.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..batch import LabelSpec
from ..review import DEFAULT_EVERY, open_codebook_review, open_review, open_suspects_review
from ..training import load_codebook
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
    errors_to_exit,
    setup_logging,
    table_options,
)
from ._review_run import (
    export_queue_sheet,
    run_terminal_review,
    run_web,
    start_learning,
    stop_learning,
)


class Strategy(str, Enum):
    uncertain = "uncertain"
    audit = "audit"
    random = "random"
    balanced = "balanced"
    mixed = "mixed"
    default = "default"
    suspects = "suspects"


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
    # -- sheets and adjudication (review/_sheets.py) --
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
    # -- the learning loop (issue 18) --
    learn: Annotated[
        bool,
        typer.Option(
            "--learn",
            help="Retrain as you review: every --every decisions a model is trained in the "
            "background on --labelled plus the store's decisions, and the cases still to come "
            "are re-ranked by it (the screen never waits). With --export-sheet: retrain now, "
            "then write the next batch.",
        ),
    ] = False,
    labelled: Annotated[
        list[Path] | None,
        typer.Option(
            "--labelled",
            help="--learn: a table of cases labelled before this review (repeatable), read "
            "with the column options the model was trained with (with no model: --text-col, "
            "--labels-col, --label-sep).",
        ),
    ] = None,
    every: Annotated[
        int,
        typer.Option("--every", min=1, help="--learn: decisions between two retrains."),
    ] = DEFAULT_EVERY,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="--learn: model folder that keeps the latest model."),
    ] = None,
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
    queue as a spreadsheet instead (third); with --web, the same review as a local web page;
    with --learn, a model retrained in the background re-ranks the queue as you go (fourth).

    Examples:

        allegations review release.csv --model models/mine --store review.db --id-col case_id
        allegations review release.csv --codebook data/codebook.toml --store review.db
        allegations review release.csv -m models/mine --store audit.db --strategy audit
        --export-sheet audit.xlsx
        allegations review release.csv -m models/mine --store review.db --learn
        --labelled labelled.csv --out models/learned
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
    _check_learn(learn, labelled, out, every, strategy, adjudicate)
    # With --learn the session holds the whole release; the loop cuts the queue to --limit.
    opened_limit = None if learn else limit
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
                    limit=opened_limit,
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
                    limit=opened_limit,
                    seed=seed,
                    sheet=sheet,
                    encoding=encoding,
                    table=table,
                    adjudicate=adjudicate,
                )
    if learn:
        sheet_now = export_sheet is not None
        start_learning(
            session,
            labelled or [],
            every,
            out,
            spec=LabelSpec(labels_col=labels_col, label_sep=label_sep),
            text_col=text_col,
            seed=seed,
            limit=limit,
            now=sheet_now,
        )
    try:
        if export_sheet is not None:
            export_queue_sheet(session, export_sheet)
            return
        if web:
            run_web(session, store, reviewer=name, host=host, port=port, open_browser=open_browser)
            return
        run_terminal_review(session, store)
    finally:
        if session.learner is not None:
            stop_learning(session, out)


def _check_learn(
    learn: bool,
    labelled: list[Path] | None,
    out: Path | None,
    every: int,
    strategy: Strategy,
    adjudicate: bool,
) -> None:
    if not learn:
        for given, flag in ((labelled, "--labelled"), (out, "--out")):
            if given:
                raise typer.BadParameter(f"{flag} belongs to the learning loop; add --learn.")
        if every != DEFAULT_EVERY:
            raise typer.BadParameter("--every belongs to the learning loop; add --learn.")
        return
    if strategy in (Strategy.audit, Strategy.suspects) or adjudicate:
        what = "--adjudicate" if adjudicate else f"--strategy {strategy.value}"
        raise typer.BadParameter(
            f"{what} keeps its own order (a blind random audit, a check of given labels, or "
            "disputes); the learning loop re-ranks the queue, so use one or the other.",
            param_hint="--learn",
        )


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
