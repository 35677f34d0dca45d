"""Whose answers: reviewer selection, adjudication (screen and sheet), agreement figures by
hand, and a version-1 store read and migrated."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.console import Console
from typer.testing import CliRunner

from allegations.cli import app
from allegations.cli._review_screen import build_screen
from allegations.errors import InputError, StoreError
from allegations.review._answers import choose_decisions, disputes
from allegations.review._cases import Case
from allegations.review._estimate import estimate_store
from allegations.review._interrater import agreement
from allegations.review._session import ReviewSession
from allegations.review._sheet_import import import_sheet
from allegations.review._sheets import write_sheet
from allegations.review._store import ReviewStore, text_hash
from allegations.stats._agreement import krippendorff_alpha_nominal

from ..support.stores import audit_with_two_reviewers, text

runner = CliRunner()


def test_krippendorff_alpha_by_hand():
    # Coincidences: o_aa = 2 + 2, o_ab = o_ba = 1, o_bb = 2; n_a = 5, n_b = 3, n = 8.
    # alpha = 1 - (n - 1) * (o_ab + o_ba) / (2 n_a n_b) = 1 - 7 * 2 / 30 = 16/30.
    units = [["a", "a"], ["a", "b"], ["b", "b"], ["a", "a"], ["b"]]  # ["b"]: not pairable
    assert krippendorff_alpha_nominal(units) == pytest.approx(16 / 30)
    # A unit of three coders, a a b: o_aa += 2/2, o_ab += 2/2, o_ba += 2/2.
    # o_aa = 1, o_ab = o_ba = 1 with [a, b]: n_a = 3 + ..., checked against the formula:
    three = [["a", "a", "b"], ["a", "b"]]  # o_aa=1, o_ab=2, o_ba=2, o_bb=0: n_a=3, n_b=2
    assert krippendorff_alpha_nominal(three) == pytest.approx(1 - 4 * 4 / 12)
    assert krippendorff_alpha_nominal([["a", "a"], ["b", "b"]]) == pytest.approx(1.0)
    assert krippendorff_alpha_nominal([["a", "a"], ["a", "a"]]) is None  # no variation
    assert krippendorff_alpha_nominal([["a"], []]) is None


def two_reviewer_store(path: Path) -> None:
    """ana and bo code four cases; labels a, b."""
    answers = {
        "ana": {1: ["a"], 2: ["a", "b"], 3: [], 4: ["b"]},
        "bo": {1: ["a"], 2: ["a"], 3: [], 4: ["a"]},
    }
    with ReviewStore(path, labels=["a", "b"]) as store:
        for name, coded in answers.items():
            for i, labels in coded.items():
                store.record(
                    case_id=f"K{i}", text=text(i), labels=labels, predicted={}, model_id="m",
                    reviewer=name, strategy="uncertain",
                )  # fmt: skip


def test_agreement_whole_case_and_alpha_by_hand(tmp_path: Path):
    two_reviewer_store(tmp_path / "r.db")
    with ReviewStore(tmp_path / "r.db", create=False) as store:
        result = agreement(store)
    # Same whole answer on K1 and K3: 2 of 4.
    assert result["whole_case"]["n_both"] == 4 and result["whole_case"]["n_agree"] == 2
    assert result["whole_case"]["exact_agreement"] == 0.5
    # Answers as sets: ana A, AB, {}, B; bo A, A, {}, A. n_A = 4, n_AB = 1, n_{} = 2,
    # n_B = 1, n = 8; disagreeing coincidences 4; sum_{c != k} n_c n_k = 64 - 22 = 42.
    # alpha = 1 - 7 * 4 / 42 = 1/3.
    assert result["whole_case"]["alpha"] == pytest.approx(1 / 3)
    a = result["per_label"]["a"]
    # Label a: ana 1,1,0,0; bo 1,1,0,1: observed 3/4, expected 0.5*0.75 + 0.5*0.25 = 0.5.
    assert a["kappa"] == pytest.approx(0.5) and a["observed_agreement"] == 0.75
    assert a["alpha"] == pytest.approx(16 / 30) and a["n_both"] == 4
    out = runner.invoke(app, ["agreement", str(tmp_path / "r.db")], env={"COLUMNS": "160"})
    assert out.exit_code == 0, out.output
    text_out = " ".join(out.output.split())
    assert "4 case(s) were coded by two or more reviewers" in text_out
    assert "on 2 of them (50%)" in text_out and "alpha over whole answers 0.33" in text_out
    assert "Krippendorff's alpha" in text_out and "0.53" in text_out


def test_several_reviewers_stop_the_estimate_until_settled(tmp_path: Path):
    path = tmp_path / "audit.db"
    audit_with_two_reviewers(path)
    # bo disagrees with ana on K2 (ana: none) and K15 (ana: none); agrees on K0 and K6.
    with pytest.raises(StoreError, match=r"2 reviewers \(ana, bo\) .* disagree on 2 case\(s\)"):
        estimate_store(path)
    result = runner.invoke(app, ["estimate", str(path)])
    assert result.exit_code == 1 and "--adjudicate" in result.output
    assert "Pass --reviewer NAME" in " ".join(result.output.split())
    only_bo = estimate_store(path, reviewer="bo")
    assert only_bo["n_audited"] == 4 and only_bo["answers"]["source"] == "reviewer"
    with pytest.raises(InputError, match="Reviewer 'cy' has no decision"):
        estimate_store(path, reviewer="cy")
    with ReviewStore(path, create=False) as store:
        # Over every strategy, K1 is disputed too (bo's earlier, non-audit answer).
        assert set(disputes(store)) == {text_hash(text(i)) for i in (1, 2, 15)}

    # An adjudicator settles both disputed cases on the screen.
    with ReviewStore(path, labels=["a", "b"]) as store:
        found = disputes(store)
        queue = [
            Case(f"K{i}", text(i), text_hash(text(i)), {"a": 0.5, "b": 0.1}, ["a"], 0.0)
            for i in (2, 15)
        ]
        session = ReviewSession(
            store, queue, labels=["a", "b"], model_id="m1", reviewer="cy",
            strategy="adjudicate", answers=found,
        )  # fmt: skip
        buffer = io.StringIO()
        Console(file=buffer, width=100).print(build_screen(session))
        screen = buffer.getvalue()
        assert "ana: none apply" in screen and "bo: a" in screen
        assert "Model predicts" not in screen and "[y]" not in session.legend
        session.press("1")
        session.press("enter")  # K2: a
    with pytest.raises(StoreError, match="disagree on 1 case"):
        estimate_store(path)
    with ReviewStore(path, labels=["a", "b"]) as store:
        session = ReviewSession(
            store, queue, labels=["a", "b"], model_id="m1", reviewer="cy",
            strategy="adjudicate", answers=disputes(store),
        )  # fmt: skip
        assert session.current is not None and session.current.case_id == "K15"
        session.press("n")  # K15: none apply
        (d,) = [x for x in store.decisions() if x.reviewer == "cy" and x.case_id == "K15"]
        assert d.role == "adjudicator" and d.strategy == "audit"
    report = estimate_store(path)
    assert report["answers"] == {
        "source": "adjudicated", "reviewers": ["ana", "bo"], "n_adjudicated": 2,
        "n_agreed": 2,
    }  # fmt: skip
    a = next(r for r in report["per_label"] if r["label"] == "a")
    assert a["n_audited_positive"] == 6  # ana's 5 yes on a, plus K2 settled as a
    # Agreement counts reviewers only, not the adjudicator.
    assert report["agreement_whole_case"]["n_both"] == 5  # K0, K1, K2, K6, K15
    assert all(p["reviewers"] == ["ana", "bo"] for p in report["agreement"]["a"]["pairs"])
    result = runner.invoke(app, ["estimate", str(path)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "2 adjudicated case(s)" in " ".join(result.output.split())


def test_adjudication_by_sheet(tmp_path: Path):
    path = tmp_path / "audit.db"
    audit_with_two_reviewers(path)
    with ReviewStore(path, labels=["a", "b"]) as store:
        found = disputes(store)
        queue = [
            Case(f"K{i}", text(i), text_hash(text(i)), {"a": 0.5}, ["a"], 0.0) for i in (2, 15)
        ]
        write_sheet(store, queue, tmp_path / "disputes.xlsx", strategy="audit", model_id="m1",
                    answers=found)  # fmt: skip
    book = load_workbook(tmp_path / "disputes.xlsx")
    sheet = book["review"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["id", "text", "answer: ana", "answer: bo"]
    assert [sheet.cell(row=2, column=j).value for j in (3, 4)] == ["(none apply)", "a"]
    sheet.cell(row=2, column=header.index("a") + 1).value = "x"
    sheet.cell(row=3, column=header.index("none_apply") + 1).value = "x"
    book.save(tmp_path / "disputes.xlsx")
    with pytest.raises(InputError, match="adjudication sheet; import it with `adjudicate`"):
        import_sheet(tmp_path / "disputes.xlsx", path, reviewer="cy")
    args = ["import", str(tmp_path / "disputes.xlsx"), "--store", str(path), "--reviewer", "cy"]
    result = runner.invoke(app, [*args, "--adjudicate"])
    assert result.exit_code == 0, result.output
    with ReviewStore(path, create=False) as store:
        assert set(disputes(store)) == {text_hash(text(1))}  # outside the audit
        chosen, how = choose_decisions(store, strategy="audit")
    assert how["n_adjudicated"] == 2 and chosen[text_hash(text(2))].labels == ("a",)
    assert estimate_store(path)["answers"]["source"] == "adjudicated"


def test_a_version_1_store_is_read_then_migrated(tmp_path: Path):
    path = tmp_path / "v1.db"
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE texts (text_hash TEXT PRIMARY KEY, text TEXT NOT NULL);
        CREATE TABLE decisions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, case_id TEXT NOT NULL,
            text_hash TEXT NOT NULL, labels TEXT NOT NULL, predicted TEXT NOT NULL,
            predicted_labels TEXT NOT NULL, model_id TEXT NOT NULL, reviewer TEXT NOT NULL,
            strategy TEXT NOT NULL, undoes INTEGER, decided_at TEXT NOT NULL);
        CREATE TABLE audit_population (position INTEGER PRIMARY KEY, case_id TEXT NOT NULL,
            text_hash TEXT NOT NULL, band INTEGER NOT NULL, predicted TEXT NOT NULL,
            sample_rank INTEGER);
        """
    )
    con.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [("format", "allegations-review-store"), ("format_version", "1"),
         ("labels", json.dumps(["a", "b"])), ("created", "2026-01-01")],
    )  # fmt: skip
    con.execute(
        "INSERT INTO decisions (kind, case_id, text_hash, labels, predicted, predicted_labels, "
        "model_id, reviewer, strategy, undoes, decided_at) VALUES "
        "('decide', 'K1', ?, '[\"a\"]', '{}', '[]', 'm', 'ana', 'uncertain', NULL, 'now')",
        (text_hash(text(1)),),
    )
    con.commit()
    con.close()
    with ReviewStore(path, create=False) as store:  # read as is: nothing written
        (d,) = store.decisions()
        assert d.role == "reviewer" and d.labels == ("a",)
        assert store.meta()["format_version"] == "1"
    with ReviewStore(path, labels=["a", "b"]) as store:  # opened to write: migrated
        assert store.meta()["format_version"] == "2"
        store.record(case_id="K1", text=text(1), labels=["b"], predicted={}, model_id="m",
                     reviewer="cy", strategy="uncertain", role="adjudicator")  # fmt: skip
        assert [d.role for d in store.decisions()] == ["reviewer", "adjudicator"]
