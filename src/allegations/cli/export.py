"""``allegations export``."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..review import export_store
from ._app import Quiet, app, console, errors_to_exit, setup_logging


class ExportFormat(str, Enum):
    training = "training"
    prodigy = "prodigy"
    label_studio = "label-studio"


@app.command(
    "export",
    short_help="Write the reviewed cases for training or another tool.",
)
def export_cli(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="Review store (SQLite file).")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Output file: training takes .csv .tsv .xlsx .jsonl .parquet; prodigy .jsonl; "
            "label-studio .json.",
        ),
    ],
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="training: id, text, labels (for allegations train); prodigy: choice tasks "
            "(JSONL); label-studio: tasks with annotations and predictions (JSON).",
        ),
    ] = ExportFormat.training,
    reviewer: Annotated[
        str | None,
        typer.Option(
            "--reviewer",
            help="Export this reviewer's decisions only (default: the latest on each case).",
        ),
    ] = None,
    id_col: Annotated[
        str | None,
        typer.Option(
            "--id-col",
            help="training: name of the id column (default: the model's training data's, else id).",
        ),
    ] = None,
    text_col: Annotated[
        str | None,
        typer.Option(
            "--text-col",
            help="training: name of the text column (default: the model's training data's, "
            "else text).",
        ),
    ] = None,
    labels_col: Annotated[
        str | None,
        typer.Option(
            "--labels-col",
            help="training: write the labels joined in this column (default: the layout of "
            "the model's training data: its labels column, or one 1/0 column per label).",
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Write the reviewed cases (one row per case, the decision in force) for training or
    for another annotation tool. The training table has the columns of the model's
    training data, and the command that retrains with it is printed.

    Example:

        allegations export review.db --out reviewed.csv
    """
    setup_logging(quiet)
    with errors_to_exit():
        summary = export_store(
            store,
            out,
            fmt=fmt.value,
            reviewer=reviewer,
            id_col=id_col,
            text_col=text_col,
            labels_col=labels_col,
        )
    if not quiet:
        console.print(
            f"Wrote {summary['rows']} reviewed case(s) to {out} ({summary['format']}).",
            highlight=False,
        )
        if "retrain" in summary:
            console.print(
                "Retrain with the corrections (later files override rows with the same id):",
                highlight=False,
            )
            console.print(f"  {summary['retrain']}", highlight=False, markup=False, soft_wrap=True)
