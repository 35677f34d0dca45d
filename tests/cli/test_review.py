"""``allegations review`` reads the reporter's file as the other commands do: a semicolon
export, a title above the header (issue 19 item 3)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from allegations.cli import app

from ..conftest import make_corpus

runner = CliRunner()


def _sheet_ids(path: Path) -> list[str]:
    return pd.read_csv(path, dtype=str)["id"].tolist()


def test_review_reads_a_semicolon_file_and_a_title_row(tmp_path: Path, model_dir: Path):
    df = make_corpus(12, seed=8).rename(columns={"id": "case", "text": "summary"})
    semi = tmp_path / "semi.csv"
    df.to_csv(semi, sep=";", index=False)
    titled = tmp_path / "titled.csv"
    titled.write_text("Complaints export, page 1\n\n" + df.to_csv(index=False), encoding="utf-8")
    common = ["--model", str(model_dir), "--text-col", "summary", "--id-col", "case"]
    result = runner.invoke(
        app,
        ["review", str(semi), *common, "--store", str(tmp_path / "a.db")]
        + ["--export-sheet", str(tmp_path / "a.csv")],
    )
    assert result.exit_code == 0, result.output
    assert sorted(_sheet_ids(tmp_path / "a.csv")) == sorted(df["case"])
    result = runner.invoke(
        app,
        ["review", str(titled), *common, "--store", str(tmp_path / "b.db"), "--header-row", "3"]
        + ["--export-sheet", str(tmp_path / "b.csv")],
    )
    assert result.exit_code == 0, result.output
    assert sorted(_sheet_ids(tmp_path / "b.csv")) == sorted(df["case"])
    # Without --header-row the error says which line holds the header, quoting no cell.
    result = runner.invoke(
        app,
        ["review", str(titled), *common, "--store", str(tmp_path / "c.db")]
        + ["--export-sheet", str(tmp_path / "c.csv")],
    )
    assert result.exit_code == 1 and "--header-row" in result.output
    assert not any(text[:30] in result.output for text in df["summary"])
