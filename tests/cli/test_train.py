"""``allegations train --label-source``: recorded in the card, said in the report's note."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from allegations.cli import app

runner = CliRunner()


def test_label_source_reaches_the_card_and_the_methods_note(corpus_csv: Path, tmp_path: Path):
    out = tmp_path / "model"
    result = runner.invoke(
        app,
        ["train", str(corpus_csv), "--out", str(out), "--quiet"]
        + ["--label-source", "the department's own intake codes"],
    )
    assert result.exit_code == 0, result.output
    card = json.loads((out / "model-card.json").read_text(encoding="utf-8"))
    assert card["label_source"] == "the department's own intake codes"
    content = tmp_path / "report.json"
    result = runner.invoke(
        app,
        ["report", "--model", str(out), "--out", str(tmp_path / "r.html")]
        + ["--json", str(content), "--quiet"],
    )
    assert result.exit_code == 0, result.output
    note = json.loads(content.read_text(encoding="utf-8"))["methods"]
    assert "assigned by the department's own intake codes" in note
