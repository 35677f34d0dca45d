"""The learning curve as a file: what `curve --json` writes and `report --curve` reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allegations.cli import app
from allegations.errors import InputError
from allegations.training import _curve_file as curve_file
from allegations.training._curve_file import (
    CURVE_FORMAT,
    curve_record,
    read_curve,
    save_curve,
)

from ..conftest import make_corpus
from ..support.curves import canned_curve


def test_save_and_read_round_trip(tmp_path: Path):
    curve = canned_curve()
    path = tmp_path / "curve.json"
    save_curve(curve, path)
    record = read_curve(path)
    assert record == json.loads(json.dumps(curve_record(curve)))
    assert record["format"] == CURVE_FORMAT and record["format_version"] == 1
    assert record["seed"] == 7 and record["n_folds"] == 5 and record["n_seeds"] == 3
    assert [p["macro_f1"] for p in record["points"]] == [0.42, 0.51, 0.57, 0.61]
    assert not list(tmp_path.glob(".*"))  # written atomically: no temporary file left


def _good() -> dict:
    return json.loads(json.dumps(curve_record(canned_curve())))


def _with(**changes) -> dict:
    record = _good()
    record.update(changes)
    return record


def _point(**changes) -> dict:
    record = _good()
    record["points"][1].update(changes)
    return record


@pytest.mark.parametrize(
    "content, what",
    [
        ("{nope", "not readable JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"format": "allegations-report"}), '"format" is not "allegations-curve"'),
        (json.dumps(_with(format_version=99)), "newer than this allegations reads"),
        (json.dumps(_with(format_version="1")), "format_version"),
        (json.dumps(_with(n_seeds=0)), '"n_seeds"'),
        (json.dumps(_with(points=[])), '"points" is not a non-empty list'),
        (json.dumps(_with(labels="money")), '"labels" is not a list'),
        (json.dumps(_with(sentence=None)), '"sentence" is not text'),
        (json.dumps(_point(fraction=1.5)), "fraction is not a number in"),
        (json.dumps(_point(n_cases=True)), "n_cases is not a positive whole number"),
        (json.dumps(_point(macro_f1=1.2)), "macro_f1 is not a number between 0 and 1"),
        (json.dumps(_point(micro_f1=float("nan"))), "micro_f1 is not a number"),
        (json.dumps(_point(macro_f1_95ci=[0.6, 0.4])), r"macro_f1_95ci is not \[low, high\]"),
        (json.dumps(_point(micro_f1_95ci=[0.6])), r"micro_f1_95ci is not \[low, high\]"),
        (json.dumps(_point(fraction=0.25)), "fractions do not increase"),
        (json.dumps(_with(points=["x"])), "a point is not an object"),
    ],
)
def test_read_curve_names_the_file_and_what_was_expected(tmp_path: Path, content: str, what: str):
    path = tmp_path / "mine.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=what) as info:
        read_curve(path)
    message = str(info.value)
    assert message.startswith("mine.json is not a learning curve (")
    assert "allegations curve DATA --json FILE" in message and "\n" not in message


def test_read_curve_missing_and_undecodable(tmp_path: Path):
    with pytest.raises(InputError, match="Learning curve .*absent.json not found"):
        read_curve(tmp_path / "absent.json")
    path = tmp_path / "latin.json"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="not readable JSON"):
        read_curve(path)


# -- the command ------------------------------------------------------------------------------
def test_curve_cli_writes_the_json(tmp_path: Path, monkeypatch):
    import allegations.cli.curve as cli_curve

    monkeypatch.setattr(cli_curve, "learning_curve", lambda *a, **k: canned_curve())
    data = tmp_path / "cases.csv"
    make_corpus(100).to_csv(data, index=False)
    out = tmp_path / "curve.json"
    result = CliRunner().invoke(app, ["curve", str(data), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert read_curve(out) == _good()
    assert "--curve" in result.output and "more labels will likely help" in result.output


def test_curve_cli_checks_json_before_training(tmp_path: Path, monkeypatch):
    import allegations.cli.curve as cli_curve

    def never(*args, **kwargs):
        raise AssertionError("trained before checking --json")

    monkeypatch.setattr(cli_curve, "learning_curve", never)
    data = tmp_path / "cases.csv"
    make_corpus(100).to_csv(data, index=False)
    runner = CliRunner()
    for target, said in (
        (tmp_path / "absent" / "c.json", "does not exist"),
        (tmp_path, "is a folder"),
        (data, "is an input file"),
    ):
        result = runner.invoke(app, ["curve", str(data), "--json", str(target)])
        assert result.exit_code == 1, result.output
        assert result.output.startswith("Error: ") and said in result.output


def test_save_curve_failure_is_an_output_error(tmp_path: Path):
    from allegations.errors import OutputError

    with pytest.raises(OutputError):
        save_curve(canned_curve(), tmp_path / "absent" / "curve.json")
    assert curve_file.CURVE_FORMAT_VERSION == 1
