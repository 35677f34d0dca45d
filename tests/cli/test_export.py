"""The corrections loop without reading the docs: export writes what train reads with the
original options, prints the retrain command, and train warns when corrections change the
label design."""

from __future__ import annotations

import logging
import shlex
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from allegations.batch._workflows import LabelSpec, read_labelled
from allegations.cli import app
from allegations.review._exchange import export_store
from allegations.review._opening import open_review
from allegations.review._store import ReviewStore

from ..conftest import console_script, make_corpus, run_cli

runner = CliRunner()


def store_with(path: Path, options: str | None) -> None:
    with ReviewStore(path, labels=["money", "query", "threat"]) as store:
        if options is not None:
            store.set_meta({"training_options": options})
        store.record(case_id="K1", text="Officer took cash.", labels=["money", "query"],
                     predicted={}, model_id="m", reviewer="ana", strategy="uncertain")  # fmt: skip


def test_export_uses_the_recorded_training_options(tmp_path: Path):
    store_with(tmp_path / "a.db", '{"text_col": "summary", "labels_col": "category", '
               '"label_sep": "|", "id_col": "cap", "original": "ppd.csv"}')  # fmt: skip
    summary = export_store(tmp_path / "a.db", tmp_path / "out.csv")
    df = pd.read_csv(tmp_path / "out.csv", dtype=str)
    assert df.columns.tolist() == ["cap", "summary", "category"]
    assert df.category.tolist() == ["money|query"]
    assert summary["retrain"] == (
        f"allegations train ppd.csv {tmp_path / 'out.csv'} --text-col summary --labels-col "
        "category --label-sep '|' --id-col cap --out models/retrained"
    )
    # One 1/0 column per label, and no id in the training data: no --id-col to match on.
    store_with(tmp_path / "b.db", '{"text_col": "text", "label_cols": ["Money", "query", '
               '"threat"], "original": "pilot.xlsx"}')  # fmt: skip
    summary = export_store(tmp_path / "b.db", tmp_path / "b.csv")
    df = pd.read_csv(tmp_path / "b.csv", dtype=str)
    assert df.columns.tolist() == ["id", "text", "Money", "query", "threat"]
    assert df.iloc[0].tolist() == ["K1", "Officer took cash.", "1", "1", "0"]
    assert "--label-cols Money,query,threat --out" in summary["retrain"]
    # Explicit options win; a store without recorded options keeps the old defaults.
    store_with(tmp_path / "c.db", None)
    summary = export_store(tmp_path / "c.db", tmp_path / "c.csv", text_col="narrative")
    assert pd.read_csv(tmp_path / "c.csv").columns.tolist() == ["id", "narrative", "labels"]
    assert summary["retrain"].startswith("allegations train ORIGINAL_TRAINING_FILE")


def test_train_warns_when_corrections_change_the_label_design(tmp_path: Path, caplog):
    original = {"id": ["a1", "a2", "a3"], "text": ["x", "y", "z"],
                "labels": ["money", "query", "money"]}  # fmt: skip
    corrections = {"id": ["a2", "r9", "r10"], "text": ["y", "w", "v"],
                   "labels": ["money;query", "theft", "money"]}  # fmt: skip
    pd.DataFrame(original).to_csv(tmp_path / "o.csv", index=False)
    pd.DataFrame(corrections).to_csv(tmp_path / "c.csv", index=False)
    with caplog.at_level(logging.WARNING, logger="allegations"):
        read_labelled([tmp_path / "o.csv", tmp_path / "c.csv"], id_col="id", spec=LabelSpec())
    text = " ".join(caplog.messages)
    assert "2 corrected row(s)" not in text  # r9 has one (new) label: only a2 has several
    assert "1 corrected row(s) have none or several (a2)" in text
    assert "Label 'theft' is not used in the first file; corrected row(s) r9 add it" in text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="allegations"):
        read_labelled([tmp_path / "o.csv"], id_col="id")
    assert not [m for m in caplog.messages if "corrected" in m]


@pytest.mark.slow
def test_export_then_train_through_the_cli_with_the_original_options(tmp_path: Path):
    df = make_corpus(120, seed=4).rename(columns={"id": "cap", "text": "summary",
                                                  "labels": "category"})  # fmt: skip
    df.to_csv(tmp_path / "original.csv", index=False)
    result = runner.invoke(app, ["train", str(tmp_path / "original.csv"), "--text-col", "summary",
                                 "--labels-col", "category", "--id-col", "cap", "--out",
                                 str(tmp_path / "v1"), "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    session = open_review(tmp_path / "original.csv", tmp_path / "v1", tmp_path / "r.db",
                          text_col="summary", id_col="cap", reviewer="ana", limit=5)  # fmt: skip
    for _ in range(5):
        session.press("y")
    session.store.close()
    result = run_cli("export", tmp_path / "r.db", "--out", tmp_path / "reviewed.csv",
                     cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    command = result.stdout.strip().splitlines()[-1].strip()
    assert command == (
        f"allegations train original.csv {tmp_path / 'reviewed.csv'} --text-col summary "
        "--labels-col category --id-col cap --out models/retrained"
    )
    assert pd.read_csv(tmp_path / "reviewed.csv").columns.tolist() == ["cap", "summary",
                                                                        "category"]  # fmt: skip
    args = shlex.split(command)
    import subprocess

    done = subprocess.run([console_script(), *args[1:]], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "models" / "retrained").is_dir()
