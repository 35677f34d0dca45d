"""The methods note of a report: plain sentences a reader can follow, ready to paste under a
story. Every figure in it comes from the report dict (so from the model card and the run
summaries); nothing is typed by hand.
"""

from __future__ import annotations

from typing import Any

__all__ = ["methods_paragraph", "pct", "describe_goal"]


def pct(value: float | None) -> str:
    """``0.8123`` -> ``81%``."""
    return "n/a" if value is None else f"{round(100 * float(value))}%"


def _pct_interval(metric: dict[str, Any]) -> str:
    text = pct(metric.get("estimate"))
    if metric.get("low") is not None and metric.get("high") is not None:
        text += f" (95% interval {pct(metric['low'])}-{pct(metric['high'])})"
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


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _data_sentence(model: dict[str, Any], n_cases: int) -> str:
    files = (model.get("data") or {}).get("files") or []
    if not files:
        return (
            f"The model learned from {n_cases:,} narratives that people had labelled by hand "
            "(the source files were not recorded)."
        )
    parts = [
        f"{f.get('name')} ({int(f.get('rows', 0)):,} rows, SHA-256 {f.get('sha256')})"
        for f in files
    ]
    return (
        f"The model learned from {n_cases:,} narratives that people had labelled by hand, "
        f"taken from {_join(parts)}."
    )


def _model_sentence(model: dict[str, Any], labels: list[str]) -> str:
    codebook = model.get("codebook")
    book = (
        f"The {len(labels)} categories ({_join(labels)}) follow the codebook "
        f'"{codebook.get("name")}", version {codebook.get("version")}.'
        if codebook
        else f"The {len(labels)} categories are {_join(labels)} (no codebook was recorded)."
    )
    kind = model.get("classifier") or "a statistical text classifier"
    return (
        f"{book} The computer model is a {kind} that weighs the words and short phrases of "
        f"each narrative ({model.get('features') or 'word features'}) and gives each category "
        "a probability; the probabilities were calibrated so that, for example, 70% means "
        "about seven in ten such cases have the category."
    )


def _quality_sentences(quality: dict[str, Any]) -> list[str]:
    n_folds = quality.get("n_folds")
    out = [
        f"We measured its accuracy by {n_folds}-fold cross-validation: the labelled cases were "
        f"split into {n_folds} parts, and each part was tagged by a model trained on the "
        "others, so every case was judged by a model that had not seen it (exact duplicates "
        "were kept in the same part)."
    ]
    by_goal: dict[str, list[str]] = {}
    for r in quality["per_label"]:
        if r.get("threshold") is not None:
            by_goal.setdefault(describe_goal(r.get("goal")), []).append(
                f"{r['label']} ({r['threshold']})"
            )
    if by_goal:
        out.append(
            "A category is assigned when its probability reaches a threshold chosen on those "
            "held-out results, "
            + "; ".join(f"{goal} for {_join(items)}" for goal, items in by_goal.items())
            + "."
        )
    measured = [
        f"for {r['label']}, {_pct_interval(r['precision'])} of the model's tags were right "
        f"(precision) and it found {_pct_interval(r['recall'])} of the {r['support']:,} "
        "cases people had labelled with it (recall)"
        for r in quality["per_label"]
        if not r["too_few"]
    ]
    if measured:
        out.append("Measured this way, " + "; ".join(measured) + ".")
    if quality.get("too_rare"):
        out.append(
            f"{_join(quality['too_rare'])} had fewer than {quality.get('min_support')} labelled "
            "examples: too few to measure, so counts for "
            f"{'it' if len(quality['too_rare']) == 1 else 'them'} should not be published."
        )
    return out


def _release_sentences(release: dict[str, Any]) -> list[str]:
    out = []
    n = release.get("n_cases")
    if n is not None:
        src = release.get("source") or {}
        from_file = f" ({src.get('name')}, SHA-256 {src.get('sha256')})" if src.get("name") else ""
        line = f"The model tagged {n:,} narratives in this release{from_file}."
        if release.get("n_needs_review") is not None:
            share = pct(release["n_needs_review"] / n) if n else "0%"
            line += (
                f" It was unsure about {release['n_needs_review']:,} of them ({share}), which "
                "were flagged for a person to check."
            )
        out.append(line)
        corrected = [
            f"{c['label']} {c['corrected']['estimate']:,.0f} "
            f"(95% interval {c['corrected']['low']:,.0f}-{c['corrected']['high']:,.0f}; "
            f"the model tagged {c['tagged']:,})"
            for c in release.get("counts", [])
            if c.get("corrected")
        ]
        if corrected:
            out.append(
                "Counts corrected for the model's measured error rates (adjusted "
                f"classify-and-count) are: {'; '.join(corrected)}."
            )
    audit = release.get("audit")
    if audit:
        reviewers = audit.get("reviewers")
        n_rev = len(reviewers) if isinstance(reviewers, (list, tuple, set)) else reviewers
        line = (
            f"People reviewed a random audit sample of {int(audit.get('n_audited', 0)):,} "
            f"tagged cases" + (f" ({n_rev} reviewers)" if n_rev else "") + "."
        )
        kappas = [
            f"{label} {float(v['kappa']):.2f} ({int(v.get('n_both', 0))} cases seen by two)"
            for label, v in (audit.get("agreement") or {}).items()
            if v.get("kappa") is not None
        ]
        if kappas:
            line += (
                " Agreement between reviewers (Cohen's kappa, where 1 is perfect and 0 is "
                f"chance) was {'; '.join(kappas)}."
            )
        out.append(line)
    if release.get("drift_warnings"):
        out.append(
            f"A comparison with the previous release raised {len(release['drift_warnings'])} "
            "drift warning(s), listed in the report."
        )
    return out


def methods_paragraph(report: dict[str, Any]) -> str:
    """Write the methods note for ``report`` (see :func:`allegations.report.build.build_report`)."""
    model = report["model"]
    training = report["training_data"]
    sentences = [
        _data_sentence(model, training["n_cases"]),
        _model_sentence(model, model["labels"]),
        *_quality_sentences(report["quality"]),
    ]
    if report.get("release"):
        sentences += _release_sentences(report["release"])
    versions = model.get("versions") or {}
    if versions:
        sentences.append("Software: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".")
    if model.get("model_id"):
        sentences.append(f"Model id {model['model_id'][:12]}.")
    return " ".join(sentences)
