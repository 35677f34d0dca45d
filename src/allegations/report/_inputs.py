"""The inputs of a report, read and checked: the model card (against its manifest), a
tagged release, a review store's audit estimates and a release summary.

Errors name the file and record, what was expected and the fix; never narrative text
(a prediction table holds none).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..batch import tag_view
from ..errors import InputError, ModelIntegrityError
from ..model import CARD_JSON, MANIFEST, read_manifest
from ..release import WARNINGS_KEY
from ..tables import load_table, sha256_file

__all__ = [
    "load_card",
    "read_predictions",
    "read_store",
    "read_release_summary",
    "release_warnings",
]

#: Whose answers the store's estimates use (``report --reviewer``) when :func:`read_store`
#: is called without ``reviewer``: the report builder passes only the store's path.

#: The key the report read before issue 17 (compare-release never wrote it; summaries made
#: by hand did): still read when a summary has no ``warnings``.
OLD_WARNINGS_KEY = "drift_warnings"


def load_card(model_folder: str | Path) -> tuple[dict[str, Any], str]:
    """Read a model folder's card after checking it against the manifest.

    Returns
    -------
    (card, model_id)

    Raises
    ------
    ModelError, ModelIntegrityError
        Missing folder or manifest, or a card that changed since the model was saved.
    """
    folder = Path(model_folder)
    manifest = read_manifest(folder)
    meta = manifest["files"].get(CARD_JSON)
    path = folder / CARD_JSON
    if not isinstance(meta, dict):
        raise ModelIntegrityError(f"{folder / MANIFEST} does not list {CARD_JSON}; retrain.")
    if not path.is_file():
        raise ModelIntegrityError(f"{path} is missing; copy the whole model folder or retrain.")
    if sha256_file(path) != meta.get("sha256"):
        raise ModelIntegrityError(
            f"{path} has changed since the model was saved (sha256 mismatch); restore it or "
            "retrain."
        )
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ModelIntegrityError(f"{path} is unreadable; retrain.") from None
    if not isinstance(card, dict) or not isinstance(card.get("labels"), list):
        raise ModelIntegrityError(f"{path} is not a model card; retrain.")
    return card, str(manifest.get("model_id", card.get("model_id", "")))


def _label_list(cell: str) -> list[str]:
    cell = cell.strip()
    if cell.startswith("["):
        try:
            value = json.loads(cell)
        except ValueError:
            value = None
        if isinstance(value, list):
            return [str(v) for v in value]
    return [part.strip() for part in cell.split(";") if part.strip()]


def _flag(cell: str, path: Path, row: int) -> bool:
    text = cell.strip().lower()
    if text in ("true", "1", "yes", "y", "x"):
        return True
    if text in ("false", "0", "no", "n", ""):
        return False
    raise InputError(
        f"{path.name} record {row}: needs_review is {cell[:20]!r}; expected true or false. "
        "Pass the table written by 'allegations predict'."
    )


def read_predictions(path: str | Path, labels: list[str]) -> pd.DataFrame:
    """Read a prediction table written by ``allegations predict`` (any table format).

    Returns
    -------
    pandas.DataFrame
        One row per case: ``labels`` (list of str), ``confidence`` (float, NaN if absent),
        ``needs_review`` (bool or None).

    Raises
    ------
    InputError
        No ``labels`` column, labels the model does not know, unreadable numbers.
    """
    path = Path(path)
    df = tag_view(load_table(path), path)
    if "labels" not in df.columns:
        raise InputError(
            f"{path.name} has no 'labels' column (columns: {', '.join(df.columns) or '(none)'}); "
            "pass the prediction table written by 'allegations predict'."
        )
    sets = [_label_list(str(c)) for c in df["labels"]]
    known = set(labels)
    unknown = sorted({lab for s in sets for lab in s} - known)
    p_cols = {c[2:] for c in df.columns if c.startswith("p_")}
    if unknown:
        raise InputError(
            f"{path.name} has labels this model does not have ({', '.join(unknown[:10])}); "
            f"the model's labels are {', '.join(labels)}. Report with the model that tagged it."
        )
    if p_cols and p_cols != known:
        raise InputError(
            f"{path.name} has probability columns for {', '.join(sorted(p_cols))}; the model's "
            f"labels are {', '.join(labels)}. Report with the model that tagged it."
        )
    out = pd.DataFrame({"labels": sets})
    if "confidence" in df.columns:
        conf = pd.to_numeric(df["confidence"].replace("", np.nan), errors="coerce")
        bad = conf.isna() & (df["confidence"] != "")
        if bad.any() or ((conf < 0) | (conf > 1)).any():
            row = int(np.flatnonzero(bad | (conf < 0) | (conf > 1))[0]) + 1
            raise InputError(
                f"{path.name} record {row}: confidence is not a number between 0 and 1; pass "
                "the table written by 'allegations predict'."
            )
        out["confidence"] = conf.to_numpy(dtype=float)
    else:
        out["confidence"] = np.nan
    if "needs_review" in df.columns:
        out["needs_review"] = [
            _flag(str(c), path, i) for i, c in enumerate(df["needs_review"], start=1)
        ]
    else:
        out["needs_review"] = None
    return out


def read_store(
    store_path: str | Path, predictions_path: str | Path | None, reviewer: str | None = None
) -> dict[str, Any]:
    """Estimates from a review store's audit sample (``allegations.review._estimate``).

    ``reviewer`` names whose answers to use; without one,
    several reviewers' answers are used only where adjudicated or shared (an unsettled
    disagreement stops the report with the reviewers and how to settle it).

    Raises
    ------
    InputError
        When this installation has no review-store support, or the store cannot be read.
    """
    try:
        from ..review import estimate_store  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise InputError(
            f"`store_path` {store_path}: this installation of allegations cannot read review "
            "stores (allegations.review._estimate is missing); upgrade allegations or drop "
            "`store_path`."
        ) from None
    if not Path(store_path).exists():
        raise InputError(
            f"Review store {store_path} not found; check the path or drop `store_path`."
        )
    named = {"reviewer": reviewer} if reviewer is not None else {}
    result = estimate_store(str(store_path), predictions=predictions_path, **named)
    if not isinstance(result, dict):
        raise InputError(f"Review store {store_path} gave no estimates; check the store.")
    return dict(result)


def release_warnings(summary: dict[str, Any] | None) -> list[str]:
    """The drift warnings of a release summary: its ``warnings`` (what ``compare-release
    --json`` writes), else ``drift_warnings`` (older summaries); none without a summary."""
    if not summary:
        return []
    key = WARNINGS_KEY if WARNINGS_KEY in summary else OLD_WARNINGS_KEY
    return list(summary.get(key, []))


def read_release_summary(path: str | Path) -> dict[str, Any]:
    """Read a release comparison JSON (``compare-release --json``); see :func:`release_warnings`.

    Raises
    ------
    InputError
        Missing file, not JSON, not an object, or its warnings not a list of strings.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"Summary {path} not found; check the path.") from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise InputError(
            f"{path.name} is not readable JSON; pass the summary JSON written by the release "
            "comparison."
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{path.name} is not a JSON object; pass a release summary.")
    for key in (WARNINGS_KEY, OLD_WARNINGS_KEY):
        warnings_ = data.get(key, [])
        if not isinstance(warnings_, list) or not all(isinstance(w, str) for w in warnings_):
            raise InputError(
                f"{path.name}: {key} must be a list of strings; pass the JSON written by "
                "'allegations compare-release --json'."
            )
    return data
