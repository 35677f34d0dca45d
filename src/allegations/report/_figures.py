"""The figures of the training data and the model's quality, drawn like every report figure
(:mod:`allegations.report._svg`): label counts, co-occurrence, text length, quality,
precision-recall curves and calibration (the last two as small multiples), and the
learning curve.

Every function takes the plain dicts of :func:`allegations.report._build.build_report` and returns
an SVG string, or ``None`` when there is nothing to draw.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure

from ._svg import GREY, OKABE_ITO, draw_figure

__all__ = [
    "label_counts_figure",
    "cooccurrence_figure",
    "text_length_figure",
    "quality_figure",
    "pr_curves_figure",
    "calibration_figure",
    "learning_curve_figure",
]


def _grid(n: int, max_cols: int = 4) -> tuple[int, int]:
    rows = math.ceil(n / max_cols)
    return rows, math.ceil(n / rows)  # balanced: 5 panels as 3 + 2, not 4 + 1


def label_counts_figure(label_counts: Sequence[dict[str, Any]]) -> str | None:
    """Horizontal bars: training cases per label."""
    if not label_counts:
        return None

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        names = [r["label"] for r in label_counts][::-1]
        values = [r["count"] for r in label_counts][::-1]
        bars = ax.barh(names, values, color=OKABE_ITO["blue"])
        ax.bar_label(bars, padding=3, fontsize=8)
        ax.set_xlabel("Training cases (count)")
        ax.set_ylabel("Label")
        ax.set_title("Training cases per label")
        ax.margins(x=0.12)

    return draw_figure(
        7, 0.6 + 0.35 * len(label_counts), draw, "fig-counts", "Training cases per label"
    )


def cooccurrence_figure(cooc: dict[str, Any] | None) -> str | None:
    """Heatmap of cases carrying both labels (diagonal: cases with the label); None when
    no case carries two labels."""
    if not cooc:
        return None
    labels, counts = cooc["labels"], cooc["counts"]
    if not any(v for i, row in enumerate(counts) for j, v in enumerate(row) if i != j):
        return None  # single-label data: only the diagonal, which the counts figure shows

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        image = ax.imshow(counts, cmap="cividis")  # cividis: readable by colour-blind readers
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        top = max((max(r) for r in counts), default=0)
        for i, row in enumerate(counts):
            for j, value in enumerate(row):
                dark = value < top * 0.6
                ax.text(
                    j,
                    i,
                    str(value),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
        ax.set_xlabel("Label")
        ax.set_ylabel("Label")
        ax.set_title("Training cases with both labels")
        fig.colorbar(image, ax=ax, label="Cases (count)", shrink=0.8)

    side = 2.5 + 0.45 * len(labels)
    return draw_figure(
        side + 1.2, side, draw, "fig-cooc", "Label co-occurrence in the training data"
    )


def text_length_figure(hist: dict[str, Any] | None) -> str | None:
    """Histogram of narrative lengths (characters)."""
    if not hist or not hist.get("counts"):
        return None

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        edges, counts = hist["edges"], hist["counts"]
        widths = [b - a for a, b in zip(edges[:-1], edges[1:], strict=True)]
        ax.bar(
            edges[:-1],
            counts,
            width=widths,
            align="edge",
            color=OKABE_ITO["sky_blue"],
            edgecolor="white",
            linewidth=0.5,
        )
        if hist.get("median") is not None:
            ax.axvline(
                hist["median"],
                color=OKABE_ITO["vermillion"],
                linestyle="--",
                label=f"median {hist['median']:,.0f}",
            )
            ax.legend(frameon=False)
        ax.set_xlabel(f"Narrative length ({hist.get('unit', 'characters')})")
        ax.set_ylabel("Training cases (count)")
        ax.set_title("Length of the training narratives")

    return draw_figure(7, 2.8, draw, "fig-length", "Distribution of narrative lengths")


def quality_figure(per_label: Sequence[dict[str, Any]]) -> str | None:
    """Dot plot with 95% intervals: precision, recall and F1 per label."""
    if not per_label:
        return None
    metrics = [
        ("precision", "Precision", OKABE_ITO["blue"]),
        ("recall", "Recall", OKABE_ITO["orange"]),
        ("f1", "F1", OKABE_ITO["green"]),
    ]

    def draw(fig: Figure) -> None:
        axes = fig.subplots(1, 3, sharey=True)
        names = [r["label"] for r in per_label][::-1]
        for ax, (key, title, colour) in zip(axes, metrics, strict=True):
            for y, row in enumerate(per_label[::-1]):
                m = row[key]
                c = GREY if row["too_few"] else colour
                if m.get("low") is not None:
                    ax.plot([m["low"], m["high"]], [y, y], color=c, linewidth=2)
                ax.plot(
                    [m["estimate"]],
                    [y],
                    "o",
                    color=c,
                    markersize=6,
                    markerfacecolor="white" if row["too_few"] else c,
                )
            ax.set_xlim(-0.02, 1.02)
            ax.set_xlabel(f"{title} (0-1)")
            ax.set_title(title)
            ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        axes[0].set_yticks(range(len(names)), names)
        axes[0].set_ylabel("Label")
        axes[0].set_ylim(-0.6, len(names) - 0.4)

    height = 1.0 + 0.35 * len(per_label)
    return draw_figure(
        8,
        height,
        draw,
        "fig-quality",
        "Cross-validated precision, recall and F1 per label with 95% intervals",
    )


def _operating_point(curve: dict[str, Any], threshold: float | None) -> tuple[float, float] | None:
    if threshold is None or not curve.get("thresholds"):
        return None
    ts = curve["thresholds"]
    # sklearn's thresholds increase; the operating point is the first one at or above ours.
    idx = next((i for i, t in enumerate(ts) if t >= threshold), len(ts) - 1)
    return curve["recall"][idx], curve["precision"][idx]


def pr_curves_figure(
    curves: dict[str, Any] | None,
    thresholds: dict[str, Any],
    too_rare: Sequence[str],
    *,
    top_label_points: dict[str, tuple[float, float]] | None = None,
) -> str | None:
    """Small multiples: out-of-fold precision-recall curve per label, operating point marked.

    A multi-label model assigns a label at its threshold: the dot is the curve's point at
    that threshold. A single-label model assigns the top label, whatever its probability:
    pass ``top_label_points`` ({label: (recall, precision)}, the cross-validated figures of
    that rule) and the dot marks them, labelled "top label", not a threshold.
    """
    if not curves:
        return None
    names = list(curves)
    rows, cols = _grid(len(names))

    def draw(fig: Figure) -> None:
        for k, ax in enumerate(_panels(fig, rows, cols, len(names))):
            label = names[k]
            curve = curves[label]
            colour = GREY if label in too_rare else OKABE_ITO["blue"]
            ax.step(curve["recall"], curve["precision"], where="post", color=colour)
            if top_label_points is not None:
                point = top_label_points.get(label)
                legend = "top label"
            else:
                point = _operating_point(curve, thresholds.get(label))
                legend = f"threshold {thresholds.get(label)}"
            if point is not None:
                ax.plot(
                    [point[0]],
                    [point[1]],
                    "o",
                    color=OKABE_ITO["vermillion"],
                    markersize=7,
                    label=legend,
                )
                ax.legend(loc="lower left", frameon=False, fontsize=7)
            ap = curve.get("average_precision")
            ax.set_title(_panel_title(label, f"AP {ap:.2f}" if ap is not None else ""))
            _unit_panel(ax, k, cols, len(names), "Recall (0-1)", "Precision (0-1)", top=1.05)

    return draw_figure(
        2.3 * cols + 0.6,
        2.3 * rows + 0.4,
        draw,
        "fig-pr",
        "Precision-recall curves with the chosen operating point",
    )


#: Characters of a small multiple's title per line: its panel is 2.3 inches wide.
PANEL_TITLE_CHARS = 24


def _panel_title(name: str, figure: str = "") -> str:
    """A small multiple's title: the label wrapped to the panel's width (a longer word is
    broken), its figure on a line of its own, so that neighbouring titles never run into
    each other."""
    lines = textwrap.wrap(name, PANEL_TITLE_CHARS) or [""]
    return "\n".join(lines + ([f"({figure})"] if figure else []))


def _panels(fig: Figure, rows: int, cols: int, n: int) -> list[Any]:
    """The first ``n`` axes of a ``rows`` x ``cols`` grid sharing both axes; the spare
    cells of the last row are hidden."""
    axes = list(fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True).flat)
    for ax in axes[n:]:
        ax.set_visible(False)
    return axes[:n]


def _unit_panel(
    ax: Any, k: int, cols: int, n: int, xlabel: str, ylabel: str, top: float = 1.02
) -> None:
    """Finish panel ``k`` of a grid of 0-1 by 0-1 small multiples: limits, grid, and axis
    labels on the left column and the bottom row only."""
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, top)
    ax.grid(color="#eeeeee", linewidth=0.6)
    if k % cols == 0:
        ax.set_ylabel(ylabel)
    if k >= n - cols:
        ax.set_xlabel(xlabel)
        ax.xaxis.set_tick_params(labelbottom=True)


def calibration_figure(calibration: dict[str, Any] | None) -> str | None:
    """Small multiples: reliability diagram per label (marker area ~ cases in the bin)."""
    if not calibration:
        return None
    names = [n for n, v in calibration.items() if v.get("bins")]
    if not names:
        return None
    rows, cols = _grid(len(names))

    def draw(fig: Figure) -> None:
        for k, ax in enumerate(_panels(fig, rows, cols, len(names))):
            entry = calibration[names[k]]
            bins = entry["bins"]
            total = sum(b["count"] for b in bins) or 1
            ax.plot(
                [0, 1], [0, 1], linestyle="--", color=GREY, linewidth=1, label="perfect calibration"
            )
            ax.plot(
                [b["mean_predicted"] for b in bins],
                [b["fraction_positive"] for b in bins],
                color=OKABE_ITO["orange"],
                linewidth=1,
            )
            ax.scatter(
                [b["mean_predicted"] for b in bins],
                [b["fraction_positive"] for b in bins],
                s=[12 + 250 * b["count"] / total for b in bins],
                color=OKABE_ITO["orange"],
                edgecolor=OKABE_ITO["black"],
                linewidth=0.4,
                zorder=3,
            )
            ece = entry.get("ece")
            ax.set_title(_panel_title(names[k], f"ECE {ece:.3f}" if ece is not None else ""))
            _unit_panel(
                ax,
                k,
                cols,
                len(names),
                "Predicted probability (0-1)",
                "Observed share with label (0-1)",
            )

    return draw_figure(
        2.3 * cols + 0.6,
        2.3 * rows + 0.4,
        draw,
        "fig-calibration",
        "Calibration (reliability) of the predicted probabilities",
    )


def learning_curve_figure(curve: dict[str, Any] | None) -> str | None:
    """Micro- and macro-F1 against the number of labelled cases, with 95% interval bands
    (``report["learning_curve"]``)."""
    if not curve or not curve.get("points"):
        return None
    points = curve["points"]
    n_cases = [p["n_cases"] for p in points]
    series = [
        ("micro_f1", "micro-F1 (all labels)", OKABE_ITO["blue"], "o"),
        ("macro_f1", "macro-F1 (mean over labels)", OKABE_ITO["orange"], "s"),
    ]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        for key, name, colour, marker in series:
            low = [p[f"{key}_95ci"][0] for p in points]
            high = [p[f"{key}_95ci"][1] for p in points]
            ax.fill_between(n_cases, low, high, color=colour, alpha=0.2, linewidth=0)
            ax.plot(
                n_cases,
                [p[key] for p in points],
                marker=marker,
                color=colour,
                label=f"{name}, 95% interval",
            )
        ax.set_xticks(n_cases, [f"{n:,}" for n in n_cases])
        ax.set_xlim(0, max(n_cases) * 1.05)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("Labelled cases used (count)")
        ax.set_ylabel("Cross-validated F1 (0-1)")
        ax.set_title("Quality as the labelled cases grow")
        ax.grid(color="#eeeeee", linewidth=0.6)
        ax.legend(loc="lower right", frameon=False)

    return draw_figure(
        7,
        3.0,
        draw,
        "fig-curve",
        "Learning curve: cross-validated micro- and macro-F1 by number of labelled cases",
    )
