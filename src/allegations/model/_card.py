"""The model card for people: ``model-card.md``, rendered from the card's JSON."""

from __future__ import annotations

from typing import Any

__all__ = ["render_card_markdown"]


def _with_ci(value: float, interval: Any) -> str:
    if not interval:
        return f"{value:.3f}"
    return f"{value:.3f} ({float(interval[0]):.3f}-{float(interval[1]):.3f})"


def _interval(interval: Any) -> str:
    if not interval:
        return ""
    return f" ({float(interval[0]):.3f}-{float(interval[1]):.3f})"


def render_card_markdown(card: dict[str, Any]) -> str:
    """Render a model card dict as Markdown."""
    cv = card.get("cross_validation", {})
    lines = [
        "# Model card",
        "",
        f"- Model id: `{card.get('model_id', '')}`",
        f"- Created: {card.get('created', '')}",
        f"- Task: {card.get('task', '')}; {len(card.get('labels', []))} labels",
        f"- Training cases: {card.get('n_cases', 0)} "
        f"({card.get('n_cases_without_label', 0)} with no label, "
        f"{card.get('n_cases_with_several_labels', 0)} with several)",
        f"- Seed: {card.get('seed')}",
        f"- Preprocessing: {card.get('preprocessing', {}).get('spacy_model', '')}",
        f"- Model: {card.get('model', {}).get('features', '')}; "
        f"{card.get('model', {}).get('classifier', '')}; "
        f"{card.get('model', {}).get('calibration', '')}",
    ]
    for item in card.get("data", {}).get("files", []):
        lines.append(
            f"- Data: `{item.get('name')}`, {item.get('rows')} rows, sha256 `{item.get('sha256')}`"
        )
    codebook = card.get("codebook")
    if codebook:
        lines.append(
            f"- Codebook: {codebook.get('name')} version {codebook.get('version')} "
            f"(sha256 `{codebook.get('sha256')}`)"
        )
    lines += [
        "",
        "## Cross-validated quality",
        "",
        f"{cv.get('scheme', '')}.",
        "",
        f"Micro-F1 **{cv.get('micro_f1')}**{_interval(cv.get('micro_f1_95ci'))}, macro-F1 "
        f"**{cv.get('macro_f1')}**{_interval(cv.get('macro_f1_95ci'))} (labels with at "
        f"least {cv.get('min_support')} cases; bootstrap 95% intervals over cases); "
        f"{cv.get('n_grouped_duplicates', 0)} exact and "
        f"{cv.get('n_grouped_near_duplicates', 0)} near-duplicate texts kept in one fold with "
        "their twin. Precision and recall are at each label's threshold, with Wilson 95% "
        "intervals; ECE is the expected calibration error of the label's probabilities.",
        "",
        "| label | cases | threshold | goal | precision (95% CI) | recall (95% CI) | F1 | ECE "
        "| note |",
        "|---|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for row in cv.get("per_label", []):
        note = "too few examples to measure" if row.get("too_few") else ""
        ece = row.get("ece")
        precision = (  # the precision of no call is undefined, not 0
            "never predicted"
            if row.get("predicted") == 0
            else _with_ci(row["precision"], row.get("precision_95ci"))
        )
        lines.append(
            f"| {row['label']} | {row['support']} | {row.get('threshold', '')} | "
            f"{row.get('goal', '')} | {precision} | "
            f"{_with_ci(row['recall'], row.get('recall_95ci'))} | {row['f1']:.3f} | "
            f"{'' if ece is None else f'{ece:.3f}'} | {note} |"
        )
    review = card.get("review") or {}
    if review.get("rule"):
        rule = str(review["rule"])
        lines += ["", "## Review flag", "", f"{rule[:1].upper()}{rule[1:]}."]
    if card.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {n}" for n in card["notes"]]
    versions = card.get("versions", {})
    lines += [
        "",
        "## Software",
        "",
        ", ".join(f"{k} {v}" for k, v in versions.items()),
        "",
        "Model files are data (JSON and numeric arrays), not code: loading one runs nothing "
        "from the file.",
        "",
    ]
    return "\n".join(lines)
