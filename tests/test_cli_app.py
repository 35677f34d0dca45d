"""The ``allegations`` program itself: version, ``python -m``, top-level help, output."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys

from typer.testing import CliRunner

import allegations
from allegations.cli import app

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
