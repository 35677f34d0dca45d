"""The publication report: its statistics, content, methods note, HTML and command."""

from __future__ import annotations

import html
import json
import re
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import average_precision_score
from typer.testing import CliRunner

from allegations.cli import app
from allegations.errors import InputError, ModelIntegrityError
from allegations.report._build import (
    build_report,
    load_card,
    make_report,
    read_predictions,
    read_release_summary,
    read_store,
    report_data_from_training,
)
from allegations.report._figures import _operating_point
from allegations.report._html import render_html
from allegations.report._html_parts import NOT_RECORDED
from allegations.report._inputs import release_warnings
from allegations.report._methods import pct, plural
from allegations.stats._metrics import score_predictions
from allegations.stats._report_stats import (
    adjusted_count,
    calibration_bins,
    confusion_from_row,
    metric_intervals,
)
from allegations.tables._write import write_table

from ..conftest import SECRET, SHA, fake_store, run_cli

runner = CliRunner()


@pytest.fixture(scope="session")
def full_report(report_inputs: dict[str, Path]) -> dict[str, Any]:
    card, model_id = load_card(report_inputs["model"])
    pred = read_predictions(report_inputs["predictions"], card["labels"])
    return build_report(
        card,
        model_id=model_id,
        predictions=pred,
        predictions_info={"name": "tagged.csv", "sha256": SHA},
        store=fake_store(card["labels"]),
        summary=read_release_summary(report_inputs["summary"]),
    )


# -- statistics ------------------------------------------------------------------------------
def test_report_data_from_training_values():
    rng = np.random.default_rng(0)
    y = (rng.random((80, 3)) < [0.3, 0.5, 0.2]).astype(int)
    proba = np.clip(y * 0.6 + rng.random((80, 3)) * 0.4, 0, 1)
    lengths = rng.integers(50, 900, size=80)
    data = report_data_from_training(y, proba, lengths.tolist(), ["a", "b", "c"])
    assert data["cooccurrence"] == (y.T @ y).tolist()
    hist = data["text_length_hist"]
    assert sum(hist["counts"]) == 80 and hist["max"] == int(lengths.max())
    assert hist["median"] == pytest.approx(float(np.median(lengths)), abs=0.1)
    for j, label in enumerate("abc"):
        curve = data["pr_curves"][label]
        assert len(curve["thresholds"]) == len(curve["precision"]) - 1 == len(curve["recall"]) - 1
        assert curve["recall"][0] == 1.0 and (curve["recall"][-1], curve["precision"][-1]) == (
            0.0,
            1.0,
        )
        assert curve["average_precision"] == pytest.approx(
            average_precision_score(y[:, j], proba[:, j]), abs=1e-4
        )
        bins = data["calibration"][label]["bins"]
        assert sum(b["count"] for b in bins) == 80
    with pytest.raises(ValueError, match="matching shapes"):
        report_data_from_training(y, proba[:10], lengths.tolist(), ["a", "b", "c"])


def test_pr_curves_are_thinned_but_keep_their_ends():
    rng = np.random.default_rng(1)
    y = (rng.random((3000, 2)) < 0.4).astype(int)
    proba = rng.random((3000, 2))
    curve = report_data_from_training(y, proba, [10] * 3000, ["a", "b"])["pr_curves"]["a"]
    assert len(curve["thresholds"]) <= 200
    assert curve["recall"][0] == 1.0 and curve["thresholds"] == sorted(curve["thresholds"])


def test_calibration_bins_and_ece_by_hand():
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([0.05, 0.15, 0.95, 0.85, 0.55, 0.55])
    result = calibration_bins(y, p, n_bins=2)
    assert [b["count"] for b in result["bins"]] == [2, 4]
    low, high = result["bins"]
    assert low["mean_predicted"] == pytest.approx(0.1) and low["fraction_positive"] == 0.0
    assert high["fraction_positive"] == 0.75
    assert result["ece"] == pytest.approx((2 * 0.1 + 4 * abs(0.725 - 0.75)) / 6, abs=1e-4)


def test_confusion_round_trips_through_the_card_row():
    rng = np.random.default_rng(2)
    y_true = (rng.random((400, 2)) < 0.3).astype(int)
    y_pred = np.where(rng.random((400, 2)) < 0.85, y_true, 1 - y_true)
    row = score_predictions(y_true, y_pred, ["a", "b"])["per_label"][0]
    conf = confusion_from_row(row, 400)
    t, p = y_true[:, 0].astype(bool), y_pred[:, 0].astype(bool)
    assert conf == {
        "tp": int((t & p).sum()),
        "fp": int((~t & p).sum()),
        "fn": int((t & ~p).sum()),
        "tn": int((~t & ~p).sum()),
    }


