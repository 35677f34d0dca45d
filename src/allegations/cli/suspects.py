"""``allegations suspects``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..batch import LabelSpec, read_labelled
from ..tables import write_table
from ..training import find_suspects, load_codebook
from ._app import (
    Encoding,
    HeaderRow,
    IdCol,
    LabelCols,
    LabelsCol,
    LabelSep,
    NoHeader,
    Quiet,
    Sep,
    Sheet,
    SkipRows,
    TextCol,
    app,
    console,
    errors_to_exit,
    setup_logging,
    split_cols,
    table_options,
)
from ._render import print_suspects


@app.command(
    "suspects",
    short_help="List training rows whose labels look mistaken.",
)
def suspects_cli(
    data: Annotated[
        list[Path],
        typer.Argument(metavar="DATA...", help="Labelled tables (as for 'allegations train')."),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write every suspect row (rank, id, given, disagreeing, score)."
        ),
    ] = None,
    text_col: TextCol = "text",
    labels_col: LabelsCol = "labels",
    label_sep: LabelSep = ";",
    label_cols: LabelCols = None,
    id_col: IdCol = None,
    group_col: Annotated[
        str | None,
        typer.Option("--group-col", help="Column of group ids kept in one fold."),
    ] = None,
    codebook: Annotated[
        Path | None, typer.Option("--codebook", help="Codebook TOML (label names, seed phrases).")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Rows to show on screen.", min=1)] = 20,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the folds.")] = 0,
    sheet: Sheet = None,
    encoding: Encoding = None,
    sep: Sep = None,
    header_row: HeaderRow = None,
    skip_rows: SkipRows = None,
    no_header: NoHeader = False,
    quiet: Quiet = False,
) -> None:
    """List likely labelling mistakes: rows whose labels disagree with out-of-fold predictions.

    Example:

        allegations suspects data/sample.csv --id-col id --out suspects.csv
    """
    setup_logging(quiet)
    spec = LabelSpec(labels_col=labels_col, label_sep=label_sep, label_cols=split_cols(label_cols))
    table = table_options(
        text_col=text_col,
        id_col=id_col,
        sheet=sheet,
        encoding=encoding,
        sep=sep,
        header_row=header_row,
        skip_rows=skip_rows,
        no_header=no_header,
    )
    with errors_to_exit():
        book = load_codebook(codebook) if codebook else None
        rows = read_labelled(data, spec=spec, group_col=group_col, table=table)
        ids = rows.ids if id_col is not None else list(range(1, len(rows.ids) + 1))
        found = find_suspects(
            rows.texts, rows.label_sets, ids=ids, codebook=book, seed=seed, groups=rows.groups
        )
        if out is not None:
            write_table(found, out)
    if not quiet:
        print_suspects(found, top)
        if len(found):
            console.print(
                f"About {found.attrs['expected_mistakes']:g} of these {len(found)} row(s) "
                "carry a real labelling mistake (the sum of each row's calibrated out-of-fold "
                "chance that its labels are wrong).",
                highlight=False,
            )
        if found.attrs.get("not_disputed"):
            console.print(
                "Never disputed as given, because the model does not find their cases out of "
                f"fold: {', '.join(found.attrs['not_disputed'])}.",
                highlight=False,
            )
        if out is not None:
            console.print(f"Wrote {len(found)} suspect row(s) to {out}.", highlight=False)
