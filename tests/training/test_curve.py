"""The learning curve: cross-validated quality at growing shares of the labelled cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from allegations.cli import app
from allegations.cli.curve import plot_lines
from allegations.errors import InputError
from allegations.model._config import ModelConfig
from allegations.training._curve import LearningCurve, _verdict, learning_curve

from ..conftest import SECRET, make_corpus, noisy_corpus, run_cli

#: One candidate per grid and three folds: the curve's logic, at a fraction of the cost.
CHEAP = ModelConfig(
    C_grid=(2.0,), exclusive_C_grid=(2.0,), nb_grid=(False,), ensemble=False, n_folds=3
)


def _sets(df) -> list[list[str]]:
    return [s.split(";") if s else [] for s in df["labels"]]


@pytest.mark.slow
def test_curve_points_intervals_and_fixed_macro_labels():
    df = noisy_corpus(160, seed=2)
    curve = learning_curve(df.text.tolist(), _sets(df), n_seeds=2, config=CHEAP)
    assert [p["n_cases"] for p in curve.points] == [40, 80, 120, 160]
    assert [p["fraction"] for p in curve.points] == [0.25, 0.5, 0.75, 1.0]
    for p in curve.points:
        for key in ("micro_f1", "macro_f1"):
            lo, hi = p[f"{key}_95ci"]
            assert 0 <= lo <= p[key] + 1e-9 <= hi + 2e-9 <= 1 + 2e-9
        assert set(p["per_label"]) == set(curve.labels)
    # "weapon" has 3 cases: never in the macro-F1, so it cannot move the curve.
    assert "weapon" in curve.labels and "weapon" not in curve.macro_labels
    assert curve.sentence.startswith("Macro-F1 ") and SECRET not in curve.sentence
    again = learning_curve(df.text.tolist(), _sets(df), n_seeds=2, config=CHEAP)
    assert again.points == curve.points
    text = "\n".join(plot_lines(curve))
    assert text.count("|") == 8 and "o" in text


def test_curve_two_shares_one_seed_is_deterministic():
    df = noisy_corpus(200, seed=5).iloc[:80]
    args = (df.text.tolist(), _sets(df))
    curve = learning_curve(*args, fractions=(0.5, 1.0), n_seeds=1, config=CHEAP)
    assert [p["n_cases"] for p in curve.points] == [40, 80]
    assert curve.points[0]["macro_f1_95ci"] == [curve.points[0]["macro_f1"]] * 2
    assert "last 50%" in curve.sentence or "No label" in curve.sentence
    assert learning_curve(*args, fractions=(0.5, 1.0), n_seeds=1, config=CHEAP).points == (
        curve.points
    )


def _points(macros: list[float], per_label: list[dict[str, float]]) -> list[dict]:
    return [
        {"fraction": f, "n_cases": int(400 * f), "macro_f1": m, "per_label": pl}
        for f, m, pl in zip((0.25, 0.5, 0.75, 1.0), macros, per_label, strict=True)
    ]


def test_the_sentence_names_the_labels_that_still_gain():
    flat = {"A": 0.8, "B": 0.5, "C": 0.3}
    rising = _points([0.3, 0.4, 0.5, 0.54], [flat, flat, flat, {"A": 0.8, "B": 0.58, "C": 0.34}])
    rise, sentence = _verdict(rising, ["A", "B", "C"])
    assert rise == {"A": 0.0, "B": 0.08, "C": 0.04}
    assert sentence == (
        "Macro-F1 still rose by 0.04 over the last quarter of the labelled cases: more labels "
        "will likely help, most for B and C."
    )
    _, sentence = _verdict(_points([0.3, 0.4, 0.5, 0.505], [flat] * 4), ["A", "B", "C"])
    assert "flattened" in sentence and "+0.01" in sentence
    _, sentence = _verdict(_points([0.3, 0.4, 0.5, 0.45], [flat] * 4), ["A", "B", "C"])
    assert "fell by 0.05" in sentence and "suspects" in sentence


def test_curve_refuses_too_few_cases_and_bad_fractions():
    df = make_corpus(60)
    with pytest.raises(InputError, match="at least 20 cases in its smallest share"):
        learning_curve(df.text.tolist(), _sets(df), config=CHEAP)
    with pytest.raises(InputError, match=r"Fractions must lie in \(0, 1\]"):
        learning_curve(df.text.tolist(), _sets(df), fractions=(0.5, 1.5), config=CHEAP)


def test_curve_cli_bad_column_is_one_line(tmp_path: Path):
    path = tmp_path / "cases.csv"
    make_corpus(100).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["curve", str(path), "--text-col", "narrative"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "narrative" in result.output


@pytest.mark.slow
def test_curve_console_script(tmp_path: Path):
    path = tmp_path / "cases.csv"
    noisy_corpus(200, seed=4).iloc[:100].to_csv(path, index=False)
    result = run_cli("curve", path, "--seeds", "2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Cross-validated learning curve (2 shuffle(s)" in out
    assert "macro-F1 (95% interval)" in out and "micro-F1 by cases: 25:" in out
    assert "Macro-F1 " in out and SECRET not in out + result.stderr


def test_learning_curve_is_a_dataclass_with_a_sentence():
    curve = LearningCurve(points=[], labels=[], macro_labels=[], n_seeds=1)
    assert curve.sentence == "" and curve.rise == {}
