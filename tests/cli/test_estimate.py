"""``estimate --reviewer`` and ``report --reviewer``: whose answers the figures use."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from allegations.cli import app
from allegations.errors import StoreError
from allegations.report._inputs import read_store

from ..support.stores import audit_with_two_reviewers

runner = CliRunner()


def test_estimate_and_report_take_a_reviewer(tmp_path: Path):
    path = tmp_path / "audit.db"
    audit_with_two_reviewers(path)
    result = runner.invoke(app, ["estimate", str(path), "--reviewer", "ana"],
                           env={"COLUMNS": "160"})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Answers used: ana's only (--reviewer)" in result.output
    assert "from 9 audited" in " ".join(result.output.split())
    # The report reads the store the same way: several reviewers, unsettled, stop it ...
    with pytest.raises(StoreError, match=r"disagree on 2 case\(s\)"):
        read_store(path, None)
    # ... and --reviewer (passed on by the CLI) picks one.
    assert read_store(path, None, reviewer="bo")["n_audited"] == 4
    assert read_store(path, None, reviewer="bo")["audited_by_reviewer"] == {"bo": 4}
    result = runner.invoke(app, ["report", "--model", "m", "--out", str(tmp_path / "r.html"),
                                 "--reviewer", "ana"])  # fmt: skip
    assert result.exit_code == 2 and "pass --store too" in result.output
