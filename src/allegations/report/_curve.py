"""The report's "Would more labels help?" section: a learning curve made by ``allegations
curve --json`` (its many trainings are not redone), what the page shows of it, and how
it was computed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..stats import MIN_SUPPORT
from ..tables import sha256_file
from ..training import read_curve
from ._methods import join_words, pct, plural

__all__ = ["CURVE_COMMAND", "CURVE_OPTION", "curve_content", "read_report_curve"]

#: How to get a curve into the report, as the page says when none was given.
CURVE_COMMAND = "allegations curve DATA --json curve.json"
CURVE_OPTION = "--curve curve.json"


def read_report_curve(path: str | Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Read a curve file for the report: the checked record and its ``name`` and ``sha256``.

    Raises
    ------
    InputError
        See :func:`allegations.training._curve_file.read_curve`.
    """
    record = read_curve(path)
    return record, {"name": Path(path).name, "sha256": sha256_file(path)}


def _method(record: dict[str, Any]) -> str:
    """How the curve was computed, in one or two sentences (the figure's caption)."""
    points = record["points"]
    n_seeds, seed = int(record["n_seeds"]), int(record.get("seed") or 0)
    folds = record.get("n_folds")
    shares = join_words([pct(p["fraction"]) for p in points])
    cases = join_words([f"{int(p['n_cases']):,}" for p in points])
    shuffles = (
        f"{n_seeds} shuffles of the cases (seeds {seed}-{seed + n_seeds - 1}), each share "
        "nested in the next"
        if n_seeds > 1
        else f"one shuffle of the cases (seed {seed}): no interval"
    )
    bands = (
        "Lines: mean over the shuffles; bands: 95% intervals (Student's t over the shuffles)."
        if n_seeds > 1
        else "Lines: the one shuffle's result."
    )
    return (
        "Cross-validated on the labelled cases as train does"
        + (f" ({folds}-fold)" if folds else "")
        + f", at {shares} of them ({cases} cases), over {shuffles}. {bands} Macro-F1 is "
        f"over the {plural(len(record['macro_labels']), 'label')} with at least "
        f"{MIN_SUPPORT} cases in the smallest share; micro-F1 over all labels."
    )


def _notes(record: dict[str, Any], card: dict[str, Any]) -> list[str]:
    """Where the curve's data do not look like this model's training data."""
    notes = []
    last = record["points"][-1]
    n_model = card.get("n_cases")
    if (
        float(last["fraction"]) == 1.0
        and n_model is not None
        and int(last["n_cases"]) != int(n_model)
    ):
        notes.append(
            f"The curve was computed on {plural(int(last['n_cases']), 'labelled case')}; this "
            f"model was trained on {int(n_model):,}: it may describe other data."
        )
    extra = sorted(set(record["labels"]) - set(card.get("labels") or []))
    absent = sorted(set(card.get("labels") or []) - set(record["labels"]))
    if extra or absent:
        notes.append(
            "The curve's labels differ from this model's"
            + (f" (only in the curve: {', '.join(extra[:10])})" if extra else "")
            + (f" (only in the model: {', '.join(absent[:10])})" if absent else "")
            + "."
        )
    return notes


def curve_content(
    record: dict[str, Any], source: dict[str, str] | None, card: dict[str, Any]
) -> dict[str, Any]:
    """What the report shows of a curve record (``report["learning_curve"]``): its points,
    sentence, how it was computed, and notes where it does not match the model's card."""
    return {
        "source": source or {},
        "n_seeds": int(record["n_seeds"]),
        "seed": int(record.get("seed") or 0),
        "n_folds": record.get("n_folds"),
        "labels": list(record["labels"]),
        "macro_labels": list(record["macro_labels"]),
        "points": [
            {
                key: p[key]
                for key in (
                    "fraction",
                    "n_cases",
                    "micro_f1",
                    "micro_f1_95ci",
                    "macro_f1",
                    "macro_f1_95ci",
                    "per_label",
                )
                if key in p
            }
            for p in record["points"]
        ],
        "sentence": record["sentence"],
        "method": _method(record),
        "notes": _notes(record, card),
    }
