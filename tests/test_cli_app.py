"""The ``allegations`` program itself: version, ``python -m``, top-level help, output."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys

import typer
from typer.testing import CliRunner

import allegations
from allegations.cli import app
from allegations.cli._app import COMMAND_ORDER

from .conftest import ROOT, run_cli

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
