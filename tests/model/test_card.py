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
