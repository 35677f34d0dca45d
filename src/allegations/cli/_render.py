"""Rich renderings shared by the commands (the library itself never prints)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich import box
from rich.table import Table

from ._app import console


def _f(value: Any, interval: Any = None) -> str:
    """``0.807``, or with its 95% interval ``0.807 (0.781-0.832)``."""
    if value is None:
        return "-"
    if not interval:
        return f"{value:.3f}"
    return f"{value:.3f} ({interval[0]:.3f}-{interval[1]:.3f})"


def _pct(value: Any, interval: Any) -> str:
    """``87 (82-91)``: a share in whole percent with its 95% interval."""
    if value is None:
        return "-"
    if not interval:
        return f"{value * 100:.0f}"
    return f"{value * 100:.0f} ({interval[0] * 100:.0f}-{interval[1] * 100:.0f})"


def print_scores(report: dict[str, Any], title: str) -> None:
    """Print a per-label precision/recall/F1 table and the averages.

    With Wilson intervals (a training report), precision and recall are shown as
    percentages with their 95% interval, and the calibration error beside them; the table
    fits an 80-column terminal.
    """
    rows = report["per_label"]
    show_threshold = any("threshold" in row for row in rows)
    show_ci = any("precision_95ci" in row for row in rows)
    show_note = any(row["too_few"] for row in rows)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("label", no_wrap=True)
    table.add_column("cases", justify="right", no_wrap=True)
    if not show_ci:
        table.add_column("predicted", justify="right")
    if show_threshold:
        table.add_column("threshold" if not show_ci else "thr.", justify="right", no_wrap=True)
    if show_ci:
        table.add_column("precision %", justify="right", no_wrap=True)
        table.add_column("recall %", justify="right", no_wrap=True)
    else:
        table.add_column("precision", justify="right")
        table.add_column("recall", justify="right")
    table.add_column("F1", justify="right", no_wrap=True, min_width=4)
    if show_ci:
        table.add_column("ECE", justify="right", no_wrap=True, min_width=4)
    if show_note:
        table.add_column("note", overflow="fold")
    for row in rows:
        cells = [row["label"], str(row["support"])]
        if not show_ci:
            cells.append(str(row["predicted"]))
        if show_threshold:
            cells.append(f"{row['threshold']:.2f}" if row.get("threshold") is not None else "-")
        if show_ci:
            never = row.get("predicted") == 0  # precision of no call is undefined, not 0
            cells += [
                "-" if never else _pct(row["precision"], row.get("precision_95ci")),
                _pct(row["recall"], row.get("recall_95ci")),
                f"{row['f1']:.2f}",
                f"{row['ece']:.2f}" if row.get("ece") is not None else "-",
            ]
        else:
            cells += [_f(row["precision"]), _f(row["recall"]), _f(row["f1"])]
        if show_note:
            cells.append("too few examples to measure" if row["too_few"] else "")
        table.add_row(*cells)
    console.print(table)
    if show_ci and any(row.get("predicted") == 0 for row in rows):
        console.print("precision -: the label was never predicted out of fold.", highlight=False)
    console.print(
        f"micro-F1 {_f(report['micro_f1'], report.get('micro_f1_95ci'))}  "
        f"macro-F1 {_f(report['macro_f1'], report.get('macro_f1_95ci'))} "
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
        "Precision and recall at each label's threshold, with Wilson 95% intervals in "
        "brackets; micro- and macro-F1 with bootstrap 95% intervals over cases; ECE: "
        "expected calibration error of its probabilities (all out of fold).",
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
