"""A learning curve as a JSON file: what ``allegations curve --json`` writes and
``allegations report --curve`` reads, so that the report shows a curve without its many
trainings.

The file holds numbers, label names and the curve's sentence; never narrative text::

    {"format": "allegations-curve", "format_version": 1, "n_seeds": 3, "seed": 0,
     "n_folds": 5, "labels": [...], "macro_labels": [...], "sentence": "...", "rise": {...},
     "points": [{"fraction": 0.25, "n_cases": 100, "micro_f1": 0.61,
                 "micro_f1_95ci": [0.57, 0.65], "macro_f1": 0.42,
                 "macro_f1_95ci": [0.35, 0.49], "per_label": {...}}, ...]}
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..errors import InputError
from ._curve import LearningCurve

__all__ = ["CURVE_FORMAT", "CURVE_FORMAT_VERSION", "curve_record", "read_curve", "save_curve"]

CURVE_FORMAT = "allegations-curve"
CURVE_FORMAT_VERSION = 1


def curve_record(curve: LearningCurve) -> dict[str, Any]:
    """The JSON-ready content of ``curve`` (the file :func:`save_curve` writes)."""
    return {
        "format": CURVE_FORMAT,
        "format_version": CURVE_FORMAT_VERSION,
        "n_seeds": curve.n_seeds,
        "seed": curve.seed,
        "n_folds": curve.n_folds,
        "labels": list(curve.labels),
        "macro_labels": list(curve.macro_labels),
        "sentence": curve.sentence,
        "rise": dict(curve.rise),
        "points": [dict(p) for p in curve.points],
    }


def save_curve(curve: LearningCurve, path: str | Path) -> None:
    """Write ``curve`` as JSON to ``path``, atomically.

    Raises
    ------
    OutputError
        The file cannot be written (no folder, no permission, disk full).
    """
    from ..tables import atomic_write

    with atomic_write(path, "w", encoding="utf-8") as fh:
        json.dump(curve_record(curve), fh, indent=2, ensure_ascii=False)
        fh.write("\n")


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _is_share(value: Any) -> bool:
    return _is_number(value) and 0.0 <= float(value) <= 1.0


def _point_problem(point: Any) -> str | None:
    """What is wrong with one point of a curve, or None."""
    if not isinstance(point, dict):
        return "a point is not an object"
    fraction: Any = point.get("fraction")
    if not _is_number(fraction) or not 0.0 < float(fraction) <= 1.0:
        return "a point's fraction is not a number in (0, 1]"
    n_cases = point.get("n_cases")
    if not isinstance(n_cases, int) or isinstance(n_cases, bool) or n_cases < 1:
        return "a point's n_cases is not a positive whole number"
    for key in ("micro_f1", "macro_f1"):
        if not _is_share(point.get(key)):
            return f"a point's {key} is not a number between 0 and 1"
        ci = point.get(f"{key}_95ci")
        if (
            not isinstance(ci, list)
            or len(ci) != 2
            or not all(_is_share(v) for v in ci)
            or ci[0] > ci[1]
        ):
            return f"a point's {key}_95ci is not [low, high] between 0 and 1"
    return None


def _problem(data: Any) -> str | None:
    """What keeps ``data`` from being a curve record, or None."""
    if not isinstance(data, dict):
        return "not a JSON object"
    if data.get("format") != CURVE_FORMAT:
        return f'its "format" is not "{CURVE_FORMAT}"'
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return '"format_version" is not a positive whole number'
    if version > CURVE_FORMAT_VERSION:
        return (
            f"format_version {version} is newer than this allegations reads "
            f"({CURVE_FORMAT_VERSION}); upgrade allegations"
        )
    n_seeds = data.get("n_seeds")
    if not isinstance(n_seeds, int) or isinstance(n_seeds, bool) or n_seeds < 1:
        return '"n_seeds" is not a positive whole number'
    for key in ("labels", "macro_labels"):
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f'"{key}" is not a list of label names'
    if not isinstance(data.get("sentence"), str):
        return '"sentence" is not text'
    points = data.get("points")
    if not isinstance(points, list) or not points:
        return '"points" is not a non-empty list'
    for point in points:
        problem = _point_problem(point)
        if problem:
            return problem
    fractions = [float(p["fraction"]) for p in points]
    if fractions != sorted(set(fractions)):
        return "the points' fractions do not increase"
    return None


def read_curve(path: str | Path) -> dict[str, Any]:
    """Read and check a learning curve written by ``allegations curve --json``.

    Returns
    -------
    dict
        The record (see the module), as :func:`curve_record` makes it.

    Raises
    ------
    InputError
        Missing file, not JSON, or not a learning curve: the message names the file and
        what was expected.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"Learning curve {path} not found; check the path.") from None
    except (OSError, UnicodeDecodeError, ValueError):
        data = None
        problem: str | None = "not readable JSON"
    else:
        problem = _problem(data)
    if problem:
        raise InputError(
            f"{path.name} is not a learning curve ({problem}); pass the JSON written by "
            "'allegations curve DATA --json FILE'."
        )
    return dict(data)
