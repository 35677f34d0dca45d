"""The commands, through typer's CliRunner and through the installed console script."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from allegations.cli import app

from ..conftest import run_cli

runner = CliRunner()
SECRET = "Zanzibar-Canary-4471"  # planted in narratives: must never reach stderr


def _assert_clean_error(result, code: int, match: str) -> None:
    err = result.stderr
    assert result.returncode == code, err
    assert "Traceback" not in err
    assert SECRET not in err and SECRET not in result.stdout
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith("Error: ") or code == 2, err
    assert match in " ".join(err.split()), err


@pytest.fixture()
def secret_csv(tmp_path: Path, corpus: pd.DataFrame) -> Path:
    df = corpus.copy()
    df["text"] = df["text"] + f" {SECRET}"
    path = tmp_path / "cases.csv"
    df.to_csv(path, index=False)
    return path


def test_every_command_has_help_with_an_example():
    """Every registered command, so a new command without an example fails here."""
    commands = typer.main.get_command(app).commands
    assert len(commands) >= 12
    for name, command in commands.items():
        help_text = inspect.cleandoc(command.help or "")
        paragraphs = [p.strip() for p in help_text.split("\n\n") if p.strip()]
        assert len(paragraphs) >= 3, f"{name}: help has no summary and example"
        assert paragraphs[-2] in ("Example:", "Examples:"), f"{name}: help ends without one"
        assert paragraphs[-1].startswith(f"allegations {name}"), f"{name}: {paragraphs[-1]!r}"
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert "Example" in result.output and f"allegations {name}" in result.output


@pytest.mark.slow  # a console script per run: in make test, not make check
def test_train_predict_evaluate_through_console_script(tmp_path: Path, secret_csv: Path):
    model = tmp_path / "model"
    result = run_cli("train", secret_csv, "--out", model, "--id-col", "id")
    assert result.returncode == 0, result.stderr
    assert "Cross-validated quality" in result.stdout and "micro-F1" in result.stdout
    assert SECRET not in result.stdout + result.stderr

    for ext in ("csv", "tsv", "jsonl", "parquet", "xlsx"):
        out = tmp_path / f"tagged.{ext}"
        result = run_cli("predict", secret_csv, "--model", model, "--out", out, "--id-col", "id")
        assert result.returncode == 0, result.stderr
        assert out.exists()
    tagged = pd.read_csv(tmp_path / "tagged.csv", dtype={"id": str}, keep_default_na=False)
    source = pd.read_csv(secret_csv, dtype=str, keep_default_na=False)
    # The input's table, then the tags (--keep-columns all); the id is the kept --id-col and
    # a tag named like an input column gets the tag_ prefix.
    label_col = "tag_labels" if "labels" in source.columns else "labels"
    tags = [label_col, "p_money", "p_query", "p_threat", "confidence", "needs_review"]
    assert tagged.columns.tolist() == [*source.columns, *tags]
    assert tagged["id"].tolist() == source["id"].tolist()  # one row per input, in order
    assert tagged["text"].tolist() == source["text"].tolist()
    assert set(tagged["needs_review"].astype(str)) <= {"True", "False"}
    first = json.loads((tmp_path / "tagged.jsonl").read_text().splitlines()[0])
    assert set(first) == {*source.columns, label_col, "scores", "confidence", "needs_review"}
    assert isinstance(first[label_col], list) and set(first["scores"]) == {
        "money",
        "query",
        "threat",
    }
    scores = tmp_path / "scores.json"
    result = run_cli("evaluate", secret_csv, "--model", model, "--json", scores)
    assert result.returncode == 0, result.stderr
    report = json.loads(scores.read_text())
    assert {"micro_f1", "macro_f1", "per_label"} <= set(report)
    assert "precision" in result.stdout


def test_predict_without_id_col_numbers_rows_from_one(
    tmp_path: Path, model_dir: Path, corpus_csv: Path
):
    out = tmp_path / "o.csv"
    result = runner.invoke(
        app, ["predict", str(corpus_csv), "--model", str(model_dir), "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    tagged = pd.read_csv(out, dtype=str)
    # The input's own id column is kept; the record numbers clash with it: tag_id.
    assert tagged["tag_id"].tolist()[:3] == ["1", "2", "3"]
    assert tagged["id"].tolist()[:3] == pd.read_csv(corpus_csv, dtype=str)["id"].tolist()[:3]


def test_label_columns_layout(tmp_path: Path, corpus: pd.DataFrame):
    df = corpus[["id", "text"]].copy()
    for label in ("money", "query", "threat"):
        df[label] = corpus.labels.str.contains(label).map({True: "x", False: ""})
    path = tmp_path / "wide.xlsx"
    df.to_excel(path, index=False)
    result = runner.invoke(
        app,
        [
            "train",
            str(path),
            "--label-cols",
            "money,query,threat",
            "--out",
            str(tmp_path / "m"),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "m" / "model-card.json").read_text())
    assert card["labels"] == ["money", "query", "threat"]


@pytest.mark.slow  # a console script per run: in make test, not make check
@pytest.mark.parametrize(
    ("args", "code", "match"),
    [
        (["train", "{missing}", "--out", "{tmp}/m"], 1, "missing.csv not found"),
        (
            ["train", "{data}", "--out", "{tmp}/m", "--text-col", "narrative"],
            1,
            "Column 'narrative' not found in cases.csv; columns are: id, text, labels. Pass "
            "--text-col.",
        ),
        (
            ["train", "{data}", "--out", "{tmp}/m", "--labels-col", "cats"],
            1,
            "Column 'cats' not found in cases.csv",
        ),
        (["train", "{empty}", "--out", "{tmp}/m"], 1, "empty.csv is empty"),
        (["train", "{header}", "--out", "{tmp}/m"], 1, "header.csv has no data rows"),
        (["train", "{nolabels}", "--out", "{tmp}/m"], 1, "No row has a label"),
        (["train", "{onelabel}", "--out", "{tmp}/m"], 1, "at least two labels; the data has 1"),
        (
            ["train", "{data}", "--out", "{tmp}/m", "--goal", "precision=2"],
            1,
            "the target must be between 0 and 1",
        ),
        (
            ["predict", "{data}", "--model", "{tmp}/nomodel", "--out", "{tmp}/o.csv"],
            1,
            "Model folder",
        ),
        (
            ["predict", "{data}", "--model", "{badmodel}", "--out", "{tmp}/o.csv"],
            1,
            "has changed since the model was saved",
        ),
        (
            ["predict", "{data}", "--model", "{model}", "--out", "{tmp}/o.docx"],
            1,
            "extension '.docx' is not one of",
        ),
        (["predict", "{data}", "--model", "{model}", "--out", "{data}"], 1, "is the input file"),
        (
            ["predict", "{data}", "--model", "{model}", "--out", "{tmp}/o.csv", "--text-col", "x"],
            1,
            "Column 'x' not found",
        ),
        (
            ["evaluate", "{data}", "--model", "{model}", "--label-cols", "nope"],
            1,
            "Column 'nope' not found",
        ),
        (["train", "{data}"], 2, "Missing option '--out'"),
        (["predict"], 2, "Missing argument 'DATA'"),
        (["frobnicate"], 2, "No such command"),
    ],
)
def test_user_errors_are_one_clean_line(
    tmp_path: Path, secret_csv: Path, model_dir: Path, copy_model: Path, args, code, match
):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("id,text,labels\n")
    df = pd.read_csv(secret_csv, dtype=str, keep_default_na=False)
    df.assign(labels="").to_csv(tmp_path / "nolabels.csv", index=False)
    df.assign(labels="money").to_csv(tmp_path / "onelabel.csv", index=False)
    (copy_model / "weights.npz").write_bytes(b"tampered")
    names = {
        "missing": tmp_path / "missing.csv",
        "tmp": tmp_path,
        "data": secret_csv,
        "empty": tmp_path / "empty.csv",
        "header": tmp_path / "header.csv",
        "nolabels": tmp_path / "nolabels.csv",
        "onelabel": tmp_path / "onelabel.csv",
        "model": model_dir,
        "badmodel": copy_model,
    }
    before = {p.name for p in tmp_path.iterdir()}
    data_bytes = secret_csv.read_bytes()
    result = run_cli(*[a.format(**names) for a in args])
    _assert_clean_error(result, code, match)
    assert {p.name for p in tmp_path.iterdir()} == before  # no partial output, no model folder
    assert secret_csv.read_bytes() == data_bytes  # input untouched


def test_cli_runner_maps_errors_too(tmp_path: Path):
    result = runner.invoke(app, ["train", str(tmp_path / "x.csv"), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "Error: File" in result.output and "not found" in result.output


@pytest.mark.slow  # a console script per run: in make test, not make check
def test_two_processes_train_byte_identical_models(tmp_path: Path, corpus_csv: Path):
    for name in ("a", "b"):
        result = run_cli("train", corpus_csv, "--out", tmp_path / name, "--quiet")
        assert result.returncode == 0, result.stderr
    for name in ("model.json", "weights.npz"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.slow  # a console script per run: in make test, not make check
def test_suspects_command_names_rows_not_text(tmp_path: Path, secret_csv: Path):
    df = pd.read_csv(secret_csv, dtype=str, keep_default_na=False)
    df.loc[5, "text"] = f"Officer took a bribe from a neighbour. Case closed. {SECRET}"
    df.loc[5, "labels"] = "threat"
    data = tmp_path / "flipped.csv"
    df.to_csv(data, index=False)
    out = tmp_path / "suspects.csv"
    result = run_cli("suspects", data, "--id-col", "id", "--out", out, "--top", "5")
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    found = pd.read_csv(out, dtype={"id": str})
    assert found.loc[0, "id"] == df.loc[5, "id"]
    assert "remove: threat" in found.loc[0, "disagreeing"]
    assert df.loc[5, "id"] in result.stdout


@pytest.mark.slow  # a console script per run: in make test, not make check
def test_train_output_shows_intervals_and_rare_labels(tmp_path: Path, corpus: pd.DataFrame):
    df = corpus.copy()
    for i in range(3):
        df.loc[i, "labels"] = df.loc[i, "labels"] + ";arson"
    data = tmp_path / "rare.csv"
    df.to_csv(data, index=False)
    result = run_cli("train", data, "--out", tmp_path / "m")
    assert result.returncode == 0, result.stderr
    flat = " ".join(result.stdout.split())
    assert "too few examples to measure" in flat
    assert "95% intervals" in flat and "ECE" in flat and "near-duplicate" in flat
    assert re.search(r"\d+ \(\d+-\d+\)", flat)  # precision % with its interval


def test_predict_with_evidence_cites_phrases(tmp_path: Path, model_dir: Path, corpus_csv: Path):
    for ext in ("csv", "jsonl"):
        out = tmp_path / f"ev.{ext}"
        result = runner.invoke(
            app,
            [
                "predict",
                str(corpus_csv),
                "--model",
                str(model_dir),
                "--out",
                str(out),
                "--id-col",
                "id",
                "--evidence",
                "--quiet",
                "--n-process",
                "1",
            ],
        )
        assert result.exit_code == 0, result.output
    tagged = pd.read_csv(tmp_path / "ev.csv", keep_default_na=False)
    assert {"evidence", "evidence_sentences"} <= set(tagged.columns)
    cited = tagged[tagged["labels"].str.contains("money")]["evidence"]
    assert len(cited) and cited.str.startswith("money: ").all()
    first = json.loads((tmp_path / "ev.jsonl").read_text().splitlines()[0])
    assert isinstance(first["evidence"], list)
    assert all({"label", "phrase", "sentence"} <= set(item) for item in first["evidence"])
