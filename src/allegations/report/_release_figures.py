"""The figures of a tagged release: cases per label (tagged, corrected, from the audit) and
the per-case confidence, drawn like every report figure (:mod:`allegations.report._svg`).

Every function takes the plain dicts of :func:`allegations.report._build.build_report` and returns
an SVG string, or ``None`` when there is nothing to draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure

from ._svg import OKABE_ITO, draw_figure

__all__ = ["confidence_figure", "release_counts_figure"]


def release_counts_figure(
    counts: Sequence[dict[str, Any]], audit: dict[str, Any] | None
) -> str | None:
    """Cases per label in a release: as tagged (bars), corrected (dot, 95% interval) and
    estimated from the audit sample (diamond, 95% interval)."""
    if not counts:
        return None
    from_audit = {
        r["label"]: r.get("estimated_count")
        for r in (audit or {}).get("per_label", [])
        if isinstance(r.get("estimated_count"), dict)
    }

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        names = [c["label"] for c in counts][::-1]
        ys = range(len(names))
        ax.barh(
            ys,
            [c["tagged"] for c in counts][::-1],
            color=OKABE_ITO["sky_blue"],
            height=0.6,
            label="tagged by the model",
        )
        shown_corr = shown_audit = False
        for y, c in zip(ys, counts[::-1], strict=True):
            corr = c.get("corrected")
            if corr:
                ax.errorbar(
                    [corr["estimate"]],
                    [y + 0.12],
                    xerr=[[corr["estimate"] - corr["low"]], [corr["high"] - corr["estimate"]]],
                    fmt="o",
                    color=OKABE_ITO["vermillion"],
                    capsize=3,
                    label=None if shown_corr else "corrected for error rates (95%)",
                )
                shown_corr = True
            est = from_audit.get(c["label"])
            if est and est.get("estimate") is not None:
                lo = est.get("low", est["estimate"])
                hi = est.get("high", est["estimate"])
                ax.errorbar(
                    [est["estimate"]],
                    [y - 0.12],
                    xerr=[[est["estimate"] - lo], [hi - est["estimate"]]],
                    fmt="D",
                    color=OKABE_ITO["black"],
                    capsize=3,
                    markersize=5,
                    label=None if shown_audit else "from the audit sample (95%)",
                )
                shown_audit = True
        ax.set_yticks(list(ys), names)
        ax.set_xlabel("Cases in the release (count)")
        ax.set_ylabel("Label")
        ax.set_title("Cases per label in the release")
        ax.set_xlim(left=0)
        ax.legend(frameon=False, fontsize=8, loc="best")

    return draw_figure(
        7.5,
        1.2 + 0.45 * len(counts),
        draw,
        "fig-release",
        "Cases per label in the release with 95% intervals",
    )


def confidence_figure(confidence: dict[str, Any] | None) -> str | None:
    """Histogram of the release's per-case confidence."""
    if not confidence:
        return None

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        edges, counts = confidence["edges"], confidence["counts"]
        ax.bar(
            edges[:-1],
            counts,
            width=edges[1] - edges[0],
            align="edge",
            color=OKABE_ITO["green"],
            edgecolor="white",
            linewidth=0.5,
        )
        ax.set_xlabel("Confidence: 1 minus the largest chance a call is wrong (1 = certain)")
        ax.set_ylabel("Cases (count)")
        ax.set_title("How sure the model was, case by case")
        ax.set_xlim(0, 1)

    return draw_figure(7, 2.6, draw, "fig-confidence", "Distribution of the model's confidence")
