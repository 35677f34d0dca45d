"""``allegations estimate``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..review import estimate_store
from ..tables import atomic_write
from ._app import Quiet, app, console, err_console, errors_to_exit, setup_logging
from .agreement import print_agreement


def _pct(value: dict[str, Any]) -> str:
    if value["estimate"] is None:
        return f"- ({value['low']:.0%}-{value['high']:.0%})"
    return f"{value['estimate']:.0%} ({value['low']:.0%}-{value['high']:.0%})"


def _count(value: dict[str, Any]) -> str:
    mid = "-" if value["estimate"] is None else f"{value['estimate']:.0f}"
    return f"{mid} ({math.floor(value['low'])}-{math.ceil(value['high'])})"


@app.command(
    "estimate",
    short_help="Estimate precision, recall and true counts from reviews.",
)
def estimate_cli(
    store: Annotated[
        Path, typer.Argument(metavar="STORE", help="Review store holding an audit sample.")
    ],
    predictions: Annotated[
        Path | None,
        typer.Option(
            "--predictions",
            help="Predictions of the audited release (allegations predict output with id and "
            "labels); default: the model's calls stored when the audit began.",
        ),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the estimates as JSON.")
    ] = None,
    reviewer: Annotated[
        str | None,
        typer.Option(
            "--reviewer",
            help="Use this reviewer's audit answers (default: the one reviewer's, or with "
            "several the adjudicated or shared answers; unsettled disagreements stop).",
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Estimate, from the audited sample, each label's precision, recall and true count in the
    release (95% intervals), the positives the model missed, and reviewer agreement.

    Example:

        allegations estimate review.db --predictions tagged.csv --json estimates.json
    """
    setup_logging(quiet)
    with errors_to_exit():
        report = estimate_store(store, predictions, reviewer=reviewer)
        if json_path is not None:
            with atomic_write(json_path, "w", encoding="utf-8") as fh:
                json.dump(report, fh, indent=2)
                fh.write("\n")
    if quiet:
        return
    table = Table(
        title=f"Estimates for a release of {report['n_population']} cases from "
        f"{report['n_audited']} audited",
        title_justify="left",
    )
    for name in ("label", "tagged", "estimated count", "precision", "recall", "elusion", "missed"):
        table.add_column(name, justify="left" if name == "label" else "right")
    for row in report["per_label"]:
        table.add_row(
            row["label"],
            str(row["tagged"]),
            _count(row["estimated_count"]),
            _pct(row["precision"]),
            _pct(row["recall"]),
            _pct(row["elusion"]),
            _count(row["elusion"]["missed"]),
        )
    console.print(table)
    console.print(_whose(report["answers"], report["audited_by_reviewer"]), highlight=False)
    for row in report["per_label"]:
        console.print(row["summary"], highlight=False)
    if report["n_unrepresented"]:
        err_console.print(
            f"Warning: {report['n_unrepresented']} case(s) of the release are in confidence "
            "bands with no audited case yet; the estimates do not cover them. Review more of "
            "the audit sample.",
            markup=False,
            highlight=False,
        )
    print_agreement(
        report["agreement"], report["disagreements"], report.get("agreement_whole_case")
    )


def _whose(answers: dict[str, Any], counts: dict[str, int]) -> str:
    """One line saying whose answers the estimates use."""
    by = ", ".join(f"{name} ({n})" for name, n in sorted(counts.items()))
    if answers["source"] == "reviewer":
        return f"Answers used: {answers['reviewers'][0]}'s only (--reviewer)."
    if answers["source"] == "single reviewer":
        return f"Answers used: {by} (one reviewer)."
    return (
        f"Answers used: {answers['n_adjudicated']} adjudicated case(s) and "
        f"{answers['n_agreed']} case(s) the reviewers answered alike; by person: {by}."
    )
