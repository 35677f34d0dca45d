"""``allegations curve``: would more labels help?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..batch import LabelSpec, read_labelled
from ..tables import check_output_path
from ..training import LearningCurve, learning_curve, load_codebook, save_curve
from ._app import (
    Encoding,
    IdCol,
    LabelCols,
    LabelsCol,
    LabelSep,
    Quiet,
    Sheet,
    TextCol,
    app,
    console,
    errors_to_exit,
    setup_logging,
    split_cols,
)

#: Width of the plot's 0-1 axis, in characters.
PLOT_WIDTH = 40


def plot_lines(curve: LearningCurve) -> list[str]:
    """The curve as text: one row per share, the 95% interval as dashes, the mean as ``o``."""
    lines = [f"{'cases':>7}  {'macro-F1 (95% interval)':<24} 0{' ' * (PLOT_WIDTH - 2)}1"]
    for point in curve.points:
        lo, hi = point["macro_f1_95ci"]
        row = [" "] * PLOT_WIDTH
        a, b = round(lo * (PLOT_WIDTH - 1)), round(hi * (PLOT_WIDTH - 1))
        for x in range(a, b + 1):
            row[x] = "-"
        row[round(point["macro_f1"] * (PLOT_WIDTH - 1))] = "o"
        figure = f"{point['macro_f1']:.2f} ({lo:.2f}-{hi:.2f})"
        lines.append(f"{point['n_cases']:>7}  {figure:<24} |{''.join(row)}|")
    return lines


@app.command("curve", short_help="Would more labels help? Quality at 25/50/75/100% of them.")
def curve_cli(
    data: Annotated[
        list[Path],
        typer.Argument(metavar="DATA...", help="Labelled tables (as for 'allegations train')."),
    ],
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
    goal: Annotated[
        str,
        typer.Option(
            "--goal", help="Operating point of every label: f1, precision=0.9 or recall=0.8."
        ),
    ] = "f1",
    seeds: Annotated[
        int, typer.Option("--seeds", min=1, max=10, help="Shuffles per share (intervals).")
    ] = 3,
    seed: Annotated[int, typer.Option("--seed", help="The first random seed.")] = 0,
    json_path: Annotated[
        Path | None,
        typer.Option(
            "--json",
            help="Also write the curve as JSON, for 'allegations report --curve' (no retraining).",
        ),
    ] = None,
    sheet: Sheet = None,
    encoding: Encoding = None,
    quiet: Quiet = False,
) -> None:
    """Cross-validate at 25, 50, 75 and 100% of the labelled cases (several shuffles) and
    say whether labelling more cases will likely help. Takes about 4 x --seeds trainings.
    With --json, the curve is kept for the HTML report ('allegations report --curve').

    Example:

        allegations curve data/sample.csv --codebook data/codebook.toml --json curve.json
    """
    setup_logging(quiet)
    if json_path is not None:
        with errors_to_exit():  # checked before the trainings, not after them
            check_output_path(json_path, "json_path", inputs=data)
    spec = LabelSpec(labels_col=labels_col, label_sep=label_sep, label_cols=split_cols(label_cols))
    with errors_to_exit():
        book = load_codebook(codebook) if codebook else None
        rows = read_labelled(
            data,
            text_col=text_col,
            spec=spec,
            id_col=id_col,
            group_col=group_col,
            sheet=sheet,
            encoding=encoding,
        )
        curve = learning_curve(
            rows.texts,
            rows.label_sets,
            n_seeds=seeds,
            seed=seed,
            codebook=book,
            goal=goal,
            groups=rows.groups,
        )
        if json_path is not None:
            save_curve(curve, json_path)
    console.print(
        f"Cross-validated learning curve ({curve.n_seeds} shuffle(s) per share; macro-F1 over "
        f"{len(curve.macro_labels)} label(s) with enough cases at every share)",
        highlight=False,
    )
    for line in plot_lines(curve):
        console.print(line, highlight=False, markup=False)
    micro = " ".join(
        f"{p['n_cases']}: {p['micro_f1']:.2f} ({p['micro_f1_95ci'][0]:.2f}-"
        f"{p['micro_f1_95ci'][1]:.2f})"
        for p in curve.points
    )
    console.print(f"micro-F1 by cases: {micro}", highlight=False, markup=False)
    console.print(curve.sentence, highlight=False, markup=False)
    if json_path is not None and not quiet:
        console.print(
            f"Curve written to {json_path}; add it to the report with "
            f"'allegations report ... --curve {json_path}'.",
            highlight=False,
            markup=False,
        )