def test_metric_intervals_are_jeffreys_intervals():
    conf = {"tp": 40, "fp": 10, "fn": 20, "tn": 130}
    result = metric_intervals(conf, seed=0)
    assert result["precision"]["estimate"] == 0.8
    assert result["recall"]["estimate"] == pytest.approx(40 / 60, abs=1e-4)
    assert result["f1"]["estimate"] == pytest.approx(80 / 110, abs=1e-4)
    exact = stats.beta.ppf([0.025, 0.975], 40.5, 10.5)
    assert result["precision"]["low"] == pytest.approx(exact[0], abs=0.015)
    assert result["precision"]["high"] == pytest.approx(exact[1], abs=0.015)
    perfect = metric_intervals({"tp": 30, "fp": 0, "fn": 0, "tn": 70})
    assert perfect["precision"]["estimate"] == 1.0 and perfect["precision"]["low"] < 0.97
    never = metric_intervals({"tp": 0, "fp": 0, "fn": 5, "tn": 95})
    assert never["precision"]["estimate"] is None
    assert metric_intervals(conf, seed=0) == result  # seeded


def test_adjusted_count_recovers_a_known_prevalence():
    conf = {"tp": 160, "fn": 40, "fp": 80, "tn": 720}  # tpr 0.8, fpr 0.1
    # a release of 5,000 with true prevalence 0.3 is tagged at 0.3*0.8 + 0.7*0.1 = 0.31
    fit = adjusted_count(conf, 1550, 5000)
    assert fit["reliable"] and fit["tpr"] == 0.8 and fit["fpr"] == 0.1
    assert fit["estimate"] == pytest.approx(1500)
    assert fit["low"] < 1500 < fit["high"] and fit["high"] - fit["low"] < 600


def test_adjusted_count_interval_covers_the_truth():
    rng = np.random.default_rng(3)
    tpr, fpr, prevalence, n_train_pos, n_train_neg, n_release = 0.75, 0.08, 0.25, 150, 450, 2000
    hits, reps = 0, 150
    for rep in range(reps):
        tp = rng.binomial(n_train_pos, tpr)
        fp = rng.binomial(n_train_neg, fpr)
        conf = {"tp": tp, "fn": n_train_pos - tp, "fp": fp, "tn": n_train_neg - fp}
        positives = rng.binomial(n_release, prevalence)
        tagged = rng.binomial(positives, tpr) + rng.binomial(n_release - positives, fpr)
        fit = adjusted_count(conf, tagged, n_release, seed=rep)
        hits += fit["low"] <= positives <= fit["high"]
    assert hits / reps >= 0.88  # nominal 95%; Monte Carlo slack


def test_adjusted_count_refuses_a_label_the_model_cannot_separate():
    fit = adjusted_count({"tp": 30, "fn": 70, "fp": 200, "tn": 700}, 300, 1000)
    assert not fit["reliable"] and fit["estimate"] is None and "tpr - fpr" in fit["note"]
    assert not adjusted_count({"tp": 0, "fn": 0, "fp": 3, "tn": 97}, 3, 100)["reliable"]


@given(
    tp=st.integers(0, 300),
    fn=st.integers(0, 300),
    fp=st.integers(0, 300),
    tn=st.integers(0, 300),
    n_release=st.integers(1, 10_000),
    share=st.floats(0, 1),
)
def test_adjusted_count_stays_in_range(tp, fn, fp, tn, n_release, share):
    n_tagged = int(round(share * n_release))
    fit = adjusted_count({"tp": tp, "fn": fn, "fp": fp, "tn": tn}, n_tagged, n_release)
    if not fit["reliable"]:
        assert fit["note"]
    else:
        assert 0 <= fit["low"] <= fit["estimate"] <= fit["high"] <= n_release


def test_operating_point_is_the_curve_point_at_the_threshold():
    curve = {"precision": [0.5, 0.7, 0.9, 1.0], "recall": [1.0, 0.8, 0.4, 0.0],
             "thresholds": [0.2, 0.5, 0.8]}  # fmt: skip
    assert _operating_point(curve, 0.45) == (0.8, 0.7)
    assert _operating_point(curve, 0.5) == (0.8, 0.7)
    assert _operating_point(curve, 0.1) == (1.0, 0.5)
    assert _operating_point(curve, None) is None


