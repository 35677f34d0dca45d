"""``allegations train`` on small and messy label sets: the 12-row pilot, label typos,
numeric codes and their names (issue 19.4, 19.5), and --label-source (issue 17.8)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from allegations.cli import app

from ..conftest import needs_shared, run_cli

runner = CliRunner()

PILOT = [
    ("Officer pushed the complainant to the ground during the arrest.", "PHYSICAL ABUSE"),
    ("Officer struck the man with a baton.", "PHYSICAL ABUSE"),
    ("The officer punched him in the face.", "PHYSICAL ABUSE"),
    ("Officer kicked the complainant while handcuffed.", "PHYSICAL ABUSE"),
    ("Officer cursed at the complainant and called him names.", "VERBAL ABUSE"),
    ("The officer used a slur.", "VERBAL ABUSE"),
    ("Officer yelled profanity at the driver.", "VERBAL ABUSE"),
    ("Officer was rude and insulting on the phone.", "VERBAL ABUSE"),
    ("Officer failed to take a report of the burglary.", "LACK OF SERVICE"),
    ("No officer responded to the call.", "LACK OF SERVICE"),
    ("Officer refused to help the stranded motorist.", "LACK OF SERVICE"),
    ("Officer did not investigate the theft.", "LACK OF SERVICE"),
]


def _pilot(tmp_path: Path, rows=PILOT, name="pilot.csv") -> Path:
    path = tmp_path / name
    pd.DataFrame(rows, columns=["summary", "category"]).to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_twelve_row_pilot_trains_through_console_script(tmp_path: Path):
    data = _pilot(tmp_path)
    before = data.read_bytes()
    result = run_cli(
        "train", data, "--text-col", "summary", "--labels-col", "category", "--out", tmp_path / "m"
    )
    assert result.returncode == 0, result.stderr
    assert "internal error" not in result.stderr
    flat = " ".join((result.stdout + result.stderr).split())
    assert "4-fold cross-validation instead of 5" in flat and "(4 folds, exclusive)" in flat
    card = json.loads((tmp_path / "m" / "model-card.json").read_text())
    assert card["cross_validation"]["n_folds"] == 4
    assert data.read_bytes() == before
    assert "Cross-validating" not in result.stderr  # no bar when stderr is not a terminal


@pytest.mark.slow
def test_label_typo_is_an_error_with_did_you_mean(tmp_path: Path):
    rows = [*PILOT, ("Officer shoved a woman.", "PHYSICAL ABUSSE")]
    data = _pilot(tmp_path, rows)
    args = ["train", data, "--text-col", "summary", "--labels-col", "category"]
    result = run_cli(*args, "--out", tmp_path / "m")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    flat = " ".join(result.stderr.split())
    assert "'PHYSICAL ABUSSE' (1 case): did you mean 'PHYSICAL ABUSE' (4 cases)?" in flat
    assert "--allow-similar-labels" in flat
    assert not (tmp_path / "m").exists()
    allowed = runner.invoke(
        app, [*map(str, args), "--out", str(tmp_path / "m2"), "--allow-similar-labels"]
    )
    assert allowed.exit_code == 0, allowed.output
    card = json.loads((tmp_path / "m2" / "model-card.json").read_text())
    assert "PHYSICAL ABUSSE" in card["labels"]
    assert card["model"]["config"]["allow_similar_labels"] is True


def test_case_variant_takes_the_most_frequent_spelling(tmp_path: Path):
    rows = list(PILOT)
    rows[0] = (rows[0][0], "physical abuse")
    result = runner.invoke(
        app,
        [
            "train",
            str(_pilot(tmp_path, rows)),
            "--text-col",
            "summary",
            "--labels-col",
            "category",
            "--out",
            str(tmp_path / "m"),
        ],
    )
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "m" / "model-card.json").read_text())
    assert card["labels"] == ["LACK OF SERVICE", "PHYSICAL ABUSE", "VERBAL ABUSE"]


def test_numeric_codes_sort_numerically_and_take_names(tmp_path: Path):
    codes = {"PHYSICAL ABUSE": "2", "VERBAL ABUSE": "10", "LACK OF SERVICE": "1"}
    rows = [(text, codes[label]) for text, label in PILOT]
    data = _pilot(tmp_path, rows)
    base = ["train", str(data), "--text-col", "summary", "--labels-col", "category"]
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "m" / "model-card.json").read_text())
    assert card["labels"] == ["1", "2", "10"]
    cv = card["cross_validation"]
    low, high = cv["micro_f1_95ci"]  # the interval is printed beside the micro-F1
    assert f"micro-F1 {cv['micro_f1']:.3f} ({low:.3f}-{high:.3f})" in result.output

    names = tmp_path / "codes.csv"
    names.write_text("code,name\n1,Lack of service\n2,Physical abuse\n10,Verbal abuse\n")
    result = runner.invoke(app, [*base, "--label-names", str(names), "--out", str(tmp_path / "n")])
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "n" / "model-card.json").read_text())
    assert card["labels"] == ["Lack of service", "Physical abuse", "Verbal abuse"]
    assert "Physical abuse" in result.output

    scored = runner.invoke(
        app,
        [
            "evaluate",
            str(data),
            "--model",
            str(tmp_path / "n"),
            "--text-col",
            "summary",
            "--labels-col",
            "category",
            "--label-names",
            str(names),
        ],
    )
    assert scored.exit_code == 0, scored.output
    assert "not model labels" not in scored.output

    names.write_text("code,name\n1,Lack of service\n2,Physical abuse\n")
    result = runner.invoke(app, [*base, "--label-names", str(names), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "1 label code(s) are not in codes.csv: '10' (4 rows)" in " ".join(result.output.split())


@pytest.mark.slow
def test_philadelphia_export_with_one_typo_stops_before_training(tmp_path: Path):
    source = needs_shared("philly_2013_2018", "ppd_complaints_7-18.csv")
    df = pd.read_csv(source, dtype=str, keep_default_na=False).head(400)
    common = df["general_cap_classification"].str.strip().value_counts().index[0]
    df.loc[7, "general_cap_classification"] = common.lower().replace("a", "aa", 1)
    data = tmp_path / "philly.csv"
    df.to_csv(data, index=False)
    result = run_cli(
        "train",
        data,
        "--text-col",
        "summary",
        "--labels-col",
        "general_cap_classification",
        "--out",
        tmp_path / "m",
    )
    assert result.returncode == 1, result.stdout
    assert f"did you mean '{common}'" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    summaries = [s for s in df["summary"] if len(s) > 30]
    assert not any(s[:30] in result.stderr for s in summaries)  # no narrative text


def test_progress_bar_shows_the_training_steps_on_a_terminal():
    from rich.console import Console

    from allegations import train
    from allegations.cli._progress import step_progress
    from allegations.model._config import ModelConfig

    buf = io.StringIO()
    terminal = Console(file=buf, force_terminal=True, width=100)
    small = ModelConfig(C_grid=(2.0,), exclusive_C_grid=(1.0,), nb_grid=(False,), ensemble=False)
    with step_progress(True, console=terminal):
        train([t for t, _ in PILOT], [[label] for _, label in PILOT], config=small)
    out = buf.getvalue()
    assert "7/7" in out  # 3 steps + 1 candidate x 4 folds, all done
    quiet = io.StringIO()
    with step_progress(False, console=Console(file=quiet, force_terminal=True)):
        train([t for t, _ in PILOT], [[label] for _, label in PILOT], config=small)
    assert quiet.getvalue() == ""


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


def test_card_records_the_column_options_given_on_the_command_line(tmp_path: Path):
    """'export' writes corrections with the options recorded here (a merge once lost
    --id-col when the table options became one object)."""
    rows = [(f"c{i}", text, label) for i, (text, label) in enumerate(PILOT)]
    data = tmp_path / "pilot.csv"
    pd.DataFrame(rows, columns=["case", "summary", "category"]).to_csv(data, index=False)
    result = runner.invoke(
        app,
        ["train", str(data), "--text-col", "summary", "--labels-col", "category"]
        + ["--id-col", "case", "--out", str(tmp_path / "m"), "--quiet"],
    )
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "m" / "model-card.json").read_text(encoding="utf-8"))
    assert card["data"]["id_col"] == "case" and card["data"]["labels_col"] == "category"
    assert card["data"]["text_col"] == "summary"


def test_card_records_the_layout_options_given_on_the_command_line(tmp_path: Path):
    """compare-release --training reads the training tables with them by default."""
    rows = [(f"c{i}", text, label) for i, (text, label) in enumerate(PILOT)]
    frame = pd.DataFrame(rows, columns=["id", "text", "labels"])
    data = tmp_path / "pilot.csv"
    data.write_text("Pilot export\n" + frame.to_csv(sep=";", index=False), encoding="utf-8")
    result = runner.invoke(
        app,
        ["train", str(data), "--sep", ";", "--header-row", "2"]
        + ["--out", str(tmp_path / "m"), "--quiet"],
    )
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "m" / "model-card.json").read_text(encoding="utf-8"))
    assert card["data"]["sep"] == ";" and card["data"]["skip_rows"] == 1
    assert "no_header" not in card["data"]
    plain = tmp_path / "plain.csv"
    frame.to_csv(plain, index=False)
    result = runner.invoke(app, ["train", str(plain), "--out", str(tmp_path / "m2"), "-q"])
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "m2" / "model-card.json").read_text(encoding="utf-8"))
    assert not {"sep", "skip_rows", "no_header"} & set(card["data"])
