"""``allegations agreement``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..review import ReviewStore, agreement
from ..tables import atomic_write
from ._app import Quiet, app, console, errors_to_exit, setup_logging


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def print_agreement(
    per_label: dict[str, Any],
    disagreements: list[dict[str, Any]],
    whole_case: dict[str, Any] | None = None,
) -> None:
    """Print whole-case agreement, per-label kappa and alpha, and the disagreements
    (case ids only)."""
    if not any(v["n_both"] for v in per_label.values()):
        console.print("No case was decided by two reviewers; no agreement to report.")
        return
    if whole_case is not None:
        console.print(
            f"{whole_case['n_both']} case(s) were coded by two or more reviewers; they gave "
            f"the same whole answer (every label alike) on {whole_case['n_agree']} of them "
            f"({_num(whole_case['exact_agreement'], '.0%')}); Krippendorff's alpha over whole "
            f"answers {_num(whole_case['alpha'], '.2f')}.",
            highlight=False,
        )
    table = Table(title="Agreement between reviewers, per label", title_justify="left")
    for name in (
        "label",
        "cases both decided",
        "observed agreement",
        "Cohen's kappa",
        "Krippendorff's alpha",
    ):
        table.add_column(name, justify="left" if name == "label" else "right")
    for label, v in per_label.items():
        table.add_row(
            label,
            str(v["n_both"]),
            _num(v["observed_agreement"], ".0%"),
            _num(v["kappa"], ".2f"),
            _num(v.get("alpha"), ".2f"),
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
    short_help="Agreement between reviewers (kappa, alpha), disagreements.",
)
def agreement_cli(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="Review store.")],
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the agreement as JSON.")
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Agreement between reviewers on the cases two or more of them coded: whole-case exact
    agreement and Krippendorff's alpha, per-label Cohen's kappa and alpha, how many cases
    both coded, and every disagreement by case id (settle them with review --adjudicate).

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
        print_agreement(result["per_label"], result["disagreements"], result["whole_case"])
