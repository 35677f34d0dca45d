"""The release report on a constructed pair of releases."""

from __future__ import annotations

import html
import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from allegations.cli import app
from allegations.errors import ColumnError
from allegations.release._compare import compare_release
from allegations.release._drift import reference_from_training
from allegations.tables import TableOptions

from ..conftest import FILLER, PEOPLE, PHRASES, make_corpus

runner = CliRunner()
SECRET = "Zanzibar-Canary-4471"


def shifted_release(n: int, seed: int, money_share: float) -> pd.DataFrame:
    """Like make_corpus, but a chosen share of rows is about money."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        chosen = ["money"] if rng.random() < money_share else [rng.choice(["query", "threat"])]
        parts = [f"Officer {rng.choice(PHRASES[lab])} {rng.choice(PEOPLE)}." for lab in chosen]
        parts.append(rng.choice(FILLER))
        rows.append({"id": f"N{i:04d}", "text": " ".join(parts)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def reference(trained_model, corpus: pd.DataFrame):
    labels = [s.split(";") if s else [] for s in corpus["labels"]]
    return reference_from_training(trained_model, corpus["text"].tolist(), labels)


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("releases")
    old = make_corpus(150, seed=21)[["id", "text"]].rename(columns={"id": "case_id"})
    old["unit"] = [f"U{i % 7}" for i in range(len(old))]
    new = old.copy()
    new = new.iloc[7:].reset_index(drop=True)  # 7 rows removed
    for i in range(5):  # 5 rows edited (same id, other text)
        new.loc[i, "text"] = new.loc[i, "text"] + " Amended on appeal."
    shifted = shifted_release(60, seed=5, money_share=0.95).rename(columns={"id": "case_id"})
    shifted["unit"] = "U9"
    new = pd.concat([new, shifted], ignore_index=True)  # 60 rows added, mostly money
    new.loc[len(new)] = {
        "case_id": "N9999",
        "text": new.loc[10, "text"].upper() + "!!",
        "unit": "U1",
    }
    new["text"] = new["text"] + f" {SECRET}"
    new = new.rename(columns={"text": "narrative"})  # renamed column
    old["text"] = old["text"] + f" {SECRET}"
    old.to_csv(folder / "old.csv", index=False)
    new.to_csv(folder / "new.csv", index=False)
    return folder / "old.csv", folder / "new.csv"


def test_report_on_constructed_pair(trained_model, releases, reference):
    old, new = releases
    report = compare_release(
        new,
        trained_model,
        previous_path=old,
        id_col="case_id",
        text_col="narrative",
        training=reference,
    )
    assert report["columns"]["renamed"][0]["from"] == "text"
    assert report["columns"]["renamed"][0]["to"] == "narrative"
    rows = report["rows"]
    assert (rows["added"], rows["removed"], rows["edited"]) == (61, 7, 5)
    assert report["duplicates"]["near_only_rows"] >= 1
    assert 0 <= report["unseen_tokens"]["share"] < 0.5
    money = next(r for r in report["labels"] if r["label"] == "money")
    assert money["share_drift"] and money["score_drift"]
    assert money["release_share"] > money["training_share"]
    assert any("Label 'money'" in w for w in report["warnings"])
    assert SECRET not in json.dumps(report)


def test_release_like_training_raises_no_drift(trained_model, tmp_path: Path, reference):
    same = make_corpus(150, seed=99)[["id", "text"]]
    path = tmp_path / "same.csv"
    same.to_csv(path, index=False)
    report = compare_release(path, trained_model, training=reference)
    assert report["warnings"] == [], report["labels"]
    assert all(not r["share_drift"] and not r["score_drift"] for r in report["labels"])


def test_reference_matches_cross_validation(trained_model, reference):
    # The recomputed out-of-fold decisions give the cross-validated predicted counts.
    for row in trained_model.card["cross_validation"]["per_label"]:
        ref = reference["labels"][row["label"]]
        assert ref["share"] * reference["n_cases"] == pytest.approx(row["predicted"], abs=2)
    assert reference["n_folds"] == trained_model.card["cross_validation"]["n_folds"]


def test_without_training_share_check_uses_the_card(trained_model, releases):
    _, new = releases
    report = compare_release(new, trained_model, text_col="narrative")
    money = next(r for r in report["labels"] if r["label"] == "money")
    assert money["score_drift"] is None and "training_histogram" not in money
    assert np.isfinite(money["share_z"])
    assert "pass --training" in report["reference"]


def test_cli_terminal_and_json(tmp_path: Path, model_dir: Path, releases, corpus_csv: Path):
    old, new = releases
    out = tmp_path / "report.json"
    result = runner.invoke(
        app,
        ["compare-release", str(new), "--model", str(model_dir), "--previous", str(old)]
        + ["--id-col", "case_id", "--text-col", "narrative", "--training", str(corpus_csv)]
        + ["--training-text-col", "text", "--json", str(out)],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    assert "renamed: text -> narrative" in result.stdout
    assert "61 added, 7 removed, 5 edited" in result.stdout
    assert "Warning: Label 'money'" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    report = json.loads(out.read_text())
    assert set(report) >= {"columns", "rows", "duplicates", "unseen_tokens", "labels", "warnings"}


@pytest.mark.slow
def test_report_lists_every_warning_of_compare_release(
    tmp_path: Path, model_dir: Path, releases, corpus_csv: Path
):
    # Issue 17: compare-release wrote "warnings", the report read "drift_warnings", and a
    # release with drift warnings was reported as raising none.
    _, new = releases
    comparison, tagged = tmp_path / "compare.json", tmp_path / "tagged.csv"
    page, content = tmp_path / "report.html", tmp_path / "report.json"
    commands = [
        ["compare-release", str(new), "--model", str(model_dir), "--id-col", "case_id"]
        + ["--text-col", "narrative", "--training", str(corpus_csv)]
        + ["--training-text-col", "text", "--json", str(comparison)],
        ["predict", str(new), "--model", str(model_dir), "--id-col", "case_id"]
        + ["--text-col", "narrative", "--out", str(tagged)],
        ["report", "--model", str(model_dir), "--predictions", str(tagged)]
        + ["--summary", str(comparison), "--out", str(page), "--json", str(content)],
    ]
    for command in commands:
        result = runner.invoke(app, command, env={"COLUMNS": "160"})
        assert result.exit_code == 0, result.output
    warnings_ = json.loads(comparison.read_text(encoding="utf-8"))["warnings"]
    assert any("Label 'money'" in w for w in warnings_)
    assert json.loads(content.read_text(encoding="utf-8"))["release"]["drift_warnings"] == (
        warnings_
    )
    text = page.read_text(encoding="utf-8")
    assert all(f"<li>{html.escape(w, quote=True)}</li>" in text for w in warnings_)
    n_warn = len(warnings_)
    assert f"raised {n_warn} drift warning{'' if n_warn == 1 else 's'}." in text
    assert "raised no drift warnings" not in text
    assert SECRET not in text


def test_cli_missing_column_is_a_clean_error(tmp_path: Path, model_dir: Path, releases):
    _, new = releases
    result = runner.invoke(app, ["compare-release", str(new), "--model", str(model_dir)])
    assert result.exit_code == 1
    assert "Column 'text' not found" in result.stderr and "--text-col" in result.stderr


def test_missing_id_in_previous_is_named(trained_model, releases, tmp_path: Path):
    old, new = releases
    with pytest.raises(ColumnError, match="Column 'nope' not found in new.csv"):
        compare_release(new, trained_model, previous_path=old, id_col="nope", text_col="narrative")


def test_help_has_an_example():
    result = runner.invoke(app, ["compare-release", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Example" in result.output and "allegations compare-release" in result.output


# -- schema changes, label options, verdict, explained columns (issue 19.8) -----------------
from allegations.cli.compare_release import _spark  # noqa: E402
from allegations.release._compare import verdict  # noqa: E402

from ..conftest import needs_shared, run_cli  # noqa: E402


def test_previous_without_text_column_is_a_schema_change_not_a_stop(
    trained_model, releases, tmp_path: Path
):
    old, new = releases
    stripped = tmp_path / "old_no_text.csv"
    pd.read_csv(old, dtype=str).drop(columns=["text"]).to_csv(stripped, index=False)
    report = compare_release(
        new, trained_model, previous_path=stripped, id_col="case_id", text_col="narrative"
    )
    assert report["rows"] is None
    assert report["columns"]["added"] == ["narrative"]
    assert any("has no text column 'narrative'" in c for c in report["schema_changes"])
    assert report["labels"] and report["duplicates"] and report["verdict"]


def test_previous_without_id_column_matches_rows_by_text(trained_model, releases, tmp_path: Path):
    old, new = releases
    stripped = tmp_path / "old_no_id.csv"
    pd.read_csv(old, dtype=str).drop(columns=["case_id"]).to_csv(stripped, index=False)
    report = compare_release(
        new, trained_model, previous_path=stripped, id_col="case_id", text_col="narrative"
    )
    assert report["rows"]["matched_by"] != "id"
    assert any("no id column 'case_id'" in c for c in report["schema_changes"])


def test_verdict_counts_drifting_labels(trained_model, releases, reference):
    _, new = releases
    report = compare_release(new, trained_model, text_col="narrative", training=reference)
    n = len(report["drifting_labels"])
    assert n >= 1 and "money" in report["drifting_labels"]
    assert report["verdict"] == f"Drifted for {n} of 3 labels: audit before publishing."
    assert verdict(0, 12) == "The release looks like the training data."


def test_sparklines_have_one_cell_per_bin_and_show_empty_bins():
    assert _spark([0, 5, 10, 0]) == "·▄█·"
    assert len(_spark([3] * 10)) == len(_spark([0] * 9 + [1])) == 10


def test_cli_label_cols_verdict_first_and_columns_explained(
    tmp_path: Path, model_dir: Path, releases, corpus: pd.DataFrame
):
    _, new = releases
    wide = corpus[["id", "text"]].copy()
    for label in ("money", "query", "threat"):
        wide[label] = [int(label in s.split(";")) for s in corpus["labels"]]
    training = tmp_path / "wide.csv"
    wide.to_csv(training, index=False)
    result = runner.invoke(
        app,
        ["compare-release", str(new), "--model", str(model_dir), "--text-col", "narrative"]
        + ["--training", str(training), "--training-text-col", "text"]
        + ["--label-cols", "money,query,threat"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("Verdict: Drifted for ")
    flat = " ".join(result.stdout.split())
    assert "z (limit): how far" in flat and "scaled KS (limit): the largest gap" in flat
    assert "Score histograms: the label's scores in 10 bins" in flat


@pytest.mark.slow
def test_govtrack_model_checked_with_label_cols_and_a_schema_change(tmp_path: Path):
    """The README's GovTrack model (--label-cols) through the console script; the previous
    export lacks the text column."""
    source = needs_shared("govtrack_misconduct", "misconduct-instances.csv")
    cols = "corruption,crime,elections,ethics,sexual-harassment-abuse"
    df = pd.read_csv(source, dtype=str, keep_default_na=False)
    df.iloc[:300].drop(columns=["text"]).to_csv(tmp_path / "prev.csv", index=False)
    df.iloc[300:].to_csv(tmp_path / "new.csv", index=False)
    model, out = tmp_path / "gt", tmp_path / "compare.json"
    trained = run_cli("train", source, "--label-cols", cols, "--out", model, "-q")
    assert trained.returncode == 0, trained.stderr
    result = run_cli(
        "compare-release", tmp_path / "new.csv", "--previous", tmp_path / "prev.csv",
        "--model", model, "--training", source, "--label-cols", cols, "--json", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("Verdict: ") and ("labels: audit" in first or "looks like" in first)
    assert "Schema change: The previous release prev.csv has no text column 'text'" in " ".join(
        result.stdout.split()
    )
    report = json.loads(out.read_text())
    assert report["verdict"] == first.removeprefix("Verdict: ")
    assert {r["label"] for r in report["labels"]} == set(cols.split(","))
    assert all("ks_scaled" in r for r in report["labels"])
    narratives = [t for t in df["text"] if len(t) > 40]
    assert not any(t[:40] in result.stdout + result.stderr for t in narratives)


def test_release_report_reads_training_tables_with_training_table(
    trained_model, releases, tmp_path: Path
):
    from allegations.release._compare import release_report
    from allegations.tables._options import TableOptions

    training = tmp_path / "training.tsv"
    body = make_corpus().to_csv(sep="|", index=False)
    training.write_text("Export|of|cases\nnotes|x|y\n" + body, encoding="utf-8")
    _, new = releases
    report = release_report(
        new,
        trained_model,
        text_col="narrative",
        training_paths=[training],
        training_text_col="text",
        training_table=TableOptions(sep="|", skip_rows=2),
    )
    assert report["reference"].startswith("out-of-fold scores on 120 training cases")
    with pytest.raises(ColumnError, match=r"Pass `training_text_col`\..*`training_header_row` 3"):
        release_report(
            new,
            trained_model,
            text_col="narrative",
            training_paths=[training],
            training_text_col="text",
            training_table=TableOptions(sep="|"),
        )


def test_recorded_layout_is_what_train_was_given(trained_model):
    recorded_layout = TableOptions.recorded_layout

    assert recorded_layout(trained_model.card["data"]) == {}
    data = {"sep": ";", "skip_rows": 1, "no_header": False, "text_col": "t"}
    assert recorded_layout(data) == {"sep": ";", "skip_rows": 1}
    assert recorded_layout(TableOptions(sep="|", skip_rows=2, no_header=True).layout()) == {
        "sep": "|", "skip_rows": 2, "no_header": True
    }
