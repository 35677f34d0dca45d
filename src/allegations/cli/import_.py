"""``allegations import``."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..review import import_file, import_sheet, is_sheet
from ._app import (
    Encoding,
    HeaderRow,
    Quiet,
    Sep,
    SkipRows,
    app,
    console,
    errors_to_exit,
    fail,
    setup_logging,
    table_options,
)


class ImportFormat(str, Enum):
    prodigy = "prodigy"
    label_studio = "label-studio"


@app.command(
    "import",
    short_help="Add decisions: a filled sheet, Prodigy, Label Studio.",
)
def import_cli(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A filled review sheet (.xlsx/.csv from review --export-sheet), Prodigy "
            "JSONL or Label Studio JSON export with decisions.",
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
            help="Whose answers these are (required for a sheet); for Prodigy/Label Studio, "
            "the name of decisions that name no annotator (default: import).",
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
    adjudicate: Annotated[
        bool,
        typer.Option(
            "--adjudicate",
            help="The sheet is an adjudication sheet (review --adjudicate --export-sheet): "
            "its answers settle the disputed cases.",
        ),
    ] = False,
    sep: Sep = None,
    header_row: HeaderRow = None,
    skip_rows: SkipRows = None,
    encoding: Encoding = None,
    quiet: Quiet = False,
) -> None:
    """Add decisions to a review store: a filled review sheet, or an export of Prodigy or
    Label Studio. Re-importing is safe; a sheet with a row to fix imports nothing.

    A sheet a spreadsheet saved again (a semicolon CSV, a title row above the header)
    reads with --sep, --header-row or --skip-rows; they apply to sheets only (--sep to
    .csv sheets only), not to Prodigy or Label Studio files. A CSV sheet is read as UTF-8,
    else as Windows-1252 with a warning (Excel's "CSV (Comma delimited)"); --encoding
    chooses another.

    Examples:

        allegations import audit.xlsx --store audit.db --reviewer ana
        allegations import audit.csv --store audit.db --reviewer ana --sep ";"
        --header-row 2
    """
    setup_logging(quiet)
    table = table_options(sep=sep, header_row=header_row, skip_rows=skip_rows, encoding=encoding)
    with errors_to_exit():
        if fmt is None and is_sheet(file):
            if model is not None:
                fail("--model does not apply to a review sheet: it belongs to its --store.", 2)
            summary = import_sheet(
                file, store, reviewer=reviewer, adjudicate=adjudicate, table=table
            )
        else:
            if adjudicate:
                fail("--adjudicate applies to review sheets (.xlsx or .csv) only.", 2)
            if table.layout() or encoding:
                fail(
                    "--sep, --header-row, --skip-rows and --encoding apply to review sheets "
                    f"(.xlsx or .csv) only, not to {file.name}: a Prodigy or Label Studio "
                    "export is JSON.",
                    2,
                )
            summary = import_file(
                file, store, fmt=fmt.value if fmt else None, reviewer=reviewer, model_path=model
            )
    if summary["format"] == "sheet":
        if not quiet:
            console.print(
                f"Imported {summary['imported']} answer(s) from {file} into {store} "
                f"({summary['unchanged']} already there, {summary['skipped']} row(s) without "
                "a mark left out as not reviewed).",
                highlight=False,
                markup=False,
            )
        return
    if not quiet:
        console.print(
            f"Imported {summary['imported']} decision(s) into {store} ({summary['unchanged']} "
            f"already there, {summary['skipped']} task(s) without a full decision skipped).",
            highlight=False,
        )
