"""``allegations predict``."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..batch import PredictOptions, predict_file, summary_path
from ..tables import TableOptions
from ._app import (
    AllowVersionMismatch,
    BadRows,
    Encoding,
    HeaderRow,
    IdCol,
    NoHeader,
    OnBadRows,
    Quiet,
    Sep,
    Sheet,
    SkipRows,
    TextCol,
    app,
    console,
    err_console,
    errors_to_exit,
    setup_logging,
    table_options,
)
from ._render import print_label_counts, print_write_summary

DEFAULT_MODEL = Path("default")


class Engine(str, Enum):
    local = "local"
    dask = "dask"


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM (plain ``kill``) like Ctrl-C so the temporary output is removed."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (some test runners)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[int, float | None], None] | None]:
    """A progress bar on stderr: rows done, rows/s, share read and time left."""
    if not enabled:
        yield None
        return
    bar = Progress(
        TextColumn("Tagging"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}% of input"),
        TextColumn("{task.fields[rows]:,} rows"),
        TextColumn("{task.fields[rate]:,.0f} rows/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    task = bar.add_task("tag", total=1.0, rows=0, rate=0.0)

    def update(rows: int, fraction: float | None) -> None:
        elapsed = bar.tasks[task].elapsed or 0.0
        rate = rows / elapsed if elapsed > 0 else 0.0
        bar.update(task, completed=fraction or 0.0, rows=rows, rate=rate)

    with bar:
        yield update


@app.command(
    "predict",
    short_help="Tag every narrative of a table with labels and scores.",
)
def predict_cli(
    data: Annotated[
        str,
        typer.Argument(
            metavar="DATA",
            help="Table to tag (CSV, TSV, XLSX, JSONL, Parquet). With --engine dask also a "
            "glob of files or a folder of Parquet files.",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Output table; the format follows the extension (.csv .tsv .xlsx .jsonl "
            ".parquet). With --engine dask, a path without extension is a Parquet folder.",
        ),
    ],
    model: Annotated[
        Path, typer.Option("--model", "-m", help="Model folder; 'default' is the shipped model.")
    ] = DEFAULT_MODEL,
    text_col: TextCol = "text",
    id_col: IdCol = None,
    sheet: Sheet = None,
    encoding: Encoding = None,
    on_bad_rows: OnBadRows = BadRows.error,
    allow_version_mismatch: AllowVersionMismatch = False,
    n_process: Annotated[
        int,
        typer.Option(
            "--n-process",
            "-n",
            min=1,
            help="Worker processes (the output is identical for any number).",
        ),
    ] = 1,
    chunk_rows: Annotated[
        int,
        typer.Option("--chunk-rows", min=1, help="Rows read and tagged at a time."),
    ] = 10_000,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="local: stream on this machine; dask: run on a Dask cluster (local one "
            "by default).",
        ),
    ] = Engine.local,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="With --engine dask: address of an existing Dask scheduler, such as "
            "tcp://10.0.0.5:8786 (default: start a local cluster).",
        ),
    ] = None,
    evidence: Annotated[
        bool,
        typer.Option(
            "--evidence",
            help="Add the phrases that pushed each predicted label most, and their sentences "
            "(evidence, evidence_sentences columns). Several times slower.",
        ),
    ] = False,
    keep_columns: Annotated[
        str,
        typer.Option(
            "--keep-columns",
            help="Input columns copied into the output before the tags: all, none (only the "
            "tags and an id) or names joined by commas (A,B). A tag column named like an "
            "input column is written as tag_<name>.",
        ),
    ] = "all",
    sep: Sep = None,
    header_row: HeaderRow = None,
    skip_rows: SkipRows = None,
    no_header: NoHeader = False,
    quiet: Quiet = False,
    review_share: Annotated[
        float,
        typer.Option(
            "--review-share",
            min=0.0,
            max=1.0,
            help="Share of the release to flag in needs_review: the least confident cases, "
            "by the cut-off under which this share of training cases fell out of fold.",
        ),
    ] = 0.1,
    review_budget: Annotated[
        int | None,
        typer.Option(
            "--review-budget",
            min=0,
            help="Flag about this many cases in needs_review instead of a share: the table's "
            "rows are counted first (one extra read) and the share is N / rows.",
        ),
    ] = None,
) -> None:
    """Tag every narrative of a table: labels, a probability per label, confidence, review flag.

    The output is your table with the tag columns appended (choose with --keep-columns).
    Reads and writes in chunks (memory stays flat), shows a progress bar when stderr is a
    terminal, and writes OUT.summary.json (input sha256, model id, counts, timings) beside
    the output. An interrupted run leaves no output file.

    Example:

        allegations predict data/release.csv --text-col narrative --out tagged.csv
    """
    setup_logging(quiet)
    if engine is Engine.local and scheduler is not None:
        raise typer.BadParameter("--scheduler needs --engine dask.", param_hint="--scheduler")
    if engine is Engine.dask and (review_share != 0.1 or review_budget is not None):
        raise typer.BadParameter(
            "--review-share and --review-budget apply to --engine local.",
            param_hint="--review-share",
        )
    if engine is Engine.dask and evidence:
        raise typer.BadParameter("--evidence applies to --engine local.", param_hint="--evidence")
    if engine is Engine.dask and on_bad_rows is not BadRows.error:
        raise typer.BadParameter(
            "--on-bad-rows skip applies to --engine local; Dask stops at a malformed record.",
            param_hint="--on-bad-rows",
        )
    if engine is Engine.dask and (sheet is not None or n_process != 1):
        raise typer.BadParameter(
            "--sheet and --n-process apply to --engine local; a Dask cluster sets its own workers.",
            param_hint="--engine",
        )
    table = table_options(
        text_col=text_col,
        id_col=id_col,
        sheet=sheet,
        encoding=encoding,
        on_bad_rows=on_bad_rows,
        sep=sep,
        header_row=header_row,
        skip_rows=skip_rows,
        no_header=no_header,
    )
    show = not quiet and err_console.is_terminal
    if review_budget is not None:
        review_share = _budget_share(data, review_budget, table)
    try:
        with errors_to_exit(), _terminate_as_interrupt():
            options = PredictOptions(
                table=table,
                keep_columns=keep_columns,
                n_process=n_process,
                chunk_rows=chunk_rows,
                evidence=evidence,
                allow_version_mismatch=allow_version_mismatch,
                review_share=review_share,
            )
            if engine is Engine.dask:
                from ..batch import predict_dask

                summary = predict_dask(
                    data, out, model, scheduler=scheduler, keep_columns=keep_columns, table=table
                )
            else:
                with _progress_bar(show) as progress:
                    summary = predict_file(
                        Path(data), out, model, options, progress=progress, freeze_gc=True
                    )
    except KeyboardInterrupt:
        err_console.print("Interrupted; no output was written.", markup=False)
        raise typer.Exit(130) from None
    if not quiet:
        _print_layout(summary.get("summary", {}).get("input", {}))
        print_label_counts(summary)
        print_write_summary(summary, out)
        if "summary" in summary:
            console.print(f"Provenance written to {summary_path(out)}.", highlight=False)


def _budget_share(data: str, budget: int, table: TableOptions) -> float:
    """The review share that flags about ``budget`` cases of the table ``data``."""
    from ..tables import open_table

    with errors_to_exit():
        n_rows = sum(len(chunk) for chunk in open_table(data, table))
    return min(1.0, budget / n_rows) if n_rows else 0.0


def _print_layout(read: dict[str, Any]) -> None:
    """Say how the input was read when the separator was detected rather than expected."""
    if read.get("sep_detected"):
        console.print(
            f"Read {read.get('name')} as {read.get('sep')}-separated (detected; pass --sep "
            "to choose).",
            highlight=False,
        )
