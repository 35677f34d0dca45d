"""``allegations demo``: the main job on the bundled data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..batch import run_demo
from ._app import app, console, errors_to_exit, setup_logging
from ._render import print_label_counts


@app.command(
    "demo",
    short_help="Try it: tag the bundled release with the default model.",
)
def demo_cli(
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir",
            help="Folder with sample.csv, release.csv and codebook.toml "
            "(default: the bundled data).",
        ),
    ] = Path("data"),
    model: Annotated[
        Path,
        typer.Option(
            "--model",
            "-m",
            help="Model folder to use ('default': the shipped model); trained from the "
            "sample when missing.",
        ),
    ] = Path("default"),
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write the tagged release.")
    ] = Path("out/release-tagged.csv"),
    retrain: Annotated[
        bool, typer.Option("--retrain", help="Train a fresh model even if one exists.")
    ] = False,
) -> None:
    """Train (or load) the default model, tag the bundled release, show counts and unsure cases.

    Example:

        allegations demo
    """
    setup_logging(False)
    with errors_to_exit():
        result = run_demo(data_dir=data_dir, model_dir=model, out=out, retrain=retrain)
    console.print(result["model_note"], highlight=False)
    print_label_counts(result["summary"])
    table = Table(title="Ten least confident cases (review these first)", title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("labels", overflow="fold")
    table.add_column("confidence", justify="right")
    table.add_column("needs review")
    for row in result["least_confident"]:
        table.add_row(
            str(row["id"]),
            row["labels"] or "(none)",
            f"{row['confidence']:.3f}",
            "yes" if row["needs_review"] else "no",
        )
    console.print(table)
    console.print(f"Tagged release written to {out}.", highlight=False)
