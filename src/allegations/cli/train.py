"""``allegations train``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..batch import train_files
from ..model import ModelConfig
from ._app import (
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
    console,
    err_console,
    errors_to_exit,
    setup_logging,
    split_cols,
    table_options,
)
from ._labels import AllowSimilarLabels, LabelNames, label_spec
from ._progress import step_progress
from ._render import print_cv_table


@app.command(
    "train",
    short_help="Train a tagger on hand-labelled cases; print its quality.",
)
def train_cli(
    data: Annotated[
        list[Path],
        typer.Argument(
            metavar="DATA...",
            help="Labelled tables (CSV, TSV, XLSX, JSONL, "
            "Parquet). Later files override earlier rows "
            "with the same --id-col.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model folder to write.")],
    text_col: TextCol = "text",
    labels_col: LabelsCol = "labels",
    label_sep: LabelSep = ";",
    label_cols: LabelCols = None,
    label_names: LabelNames = None,
    allow_similar_labels: AllowSimilarLabels = False,
    id_col: IdCol = None,
    group_col: Annotated[
        str | None,
        typer.Option(
            "--group-col",
            help="Column of group ids (complaint, case, officer) kept in one "
            "cross-validation fold.",
        ),
    ] = None,
    codebook: Annotated[
        Path | None,
        typer.Option(
            "--codebook",
            help="Codebook TOML: fixes label names and order (default: labels from the data).",
        ),
    ] = None,
    goal: Annotated[
        str,
        typer.Option(
            "--goal", help="Operating point of every label: f1, precision=0.9 or recall=0.8."
        ),
    ] = "f1",
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same model.")] = 0,
    spacy_model: Annotated[
        str | None,
        typer.Option(
            "--spacy-model",
            help="An installed trained spaCy pipeline to lemmatise with "
            "(default: blank English with lookup lemmas, offline).",
        ),
    ] = None,
    sheet: Sheet = None,
    encoding: Encoding = None,
    on_bad_rows: OnBadRows = BadRows.error,
    sep: Sep = None,
    header_row: HeaderRow = None,
    skip_rows: SkipRows = None,
    no_header: NoHeader = False,
    quiet: Quiet = False,
    label_source: Annotated[
        str | None,
        typer.Option(
            "--label-source",
            help="Who assigned the training labels, for the report's methods note, e.g. "
            '"hand-labelled by 2 reviewers" or "the department\'s own intake codes" '
            "(default: the codebook's label_source).",
        ),
    ] = None,
) -> None:
    """Train a tagger on hand-labelled narratives and print its cross-validated quality.

    Example:

        allegations train data/sample.csv --codebook data/codebook.toml --out models/mine
        --label-source "hand-labelled by 2 reviewers"
    """
    setup_logging(quiet)
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
    with errors_to_exit(), step_progress(not quiet and err_console.is_terminal):
        spec = label_spec(labels_col, label_sep, split_cols(label_cols), label_names)
        model = train_files(
            data,
            out,
            spec=spec,
            group_col=group_col,
            codebook_path=codebook,
            seed=seed,
            goal=goal,
            spacy_model=spacy_model,
            table=table,
            label_source=label_source,
            config=ModelConfig(allow_similar_labels=allow_similar_labels),
        )
    if not quiet:
        print_cv_table(model.card)
        console.print(f"Model written to {out} (id {model.model_id[:12]}).", highlight=False)
