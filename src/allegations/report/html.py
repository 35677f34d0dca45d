"""Render a report dict as one self-contained HTML page: inline CSS and SVG figures, no
scripts, no fonts or images fetched from anywhere, a print stylesheet.

Every value from the inputs (labels, file names, notes, warnings) is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from . import figures as figs
from .methods import pct

__all__ = ["render_html", "NOT_RECORDED"]

NOT_RECORDED = "not recorded by this model"

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


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _figure(svg: str | None, caption: str, what: str) -> str:
    if svg is None:
        return f'<p class="missing">{_e(what)}: {NOT_RECORDED}.</p>'
    return f'<figure class="fig">{svg}<figcaption>{_e(caption)}</figcaption></figure>'


def _interval(m: dict[str, Any] | None, as_pct: bool = True) -> str:
    if not m or m.get("estimate") is None:
        return "n/a"
    fmt = pct if as_pct else (lambda v: f"{float(v):,.0f}")
    text = fmt(m["estimate"])
    if m.get("low") is not None and m.get("high") is not None:
        text += f" ({fmt(m['low'])}-{fmt(m['high'])})"
    return text


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], numeric: set[int]) -> str:
    def cell(tag: str, i: int, v: Any) -> str:
        cls = ' class="num"' if i in numeric else ""
        return f"<{tag}{cls}>{_e(v)}</{tag}>"

    th = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


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
        + _figure(
            figs.label_counts_figure(t["label_counts"]),
            "Number of training narratives carrying each label.",
            "Cases per label",
        )
        + _cooccurrence(t.get("cooccurrence"))
        + _figure(figs.text_length_figure(hist), length_caption, "Text length distribution")
        + "</section>"
    )


def _cooccurrence(cooc: dict[str, Any] | None) -> str:
    """The co-occurrence heatmap; for data where no case carries two labels, a line that
    says so (the figure would be its diagonal only, which the counts figure shows)."""
    svg = figs.cooccurrence_figure(cooc)
    if svg is None and cooc:
        return '<p class="missing">Label co-occurrence: no training case carries two labels.</p>'
    return _figure(
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
            _interval(r["precision"]),
            _interval(r["recall"]),
            _interval(r["f1"]),
            "too few examples to measure" if r["too_few"] else "",
        ]
        for r in q["per_label"]
    ]
    parts = [
        '<section id="quality"><h2>2. Model quality</h2>',
        f"<p>{_e(q.get('scheme') or 'Cross-validation')}. Micro-F1 "
        f"{_e(q.get('micro_f1'))}, macro-F1 {_e(q.get('macro_f1'))} (labels with at least "
        f"{_e(q.get('min_support'))} cases). {_e(q['interval_method'])}.</p>",
        f"<p><strong>Decision rule.</strong> {_e(rule.get('text', ''))}</p>",
        _figure(
            figs.quality_figure(q["per_label"]),
            "Dots: cross-validated estimate; bars: 95% interval. Hollow grey: too few "
            "examples to measure.",
            "Precision, recall and F1",
        ),
        _table(
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
        _figure(
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
        _figure(
            figs.calibration_figure(q.get("calibration")),
            "Cases grouped by predicted probability: a well calibrated model sits on the "
            "dashed line. Marker area: cases in the group. ECE: expected calibration "
            "error.",
            "Calibration",
        ),
        "<h3>Labels too rare to measure</h3>",
        (
            f"<p>Fewer than {_e(q.get('min_support'))} training cases: "
            + ", ".join(f"<strong>{_e(x)}</strong>" for x in q["too_rare"])
            + ". Their figures above are shown in grey and should not be published.</p>"
            if q["too_rare"]
            else "<p>None: every label has enough cases to measure.</p>"
        ),
    ]
    notes = report["model"].get("notes") or []
    if notes:
        parts.append(
            "<h3>Training notes</h3><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>"
        )
    parts.append("</section>")
    return "".join(parts)


def _audit(audit: dict[str, Any]) -> str:
    reviewers = audit.get("reviewers")
    n_rev = len(reviewers) if isinstance(reviewers, (list, tuple, set)) else reviewers
    parts = [
        "<h3>Audit sample</h3>",
        f"<p>{int(audit.get('n_audited', 0)):,} cases reviewed by people"
        + (f" ({_e(n_rev)} reviewers)" if n_rev else "")
        + ".</p>",
    ]
    rows = [
        [
            r.get("label"),
            r.get("tagged", ""),
            r.get("n_audited", ""),
            _interval(r.get("precision")),
            _interval(r.get("recall")),
            _interval(r.get("elusion")),
            _interval(r.get("estimated_count"), as_pct=False),
        ]
        for r in audit.get("per_label", [])
    ]
    if rows:
        parts.append(
            _table(
                [
                    "label",
                    "tagged",
                    "audited",
                    "precision (95%)",
                    "recall (95%)",
                    "elusion (95%)",
                    "estimated count (95%)",
                ],
                rows,
                {1, 2, 6},
            )
        )
    agreement = audit.get("agreement") or {}
    if agreement:
        parts.append(
            _table(
                ["label", "Cohen's kappa", "cases seen by two reviewers"],
                [
                    [
                        k,
                        "n/a" if v.get("kappa") is None else f"{float(v['kappa']):.2f}",
                        v.get("n_both", ""),
                    ]
                    for k, v in agreement.items()
                ],
                {1, 2},
            )
        )
    else:
        parts.append("<p>Reviewers' agreement: no case was reviewed twice.</p>")
    return "".join(parts)


def _recommended(r: dict[str, Any]) -> str:
    rows = []
    for c in r["counts"]:
        rec = c.get("recommended") or {}
        rows.append(
            [
                c["label"],
                c["tagged"],
                _interval(rec, as_pct=False) if rec.get("estimate") is not None else "none",
                rec.get("source") or "",
                rec.get("reason", ""),
            ]
        )
    return (
        '<h3 id="recommended">Recommended counts: the figures to publish</h3>'
        + _table(["label", "tagged", "recommended (95%)", "source", "why"], rows, {1, 2})
        + f"<p><strong>Rule.</strong> {_e(r.get('recommendation_rule', ''))}</p>"
    )


def _release(report: dict[str, Any]) -> str:
    r = report.get("release")
    if not r:
        return (
            '<section id="release"><h2>3. Tagged release</h2><p class="missing">No tagged '
            "release given (pass --predictions).</p></section>"
        )
    parts = ['<section id="release"><h2>3. Tagged release</h2>']
    if r.get("n_cases") is not None:
        src = r.get("source") or {}
        n_review = r.get("n_needs_review")
        share = pct(n_review / r["n_cases"] if r["n_cases"] else 0) if n_review is not None else ""
        parts.append(
            f"<p>{r['n_cases']:,} cases"
            + (
                f" from <code>{_e(src['name'])}</code> (sha256 <code>{_e(src.get('sha256'))}"
                "</code>)"
                if src.get("name")
                else ""
            )
            + ". "
            + (
                f"{r['n_blank']:,} blank (no text: no label, no confidence, counted apart). "
                if r.get("n_blank")
                else ""
            )
            + (
                f"{n_review:,} ({share}) need review: the least confident cases, up to the "
                "review share chosen at predict."
                if n_review is not None
                else "Cases needing review: the predictions file has no needs_review column."
            )
            + "</p>"
        )
        if any("recommended" in c for c in r["counts"]):
            parts.append(_recommended(r))
        parts.append(
            "<h3>Supporting detail</h3><p>The figures below explain the recommended counts; "
            "publish the recommended ones above.</p>"
        )
        parts.append(
            _figure(
                figs.release_counts_figure(r["counts"], r.get("audit")),
                "Bars: cases the model tagged. Dots: corrected for the measured "
                "error rates, 95% interval."
                + (
                    " Diamonds: estimated from the audit sample, 95% interval."
                    if r.get("audit")
                    else ""
                ),
                "Counts per label",
            )
        )
        parts.append(
            _table(
                ["label", "tagged", "corrected (95%)", "tpr", "fpr", "note"],
                [
                    [
                        c["label"],
                        c["tagged"],
                        _interval(c.get("corrected"), as_pct=False),
                        "" if c.get("tpr") is None else f"{c['tpr']:.3f}",
                        "" if c.get("fpr") is None else f"{c['fpr']:.3f}",
                        c.get("note", ""),
                    ]
                    for c in r["counts"]
                ],
                {1, 2, 3, 4},
            )
        )
        parts.append(f"<p><strong>Estimator.</strong> {_e(r.get('estimator', ''))}</p>")
        parts.append(
            _figure(
                figs.confidence_figure(r.get("confidence")),
                "Confidence per case: one minus the largest calibrated chance that one of its "
                "labels' calls is wrong (0.5: a coin toss on some label; 1: certain).",
                "Confidence distribution",
            )
        )
    if r.get("audit"):
        parts.append(_audit(r["audit"]))
    parts.append("<h3>Drift</h3>")
    if r.get("drift_warnings"):
        parts.append(
            '<div class="warn"><ul>'
            + "".join(f"<li>{_e(w)}</li>" for w in r["drift_warnings"])
            + "</ul></div>"
        )
    elif r.get("summary_given"):
        parts.append("<p>The release comparison raised no drift warnings.</p>")
    else:
        parts.append('<p class="missing">No release comparison given (pass --summary).</p>')
    parts.append("</section>")
    return "".join(parts)


def _methods_table(report: dict[str, Any]) -> str:
    table = report.get("methods_table")
    if not table:
        return ""
    columns = table["columns"]
    numeric = {i for i, c in enumerate(columns) if c in ("training cases", "tagged")}
    return _table(columns, table["rows"], numeric)


def render_html(report: dict[str, Any]) -> str:
    """Render ``report`` (from :func:`allegations.report.build.build_report`) as an HTML page."""
    model = report["model"]
    title = "Allegation tagger report"
    sub = (
        f"Model {_e((model.get('model_id') or '')[:12]) or '(unsaved)'}, trained "
        f"{_e(model.get('created') or 'n/a')}; {len(model['labels'])} labels; made with "
        f"allegations {_e(report['allegations_version'])}."
    )
    missing = report.get("missing") or []
    missing_html = (
        f'<p class="missing">This model\'s card does not record: {_e(", ".join(missing))}. '
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
        '<li><a href="#quality">Model quality</a></li><li><a href="#release">Tagged release'
        '</a></li><li><a href="#methods">Methods note</a></li></ol></nav>'
        + _training(report)
        + _quality(report)
        + _release(report)
        + '<section id="methods"><h2>4. Methods note</h2><p>Ready to paste under a story.</p>'
        f'<p class="methods">{_e(report["methods"])}</p>'
        + _methods_table(report)
        + "</section></body></html>\n"
    )