# -- the report content ------------------------------------------------------------------------
def test_full_report_content(full_report: dict[str, Any], report_inputs: dict[str, Path]):
    card, _ = load_card(report_inputs["model"])
    assert full_report["missing"] == []
    training = full_report["training_data"]
    assert {r["label"]: r["count"] for r in training["label_counts"]} == card["label_counts"]
    assert training["cooccurrence"]["counts"][0][0] == card["label_counts"]["money"]
    quality = full_report["quality"]
    assert quality["too_rare"] == ["weapon"]
    for row, card_row in zip(
        quality["per_label"], card["cross_validation"]["per_label"], strict=True
    ):
        for metric in ("precision", "recall", "f1"):
            value = row[metric]
            assert value["estimate"] == card_row[metric]
            assert value["low"] <= value["estimate"] <= value["high"]
    tagged = pd.read_csv(report_inputs["predictions"], keep_default_na=False)
    release = full_report["release"]
    assert release["n_cases"] == len(tagged)
    assert release["n_needs_review"] == int((tagged["needs_review"].astype(str) == "True").sum())
    for entry in release["counts"]:
        expected = sum(entry["label"] in s.split(";") for s in tagged["labels"])
        assert entry["tagged"] == expected
    weapon = next(c for c in release["counts"] if c["label"] == "weapon")
    assert weapon["corrected"] is None and "too few" in weapon["note"]
    assert any(c["corrected"] for c in release["counts"])
    assert sum(release["confidence"]["counts"]) == len(tagged)
    assert release["drift_warnings"] == [
        json.loads(report_inputs["summary"].read_text())["drift_warnings"][0]
    ]
    json.dumps(full_report)  # JSON-ready


def test_jsonl_predictions_give_the_same_release(report_inputs: dict[str, Path]):
    card, _ = load_card(report_inputs["model"])
    a = build_report(
        card, predictions=read_predictions(report_inputs["predictions"], card["labels"])
    )
    b = build_report(card, predictions=read_predictions(report_inputs["jsonl"], card["labels"]))
    assert a["release"]["counts"] == b["release"]["counts"]
    assert a["release"]["n_needs_review"] == b["release"]["n_needs_review"]


@pytest.mark.parametrize("ext", ["tsv", "xlsx", "parquet"])
def test_other_prediction_formats(report_inputs: dict[str, Path], tmp_path: Path, ext: str):
    card, _ = load_card(report_inputs["model"])
    frame = pd.read_csv(report_inputs["predictions"], dtype=str, keep_default_na=False)
    write_table(frame, tmp_path / f"t.{ext}")
    got = read_predictions(tmp_path / f"t.{ext}", card["labels"])
    want = read_predictions(report_inputs["predictions"], card["labels"])
    assert got["labels"].tolist() == want["labels"].tolist()
    assert got["needs_review"].tolist() == want["needs_review"].tolist()


def test_bad_predictions_are_refused(report_inputs: dict[str, Path], tmp_path: Path):
    labels = load_card(report_inputs["model"])[0]["labels"]
    frame = pd.read_csv(report_inputs["predictions"], dtype=str, keep_default_na=False)
    cases = {
        "nolabels.csv": (frame.drop(columns=["labels"]), "no 'labels' column"),
        "unknown.csv": (frame.assign(labels="money;arson"), "labels this model does not have"),
        "review.csv": (frame.assign(needs_review="maybe"), "needs_review is 'maybe'"),
        "conf.csv": (frame.assign(confidence="1.7"), "confidence is not a number between"),
    }
    for name, (bad, match) in cases.items():
        bad.to_csv(tmp_path / name, index=False)
        with pytest.raises(InputError, match=match):
            read_predictions(tmp_path / name, labels)
    frame.to_csv(tmp_path / "other.csv", index=False)
    with pytest.raises(InputError, match="Report with the model that tagged it"):
        read_predictions(tmp_path / "other.csv", ["money", "query"])


def test_old_cards_degrade_gracefully(model_dir: Path):
    card, model_id = load_card(model_dir)
    # A card from before the model recorded out-of-fold report data and calibration.
    card = {k: v for k, v in card.items() if k not in ("report_data", "calibration")}
    report = build_report(card, model_id=model_id)
    assert set(report["missing"]) == {
        "label co-occurrence",
        "text length distribution",
        "precision-recall curves",
        "calibration",
    }
    page = render_html(report)
    assert page.count(NOT_RECORDED) >= 4
    assert page.count("<svg") == 2  # cases per label and quality still drawn
    assert "No tagged release given" in page


