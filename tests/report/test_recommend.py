"""One recommended count per label: the rule, and compare-release -> report end to end."""

from __future__ import annotations

import html
import json
import random
from pathlib import Path

import pandas as pd
import pytest

from allegations.report._recommend import (
    MIN_F1_LOW,
    drift_by_label,
    recommend_count,
    target_half_width,
)
from allegations.stats._intervals import audit_size_for

from ..conftest import FILLER, PEOPLE, PHRASES, SECRET, make_corpus, run_cli

GOOD = {"too_few": False, "f1": {"estimate": 0.9, "low": 0.8, "high": 0.95}}
CORRECTED = {"estimate": 120.0, "low": 100.0, "high": 140.0}
AUDIT = {"estimated_count": {"estimate": 130.0, "low": 90.0, "high": 180.0}}


def rec(**kw):
    args = dict(
        label="money",
        tagged=110,
        n_release=3400,
        corrected=CORRECTED,
        quality=GOOD,
        audit_row=None,
        drift={"money": False},
    )
    args.update(kw)
    return recommend_count(**args)


def test_audit_wins_when_there_is_one():
    out = rec(audit_row=AUDIT, drift={"money": True}, n_audited=200)
    assert out == {
        "estimate": 130.0,
        "low": 90.0,
        "high": 180.0,
        "source": "audit",
        "reason": "estimated from an audit of 200 release cases checked by people",
    }


def test_model_only_without_drift_and_with_separation():
    out = rec()
    assert out["source"] == "model" and (out["estimate"], out["low"]) == (120.0, 100.0)


def test_no_figure_says_why_and_how_many_to_audit():
    n = audit_size_for(110 / 3400, target_half_width(110, 3400), 3400)
    drifted = rec(drift={"money": True})
    assert drifted["estimate"] is None and drifted["source"] is None
    assert drifted["reason"].startswith(
        "the release drifted from the training data for this label: audit at least "
        f"{n:,} cases (for a 95% interval of about +-34 cases)"
    )
    assert "no release comparison" in rec(drift=None)["reason"]
    assert "no drift check" in rec(drift={})["reason"]
    weak = rec(quality={"too_few": False, "f1": {"estimate": 0.5, "low": 0.31}})
    assert weak["estimate"] is None and f"0.31 < {MIN_F1_LOW}" in weak["reason"]
    assert "too few training examples" in rec(quality={"too_few": True})["reason"]
    assert "not reliable" in rec(corrected=None)["reason"]


def test_drift_by_label_reads_compare_release_rows():
    summary = {
        "labels": [
            {"label": "a", "share_drift": True, "score_drift": False},
            {"label": "b", "share_drift": False, "score_drift": None},
            {"label": "c", "share_drift": False, "score_drift": True},
        ]
    }
    assert drift_by_label(summary) == {"a": True, "b": False, "c": True}
    assert drift_by_label(None) is None
    assert drift_by_label({"warnings": []}) == {}


def _drifted_release(n: int, seed: int) -> pd.DataFrame:
    """Mostly money: the tagged share moves far beyond what cross-validation explains."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        chosen = ["money"] if rng.random() < 0.8 else [rng.choice(["query", "threat"])]
        parts = [f"Officer {rng.choice(PHRASES[lab])} {rng.choice(PEOPLE)}." for lab in chosen]
        parts.append(rng.choice(FILLER))
        rows.append({"case_id": f"N{i:04d}", "narrative": " ".join(parts)})
    old = make_corpus(100, seed=31)[["id", "text"]]
    old = old.rename(columns={"id": "case_id", "text": "narrative"})
    return pd.concat([old, pd.DataFrame(rows)], ignore_index=True)


@pytest.mark.slow
def test_compare_release_to_report_through_the_console_script(
    tmp_path: Path, model_dir: Path, corpus_csv: Path
):
    new = tmp_path / "new.csv"
    _drifted_release(120, seed=3).to_csv(new, index=False)
    comparison, tagged = tmp_path / "compare.json", tmp_path / "tagged.csv"
    page, content = tmp_path / "report.html", tmp_path / "report.json"
    commands = [
        ["compare-release", new, "--model", model_dir, "--id-col", "case_id"]
        + ["--text-col", "narrative", "--training", corpus_csv]
        + ["--training-text-col", "text", "--json", comparison],
        ["predict", new, "--model", model_dir, "--id-col", "case_id"]
        + ["--text-col", "narrative", "--out", tagged],
        ["report", "--model", model_dir, "--predictions", tagged]
        + ["--summary", comparison, "--out", page, "--json", content],
    ]
    for command in commands:
        result = run_cli(*command, "--quiet")
        assert result.returncode == 0, result.stderr
    written = json.loads(comparison.read_text(encoding="utf-8"))
    warnings_ = written["warnings"]
    assert warnings_ and any("Label 'money'" in w for w in warnings_)
    report = json.loads(content.read_text(encoding="utf-8"))
    assert report["release"]["drift_warnings"] == warnings_
    text = page.read_text(encoding="utf-8")
    assert all(f"<li>{html.escape(w, quote=True)}</li>" in text for w in warnings_)
    drifted = {r["label"] for r in written["labels"] if r["share_drift"] or r["score_drift"]}
    assert "money" in drifted
    counts = {c["label"]: c for c in report["release"]["counts"]}
    assert set(counts) == set(report["model"]["labels"])
    for label, c in counts.items():
        r = c["recommended"]
        assert set(r) == {"estimate", "low", "high", "source", "reason"}
        if label in drifted:
            # Drift: no model figure, and the reason says what to do.
            assert r["estimate"] is None and r["source"] is None
            assert "drifted" in r["reason"] and "audit at least" in r["reason"]
        if r["source"] == "model":
            assert label not in drifted and r["low"] <= r["estimate"] <= r["high"]
        shown = (
            "none"
            if r["estimate"] is None
            else f"{r['estimate']:,.0f} ({r['low']:,.0f}-{r['high']:,.0f})"
        )
        row = f'<td>{html.escape(label)}</td><td class="num">{c["tagged"]}</td>'
        assert row + f'<td class="num">{shown}</td>' in text
        assert html.escape(r["reason"], quote=True) in text
    assert "Recommended counts: the figures to publish" in text
    assert "Supporting detail" in text
    assert SECRET not in text
