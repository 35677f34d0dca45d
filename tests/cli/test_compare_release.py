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


def _semicolon_training(tmp_path: Path) -> Path:
    """The model's training data saved with ';' under a title row."""
    training = tmp_path / "training.csv"
    body = make_corpus().to_csv(sep=";", index=False)
    training.write_text("Training export, March\n" + body, encoding="utf-8")
    return training


def _compare(tmp_path: Path, model: Path, training: Path, *options: str):
    new = tmp_path / "new.csv"
    make_corpus(30, seed=2).to_csv(new, index=False)
    out = tmp_path / "r.json"
    result = runner.invoke(
        app,
        ["compare-release", str(new), "--model", str(model), "--training", str(training)]
        + ["--json", str(out), "--quiet", *options],
    )
    return result, out


def test_training_table_takes_its_own_layout_options(tmp_path: Path, model_dir: Path):
    training = _semicolon_training(tmp_path)
    result, out = _compare(
        tmp_path, model_dir, training, "--training-sep", ";", "--training-header-row", "2"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["reference"].startswith("out-of-fold scores on 120 training cases")
    assert all("training_histogram" in row for row in report["labels"])


def test_training_table_under_a_title_fails_naming_the_training_flag(
    tmp_path: Path, model_dir: Path
):
    """Without the options the title row is taken for the header; the message points at
    --training-header-row and --training-sep, not at the releases' options."""
    result, _ = _compare(tmp_path, model_dir, _semicolon_training(tmp_path))
    output = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "training.csv record 1 (line 2) has 3 fields; the header has 1" in output
    assert "pass --training-header-row with the header's line number, perhaps 2" in output
    assert "pass --training-sep" in output
    assert "--header-row" not in output.replace("--training-header-row", "")


def test_training_layout_defaults_to_the_one_the_model_card_records(tmp_path: Path):
    training = _semicolon_training(tmp_path)
    model = tmp_path / "m"
    trained = runner.invoke(
        app,
        ["train", str(training), "--sep", ";", "--header-row", "2", "--out", str(model), "-q"],
    )
    assert trained.exit_code == 0, trained.output
    result, out = _compare(tmp_path, model, training)
    assert result.exit_code == 0, result.output
    assert "training cases" in json.loads(out.read_text(encoding="utf-8"))["reference"]
    # given options replace the recorded ones: the title row is the header again
    result, _ = _compare(tmp_path, model, training, "--training-sep", ";")
    assert result.exit_code == 1
    assert "pass --training-header-row" in " ".join(result.output.split())


def test_training_layout_usage_errors_name_the_training_flags(tmp_path: Path, model_dir: Path):
    training = _semicolon_training(tmp_path)
    result, _ = _compare(tmp_path, model_dir, training, "--training-sep", ";;")
    assert result.exit_code == 2 and "--training-sep" in result.output
    result, _ = _compare(
        tmp_path, model_dir, training, "--training-no-header", "--training-header-row", "2"
    )
    assert result.exit_code == 2 and "--training-no-header" in result.output
    result, _ = _compare(
        tmp_path, model_dir, training, "--training-header-row", "3", "--training-skip-rows", "1"
    )
    assert result.exit_code == 2 and "--training-header-row 3 and --training-skip-rows 1" in (
        " ".join(result.output.split())
    )


def test_a_malformed_release_record_names_a_flag_the_command_has(tmp_path: Path, model_dir: Path):
    df = make_corpus(30, seed=2)
    lines = df.to_csv(index=False).splitlines()
    lines.insert(5, 'X9,"an open quote that never closes')  # record 4 is malformed
    new = tmp_path / "new.csv"
    new.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["compare-release", str(new), "--model", str(model_dir), "--id-col", "id"]
    args += ["--json", str(tmp_path / "r.json"), "--quiet"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and "--on-bad-rows skip" in refused.output
    skipped = runner.invoke(app, [*args, "--on-bad-rows", "skip"])
    assert skipped.exit_code == 0, skipped.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert 0 < report["release"]["rows"] < 31
