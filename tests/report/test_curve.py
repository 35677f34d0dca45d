"""The report's "Would more labels help?" section: a curve from `curve --json`, its figure,
sentence and caption, a clear error for a file that is not a curve, and how to add one."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from allegations.cli import app
from allegations.report import _figures as figures
from allegations.report import _svg as svg
from allegations.report._build import build_report, load_card
from allegations.report._curve import CURVE_COMMAND, CURVE_OPTION
from allegations.report._html import render_html
from allegations.training._curve_file import curve_record, save_curve

from ..conftest import SECRET, noisy_corpus, run_cli
from ..support.curves import canned_curve

runner = CliRunner()


@pytest.fixture()
def curve_path(tmp_path: Path) -> Path:
    path = tmp_path / "curve.json"
    save_curve(canned_curve(), path)
    return path


def _record() -> dict[str, Any]:
    return json.loads(json.dumps(curve_record(canned_curve())))


def test_section_shows_the_curve_sentence_caption_and_numbers(report_inputs: dict[str, Path]):
    card, model_id = load_card(report_inputs["model"])
    report = build_report(
        card, model_id=model_id, curve=_record(), curve_info={"name": "c.json", "sha256": "ab"}
    )
    shown = report["learning_curve"]
    assert [p["n_cases"] for p in shown["points"]] == [50, 100, 150, 200]
    assert [p["macro_f1"] for p in shown["points"]] == [0.42, 0.51, 0.57, 0.61]
    assert shown["points"][3]["micro_f1_95ci"] == [0.72, 0.78]
    assert [p["fraction"] for p in shown["points"]] == [0.25, 0.5, 0.75, 1.0]
    assert (shown["n_seeds"], shown["seed"], shown["n_folds"]) == (3, 7, 5)
    assert shown["source"] == {"name": "c.json", "sha256": "ab"}
    assert shown["method"] == (
        "Cross-validated on the labelled cases as train does (5-fold), at 25%, 50%, 75% and "
        "100% of them (50, 100, 150 and 200 cases), over 3 shuffles of the cases (seeds 7-9), "
        "each share nested in the next. Lines: mean over the shuffles; bands: 95% intervals "
        "(Student's t over the shuffles). Macro-F1 is over the 2 labels with at least 5 cases "
        "in the smallest share; micro-F1 over all labels."
    )
    page = render_html(report)
    section = page[page.index('<section id="curve">') : page.index('<section id="release">')]
    assert "<h2>3. Would more labels help?</h2>" in section
    assert '<figure class="fig"><svg' in section and "fig-curve-" in section
    assert html.escape(shown["method"]) in section  # the caption
    assert html.escape(canned_curve().sentence) in section
    # The table under the figure: each share's figures with their intervals.
    assert '<td class="num">200</td><td class="num">100%</td>' in section
    assert "<td>0.75 (0.72-0.78)</td><td>0.61 (0.56-0.66)</td>" in section
    assert "<code>c.json</code>" in section and 'href="#curve"' in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # the curve's SVG ids do not collide with the others'
    assert "No learning curve given" not in page
    # The curve has two of the model's four labels: the page says so.
    assert shown["notes"] == [
        "The curve's labels differ from this model's (only in the model: threat, weapon)."
    ]
    assert '<div class="warn"><ul><li>The curve&#x27;s labels differ' in section


def test_no_curve_says_how_to_add_one(report_inputs: dict[str, Path]):
    card, _ = load_card(report_inputs["model"])
    report = build_report(card)
    assert report["learning_curve"] is None
    assert "learning curve" not in " ".join(report["missing"])  # not a card's gap
    page = render_html(report)
    section = page[page.index('<section id="curve">') : page.index('<section id="release">')]
    assert "No learning curve given" in section
    assert f"<code>{CURVE_COMMAND}</code>" in section and f"<code>{CURVE_OPTION}</code>" in section
    assert "<figure" not in section


def test_notes_only_where_the_curve_does_not_match_the_model(report_inputs: dict[str, Path]):
    card, _ = load_card(report_inputs["model"])
    record = _record()
    record["labels"] = list(card["labels"])
    for p in record["points"]:
        p["n_cases"] = round(p["fraction"] * card["n_cases"])
    assert build_report(card, curve=record)["learning_curve"]["notes"] == []
    record["labels"] = [*card["labels"][1:], "smuggling"]
    (note,) = build_report(card, curve=record)["learning_curve"]["notes"]
    assert "only in the curve: smuggling" in note and card["labels"][0] in note
    record["labels"] = list(card["labels"])
    record["points"][-1]["n_cases"] = card["n_cases"] + 40
    (note,) = build_report(card, curve=record)["learning_curve"]["notes"]
    assert note == (
        f"The curve was computed on {card['n_cases'] + 40:,} labelled cases; this model was "
        f"trained on {card['n_cases']:,}: it may describe other data."
    )


def test_figure_draws_the_given_numbers(monkeypatch):
    drawn = []
    original = svg.svg_text

    def keep(fig, name, title):
        drawn.append(fig)
        return original(fig, name, title)

    monkeypatch.setattr(svg, "svg_text", keep)
    record = _record()
    text = figures.learning_curve_figure(record)
    assert text is not None and text.startswith("<svg") and 'aria-label="Learning curve' in text
    (fig,) = drawn
    (ax,) = fig.axes
    lines = {line.get_color(): line for line in ax.lines}
    micro = lines[svg.OKABE_ITO["blue"]]
    macro = lines[svg.OKABE_ITO["orange"]]
    assert list(micro.get_xdata()) == list(macro.get_xdata()) == [50, 100, 150, 200]
    assert list(micro.get_ydata()) == [0.61, 0.68, 0.72, 0.75]
    assert list(macro.get_ydata()) == [0.42, 0.51, 0.57, 0.61]
    # The bands span each point's 95% interval.
    bands = [c.get_paths()[0].vertices for c in ax.collections]
    assert len(bands) == 2
    macro_band = bands[1]
    for p in record["points"]:
        ys = macro_band[np.isclose(macro_band[:, 0], p["n_cases"]), 1]
        assert min(ys) == pytest.approx(p["macro_f1_95ci"][0])
        assert max(ys) == pytest.approx(p["macro_f1_95ci"][1])
    assert figures.learning_curve_figure(None) is None
    assert figures.learning_curve_figure({"points": []}) is None


# -- the command -----------------------------------------------------------------------------
def test_report_command_with_a_curve(
    report_inputs: dict[str, Path], curve_path: Path, tmp_path: Path
):
    out, js = tmp_path / "report.html", tmp_path / "report.json"
    args = ["report", "--model", str(report_inputs["model"]), "--out", str(out)]
    result = runner.invoke(app, [*args, "--json", str(js), "--curve", str(curve_path)])
    assert result.exit_code == 0, result.output
    content = json.loads(js.read_text(encoding="utf-8"))
    shown = content["learning_curve"]
    assert shown["source"]["name"] == "curve.json" and len(shown["source"]["sha256"]) == 64
    assert [p["micro_f1"] for p in shown["points"]] == [0.61, 0.68, 0.72, 0.75]
    page = out.read_text(encoding="utf-8")
    assert "Would more labels help?" in page and "fig-curve-" in page
    assert html.escape(shown["sentence"]) in page


def test_report_command_refuses_a_file_that_is_not_a_curve(
    report_inputs: dict[str, Path], tmp_path: Path
):
    out = tmp_path / "report.html"
    args = ["report", "--model", str(report_inputs["model"]), "--out", str(out)]
    summary = tmp_path / "summary.json"  # JSON, but a release summary
    summary.write_text(json.dumps({"warnings": []}), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "allegations-curve", "points": [', encoding="utf-8")
    for path, said in (
        (summary, 'its "format" is not "allegations-curve"'),
        (broken, "not readable JSON"),
    ):
        result = runner.invoke(app, [*args, "--curve", str(path)])
        assert result.exit_code == 1, result.output
        (message,) = result.output.strip().splitlines()  # one line
        assert message.startswith(f"Error: {path.name} is not a learning curve (")
        assert said in message and "allegations curve DATA --json FILE" in message
        assert isinstance(result.exception, SystemExit)  # an exit, not a traceback
        assert not out.exists()  # nothing written
    result = runner.invoke(app, [*args, "--curve", str(tmp_path / "absent.json")])
    assert result.exit_code == 1 and "not found" in result.output


def test_report_command_without_a_curve_says_how(report_inputs: dict[str, Path], tmp_path: Path):
    out, js = tmp_path / "report.html", tmp_path / "report.json"
    args = ["report", "--model", str(report_inputs["model"]), "--out", str(out)]
    result = runner.invoke(app, [*args, "--json", str(js)])
    assert result.exit_code == 0, result.output
    assert json.loads(js.read_text(encoding="utf-8"))["learning_curve"] is None
    page = out.read_text(encoding="utf-8")
    assert "No learning curve given" in page and CURVE_COMMAND in page


@pytest.mark.slow
def test_curve_then_report_through_the_console_script(
    report_inputs: dict[str, Path], tmp_path: Path
):
    """The model of report_inputs is trained on noisy_corpus(): its curve matches it."""
    data, curve_json = tmp_path / "cases.csv", tmp_path / "curve.json"
    noisy_corpus().to_csv(data, index=False)
    made = run_cli("curve", data, "--seeds", "2", "--json", curve_json)
    assert made.returncode == 0, made.stderr
    out, js = tmp_path / "report.html", tmp_path / "report.json"
    result = run_cli(
        "report", "--model", report_inputs["model"], "--out", out, "--json", js,
        "--curve", curve_json,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = json.loads(js.read_text(encoding="utf-8"))["learning_curve"]
    curve = json.loads(curve_json.read_text(encoding="utf-8"))
    assert shown["points"] == curve["points"] and shown["sentence"] == curve["sentence"]
    assert shown["notes"] == []  # the same cases and labels as the model's
    page = out.read_text(encoding="utf-8")
    assert html.escape(curve["sentence"]) in page
    assert SECRET not in page + js.read_text(encoding="utf-8")
