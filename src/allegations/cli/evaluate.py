"""``allegations evaluate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..batch import evaluate_file
from ..tables import atomic_write, check_output_path
from ._app import (
    AllowVersionMismatch,
    BadRows,
    Encoding,
    HeaderRow,
    IdCol,
    LabelCols,
    LabelsCol,
    LabelSep,
    NoHeader,
    OnBadRows,
    Quiet,
    Sep,
    Sheet,
    SkipRows,
    TextCol,
    app,
    errors_to_exit,
    setup_logging,
    split_cols,
    table_options,
)
from ._labels import LabelNames, label_spec
from ._render import print_scores


@app.command(
    "evaluate",
    short_help="Score a model on labelled cases: precision, recall, F1.",
)
def evaluate_cli(
    data: Annotated[
        list[Path], typer.Argument(metavar="DATA...", help="Labelled tables to score the model on.")
    ],
    model: Annotated[Path, typer.Option("--model", "-m", help="Model folder.")],
    text_col: TextCol = "text",
    labels_col: LabelsCol = "labels",
    label_sep: LabelSep = ";",
    label_cols: LabelCols = None,
    label_names: LabelNames = None,
    id_col: IdCol = None,
    json_path: Annotated[
        Path | None,
        typer.Option(
            "--json", help="Also write the scores as JSON (micro_f1, macro_f1, per_label)."
        ),
    ] = None,
    sheet: Sheet = None,
    encoding: Encoding = None,
    on_bad_rows: OnBadRows = BadRows.error,
    allow_version_mismatch: AllowVersionMismatch = False,
    sep: Sep = None,
    header_row: HeaderRow = None,
    skip_rows: SkipRows = None,
    no_header: NoHeader = False,
    quiet: Quiet = False,
) -> None:
    """Score a model on labelled narratives: per-label precision, recall, F1; micro and macro F1.

    Example:

        allegations evaluate data/holdout.csv --model models/mine --json scores.json
    """
    setup_logging(quiet)
    if json_path is not None:
        with errors_to_exit():
            check_output_path(json_path, "json_path", inputs=data)
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
    with errors_to_exit():
        spec = label_spec(labels_col, label_sep, split_cols(label_cols), label_names)
        report = evaluate_file(
            data,
            model,
            spec=spec,
            allow_version_mismatch=allow_version_mismatch,
            table=table,
        )
        if json_path is not None:
            with atomic_write(json_path, "w", encoding="utf-8") as fh:
                json.dump(report, fh, indent=2)
                fh.write("\n")
    if not quiet:
        print_scores(report, f"Evaluation on {report['n_cases']} cases")
