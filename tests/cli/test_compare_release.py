"""``allegations compare-release`` reads a release with the layout options of the other
commands (issue 19 item 3)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from allegations.cli import app

from ..conftest import make_corpus

runner = CliRunner()


def test_compare_release_reads_a_semicolon_release_with_a_title_row(
    tmp_path: Path, model_dir: Path
):
    df = make_corpus(30, seed=2)
    new = tmp_path / "new.csv"
    new.write_text("Export\n" + df.to_csv(sep=";", index=False), encoding="utf-8")
    result = runner.invoke(
        app,
        ["compare-release", str(new), "--model", str(model_dir), "--id-col", "id"]
        + ["--header-row", "2", "--json", str(tmp_path / "r.json"), "--quiet"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["release"]["rows"] == 30
