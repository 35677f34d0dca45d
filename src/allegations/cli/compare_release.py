"""``allegations compare-release``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..release import WARNINGS_KEY, for_training, release_report
from ..tables import atomic_write
from ._app import (
    BadRows,
    Encoding,
    HeaderRow,
    IdCol,
    LabelCols,
    LabelSep,
    NoHeader,
    OnBadRows,
    Quiet,
    Sep,
    Sheet,
    SkipRows,
    TextCol,
    app,
    cli_message,
    console,
    err_console,
    errors_to_exit,
    setup_logging,
    split_cols,
    table_options,
)
from ._labels import LabelNames, label_spec
from ._progress import step_progress

#: Sparkline bars; an empty bin is a dot (a space would be trimmed or misaligned).
_BARS = "▁▂▃▄▅▆▇█"
_EMPTY = "·"

LEGEND = (
    "Score histograms: the label's scores in 10 bins from 0 (left) to 1 (right), each "
    "scaled to its tallest bin (· = no rows), training (out of fold) and release in the "
    "same bins."
)
EXPLAIN_Z = (
    "z (limit): how far the release's tagged share is from training's, in standard errors "
    "of the difference; drift when beyond the limit, the larger of 3 and the widest gap "
    "between one training fold and the rest."
)
EXPLAIN_KS = (
    "scaled KS (limit): the largest gap between the two score distributions (Kolmogorov-"
    "Smirnov), scaled by the sample sizes; drift when beyond the limit, the larger of 1.63 "
    "(a 1% chance for same-distribution samples) and the widest fold-versus-rest value."
)


def _spark(counts: list[int]) -> str:
    top = max(counts) or 1
    return "".join(
        _BARS[max(0, round(c / top * len(_BARS)) - 1)] if c else _EMPTY for c in counts
    )


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value:.1%}"


def print_report(report: dict[str, Any]) -> None:
    """Render a release report in the terminal."""
    rel = report["release"]
    if report.get("verdict"):
        console.print(f"Verdict: {report['verdict']}", highlight=False)
    console.print(f"Release {rel['name']}: {rel['rows']} rows.", highlight=False)
    if report["previous"] is not None:
        prev, cols, rows = report["previous"], report["columns"], report["rows"]
        console.print(f"Previous {prev['name']}: {prev['rows']} rows.", highlight=False)
        renamed = ", ".join(f"{r['from']} -> {r['to']}" for r in cols["renamed"]) or "none"
        console.print(
            f"Columns added: {', '.join(cols['added']) or 'none'}; removed: "
            f"{', '.join(cols['removed']) or 'none'}; renamed: {renamed}.",
            highlight=False,
        )
        for change in report.get("schema_changes", []):
            console.print(f"Schema change: {change}", highlight=False)
        if rows is not None:
            edited = "unknown (pass --id-col)" if rows["edited"] is None else rows["edited"]
            console.print(
                f"Rows (matched by {rows['matched_by']}): {rows['added']} added, "
                f"{rows['removed']} removed, {edited} edited, {rows['unchanged']} unchanged.",
                highlight=False,
            )
    dup, unseen = report["duplicates"], report["unseen_tokens"]
    console.print(
        f"Duplicates: {dup['exact_duplicate_rows']} exact, {dup['near_only_rows']} more "
        f"near-identical (same words after preprocessing), in {dup['groups']} groups.",
        highlight=False,
    )
    if unseen.get("share") is not None:
        console.print(
            f"Tokens unseen in training: {unseen['share']:.1%} "
            f"({unseen['rows_mostly_unseen']} rows mostly unseen).",
            highlight=False,
        )
    table = Table(title=f"Labels against {report['reference']}", title_justify="left")
    scores = any("training_histogram" in row for row in report["labels"])
    names = ["label", "tagged: training", "release", "z (limit)"]
    names += ["scaled KS (limit)", "scores: training", "scores: release"] if scores else []
    for name in names:
        table.add_column(name, justify="left" if "scores" in name or name == "label" else "right")
    table.add_column("drift")
    for row in report["labels"]:
        drift = [k for k in ("share", "score") if row.get(f"{k}_drift")]
        cells = [
            row["label"],
            _pct(row.get("training_share")),
            _pct(row["release_share"]),
            f"{row['share_z']} ({row['share_z_limit']})",
        ]
        if scores:
            cells += [
                f"{row['ks_scaled']} ({row['ks_limit']})" if "ks_scaled" in row else "-",
                _spark(row["training_histogram"]) if "training_histogram" in row else "-",
                _spark(row["release_histogram"]),
            ]
        table.add_row(*cells, ", ".join(drift) or "no")
    console.print(table)
    console.print(EXPLAIN_Z, highlight=False)
    if scores:
        console.print(EXPLAIN_KS, highlight=False)
        console.print(LEGEND, highlight=False)
    for warning in report[WARNINGS_KEY]:
        err_console.print(
            f"Warning: {cli_message(warning)}", markup=False, highlight=False, soft_wrap=True
        )


@app.command(
    "compare-release",
    short_help="Check a new release against the last one and training.",
)
def compare_release_cli(
    new: Annotated[Path, typer.Argument(metavar="NEW", help="The new release (any table format).")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Model folder.")],
    previous: Annotated[
        Path | None,
        typer.Option("--previous", help="The previous release, to compare columns and rows."),
    ] = None,
    id_col: IdCol = None,
    text_col: TextCol = "text",
    training: Annotated[
        list[Path] | None,
        typer.Option(
            "--training",
            help="The model's labelled training table(s): enables the score-distribution "
            "check (out-of-fold scores are recomputed; repeat for several files).",
        ),
    ] = None,
    training_text_col: Annotated[
        str | None,
        typer.Option(
            "--training-text-col", help="Text column of --training (default: --text-col)."
        ),
    ] = None,
    training_sep: Annotated[
        str | None,
        typer.Option(
            "--training-sep",
            help="--sep of the --training tables (default: the layout train recorded in "
            "the model card, when none of the --training-* layout options is given).",
        ),
    ] = None,
    training_header_row: Annotated[
        int | None,
        typer.Option(
            "--training-header-row", min=1, help="--header-row of the --training tables."
        ),
    ] = None,
    training_skip_rows: Annotated[
        int | None,
        typer.Option("--training-skip-rows", min=0, help="--skip-rows of the --training tables."),
    ] = None,
    training_no_header: Annotated[
        bool,
        typer.Option("--training-no-header", help="--no-header of the --training tables."),
    ] = False,
    labels_col: Annotated[
        str, typer.Option("--labels-col", help="Labels column of --training.")
    ] = "labels",
    label_sep: LabelSep = ";",
    label_cols: LabelCols = None,
    label_names: LabelNames = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the report as JSON to this file.")
    ] = None,
    sheet: Sheet = None,
    encoding: Encoding = None,
    sep: Sep = None,
    header_row: HeaderRow = None,
    skip_rows: SkipRows = None,
    no_header: NoHeader = False,
    on_bad_rows: OnBadRows = BadRows.error,
    quiet: Quiet = False,
) -> None:
    """Report how a new release differs from the previous one and from the training data.

    Columns added, removed or renamed; rows added, removed or edited; near-duplicate
    narratives; the share of tokens unseen in training; and per label the tagged share and
    score distribution, with a drift warning beyond what cross-validation explains.

    --sep, --header-row, --skip-rows and --no-header read the new and previous releases;
    the --training-* options read the training tables (by default as train read them:
    the layout the model card records).

    Example:

        allegations compare-release new.csv --previous old.csv --id-col case_id
        --model models/mine --training data/sample.csv --training-sep ";"
        --json report.json
    """
    setup_logging(quiet)
    table = table_options(
        sheet=sheet,
        encoding=encoding,
        sep=sep,
        header_row=header_row,
        skip_rows=skip_rows,
        no_header=no_header,
        on_bad_rows=on_bad_rows,
    )
    training_layout = (training_sep, training_header_row, training_skip_rows)
    training_table = None  # the layout the model card records
    if training_no_header or any(v is not None for v in training_layout):
        training_table = table_options(
            encoding=encoding,
            sep=training_sep,
            header_row=training_header_row,
            skip_rows=training_skip_rows,
            no_header=training_no_header,
            prefix="training-",
            rename=for_training,
        )
    with errors_to_exit(), step_progress(not quiet and err_console.is_terminal):
        spec = label_spec(labels_col, label_sep, split_cols(label_cols), label_names)
        report = release_report(
            new,
            model,
            previous_path=previous,
            id_col=id_col,
            text_col=text_col,
            training_paths=training or (),
            training_text_col=training_text_col,
            training_labels_col=labels_col,
            training_label_sep=label_sep,
            sheet=sheet,
            encoding=encoding,
            training_spec=spec,
            table=table,
            training_table=training_table,
        )
        if json_path is not None:
            with atomic_write(json_path, "w", encoding="utf-8") as fh:
                json.dump(report, fh, indent=2, ensure_ascii=False)
                fh.write("\n")
    if not quiet:
        print_report(report)

