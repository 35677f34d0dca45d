"""``allegations agreement``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..review.estimate import agreement
from ..review.store import ReviewStore
from ..tables.read import atomic_write
from ._app import Quiet, app, console, errors_to_exit, setup_logging


def print_agreement(per_label: dict[str, Any], disagreements: list[dict[str, Any]]) -> None:
    """Print per-label kappa and the list of disagreements (case ids only)."""
    if not any(v["n_both"] for v in per_label.values()):
        console.print("No case was decided by two reviewers; no agreement to report.")
        return
    table = Table(title="Agreement between reviewers", title_justify="left")
    for name in ("label", "cases both decided", "observed agreement", "Cohen's kappa"):
        table.add_column(name, justify="left" if name == "label" else "right")
    for label, v in per_label.items():
        table.add_row(
            label,
            str(v["n_both"]),
            "-" if v["observed_agreement"] is None else f"{v['observed_agreement']:.0%}",
            "-" if v["kappa"] is None else f"{v['kappa']:.2f}",
        )
    console.print(table)
    if disagreements:
        console.print(f"{len(disagreements)} disagreement(s):", highlight=False)
        for d in disagreements:
            console.print(
                f"  case {d['case_id']}: {d['label']}: yes {', '.join(d['yes'])}; "
                f"no {', '.join(d['no'])}",
                markup=False,
                highlight=False,
            )


@app.command(
    "agreement",
    short_help="Cohen's kappa between reviewers, and their disagreements.",
)
def agreement_cli(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="Review store.")],
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the agreement as JSON.")
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Per-label Cohen's kappa between reviewers on the cases both decided, and every
    disagreement by case id.

    Example:

        allegations agreement review.db
    """
    setup_logging(quiet)
    with errors_to_exit():
        with ReviewStore(store, create=False) as opened:
            result = agreement(opened)
        if json_path is not None:
            with atomic_write(json_path, "w", encoding="utf-8") as fh:
                json.dump(result, fh, indent=2)
                fh.write("\n")
    if not quiet:
        print_agreement(result["per_label"], result["disagreements"])
