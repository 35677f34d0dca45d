"""One figure to publish per label: the rule that picks it, and what to do when there is none.

For each label of a tagged release, :func:`recommend_count` returns
``{"estimate", "low", "high", "source", "reason"}``:

1. ``source = "audit"`` when the review store's audit sample covers the release: the
   stratified audit estimate (``allegations estimate``), which does not depend on the
   release resembling the training data.
2. ``source = "model"``, the corrected count (adjusted classify-and-count), only when all of
   these hold: a release comparison (``compare-release --json``, passed as ``--summary``)
   found no drift for the label (neither its tagged share nor its score distribution moved);
   the model *separates* the label: the lower end of the 95% interval of its
   cross-validated F1 is at least :data:`MIN_F1_LOW`; and the corrected count is reliable.
3. Otherwise ``estimate``, ``low`` and ``high`` are None and ``reason`` says why and how
   many cases to audit: the simple-random audit size that brings the count's 95% Wilson
   interval to +- :func:`target_half_width` cases (``stats.intervals.audit_size_for``,
   with the share the model tagged as the guess of the prevalence).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..stats import audit_size_for

__all__ = ["MIN_F1_LOW", "recommend_count", "target_half_width", "drift_by_label", "RULE"]

#: The model "separates" a label when its cross-validated F1's 95% interval starts here or above.
MIN_F1_LOW = 0.5
#: The margin an audit should reach: this share of the tagged count ...
HALF_WIDTH_SHARE = 0.25
#: ... but at least this share of the release (rare labels) and at least ...
HALF_WIDTH_RELEASE_SHARE = 0.01
#: ... this many cases.
HALF_WIDTH_MIN = 5.0

RULE = (
    "Recommended count: the audit estimate when a review audit covers the release; else the "
    "corrected count, only when the release comparison found no drift for the label and the "
    f"model separates it (lower end of the cross-validated F1's 95% interval >= {MIN_F1_LOW}); "
    "else none, with the audit size that would give a 95% interval of about +-25% of the "
    "tagged count (at least 1% of the release)."
)


def target_half_width(tagged: int, n_release: int) -> float:
    """The +- margin, in cases, that the suggested audit size aims at."""
    return max(HALF_WIDTH_SHARE * tagged, HALF_WIDTH_RELEASE_SHARE * n_release, HALF_WIDTH_MIN)


def drift_by_label(summary: Mapping[str, Any] | None) -> dict[str, bool] | None:
    """Whether each label drifted, from a ``compare-release --json`` summary; None if none given.

    A label drifted when its ``share_drift`` or ``score_drift`` is true. A summary without
    per-label rows (an older or hand-made one) gives an empty dict: no label was checked.
    """
    if summary is None:
        return None
    out: dict[str, bool] = {}
    for row in summary.get("labels") or []:
        if isinstance(row, Mapping) and "label" in row:
            out[str(row["label"])] = bool(row.get("share_drift")) or bool(row.get("score_drift"))
    return out


def _audit_size_text(tagged: int, n_release: int) -> str:
    half = target_half_width(tagged, n_release)
    n = audit_size_for(tagged / n_release if n_release else 0.0, half, n_release)
    if n is None:
        return "audit a sample of the release"
    return f"audit at least {n:,} cases (for a 95% interval of about +-{half:,.0f} cases)"


def recommend_count(
    *,
    label: str,
    tagged: int,
    n_release: int,
    corrected: Mapping[str, Any] | None,
    quality: Mapping[str, Any] | None,
    audit_row: Mapping[str, Any] | None,
    drift: dict[str, bool] | None,
    n_audited: int = 0,
) -> dict[str, Any]:
    """The one figure to publish for a label (see the module docstring for the rule).

    Parameters
    ----------
    label : str
    tagged, n_release : int
        Cases the model tagged with the label, and cases in the release.
    corrected : dict, optional
        The corrected count ``{"estimate", "low", "high"}``, None when not reliable.
    quality : dict, optional
        The label's row of the report's quality table (``f1`` with ``low``, ``too_few``).
    audit_row : dict, optional
        The label's row of ``allegations estimate`` (``estimated_count``), None without audit.
    drift : dict, optional
        From :func:`drift_by_label`; None when no release comparison was given.
    n_audited : int
        Cases decided in the audit, for the reason text.

    Returns
    -------
    dict
        ``estimate``, ``low``, ``high`` (cases or None), ``source`` ("audit", "model" or
        None) and ``reason``.
    """
    count = (audit_row or {}).get("estimated_count") or {}
    if count.get("estimate") is not None and count.get("low") is not None:
        return {
            "estimate": round(float(count["estimate"]), 1),
            "low": round(float(count["low"]), 1),
            "high": round(float(count["high"]), 1),
            "source": "audit",
            "reason": f"estimated from an audit of {n_audited:,} release cases checked by people",
        }
    todo = _audit_size_text(tagged, n_release)
    why: str
    if quality is None or quality.get("too_few"):
        why = "too few training examples to measure the model on this label"
    elif drift is None:
        why = (
            "drift was not checked (no release comparison given: run 'allegations "
            "compare-release --json' and pass it as --summary)"
        )
    elif label not in drift:
        why = "the release comparison has no drift check for this label"
    elif drift[label]:
        why = "the release drifted from the training data for this label"
    else:
        f1_low = (quality.get("f1") or {}).get("low")
        if f1_low is None or float(f1_low) < MIN_F1_LOW:
            shown = "n/a" if f1_low is None else f"{float(f1_low):.2f}"
            why = (
                "the model does not separate this label well enough (lower end of its "
                f"F1's 95% interval {shown} < {MIN_F1_LOW})"
            )
        elif corrected is None or corrected.get("estimate") is None:
            why = "the corrected count is not reliable for this label"
        else:
            return {
                "estimate": round(float(corrected["estimate"]), 1),
                "low": round(float(corrected["low"]), 1),
                "high": round(float(corrected["high"]), 1),
                "source": "model",
                "reason": "corrected for the model's measured error rates; the release "
                "comparison found no drift for this label and the model separates it",
            }
    return {"estimate": None, "low": None, "high": None, "source": None, "reason": f"{why}: {todo}"}
