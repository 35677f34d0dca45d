"""The methods note of a report: plain sentences a reader can follow, ready to paste under a
story. Every figure in it comes from the report dict (so from the model card and the run
summaries); nothing is typed by hand.
"""

from __future__ import annotations

from typing import Any

__all__ = ["methods_paragraph", "methods_table", "plural", "pct", "describe_goal"]


def pct(value: float | None) -> str:
    """``0.8123`` -> ``81%``."""
    return "n/a" if value is None else f"{round(100 * float(value))}%"


def _pct_interval(metric: dict[str, Any]) -> str:
    text = pct(metric.get("estimate"))
    if metric.get("low") is not None and metric.get("high") is not None:
        text += f" ({pct(metric['low'])}-{pct(metric['high'])})"
    return text


def describe_goal(goal: str | None) -> str:
    """A goal such as ``precision=0.9`` in words."""
    if not goal or goal == "f1":
        return "to balance missed cases against wrong tags"
    metric, _, target = goal.partition("=")
    share = pct(float(target)) if target else "a set share"
    if metric == "precision":
        return f"so that at least {share} of its tags are right"
    if metric == "recall":
        return f"so that it finds at least {share} of the cases that have the category"
    return f"for the goal {goal}"


def join_words(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 reviewer``, ``2 reviewers``, ``1,200 cases``."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def _who(model: dict[str, Any]) -> str:
    source = model.get("label_source")
    if source:
        return f"whose categories were assigned by {source}"
    return "(who assigned their categories was not recorded: retrain with --label-source)"


def _rule(model: dict[str, Any]) -> str:
    if model.get("task") == "exclusive":
        return "gives each narrative the one category with the highest probability"
    return (
        "gives each narrative every category whose probability reaches that category's "
        "threshold, chosen on held-out cases"
    )


def _release_sentences(release: dict[str, Any]) -> list[str]:
    out = []
    n = release.get("n_cases")
    if n is not None:
        name = (release.get("source") or {}).get("name")
        line = f"It tagged {plural(n, 'narrative')}" + (f" of {name}" if name else "")
        blank = release.get("n_blank")
        if blank:
            line += f" ({blank:,} {'was' if blank == 1 else 'were'} blank)"
        out.append(line + ".")
        sources = [(c.get("recommended") or {}).get("source") for c in release.get("counts", [])]
        audit = release.get("audit") or {}
        parts = []
        n_audit = sources.count("audit")
        if n_audit:
            reviewers = audit.get("reviewers")
            n_rev = len(reviewers) if isinstance(reviewers, (list, tuple, set)) else reviewers
            by = f" by {plural(int(n_rev), 'reviewer')}" if n_rev else ""
            parts.append(
                f"{plural(n_audit, 'count')} from an audit of "
                f"{plural(int(audit.get('n_audited', 0)), 'case')} checked{by}"
            )
        n_model = sources.count("model")
        if n_model:
            parts.append(
                f"{plural(n_model, 'count')} corrected for the model's measured error rates, "
                "where the release did not drift from the training data"
            )
        n_none = sources.count(None) if sources else 0
        if n_none:
            parts.append(f"no reliable figure for {plural(n_none, 'category', 'categories')}")
        if parts:
            out.append("The table gives " + join_words(parts) + ", with 95% intervals.")
    drift = release.get("drift_warnings") or []
    if drift:
        out.append(
            f"A comparison with the training data raised {plural(len(drift), 'drift warning')}."
        )
    return out


def methods_paragraph(report: dict[str, Any]) -> str:
    """The methods note of ``report``: at most about 120 words, with :func:`methods_table`.

    What was done, by whom, how well and what the numbers mean; the figures themselves are
    in the table.
    """
    model = report["model"]
    quality = report["quality"]
    n_cases = int(report["training_data"]["n_cases"])
    sentences = [
        f"A text classifier learned from {plural(n_cases, 'narrative')} {_who(model)}; it "
        f"{_rule(model)}.",
        "Its precision (how often its tags were right) and recall (the share of each "
        f"category's cases it found) come from {quality.get('n_folds')}-fold "
        "cross-validation, in which each case was judged by a model that had not seen it.",
    ]
    if report.get("release"):
        sentences += _release_sentences(report["release"])
    version = report.get("allegations_version")
    model_id = (model.get("model_id") or "")[:12]
    sentences.append(
        f"Software: allegations {version}" + (f", model {model_id}" if model_id else "") + "."
    )
    return " ".join(sentences)


def methods_table(report: dict[str, Any]) -> dict[str, Any]:
    """The table under the methods note: one row per category, no empty columns.

    Columns: category, training cases, precision and recall (95% intervals; "too few to
    measure" for rare categories), and with a release: tagged, and the count to publish
    with its source.
    """
    columns = ["category", "training cases", "precision (95%)", "recall (95%)"]
    release = report.get("release") or {}
    counts = {c["label"]: c for c in release.get("counts") or []}
    if counts:
        columns += ["tagged", "count to publish (95%)", "source"]
    rows = []
    for r in report["quality"]["per_label"]:
        row: list[Any] = [r["label"], r["support"]]
        if r["too_few"]:
            row += ["too few to measure", "too few to measure"]
        else:
            row += [_pct_interval(r["precision"]), _pct_interval(r["recall"])]
        c = counts.get(r["label"])
        if counts and c is not None:
            rec = c.get("recommended") or {}
            figure = (
                f"{rec['estimate']:,.0f} ({rec['low']:,.0f}-{rec['high']:,.0f})"
                if rec.get("estimate") is not None
                else "none"
            )
            row += [c["tagged"], figure, rec.get("source") or "-"]
        rows.append(row)
    return {"columns": columns, "rows": rows}
