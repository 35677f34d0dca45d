"""The shipped model in models/default and the demo that uses it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from allegations import load_codebook, load_model
from allegations.batch._demo import train_default_model
from allegations.errors import ModelError
from allegations.tables._read import load_table

from .conftest import DATA, ROOT, needs_shared, run_cli

DEFAULT = ROOT / "models" / "default"


def test_default_model_is_small_and_loads():
    size = sum(p.stat().st_size for p in DEFAULT.iterdir())
    assert size < 20 * 1024 * 1024
    model = load_model(DEFAULT)
    assert model.labels == load_codebook(DATA / "codebook.toml").label_names
    card = json.loads((DEFAULT / "model-card.json").read_text())
    assert card["data"]["files"][0]["name"] == "sample.csv"
    assert card["seed"] == 0


@pytest.mark.slow
def test_default_model_is_reproducible_from_the_documented_command(tmp_path: Path):
    # The command documented in the README and the Makefile (make default-model).
    result = run_cli(
        "train",
        DATA / "sample.csv",
        "--codebook",
        DATA / "codebook.toml",
        "--id-col",
        "id",
        "--seed",
        "0",
        "--out",
        tmp_path / "m",
    )
    assert result.returncode == 0, result.stderr
    assert "unauthorized_query" in result.stdout and "macro-F1" in result.stdout
    shipped = load_model(DEFAULT)
    again = load_model(tmp_path / "m")
    texts = load_table(DATA / "release.csv")["narrative"].tolist()
    np.testing.assert_allclose(again.predict_proba(texts), shipped.predict_proba(texts), atol=1e-6)
    np.testing.assert_allclose(again.thresholds, shipped.thresholds, atol=1e-6)
    assert (
        again.card["cross_validation"]["per_label"] == shipped.card["cross_validation"]["per_label"]
    )


@pytest.mark.slow
def test_library_default_training_matches_the_command(tmp_path: Path):
    card = train_default_model(DATA, tmp_path / "m").card
    shipped = json.loads((DEFAULT / "model-card.json").read_text())
    assert card["cross_validation"]["per_label"] == shipped["cross_validation"]["per_label"]
    assert card["data"]["files"] == shipped["data"]["files"]


@pytest.mark.slow
def test_evaluate_default_model_on_the_sample(tmp_path: Path):
    scores = tmp_path / "s.json"
    result = run_cli("evaluate", DATA / "sample.csv", "--model", DEFAULT, "--json", scores)
    assert result.returncode == 0, result.stderr
    report = json.loads(scores.read_text())
    assert report["n_cases"] == 694 and report["unknown_labels"] == {}
    assert [r["label"] for r in report["per_label"]] == load_model(DEFAULT).labels


@pytest.mark.slow
def test_demo_through_console_script(tmp_path: Path):
    out = tmp_path / "tagged.csv"
    result = run_cli("demo", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Ten least confident cases" in result.stdout
    assert "unauthorized_query" in result.stdout
    tagged = pd.read_csv(out, keep_default_na=False)
    release = load_table(DATA / "release.csv")
    assert len(tagged) == len(release)
    assert tagged["id"].astype(str).tolist() == release["case_id"].tolist()


@pytest.mark.slow
def test_govtrack_real_data_through_console_script(tmp_path: Path):
    data = DATA / "govtrack_misconduct" / "misconduct-instances.csv"
    cols = "corruption,crime,elections,ethics,sexual-harassment-abuse"
    model = tmp_path / "gt"
    result = run_cli("train", data, "--label-cols", cols, "--out", model)
    assert result.returncode == 0, result.stderr
    card = json.loads((model / "model-card.json").read_text())
    cv = card["cross_validation"]
    assert cv["micro_f1"] > 0.6 and cv["macro_f1"] > 0.6
    assert card["labels"] == cols.split(",")
    scores = tmp_path / "s.json"
    result = run_cli("evaluate", data, "--label-cols", cols, "--model", model, "--json", scores)
    assert result.returncode == 0, result.stderr
    assert json.loads(scores.read_text())["n_cases"] == 508


@pytest.mark.slow
def test_the_shipped_model_and_demo_from_another_folder(tmp_path: Path):
    """A newcomer's first run, outside the project folder: predict with no --model (200
    real Philadelphia rows when ../shared is there, the bundled release otherwise), the
    shipped model by name, and the demo."""
    try:
        source = needs_shared("philly_2013_2018", "ppd_complaints_7-18.csv")
        rows = load_table(source).head(200).rename(columns={"summary": "text"})
    except pytest.skip.Exception:
        rows = load_table(DATA / "release.csv").rename(columns={"narrative": "text"})
    rows[["text"]].to_csv(tmp_path / "export.csv", index=False)
    work = tmp_path / "elsewhere"
    work.mkdir()
    for extra in ([], ["--model", "default"]):
        result = run_cli("predict", "../export.csv", *extra, "--out", "tagged.csv", cwd=work)
        assert result.returncode == 0, result.stderr
        assert len(pd.read_csv(work / "tagged.csv")) == len(rows)
    result = run_cli("demo", cwd=work)
    assert result.returncode == 0, result.stderr
    assert "Loaded model" in result.stdout and "Ten least confident cases" in result.stdout
    assert (work / "out" / "release-tagged.csv").exists()
    assert not (work / "models").exists()  # nothing trained or written beside the user


def test_the_shipped_model_is_found_by_name_from_any_folder(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_model("default").model_id == load_model(DEFAULT).model_id
    assert load_model("models/default").labels == load_model(DEFAULT).labels
    (tmp_path / "default").mkdir()  # a folder of the user's own with that name wins
    with pytest.raises(ModelError, match="manifest.json is missing"):
        load_model("default")
