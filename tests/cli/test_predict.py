"""``allegations predict`` at scale: processes, interruption, progress bar, provenance."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from allegations.batch._workflows import predict_file
from allegations.cli import app

from ..conftest import console_script, make_corpus, run_cli

runner = CliRunner()


@pytest.fixture(scope="module")
def release_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("release") / "release.csv"
    make_corpus(300, seed=3)[["id", "text"]].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Long enough (60,000 rows) that a run can be interrupted halfway."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    df = make_corpus(200, seed=5)[["text"]]
    pd.concat([df] * 300, ignore_index=True).to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_n_process_output_is_identical(tmp_path: Path, trained_model, release_csv: Path):
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    a = predict_file(release_csv, one, trained_model, id_col="id", chunk_rows=37)
    b = predict_file(release_csv, two, trained_model, id_col="id", chunk_rows=37, n_process=2)
    assert one.read_bytes() == two.read_bytes()
    assert a["label_counts"] == b["label_counts"] and a["needs_review"] == b["needs_review"]
    assert b["summary"]["n_process"] == 2


def _wait_for_partial(folder: Path, proc: subprocess.Popen, timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in folder.glob(".tagged.csv.*.partial") if p.stat().st_size > 0]
        if found:
            return found[0]
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.02)
    raise AssertionError("the run never started writing")


def _default_sigint() -> None:
    # A run started in the background by a shell (``make test &``, nohup) inherits an
    # ignored SIGINT, which would make the child ignore it too; a user at a terminal has
    # the default, so the child gets the default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(big_csv: Path, model_dir: Path, out: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.Popen(
        [console_script(), "predict", str(big_csv), "--model", str(model_dir)]
        + ["--out", str(out), "--chunk-rows", "200", "--quiet", *extra],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=_default_sigint,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "n_process"), [(signal.SIGINT, "1"), (signal.SIGTERM, "1"), (signal.SIGTERM, "2")]
)
def test_interrupt_leaves_nothing_behind(
    tmp_path: Path, model_dir: Path, big_csv: Path, sig, n_process: str
):
    out = tmp_path / "tagged.csv"
    proc = _start(big_csv, model_dir, out, "--n-process", n_process)
    _wait_for_partial(tmp_path, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Interrupted; no output was written." in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no output, no summary, no temporary file


@pytest.mark.slow
def test_kill_leaves_no_output_and_next_run_cleans_up(
    tmp_path: Path, model_dir: Path, big_csv: Path, release_csv: Path
):
    out = tmp_path / "tagged.csv"
    proc = _start(big_csv, model_dir, out)
    partial = _wait_for_partial(tmp_path, proc)
    proc.kill()
    proc.communicate(timeout=60)
    assert not out.exists()
    assert partial.exists()  # SIGKILL cannot be caught: its hidden temporary file stays
    result = run_cli("predict", release_csv, "--model", model_dir, "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tagged.csv", "tagged.csv.summary.json"]


def test_progress_bar_on_a_terminal_and_not_otherwise(
    tmp_path: Path, model_dir: Path, release_csv: Path, monkeypatch: pytest.MonkeyPatch
):
    import allegations.cli.predict as predict_module

    buffer = io.StringIO()
    fake_tty = Console(file=buffer, force_terminal=True, width=160)
    monkeypatch.setattr(predict_module, "err_console", fake_tty)
    args = ["predict", str(release_csv), "--model", str(model_dir), "--chunk-rows", "50"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 0, result.output
    drawn = buffer.getvalue()
    assert "rows/s" in drawn and "300 rows" in drawn and "ETA" in drawn
    buffer.truncate(0)
    buffer.seek(0)
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "b.csv"), "--quiet"])
    assert result.exit_code == 0 and buffer.getvalue() == ""
    # stderr that is not a terminal (a pipe, a log file): no bar
    piped = run_cli("predict", release_csv, "--model", model_dir, "--out", tmp_path / "c.csv")
    assert piped.returncode == 0, piped.stderr
    assert "rows/s" not in piped.stderr and "Wrote 300 rows" in piped.stdout


def test_console_script_writes_summary_beside_output(
    tmp_path: Path, model_dir: Path, release_csv: Path
):
    out = tmp_path / "tagged.parquet"
    result = run_cli(
        "predict", release_csv, "--model", model_dir, "--out", out, "--id-col", "id", "-n", "1"
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "tagged.parquet.summary.json").read_text())
    assert summary["input"]["rows"] == 300 and summary["output"]["format"] == "parquet"
    assert pd.read_parquet(out)["id"].tolist() == pd.read_csv(release_csv)["id"].tolist()


def test_usage_errors_exit_2(tmp_path: Path, model_dir: Path, release_csv: Path):
    base = [
        "predict",
        str(release_csv),
        "--model",
        str(model_dir),
        "--out",
        str(tmp_path / "o.csv"),
    ]
    result = runner.invoke(app, [*base, "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2 and "--scheduler needs --engine dask" in result.output
    result = runner.invoke(app, [*base, "--n-process", "0"])
    assert result.exit_code == 2
    assert not (tmp_path / "o.csv").exists()


MISSING_DASK = "The Dask engine needs the optional packages dask and distributed"
INSTALL_DASK = "pip install 'allegations[dask]'"


def test_engine_dask_without_the_extra_is_a_clean_error(tmp_path: Path, release_csv: Path):
    """The console script's entry point with dask made unimportable: one Error line, exit 1."""
    script = (
        "import sys\n"
        "for name in ('dask', 'dask.dataframe', 'distributed'):\n"
        "    sys.modules[name] = None\n"
        "from allegations.cli import main\n"
        "sys.argv[0] = 'allegations'\n"
        "main()\n"
    )
    out = tmp_path / "tagged.csv"
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    env.pop("ALLEGATIONS_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "-c", script, "predict", str(release_csv), "--out", str(out)]
        + ["--engine", "dask", "--id-col", "id"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {MISSING_DASK}"), result.stderr
    assert INSTALL_DASK in lines[0]
    assert not out.exists()


def test_engine_dask_without_the_extra_through_cli_runner(
    tmp_path: Path, release_csv: Path, monkeypatch: pytest.MonkeyPatch
):
    for name in ("dask", "dask.dataframe", "distributed"):
        monkeypatch.setitem(sys.modules, name, None)
    out = tmp_path / "tagged.csv"
    result = runner.invoke(
        app, ["predict", str(release_csv), "--out", str(out), "--engine", "dask"]
    )
    assert result.exit_code == 1, result.output
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"Error: {MISSING_DASK}") and INSTALL_DASK in result.stderr
    assert not out.exists()


# -- the review budget and blank narratives (issue 17 item 7, issue 19 item 9) -----------------
def test_review_share_and_budget_set_how_many_are_flagged(
    report_inputs: dict[str, Path], tmp_path: Path
):
    from ..conftest import noisy_corpus

    data = tmp_path / "release.csv"
    noisy_corpus(600, seed=13)[["id", "text"]].to_csv(data, index=False)
    model = str(report_inputs["model"])
    flagged = {}
    for name, option in (("default", []), ("share", ["--review-share", "0.3"])):
        out = tmp_path / f"{name}.csv"
        result = runner.invoke(
            app, ["predict", str(data), "--model", model, "--out", str(out)] + option
        )
        assert result.exit_code == 0, result.output
        flagged[name] = (pd.read_csv(out)["needs_review"].astype(str) == "True").sum()
    assert 20 <= flagged["default"] <= 120, flagged  # about 10% of 600, not 65%
    assert flagged["default"] < flagged["share"] <= 300, flagged
    out = tmp_path / "budget.csv"
    result = runner.invoke(
        app, ["predict", str(data), "--model", model, "--out", str(out), "--review-budget", "30"]
    )
    assert result.exit_code == 0, result.output
    n_budget = (pd.read_csv(out)["needs_review"].astype(str) == "True").sum()
    assert 5 <= n_budget < flagged["default"], (n_budget, flagged)
    bad = runner.invoke(
        app, ["predict", str(data), "--model", model, "--out", str(out), "--review-share", "2"]
    )
    assert bad.exit_code == 2
    dask = runner.invoke(
        app,
        ["predict", str(data), "--model", model, "--out", str(out), "--engine", "dask"]
        + ["--review-share", "0.2"],
    )
    assert dask.exit_code == 2 and "--engine local" in dask.output


@pytest.mark.slow
def test_blank_narratives_are_counted_apart_through_the_console_script(
    report_inputs: dict[str, Path], tmp_path: Path
):
    from ..conftest import needs_shared

    philly = needs_shared("philly_2013_2018", "ppd_complaints_7-18.csv")
    df = pd.read_csv(philly, dtype=str, keep_default_na=False, nrows=150)[["cap_number", "summary"]]
    df.loc[[3, 70, 149], "summary"] = ["", "   ", "\t"]
    data, out = tmp_path / "philly.csv", tmp_path / "tagged.csv"
    df.to_csv(data, index=False)
    model = report_inputs["model"]
    result = run_cli(
        "predict",
        data,
        "--model",
        model,
        "--text-col",
        "summary",
        "--id-col",
        "cap_number",
        "--out",
        out,
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    tagged = pd.read_csv(out, dtype=str, keep_default_na=False)
    blank = tagged.iloc[[3, 70, 149]]
    assert (blank["labels"] == "").all() and (blank["confidence"] == "").all()
    assert (blank["needs_review"] == "False").all()
    assert (tagged.drop(index=[3, 70, 149])["confidence"] != "").all()
    page, content = tmp_path / "r.html", tmp_path / "r.json"
    result = run_cli(
        "report",
        "--model",
        model,
        "--predictions",
        out,
        "--out",
        page,
        "--json",
        content,
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(content.read_text(encoding="utf-8"))["release"]["n_blank"] == 3
    assert "3 blank (no text" in page.read_text(encoding="utf-8")


# -- the user's table in, the user's table out: real exports through the console script ---


def _philly_rows(n: int) -> list[list[str]]:
    import csv

    from ..conftest import needs_shared

    path = needs_shared("philly_2013_2018", "ppd_complaints_7-18.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[: n + 1]


@pytest.mark.slow
def test_real_exports_in_every_layout(tmp_path: Path, model_dir: Path):
    import csv

    import openpyxl

    rows = _philly_rows(120)
    semi = tmp_path / "philly_semicolon.csv"
    with open(semi, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)
    result = run_cli(
        "predict", semi, "--model", model_dir, "--text-col", "summary", "--out", tmp_path / "a.csv"
    )
    assert result.returncode == 0, result.stderr
    assert "Read philly_semicolon.csv as semicolon-separated (detected" in result.stdout
    out = pd.read_csv(tmp_path / "a.csv", dtype=str, keep_default_na=False)
    assert out.columns.tolist()[:6] == [*rows[0], "id"]  # the user's table, then the tags
    assert out["summary"].tolist() == [r[4] for r in rows[1:]]
    assert out["cap_number"].tolist() == [r[0] for r in rows[1:]]
    summary = json.loads((tmp_path / "a.csv.summary.json").read_text())
    assert summary["input"]["sep"] == "semicolon" and summary["input"]["sep_detected"] is True

    book = openpyxl.Workbook()  # an XLSX with a title row above the header
    sheet = book.active
    sheet.append(["Philadelphia Police complaints, 2013-2018"])
    for row in rows:
        sheet.append(row)
    xlsx = tmp_path / "philly_title.xlsx"
    book.save(xlsx)
    bad = run_cli(
        "predict", xlsx, "--model", model_dir, "--text-col", "summary", "--out", tmp_path / "b.xlsx"
    )
    assert bad.returncode == 1
    assert "'summary' is on row 2 of the file: pass --header-row 2." in bad.stderr
    good = run_cli(
        "predict",
        xlsx,
        "--model",
        model_dir,
        "--text-col",
        "summary",
        "--header-row",
        "2",
        "--id-col",
        "cap_number",
        "--keep-columns",
        "cap_number,date_received",
        "--out",
        tmp_path / "b.xlsx",
    )
    assert good.returncode == 0, good.stderr
    tagged = openpyxl.load_workbook(tmp_path / "b.xlsx").active
    assert [c.value for c in tagged[1]][:3] == ["cap_number", "date_received", "labels"]
    assert tagged.freeze_panes == "A2" and tagged.auto_filter.ref.startswith("A1:")


@pytest.mark.slow
def test_chicago_tab_separated_headerless_csv(tmp_path: Path, model_dir: Path):
    from ..conftest import needs_shared

    source = needs_shared("cpd_intake", "initial_intake_allegations.csv")
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)[:200]
    data = tmp_path / "intake.csv"
    data.write_text("".join(lines), encoding="utf-8")
    # As the issue found it: a header-less, tab-separated .csv. The error must not quote
    # the first row (a narrative), and must say what to pass.
    bad = run_cli(
        "predict",
        data,
        "--model",
        model_dir,
        "--text-col",
        "narrative",
        "--out",
        tmp_path / "c.csv",
    )
    assert bad.returncode == 1
    assert "listen to me" not in bad.stderr and "LOG_" not in bad.stderr
    assert "pass --no-header" in " ".join(bad.stderr.split())
    good = run_cli(
        "predict",
        data,
        "--model",
        model_dir,
        "--no-header",
        "--text-col",
        "column_3",
        "--out",
        tmp_path / "c.parquet",
    )
    assert good.returncode == 0, good.stderr
    out = pd.read_parquet(tmp_path / "c.parquet")
    assert len(out) == 200 and out.columns.tolist()[:4] == [
        "column_1",
        "column_2",
        "column_3",
        "id",
    ]


PLANTED = "Quixotic-Marmalade-Narrative-9931"


@pytest.mark.slow
def test_layout_errors_never_quote_a_data_cell(tmp_path: Path, model_dir: Path):
    """A unique narrative planted in files read the wrong way: no error output shows it."""
    rows = [["case", "summary"]] + [
        [f"C{i}", f"Officer said {PLANTED} twice, then left"] for i in range(5)
    ]
    # The planted string is only ever in data cells (a header row's cells may be shown).
    files = {
        "headerless.csv": "".join(f'{a},"{b}"\n' for a, b in rows[1:]),
        "semicolon.csv": "".join(f'{a};"{b}"\n' for a, b in rows),
        "title.csv": "Complaints export\n" + "".join(f'{a},"{b}"\n' for a, b in rows),
    }
    attempts = [
        ("--text-col", "narrative"),
        ("--text-col", "summary", "--sep", "|"),
        ("--text-col", "summary", "--header-row", "3"),
        ("--text-col", "column_9", "--no-header"),
    ]
    seen = 0
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        for extra in attempts:
            result = run_cli(
                "predict", path, "--model", model_dir, *extra, "--out", tmp_path / "o.csv"
            )
            if result.returncode != 0:
                seen += 1
            assert PLANTED not in result.stderr + result.stdout, (name, extra)
            assert "Traceback" not in result.stderr
            (tmp_path / "o.csv").unlink(missing_ok=True)
    assert seen >= 9  # most attempts are errors: the check above is not vacuous


def test_keep_columns_through_the_cli_runner(tmp_path: Path, model_dir: Path, release_csv: Path):
    out = tmp_path / "k.tsv"
    result = runner.invoke(
        app,
        [
            "predict",
            str(release_csv),
            "--model",
            str(model_dir),
            "--keep-columns",
            "text",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    back = pd.read_csv(out, sep="\t", dtype=str, keep_default_na=False)
    assert back.columns.tolist()[:3] == ["text", "id", "labels"]
    bad = runner.invoke(
        app,
        ["predict", str(release_csv), "--model", str(model_dir), "--sep", ";;", "--out", str(out)],
    )
    assert bad.exit_code == 2
