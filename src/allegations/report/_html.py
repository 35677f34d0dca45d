"""Render a report dict as one self-contained HTML page: inline CSS and SVG figures, no
scripts, no fonts or images fetched from anywhere, a print stylesheet.

Every value from the inputs (labels, file names, notes, warnings) is HTML-escaped
(:mod:`allegations.report._html_parts`). This module holds the page, the training data,
model quality and learning curve sections; :mod:`allegations.report._html_release` the
tagged release.
"""

from __future__ import annotations

from typing import Any

from . import _figures as figs
from ._curve import CURVE_COMMAND, CURVE_OPTION
from ._html_parts import esc, figure_html, interval_text, table_html, warn_list
from ._html_release import release_section

__all__ = ["render_html"]

CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #d0d0d0; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px 32px 48px; color: var(--ink);
  font: 15px/1.5 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif;
  background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-top: 8px; border-top: 2px solid var(--ink); }
h3 { font-size: 16px; margin: 20px 0 6px; }
.sub { color: var(--muted); margin: 0 0 16px; }
nav ol { columns: 2; margin: 8px 0 0; padding-left: 20px; }
nav a { color: var(--accent); }
figure { margin: 12px 0 20px; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 10px; text-align: left;
  vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.missing { color: var(--muted); font-style: italic; }
.warn { border-left: 4px solid #D55E00; padding: 4px 12px; background: #fdf1e8; }
.methods { border: 1px solid var(--rule); background: #f7f7f7; padding: 12px 16px;
  font-family: Georgia, "DejaVu Serif", serif; }
code { font-size: 12px; word-break: break-all; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  figure, table, .methods { break-inside: avoid; page-break-inside: avoid; }
  figure svg { max-width: 100%; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _training(report: dict[str, Any]) -> str:
    t = report["training_data"]
    intro = (
        f"<p>{t['n_cases']:,} hand-labelled narratives; "
        f"{t.get('n_cases_without_label') or 0:,} with no label and "
        f"{t.get('n_cases_with_several_labels') or 0:,} with several.</p>"
    )
    hist = t.get("text_length_hist")
    length_caption = (
        f"Narrative length in characters (median {hist['median']:,.0f}, longest {hist['max']:,})."
        if hist and "median" in hist
        else "Narrative length in characters."
    )
    return (
        '<section id="training"><h2>1. Training data</h2>'
        + intro
        + figure_html(
            figs.label_counts_figure(t["label_counts"]),
            "Number of training narratives carrying each label.",
            "Cases per label",
        )
        + _cooccurrence(t.get("cooccurrence"))
        + figure_html(figs.text_length_figure(hist), length_caption, "Text length distribution")
        + "</section>"
    )


def _cooccurrence(cooc: dict[str, Any] | None) -> str:
    """The co-occurrence heatmap; for data where no case carries two labels, a line that
    says so (the figure would be its diagonal only, which the counts figure shows)."""
    svg = figs.cooccurrence_figure(cooc)
    if svg is None and cooc:
        return '<p class="missing">Label co-occurrence: no training case carries two labels.</p>'
    return figure_html(
        svg,
        "Training narratives carrying both the row and the column label; the "
        "diagonal is the label's own count.",
        "Label co-occurrence",
    )


def _quality(report: dict[str, Any]) -> str:
    q = report["quality"]
    rule = q.get("decision_rule") or {}
    top_label = rule.get("kind") == "top label"
    rows = [
        [
            r["label"],
            r["support"],
            "top label" if top_label else r["threshold"],
            r["goal"],
            interval_text(r["precision"]),
            interval_text(r["recall"]),
            interval_text(r["f1"]),
            "too few examples to measure" if r["too_few"] else "",
        ]
        for r in q["per_label"]
    ]
    parts = [
        '<section id="quality"><h2>2. Model quality</h2>',
        f"<p>{esc(q.get('scheme') or 'Cross-validation')}. Micro-F1 "
        f"{esc(q.get('micro_f1'))}, macro-F1 {esc(q.get('macro_f1'))} (labels with at least "
        f"{esc(q.get('min_support'))} cases). {esc(q['interval_method'])}.</p>",
        f"<p><strong>Decision rule.</strong> {esc(rule.get('text', ''))}</p>",
        figure_html(
            figs.quality_figure(q["per_label"]),
            "Dots: cross-validated estimate; bars: 95% interval. Hollow grey: too few "
            "examples to measure.",
            "Precision, recall and F1",
        ),
        table_html(
            [
                "label",
                "cases",
                "threshold",
                "goal",
                "precision (95%)",
                "recall (95%)",
                "F1 (95%)",
                "note",
            ],
            rows,
            {1, 2},
        ),
        "<h3>Precision-recall curves</h3>",
        figure_html(
            figs.pr_curves_figure(
                q.get("pr_curves"),
                q["thresholds"],
                q["too_rare"],
                top_label_points={
                    r["label"]: (r["recall"]["estimate"], r["precision"]["estimate"])
                    for r in q["per_label"]
                }
                if top_label
                else None,
            ),
            "Out-of-fold precision against recall as a threshold would move; the dot is "
            + (
                "the cross-validated result of the rule the model uses (the top label wins)."
                if top_label
                else "the threshold the model uses."
            )
            + " AP: average precision.",
            "Precision-recall curves",
        ),
        "<h3>Calibration</h3>",
        figure_html(
            figs.calibration_figure(q.get("calibration")),
            "Cases grouped by predicted probability: a well calibrated model sits on the "
            "dashed line. Marker area: cases in the group. ECE: expected calibration "
            "error.",
            "Calibration",
        ),
        "<h3>Labels too rare to measure</h3>",
        (
            f"<p>Fewer than {esc(q.get('min_support'))} training cases: "
            + ", ".join(f"<strong>{esc(x)}</strong>" for x in q["too_rare"])
            + ". Their figures above are shown in grey and should not be published.</p>"
            if q["too_rare"]
            else "<p>None: every label has enough cases to measure.</p>"
        ),
    ]
    notes = report["model"].get("notes") or []
    if notes:
        parts.append(
            "<h3>Training notes</h3><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>"
        )
    parts.append("</section>")
    return "".join(parts)


def _f1_text(point: dict[str, Any], key: str) -> str:
    low, high = point[f"{key}_95ci"]
    return f"{point[key]:.2f} ({low:.2f}-{high:.2f})"


def _curve(report: dict[str, Any]) -> str:
    """Would more labels help? The curve from ``allegations curve --json``, or how to add it."""
    head = '<section id="curve"><h2>3. Would more labels help?</h2>'
    curve = report.get("learning_curve")
    if not curve:
        return (
            head + '<p class="missing">No learning curve given. To see whether more labels '
            f"would help, run <code>{esc(CURVE_COMMAND)}</code> on the labelled data this "
            "model was trained on (with the same label options as <code>train</code>), then "
            f"pass <code>{esc(CURVE_OPTION)}</code> to <code>allegations report</code>.</p>"
            "</section>"
        )
    source = curve.get("source") or {}
    parts = [
        head,
        figure_html(figs.learning_curve_figure(curve), curve["method"], "Learning curve"),
        f"<p><strong>{esc(curve['sentence'])}</strong></p>",
        table_html(
            ["labelled cases", "share", "micro-F1 (95%)", "macro-F1 (95%)"],
            [
                [
                    f"{p['n_cases']:,}",
                    f"{round(100 * p['fraction'])}%",
                    _f1_text(p, "micro_f1"),
                    _f1_text(p, "macro_f1"),
                ]
                for p in curve["points"]
            ],
            {0, 1},
        ),
    ]
    if curve.get("notes"):
        parts.append(warn_list(curve["notes"]))
    if source.get("name"):
        parts.append(
            f"<p>From <code>{esc(source['name'])}</code> (sha256 "
            f"<code>{esc(source.get('sha256'))}</code>), written by "
            "<code>allegations curve --json</code>.</p>"
        )
    parts.append("</section>")
    return "".join(parts)


def _methods_table(report: dict[str, Any]) -> str:
    table = report.get("methods_table")
    if not table:
        return ""
    columns = table["columns"]
    numeric = {i for i, c in enumerate(columns) if c in ("training cases", "tagged")}
    return table_html(columns, table["rows"], numeric)


def render_html(report: dict[str, Any]) -> str:
    """Render ``report`` (from :func:`allegations.report._build.build_report`) as an HTML page."""
    model = report["model"]
    title = "Allegation tagger report"
    sub = (
        f"Model {esc((model.get('model_id') or '')[:12]) or '(unsaved)'}, trained "
        f"{esc(model.get('created') or 'n/a')}; {len(model['labels'])} labels; made with "
        f"allegations {esc(report['allegations_version'])}."
    )
    missing = report.get("missing") or []
    missing_html = (
        f'<p class="missing">This model\'s card does not record: {esc(", ".join(missing))}. '
        "Retrain with this version of allegations to include them.</p>"
        if missing
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{title}</h1><p class="sub">{sub}</p>{missing_html}</header>'
        '<nav><strong>Contents</strong><ol><li><a href="#training">Training data</a></li>'
        '<li><a href="#quality">Model quality</a></li><li><a href="#curve">Would more labels '
        'help?</a></li><li><a href="#release">Tagged release</a></li><li><a href="#methods">'
        "Methods note</a></li></ol></nav>"
        + _training(report)
        + _quality(report)
        + _curve(report)
        + release_section(report)
        + '<section id="methods"><h2>5. Methods note</h2><p>Ready to paste under a story.</p>'
        f'<p class="methods">{esc(report["methods"])}</p>'
        + _methods_table(report)
        + "</section></body></html>\n"
    )