@pytest.mark.slow
def test_report_intervals_match_the_card_and_calibration_is_preferred(
    report_inputs: dict[str, Path],
):
    card, _ = load_card(report_inputs["model"])
    card = json.loads(json.dumps(card))
    card["calibration"] = {
        "money": {
            "ece": 0.5,
            "bins": [{"mean_predicted": 0.5, "fraction_positive": 0.0, "count": 9}],
        }
    }
    report = build_report(card)
    rows = {r["label"]: r for r in card["cross_validation"]["per_label"]}
    for q in report["quality"]["per_label"]:
        row = rows[q["label"]]
        # One interval for one quantity: the report's equals what train stored in the card.
        if row["precision_95ci"] is not None:
            assert [q["precision"]["low"], q["precision"]["high"]] == row["precision_95ci"]
        assert [q["recall"]["low"], q["recall"]["high"]] == row["recall_95ci"]
    assert report["quality"]["interval_method"].startswith("95% intervals: Wilson")
    assert report["quality"]["calibration"] == card["calibration"]
    assert "ECE" in render_html(report)


def test_load_card_checks_the_manifest(copy_model: Path):
    path = copy_model / "model-card.json"
    path.write_text(path.read_text().replace('"n_cases"', '"n_cases" '), encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match="has changed since the model was saved"):
        load_card(copy_model)


def test_read_store_without_support_is_a_clear_error(monkeypatch, tmp_path: Path):
    monkeypatch.setitem(sys.modules, "allegations.review._estimate", None)
    store = tmp_path / "review.db"
    store.write_bytes(b"")
    with pytest.raises(InputError, match="cannot read review stores"):
        read_store(store, None)


def test_read_store_uses_estimate_store(monkeypatch, tmp_path: Path):
    calls = []
    module = types.ModuleType("allegations.review._estimate")

    def estimate_store(store_path, predictions=None):
        calls.append((store_path, predictions))
        return fake_store(["money", "query"])

    module.estimate_store = estimate_store  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "allegations.review._estimate", module)
    store = tmp_path / "review.db"
    store.write_bytes(b"")
    assert read_store(store, "tagged.csv")["n_audited"] == 60
    assert calls == [(str(store), "tagged.csv")]
    with pytest.raises(InputError, match="not found"):
        read_store(tmp_path / "absent.db", None)


def test_release_summary_is_checked(tmp_path: Path):
    bad = tmp_path / "s.json"
    for text, match in (
        ("{nope", "not readable JSON"),
        ("[1]", "not a JSON object"),
        ('{"drift_warnings": "x"}', "drift_warnings must be a list of strings"),
        ('{"warnings": [1]}', "warnings must be a list of strings"),
    ):
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=match):
            read_release_summary(bad)
    # compare-release writes "warnings"; summaries made before issue 17 said "drift_warnings"
    assert release_warnings({"warnings": ["a"], "drift_warnings": ["b"]}) == ["a"]
    assert release_warnings({"drift_warnings": ["b"]}) == ["b"]
    assert release_warnings({"warnings": []}) == release_warnings(None) == []
    with pytest.raises(InputError, match="not found"):
        read_release_summary(tmp_path / "absent.json")


# -- the methods note --------------------------------------------------------------------------
@pytest.mark.slow
def test_methods_note_is_short_and_matches_the_card(
    full_report: dict[str, Any], report_inputs: dict[str, Path]
):
    card, model_id = load_card(report_inputs["model"])
    text = full_report["methods"]
    cv = card["cross_validation"]
    # Issue 17: ~600 words in one paragraph could not be pasted; now at most ~120 words.
    assert len(text.split()) <= 120, len(text.split())
    assert f"from {card['n_cases']:,} narratives" in text
    assert "who assigned their categories was not recorded" in text
    assert "every category whose probability reaches that category's threshold" in text
    assert f"{cv['n_folds']}-fold cross-validation" in text
    assert f"model {model_id[:12]}" in text
    release = full_report["release"]
    assert f"It tagged {release['n_cases']:,} narratives of tagged.csv." in text
    n_labels = len(card["labels"])
    assert f"{n_labels} counts from an audit of 60 cases checked by 2 reviewers" in text
    assert "A comparison with the training data raised 1 drift warning." in text
    assert "(1 reviewers)" not in text and "n/a" not in text
    table = full_report["methods_table"]
    assert table["columns"] == [
        "category",
        "training cases",
        "precision (95%)",
        "recall (95%)",
        "tagged",
        "count to publish (95%)",
        "source",
    ]
    rows = {r[0]: r for r in table["rows"]}
    for row in cv["per_label"]:
        cells = rows[row["label"]]
        assert cells[1] == row["support"]
        if row["too_few"]:
            assert cells[2] == cells[3] == "too few to measure"
        else:
            q = next(r for r in full_report["quality"]["per_label"] if r["label"] == row["label"])
            assert cells[2] == (
                f"{pct(row['precision'])} ({pct(q['precision']['low'])}-"
                f"{pct(q['precision']['high'])})"
            )
        assert cells[6] == "audit" and cells[5].endswith(")")
    assert not any("n/a" in str(c) for r in table["rows"] for c in r)
    page = render_html(full_report)
    assert "<th>count to publish (95%)</th>" in page


