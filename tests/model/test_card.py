"""The model card for people, from cards with and without the F1 intervals."""

from __future__ import annotations

import copy
from pathlib import Path

from allegations import load_model, save_model
from allegations.model._card import render_card_markdown


def test_markdown_gives_the_f1_intervals(trained_model):
    cv = trained_model.card["cross_validation"]
    text = render_card_markdown(trained_model.card)
    low, high = cv["micro_f1_95ci"]
    assert f"Micro-F1 **{cv['micro_f1']}** ({low:.3f}-{high:.3f})" in text


def test_a_card_without_the_intervals_renders_and_loads(trained_model, tmp_path: Path):
    # Models trained before the intervals were recorded have no such keys.
    model = copy.copy(trained_model)
    model.card = copy.deepcopy(trained_model.card)
    for key in ("micro_f1_95ci", "macro_f1_95ci"):
        del model.card["cross_validation"][key]
    text = render_card_markdown(model.card)
    assert f"Micro-F1 **{model.card['cross_validation']['micro_f1']}**, macro-F1" in text
    save_model(model, tmp_path / "old")
    loaded = load_model(tmp_path / "old")
    assert "micro_f1_95ci" not in loaded.card["cross_validation"]


def test_a_label_never_predicted_has_no_precision_in_the_card_or_the_table(capsys):
    from allegations.cli import _render
    from allegations.model._card import render_card_markdown

    rows = [
        {"label": "common", "support": 40, "predicted": 38, "threshold": 0.5, "precision": 0.8,
         "precision_95ci": [0.65, 0.9], "recall": 0.76, "recall_95ci": [0.6, 0.87],
         "f1": 0.78, "ece": 0.03, "too_few": False},
        {"label": "rare", "support": 5, "predicted": 0, "threshold": 0.5, "precision": 0.0,
         "precision_95ci": None, "recall": 0.0, "recall_95ci": [0.0, 0.43],
         "f1": 0.0, "ece": 0.01, "too_few": False},
    ]  # fmt: skip
    cv = {"per_label": rows, "micro_f1": 0.7, "macro_f1": 0.39, "min_support": 5,
          "n_cases": 45, "scheme": "5 folds"}  # fmt: skip
    card = render_card_markdown({"labels": ["common", "rare"], "cross_validation": cv})
    rare = next(line for line in card.splitlines() if line.startswith("| rare |"))
    assert rare.split("|")[5].strip() == "never predicted"
    _render.print_scores(cv, "scores")
    out = capsys.readouterr().out
    rare_row = next(line for line in out.splitlines() if line.strip().startswith("rare"))
    assert rare_row.split()[3] == "-"  # label, cases, threshold, then precision
    assert "never predicted out of fold" in out
