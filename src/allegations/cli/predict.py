"""``allegations predict``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..workflows import predict_file
from ._app import (
    AllowVersionMismatch,
    BadRows,
    Encoding,
    IdCol,
    OnBadRows,
    Quiet,
    Sheet,
    TextCol,
    app,
    errors_to_exit,
    setup_logging,
)
from ._render import print_label_counts, print_write_summary

DEFAULT_MODEL = Path("models/default")


@app.command("predict")
def predict_cli(
    data: Annotated[
        Path, typer.Argument(metavar="DATA", help="Table to tag (CSV, TSV, XLSX, JSONL, Parquet).")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Output table; the format follows the "
            "extension (.csv .tsv .xlsx .jsonl .parquet).",
        ),
    ],
    model: Annotated[Path, typer.Option("--model", "-m", help="Model folder.")] = DEFAULT_MODEL,
    text_col: TextCol = "text",
    id_col: IdCol = None,
    sheet: Sheet = None,
    encoding: Encoding = None,
    on_bad_rows: OnBadRows = BadRows.error,
    allow_version_mismatch: AllowVersionMismatch = False,
    quiet: Quiet = False,
) -> None:
    """Tag every narrative of a table: labels, a probability per label, confidence, review flag.

    Example:

        allegations predict data/release.csv --text-col narrative --id-col case_id --out tagged.csv
    """
    setup_logging(quiet)
    with errors_to_exit():
        summary = predict_file(
            data,
            out,
            model,
            text_col=text_col,
            id_col=id_col,
            sheet=sheet,
            encoding=encoding,
            on_bad_rows=on_bad_rows.value,
            allow_version_mismatch=allow_version_mismatch,
        )
    if not quiet:
        print_label_counts(summary)
        print_write_summary(summary, out)