@pytest.mark.slow
def test_methods_note_says_who_labelled_and_the_single_label_rule(model_dir: Path):
    card, _ = load_card(model_dir)
    card = {**card, "label_source": "the department's own intake codes", "task": "exclusive"}
    report = build_report(card)
    text = report["methods"]
    assert "whose categories were assigned by the department's own intake codes" in text
    assert "gives each narrative the one category with the highest probability" in text
    assert "threshold" not in text
    assert report["quality"]["decision_rule"]["kind"] == "top label"
    page = render_html(report)
    assert "however low (there is no threshold)" in page
    assert "threshold 0.5" not in page
    assert len(report["methods_table"]["columns"]) == 4


def test_plural():
    assert plural(1, "reviewer") == "1 reviewer"
    assert plural(2, "reviewer") == "2 reviewers"
    assert plural(1200, "category", "categories") == "1,200 categories"


# -- the page ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_html_is_self_contained_and_escaped(full_report: dict[str, Any]):
    page = render_html(full_report)
    assert page.count('<figure class="fig">') == 8
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert not re.search(r"\bsrc\s*=", page)
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", page)
    links = re.findall(r'\bhref="([^"]*)"', page)
    assert links and all(h.startswith(("#", "data:image/png;base64,")) for h in links)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # figures' SVG ids do not collide
    assert "&lt;check&gt;" in page and "<check>" not in page
    assert "@media print" in page
    assert "Audit sample" in page and "0.81" in page and "Diamonds: estimated" in page
    assert SECRET not in page and SECRET not in json.dumps(full_report)  # no narrative text
    assert "#0072B2" in page.upper() or "#0072b2" in page  # Okabe-Ito blue is drawn


@pytest.mark.slow
def test_report_is_deterministic(report_inputs: dict[str, Path], tmp_path: Path):
    args = {"predictions_path": report_inputs["predictions"], "json_path": None}
    make_report(report_inputs["model"], tmp_path / "a.html", **args)
    make_report(report_inputs["model"], tmp_path / "b.html", **args)
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()


# -- the command -----------------------------------------------------------------------------
@pytest.mark.slow
def test_report_command(report_inputs: dict[str, Path], tmp_path: Path):
    out, js = tmp_path / "report.html", tmp_path / "report.json"
    result = runner.invoke(
        app,
        [
            "report",
            "--model",
            str(report_inputs["model"]),
            "--predictions",
            str(report_inputs["predictions"]),
            "--summary",
            str(report_inputs["summary"]),
            "--out",
            str(out),
            "--json",
            str(js),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"Report written to {out}" in " ".join(result.output.split())
    content = json.loads(js.read_text(encoding="utf-8"))
    assert content["format"] == "allegations-report"
    assert html.escape(content["methods"]) in out.read_text(encoding="utf-8")
    assert content["release"]["drift_warnings"]


def test_report_help_has_an_example():
    result = runner.invoke(app, ["report", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Example" in result.output and "allegations report" in result.output


@pytest.mark.slow
def test_report_command_errors(report_inputs: dict[str, Path], tmp_path: Path):
    missing = run_cli("report", "--model", tmp_path / "nope", "--out", tmp_path / "r.html")
    assert missing.returncode == 1 and missing.stderr.startswith("Error: ")
    assert "not found" in missing.stderr and "Traceback" not in missing.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "report",
            "--model",
            str(report_inputs["model"]),
            "--summary",
            str(bad),
            "--out",
            str(tmp_path / "r.html"),
        ],
    )
    assert result.exit_code == 1 and "not readable JSON" in result.output
    assert not (tmp_path / "r.html").exists()  # nothing half-written
    result = runner.invoke(
        app, ["report", "--model", str(report_inputs["model"]), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1 and "is a folder" in result.output
    result = runner.invoke(
        app,
        ["report", "--model", str(report_inputs["model"]), "--out", str(tmp_path / "r.html"),
         "--json", str(tmp_path / "absent" / "r.json")],
    )  # fmt: skip
    assert result.exit_code == 1 and "does not exist" in result.output
    assert not (tmp_path / "r.html").exists()
    usage = runner.invoke(app, ["report", "--out", str(tmp_path / "r.html")])
    assert usage.exit_code == 2
