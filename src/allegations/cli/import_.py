"""``allegations import``."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..review.exchange import import_file
from ._app import Quiet, app, console, errors_to_exit, setup_logging


class ImportFormat(str, Enum):
    prodigy = "prodigy"
    label_studio = "label-studio"


@app.command(
    "import",
    short_help="Add decisions made in Prodigy or Label Studio to a store.",
)
def import_cli(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="Prodigy JSONL or Label Studio JSON export with decisions."
        ),
    ],
    store: Annotated[
        Path,
        typer.Option("--store", help="Review store to add the decisions to (created if missing)."),
    ],
    fmt: Annotated[
        ImportFormat | None,
        typer.Option("--format", help="File format (default: .jsonl prodigy, .json label-studio)."),
    ] = None,
    reviewer: Annotated[
        str | None,
        typer.Option(
            "--reviewer",
            help="Reviewer name for decisions that name no annotator (default: import).",
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            "-m",
            help="Model folder whose labels a new store takes (default: the file's).",
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Add decisions made in Prodigy or Label Studio to a review store (re-importing is safe).

    Example:

        allegations import annotations.jsonl --store review.db --reviewer ana
    """
    setup_logging(quiet)
    with errors_to_exit():
        summary = import_file(
            file, store, fmt=fmt.value if fmt else None, reviewer=reviewer, model_path=model
        )
    if not quiet:
        console.print(
            f"Imported {summary['imported']} decision(s) into {store} ({summary['unchanged']} "
            f"already there, {summary['skipped']} task(s) without a full decision skipped).",
            highlight=False,
        )
