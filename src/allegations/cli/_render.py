"""Rich renderings shared by the commands (the library itself never prints)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from ._app import console


def _f(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_scores(report: dict[str, Any], title: str) -> None:
    """Print a per-label precision/recall/F1 table and the averages."""
    rows = report["per_label"]
    show_threshold = any("threshold" in row for row in rows)
    show_note = any(row["too_few"] for row in rows)
    table = Table(title=title, title_justify="left")
    table.add_column("label", no_wrap=True)
    for name in (
        ["cases", "predicted"]
        + (["threshold"] if show_threshold else [])
        + ["precision", "recall", "F1"]
    ):
        table.add_column(name, justify="right")
    if show_note:
        table.add_column("note", overflow="fold")
    for row in rows:
        cells = [row["label"], str(row["support"]), str(row["predicted"])]
        if show_threshold:
            cells.append(_f(row.get("threshold")))
        cells += [_f(row["precision"]), _f(row["recall"]), _f(row["f1"])]
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
    if cv.get("n_grouped_duplicates"):
        console.print(
            f"{cv['n_grouped_duplicates']} duplicate text(s) kept in the same fold as their twin.",
            highlight=False,
        )


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


def print_write_summary(summary: dict[str, Any], out: Any) -> None:
    """Print what was written, and what was left out or changed on the way (counts only)."""
    console.print(f"Wrote {summary['rows']} rows to {out}.", highlight=False)
    skipped = summary.get("skipped") or {}
    if skipped.get("count"):
        rows = skipped["rows"]
        shown = ", ".join(map(str, rows[:20])) + (", ..." if len(rows) > 20 else "")
        console.print(
            f"Skipped {skipped['count']} malformed record(s) ({skipped['reason']}): "
            f"record(s) {shown}.",
            highlight=False,
        )
    written = summary.get("written") or {}
    if written.get("neutralised"):
        console.print(
            f"{written['neutralised']} cell(s) began like a spreadsheet formula and got a "
            "leading apostrophe.",
            highlight=False,
        )
    if written.get("truncated"):
        console.print(
            f"{written['truncated']} cell(s) were cut to Excel's 32,767-character limit.",
            highlight=False,
        )
