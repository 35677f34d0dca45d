"""Rich renderings shared by the commands (the library itself never prints)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.table import Table

from ._app import console


def _f(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


def _ci(value: Any) -> str:
    return "-" if not value else f"{value[0]:.2f}-{value[1]:.2f}"


def print_scores(report: dict[str, Any], title: str) -> None:
    """Print a per-label precision/recall/F1 table and the averages."""
    rows = report["per_label"]
    show_threshold = any("threshold" in row for row in rows)
    show_ci = any("precision_95ci" in row for row in rows)
    show_note = any(row["too_few"] for row in rows)
    table = Table(title=title, title_justify="left")
    table.add_column("label", overflow="fold")
    for name in (
        ["cases", "predicted"]
        + (["threshold"] if show_threshold else [])
        + ["precision", "recall", "F1"]
        + (["precision 95% CI", "recall 95% CI", "ECE"] if show_ci else [])
    ):
        table.add_column(name, justify="right")
    if show_note:
        table.add_column("note", overflow="fold")
    for row in rows:
        cells = [row["label"], str(row["support"]), str(row["predicted"])]
        if show_threshold:
            cells.append(_f(row.get("threshold")))
        cells += [_f(row["precision"]), _f(row["recall"]), _f(row["f1"])]
        if show_ci:
            cells += [_ci(row.get("precision_95ci")), _ci(row.get("recall_95ci"))]
            cells.append(_f(row.get("ece")))
        if show_note:
            cells.append("too few examples to measure" if row["too_few"] else "")
        table.add_row(*cells)
    console.print(table)
    console.print(
        f"micro-F1 {_f(report['micro_f1'])}  macro-F1 {_f(report['macro_f1'])} "
        f"(labels with >= {report['min_support']} cases)  cases {report['n_cases']}",
        highlight=False,
    )


def print_cv_table(card: dict[str, Any]) -> None:
    """Print the cross-validated table of a freshly trained model."""
    cv = card["cross_validation"]
    print_scores(cv, f"Cross-validated quality ({cv['n_folds']} folds, {card['task']})")
    if cv.get("n_grouped_duplicates") or cv.get("n_grouped_near_duplicates"):
        console.print(
            f"{cv.get('n_grouped_duplicates', 0)} exact and "
            f"{cv.get('n_grouped_near_duplicates', 0)} near-duplicate text(s) (cosine >= "
            f"{cv.get('near_duplicate_cosine', '-')}) kept in the same fold as their twin.",
            highlight=False,
        )
    console.print(
        "Intervals: bootstrap 95% of precision and recall at each label's threshold; "
        "ECE: expected calibration error of its probabilities (both out of fold).",
        highlight=False,
    )


def print_suspects(found: pd.DataFrame, top: int) -> None:
    """Print the most suspect rows: ids and labels only, never text."""
    if found.empty:
        console.print("No row's labels disagree confidently with the model.", highlight=False)
        return
    table = Table(
        title=f"{len(found)} row(s) whose labels disagree with out-of-fold predictions "
        f"(top {min(top, len(found))})",
        title_justify="left",
    )
    for name in ("rank", "id", "given", "disagreeing", "score"):
        table.add_column(name, overflow="fold")
    for row in found.head(top).itertuples(index=False):
        table.add_row(
            str(row.rank),
            str(row.id),
            str(row.given) or "(none)",
            str(row.disagreeing),
            f"{row.score:.3f}",
        )
    console.print(table)


def print_label_counts(summary: dict[str, Any]) -> None:
    """Print how many rows got each label."""
    table = Table(title=f"Labels in {summary['rows']} rows", title_justify="left")
    table.add_column("label")
    table.add_column("rows", justify="right")
    table.add_column("share", justify="right")
    total = max(summary["rows"], 1)
    for label, count in summary["label_counts"].items():
        table.add_row(label, str(count), f"{count / total:.1%}")
    table.add_row("(none)", str(summary["no_label"]), f"{summary['no_label'] / total:.1%}")
    console.print(table)
    console.print(f"{summary['needs_review']} row(s) need review.", highlight=False)
