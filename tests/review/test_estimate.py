"""``estimate`` against a hand computation on a constructed store; agreement; errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from allegations.cli import app
from allegations.errors import InputError, StoreError
from allegations.review._estimate import Z95, estimate_store, wilson
from allegations.review._store import ReviewStore

from ..support.stores import TRUTH, M, N, build_store


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "audit.db"
    build_store(path)
    return path


def test_wilson_matches_the_textbook_interval():
    low, high = wilson(0.8, 10, Z95)  # 8 of 10: Wilson 95% interval 0.490-0.943
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    assert wilson(None, 0) == (0.0, 1.0)


def test_estimate_matches_a_hand_computation(store_path: Path):
    report = estimate_store(store_path)
    assert report["n_population"] == N and report["n_audited"] == 9 and report["n_sampled"] == 11
    assert report["reviewers"] == ["ana"]
    assert [b["audited"] for b in report["bands"]] == [4, 5] and report["n_unrepresented"] == 0
    a, b = report["per_label"]
    assert a["label"] == "a" and a["tagged"] == M and a["n_audited"] == 9

    # Precision: tagged audited cases 0 (y=1, w=2.5), 1 (1, 2.5), 2 (0, 2.5), 10 (1, 6).
    precision = (2.5 + 2.5 + 6) / (2.5 * 3 + 6)  # 0.814815
    n_eff_p = (2.5 * 3 + 6) ** 2 / (3 * 2.5**2 + 6**2)  # 3.3288
    # Elusion: untagged audited cases 6 (1, 2.5), 15, 17, 18 (0, 6), 16 (1, 6).
    elusion = (2.5 + 6) / (2.5 + 4 * 6)  # 0.320755
    n_eff_e = (2.5 + 4 * 6) ** 2 / (2.5**2 + 4 * 6**2)  # 4.6739
    count = M * precision + (N - M) * elusion  # 18.2648
    assert a["precision"]["estimate"] == pytest.approx(precision)
    assert a["elusion"]["estimate"] == pytest.approx(elusion)
    assert a["estimated_count"]["estimate"] == pytest.approx(count)
    assert a["recall"]["estimate"] == pytest.approx(M * precision / count)  # 0.4907
    assert a["elusion"]["missed"]["estimate"] == pytest.approx(29 * elusion)  # 9.30
    assert n_eff_p == pytest.approx(3.328767) and n_eff_e == pytest.approx(4.673877)

    # 95% Wilson intervals on those effective sizes (computed separately by hand).
    assert (a["precision"]["low"], a["precision"]["high"]) == pytest.approx(
        (0.315566, 0.976739), abs=1e-6
    )
    assert (a["elusion"]["low"], a["elusion"]["high"]) == pytest.approx(
        (0.077849, 0.725383), abs=1e-6
    )
    # Count and recall: 97.5% intervals of P (0.269638-0.981287) and E (0.065058-0.762166)
    # combined at their extremes.
    assert a["estimated_count"]["low"] == pytest.approx(11 * 0.269638 + 29 * 0.065058, abs=1e-4)
    assert a["estimated_count"]["high"] == pytest.approx(11 * 0.981287 + 29 * 0.762166, abs=1e-4)
    assert (a["recall"]["low"], a["recall"]["high"]) == pytest.approx(
        (0.118315, 0.851217), abs=1e-5
    )
    assert a["summary"] == "a: 11 tagged, estimated 4-33"

    # Label b: the model tags nothing; one positive (case 6, weight 2.5) of weight 40.
    assert b["tagged"] == 0 and b["precision"]["estimate"] is None
    assert b["elusion"]["estimate"] == pytest.approx(2.5 / 40)
    assert b["estimated_count"]["estimate"] == pytest.approx(2.5)
    n_eff_b = 40**2 / (4 * 2.5**2 + 5 * 6**2)
    low, high = wilson(2.5 / 40, n_eff_b, 2.241402727604947)
    assert b["estimated_count"]["low"] == pytest.approx(40 * low)
    assert b["recall"]["estimate"] == 0.0


def test_agreement_kappa_by_hand(store_path: Path):
    report = estimate_store(store_path)
    # Cases 0, 1, 2, 6 decided by both. Label a: ana 1,1,0,1; bo 1,0,0,0.
    # observed 2/4; expected 0.75*0.25 + 0.25*0.75 = 0.375; kappa = 0.125/0.625 = 0.2.
    assert report["agreement"]["a"]["n_both"] == 4
    assert report["agreement"]["a"]["kappa"] == pytest.approx(0.2)
    # Label b: ana 0,0,0,1; bo 0,0,0,0: observed 0.75 = expected 0.75, kappa 0.
    assert report["agreement"]["b"]["kappa"] == pytest.approx(0.0)
    assert report["disagreements"] == [
        {"case_id": "K1", "label": "a", "yes": ["ana"], "no": ["bo"]},
        {"case_id": "K6", "label": "a", "yes": ["ana"], "no": ["bo"]},
        {"case_id": "K6", "label": "b", "yes": ["ana"], "no": ["bo"]},
    ]


def test_predictions_file_replaces_the_stored_calls(store_path: Path, tmp_path: Path):
    # Another model tags "a" on every case: precision is then the weighted share over all.
    preds = pd.DataFrame({"id": [f"K{i}" for i in range(N)], "labels": ["a"] * N})
    preds.to_csv(tmp_path / "p.csv", index=False)
    report = estimate_store(store_path, tmp_path / "p.csv")
    a = report["per_label"][0]
    assert a["tagged"] == N
    weights = {i: 2.5 if i < 10 else 6.0 for i in TRUTH}
    share = sum(w for i, w in weights.items() if "a" in TRUTH[i]) / sum(weights.values())
    assert a["precision"]["estimate"] == pytest.approx(share)
    assert a["estimated_count"]["estimate"] == pytest.approx(N * share)
    preds.iloc[:30].to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(InputError, match="10 of its 40 case id"):
        estimate_store(store_path, tmp_path / "short.csv")


def test_estimate_cli_prints_the_summary_and_writes_json(store_path: Path, tmp_path: Path):
    out = tmp_path / "est.json"
    result = CliRunner().invoke(app, ["estimate", str(store_path), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "a: 11 tagged, estimated 4-33" in result.output
    assert "Cohen's kappa" in result.output and "case K6: b: yes ana; no bo" in result.output
    data = json.loads(out.read_text())
    row = data["per_label"][0]
    for key in ("label", "tagged", "n_audited", "precision", "recall", "estimated_count"):
        assert key in row
    assert set(row["elusion"]) >= {"estimate", "low", "high"}
    assert data["agreement"]["a"]["kappa"] == pytest.approx(0.2)
    assert not math.isnan(row["estimated_count"]["high"])
    agreement = CliRunner().invoke(app, ["agreement", str(store_path)])
    assert agreement.exit_code == 0 and "case K1: a: yes ana; no bo" in agreement.output


def test_estimate_errors(tmp_path: Path):
    with pytest.raises(StoreError, match="not found"):
        estimate_store(tmp_path / "none.db")
    ReviewStore(tmp_path / "plain.db", labels=["a", "b"]).close()
    with pytest.raises(StoreError, match="holds no audit sample"):
        estimate_store(tmp_path / "plain.db")
    result = CliRunner().invoke(app, ["estimate", str(tmp_path / "plain.db")])
    assert result.exit_code == 1 and "Error: " in result.output
