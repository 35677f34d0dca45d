"""The HTML report's section on a tagged release: the recommended counts, the supporting
figures and tables, the audit sample and drift.
"""

from __future__ import annotations

from typing import Any

from . import _release_figures as figs
from ._html_parts import esc, figure_html, interval_text, table_html, warn_list
from ._methods import pct

__all__ = ["release_section"]


def _audit(audit: dict[str, Any]) -> str:
    reviewers = audit.get("reviewers")
    n_rev = len(reviewers) if isinstance(reviewers, (list, tuple, set)) else reviewers
    parts = [
        "<h3>Audit sample</h3>",
        f"<p>{int(audit.get('n_audited', 0)):,} cases reviewed by people"
        + (f" ({esc(n_rev)} reviewers)" if n_rev else "")
        + ".</p>",
    ]
    rows = [
        [
            r.get("label"),
            r.get("tagged", ""),
            r.get("n_audited", ""),
            interval_text(r.get("precision")),
            interval_text(r.get("recall")),
            interval_text(r.get("elusion")),
            interval_text(r.get("estimated_count"), as_pct=False),
        ]
        for r in audit.get("per_label", [])
    ]
    if rows:
        parts.append(
            table_html(
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
            table_html(
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
                interval_text(rec, as_pct=False) if rec.get("estimate") is not None else "none",
                rec.get("source") or "",
                rec.get("reason", ""),
            ]
        )
    return (
        '<h3 id="recommended">Recommended counts: the figures to publish</h3>'
        + table_html(["label", "tagged", "recommended (95%)", "source", "why"], rows, {1, 2})
        + f"<p><strong>Rule.</strong> {esc(r.get('recommendation_rule', ''))}</p>"
    )


def release_section(report: dict[str, Any]) -> str:
    r = report.get("release")
    if not r:
        return (
            '<section id="release"><h2>4. Tagged release</h2><p class="missing">No tagged '
            "release given (pass --predictions).</p></section>"
        )
    parts = ['<section id="release"><h2>4. Tagged release</h2>']
    if r.get("n_cases") is not None:
        src = r.get("source") or {}
        n_review = r.get("n_needs_review")
        share = pct(n_review / r["n_cases"] if r["n_cases"] else 0) if n_review is not None else ""
        parts.append(
            f"<p>{r['n_cases']:,} cases"
            + (
                f" from <code>{esc(src['name'])}</code> (sha256 <code>{esc(src.get('sha256'))}"
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
            figure_html(
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
            table_html(
                ["label", "tagged", "corrected (95%)", "tpr", "fpr", "note"],
                [
                    [
                        c["label"],
                        c["tagged"],
                        interval_text(c.get("corrected"), as_pct=False),
                        "" if c.get("tpr") is None else f"{c['tpr']:.3f}",
                        "" if c.get("fpr") is None else f"{c['fpr']:.3f}",
                        c.get("note", ""),
                    ]
                    for c in r["counts"]
                ],
                {1, 2, 3, 4},
            )
        )
        parts.append(f"<p><strong>Estimator.</strong> {esc(r.get('estimator', ''))}</p>")
        parts.append(
            figure_html(
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
        parts.append(warn_list(r["drift_warnings"]))
    elif r.get("summary_given"):
        parts.append("<p>The release comparison raised no drift warnings.</p>")
    else:
        parts.append('<p class="missing">No release comparison given (pass --summary).</p>')
    parts.append("</section>")
    return "".join(parts)
