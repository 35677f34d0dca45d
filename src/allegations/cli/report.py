"""``allegations report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..report import make_report
from ._app import Quiet, app, console, errors_to_exit, fail, setup_logging


@app.command(
    "report",
    short_help="Write a self-contained HTML report for publication.",
)
def report_cli(
    model: Annotated[Path, typer.Option("--model", "-m", help="Model folder.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The HTML report to write (self-contained).")
    ],
    predictions: Annotated[
        Path | None,
        typer.Option(
            "--predictions",
            help="A tagged release written by 'allegations predict' (CSV, TSV, XLSX, JSONL or "
            "Parquet): adds counts per label with error margins.",
        ),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store", help="A review store: adds estimates from its audit sample and agreement."
        ),
    ] = None,
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary",
            "--release-report",
            help="A release comparison JSON (compare-release --json): its drift warnings "
            "are shown.",
        ),
    ] = None,
    json_path: Annotated[
        Path | None,
        typer.Option("--json", help="Also write the report content as JSON (for notebooks)."),
    ] = None,
    curve: Annotated[
        Path | None,
        typer.Option(
            "--curve",
            help="A learning curve written by 'allegations curve --json': adds the section "
            '"Would more labels help?" (nothing is retrained).',
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the bootstrap intervals: same seed, same report.")
    ] = 0,
    reviewer: Annotated[
        str | None,
        typer.Option(
            "--reviewer",
            help="With --store: use this reviewer's audit answers (default: the one "
            "reviewer's, or with several the adjudicated or shared answers).",
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Write a self-contained HTML report for publication (and JSON with --json).

    Training data, measured quality with 95% intervals, whether more labels would help (with
    --curve), a tagged release's counts corrected for the measured error rates, and a
    methods note to paste under a story.

    Example:

        allegations report --model models/mine --predictions tagged.csv --out report.html
    """
    setup_logging(quiet)
    if reviewer is not None and store is None:
        fail("--reviewer applies to a review store's answers; pass --store too.", 2)
    with errors_to_exit():
        report = make_report(
            model,
            out,
            predictions_path=predictions,
            store_path=store,
            reviewer=reviewer,
            summary_path=summary,
            json_path=json_path,
            curve_path=curve,
            seed=seed,
        )
    if not quiet:
        missing = report["missing"]
        console.print(
            f"Report written to {out}"
            + (f" (not recorded by this model: {', '.join(missing)})" if missing else "")
            + ".",
            highlight=False,
            markup=False,
        )
