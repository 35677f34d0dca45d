"""The ``allegations`` program itself: version, ``python -m``, top-level help, output."""

from __future__ import annotations

import importlib.metadata
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from rich.table import Table
from typer.testing import CliRunner

import allegations
from allegations.cli import app
from allegations.cli._app import COMMAND_ORDER, OutputConsole

from ..conftest import ROOT, console_script, run_cli

runner = CliRunner()


def _run_module(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m allegations`` with the test's (the venv's) interpreter."""
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    env.pop("ALLEGATIONS_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "allegations", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env=env,
    )


def test_version_matches_the_package_metadata():
    assert allegations.__version__ == importlib.metadata.version("allegations")


def test_version_through_console_script():
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"allegations {allegations.__version__}\n"
    assert result.stderr == ""


def test_version_through_python_dash_m():
    result = _run_module("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"allegations {allegations.__version__}\n"


def test_version_through_cli_runner():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"allegations {allegations.__version__}\n"


@pytest.mark.slow
def test_python_dash_m_runs_the_same_app():
    result = _run_module("--help")
    assert result.returncode == 0, result.stderr
    assert "python -m allegations [OPTIONS] COMMAND" in result.stdout
    for name in ("train", "predict", "review", "report"):
        assert name in result.stdout
    bad = _run_module("no-such-command")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_help_lists_every_command_in_workflow_order_on_one_line_each():
    registered = set(typer.main.get_command(app).commands)
    assert registered == set(COMMAND_ORDER), "add a new command to cli._app.COMMAND_ORDER"
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    panel = result.output.split("Commands")[1].splitlines()[1:]
    rows = [line.strip("│ ").split() for line in panel if line.startswith("│")]
    assert [row[0] for row in rows] == list(COMMAND_ORDER)  # one line per command
    for line in result.output.splitlines():
        assert len(line) <= 80, line
    assert not any("..." in line or "…" in line for line in panel)


def test_module_dash_m_help_uses_the_same_order():
    result = _run_module("--help")
    positions = [result.stdout.index(f"│ {name} ") for name in COMMAND_ORDER]
    assert positions == sorted(positions)


def test_tables_print_in_full_when_stdout_is_not_a_terminal(tmp_path: Path):
    """A log file or a notebook's ``!allegations``: no cell cut with an ellipsis, whatever
    $COLUMNS says (the shipped model's longest label is 23 characters)."""
    env = {**os.environ, "COLUMNS": "40", "NO_COLOR": "1"}
    env.pop("ALLEGATIONS_DEBUG", None)
    out = tmp_path / "tagged.csv"
    args = ["data/release.csv", "--text-col", "narrative", "--id-col", "case_id"]
    result = subprocess.run(
        [console_script(), "predict", *args, "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout and "..." not in result.stdout
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert any(line.split()[1] == "unauthorized_disclosure" for line in rows), result.stdout
    assert f"Provenance written to {out}.summary.json." in result.stdout.splitlines()


def test_output_console_is_unbounded_off_a_terminal_only(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COLUMNS", "40")
    label = "a_label_far_longer_than_forty_columns_" * 3
    table = Table(title="Labels")
    for name in ("label", "rows", "share"):
        table.add_column(name)
    table.add_row(label, "54 (40-66)", "12.5%")

    piped = io.StringIO()
    OutputConsole(file=piped).print(table)
    assert label in piped.getvalue() and "54 (40-66)" in piped.getvalue()
    assert "…" not in piped.getvalue()

    terminal = io.StringIO()
    OutputConsole(file=terminal, force_terminal=True, color_system=None).print(table)
    assert max(len(line) for line in terminal.getvalue().splitlines()) <= 40
