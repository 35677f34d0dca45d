"""The real terminal program, driven through a pseudo-terminal: keys, undo, resume, kill -9."""

from __future__ import annotations

import io
import os
import random
import re
import signal
import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from allegations.cli import app
from allegations.review._estimate import estimate_store
from allegations.review._session import AUDIT_LEGEND, LEGEND
from allegations.review._store import ReviewStore

from ..conftest import make_corpus
from ..support.terminal import CASE, CLEAR, SAVED, current_id, press, screen, spawn

pexpect = pytest.importorskip("pexpect")
pytestmark = pytest.mark.skipif(os.name == "nt", reason="pexpect drives POSIX terminals only")

SECRET = "Zanzibar-Canary-4471"


@pytest.fixture()
def cases_csv(tmp_path: Path) -> Path:
    df = make_corpus(120, seed=3)
    df["text"] = df["text"] + f" {SECRET} file " + df["id"]  # unique texts
    path = tmp_path / "cases.csv"
    df.to_csv(path, index=False)
    return path


def review(tmp_path: Path, data: Path, model: Path, store: Path, *extra: str):
    return spawn(
        "review", data, "--model", model, "--store", store, "--id-col", "id", *extra, cwd=tmp_path
    )


@pytest.mark.slow
def test_keys_undo_resume_and_legend(tmp_path: Path, cases_csv: Path, model_dir: Path):
    store = tmp_path / "review.db"
    child = review(tmp_path, cases_csv, model_dir, store, "--reviewer", "ana", "--limit", "20")
    stream = io.StringIO()
    child.logfile_read = stream
    first = screen(child)
    assert "case 1 of 20" in first and "Model predicts:" in first
    transcript = [first]

    a = current_id(first)
    shown = press(child, "y")  # accept the model's labels
    transcript.append(shown)
    saved = SAVED.search(shown)
    assert saved and saved.group(1) == a

    b = current_id(shown)
    shown = press(child, "n")  # none apply
    transcript.append(shown)
    assert f"Saved case {b}: none apply" in shown

    c = current_id(shown)
    mark = re.compile(r"\[(x| )\]\s+1 money")
    before = mark.search(shown).group(1)
    shown = press(child, "1")  # toggle label 1 (money), then save with enter
    after = mark.search(shown).group(1)
    assert after != before
    transcript.append(shown)
    shown = press(child, "\r")
    transcript.append(shown)
    saved = SAVED.search(shown)
    assert saved and saved.group(1) == c and ("money" in saved.group(2)) == (after == "x")

    d = current_id(shown)
    shown = press(child, "s")  # skip: no decision
    transcript.append(shown)
    assert f"Skipped case {d}" in shown

    shown = press(child, "u")  # undo the decision on c: c is shown again
    transcript.append(shown)
    assert f"Undid decision #3 on case {c}" in shown and current_id(shown) == c
    shown = press(child, "n")
    transcript.append(shown)
    assert f"Saved case {c}: none apply (decision #5)" in shown

    shown = press(child, "?")
    transcript.append(shown)
    assert "Label definitions" in shown
    shown = press(child, "x")  # any key leaves the definitions
    transcript.append(shown)
    shown = press(child, "z")
    transcript.append(shown)
    assert "does nothing here" in shown
    child.send("q")
    child.expect(pexpect.EOF)
    out = child.before
    assert "Saved 4 decision(s)" in out and "(1 undone)" in out
    child.close()
    assert child.exitstatus == 0

    # The legend, exactly, on every screen that was drawn.
    screens = stream.getvalue().split(CLEAR)[1:]
    assert len(screens) == len(transcript)
    assert all(LEGEND in chunk for chunk in screens)
    assert SECRET not in stream.getvalue().split("\x1b[?1049l")[-1]  # nothing after leaving

    with ReviewStore(store, create=False) as opened:
        rows = opened.decisions()
        assert [r.kind for r in rows] == ["decide", "decide", "decide", "undo", "decide"]
        assert rows[3].undoes == 3
        standing = {d.case_id: d.labels for d in opened.standing("ana").values()}
    assert set(standing) == {a, b, c} and standing[b] == () and standing[c] == ()
    assert rows[2].labels != rows[4].labels or rows[2].labels == ()

    # Resume: decided cases are not asked again; the skipped one comes back first.
    child = review(tmp_path, cases_csv, model_dir, store, "--reviewer", "ana", "--limit", "20")
    shown = screen(child)
    assert "Resumed: 3 case(s)" in shown
    assert current_id(shown) == d
    seen = [current_id(shown)]
    for _ in range(17):
        shown = press(child, "s")
        if CASE.search(shown):
            seen.append(current_id(shown))
    assert len(seen) == 17 and not {a, b, c} & set(seen)
    assert "End of the queue: 17 case(s) not decided" in shown
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_hundred_cases_with_single_keys(tmp_path: Path, cases_csv: Path, model_dir: Path):
    store = tmp_path / "review.db"
    child = review(tmp_path, cases_csv, model_dir, store, "--reviewer", "bo", "--limit", "100")
    shown = screen(child)
    for i in range(100):
        assert f"case {i + 1} of 100" in shown
        shown = press(child, "ny"[i % 2])
        assert LEGEND in child.after
    assert "Every case in this queue is decided" in shown and "100 of 100 decided" in shown
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    with ReviewStore(store, create=False) as opened:
        assert len(opened.standing("bo")) == 100


@pytest.mark.slow
def test_kill_9_loses_no_acknowledged_decision(tmp_path: Path, cases_csv: Path, model_dir: Path):
    store = tmp_path / "review.db"
    rng = random.Random(7)
    acknowledged: dict[str, str] = {}
    iterations = 6
    for _ in range(iterations):
        child = review(tmp_path, cases_csv, model_dir, store, "--reviewer", "kim")
        shown = screen(child)
        for _ in range(rng.randint(1, 12)):
            key = rng.choice(["y", "n", "1", "2", "\r", "\r"])
            shown = press(child, key)
            saved = SAVED.search(shown)
            if saved:  # on screen = acknowledged to the reviewer
                acknowledged[saved.group(1)] = saved.group(2)
        # Kill with a decision in flight: send a key and kill at once, or mid-render.
        child.send(rng.choice(["y", "n"]))
        time.sleep(rng.choice([0.0, 0.001, 0.005, 0.02]))
        os.kill(child.pid, signal.SIGKILL)
        child.expect(pexpect.EOF)
        child.close()
        assert child.signalstatus == signal.SIGKILL

        con = sqlite3.connect(store)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
        with ReviewStore(store, create=False) as opened:
            standing = {d.case_id: d.labels for d in opened.standing("kim").values()}
            rows = opened.decisions("kim")
        assert len(rows) == len(standing)  # each case decided once, in-flight one whole or absent
        for case_id, labels in acknowledged.items():
            assert case_id in standing, case_id
            expected = () if labels == "none apply" else tuple(labels.split("; "))
            assert standing[case_id] == expected
    assert len(acknowledged) >= iterations


def test_review_refuses_a_store_made_for_other_labels(
    tmp_path: Path, cases_csv: Path, model_dir: Path
):
    store = tmp_path / "other.db"
    ReviewStore(store, labels=["money", "query", "stalking"]).close()
    result = CliRunner().invoke(
        app, ["review", str(cases_csv), "--model", str(model_dir), "--store", str(store)]
    )
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "only in the store: stalking" in message and "only in the model: threat" in message
    assert SECRET not in result.output


def test_review_needs_a_terminal(tmp_path: Path, cases_csv: Path, model_dir: Path):
    result = CliRunner().invoke(
        app,
        ["review", str(cases_csv), "--model", str(model_dir), "--store", str(tmp_path / "s.db")],
    )
    assert result.exit_code == 1
    assert "needs an interactive terminal" in " ".join(result.output.split())
    assert SECRET not in result.output


def test_review_bad_column_and_label(tmp_path: Path, cases_csv: Path, model_dir: Path):
    base = ["review", str(cases_csv), "--model", str(model_dir), "--store", str(tmp_path / "s.db")]
    result = CliRunner().invoke(app, [*base, "--text-col", "narrative"])
    assert result.exit_code == 1 and "Column 'narrative' not found" in result.output
    result = CliRunner().invoke(app, [*base, "--label", "stalking"])
    assert result.exit_code == 1 and "Label 'stalking' is not one of" in result.output
    df = pd.read_csv(cases_csv)
    df.loc[1, "id"] = df.loc[0, "id"]
    dup = tmp_path / "dup.csv"
    df.to_csv(dup, index=False)
    result = CliRunner().invoke(
        app, ["review", str(dup), "--model", str(model_dir), "--store", str(tmp_path / "t.db"),
              "--id-col", "id"],
    )  # fmt: skip
    assert result.exit_code == 1 and "repeats 1 id(s)" in " ".join(result.output.split())


def test_audit_in_the_terminal_hides_the_model_then_estimate(
    tmp_path: Path, cases_csv: Path, model_dir: Path
):
    store = tmp_path / "audit.db"
    child = review(
        tmp_path, cases_csv, model_dir, store, "--strategy", "audit", "--limit", "8",
        "--reviewer", "ana",
    )  # fmt: skip
    shown = screen(child)
    assert child.after == AUDIT_LEGEND and "[y] accept" not in shown  # no default to accept
    for _ in range(8):
        assert "the model's view is hidden" in shown
        assert "Model predicts" not in shown and "model: yes" not in shown
        assert "confidence" not in shown and "[x]" not in shown
        shown = press(child, "3")  # threat
        shown = press(child, "\r")
    assert "Every case in this queue is decided" in shown
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    result = CliRunner().invoke(app, ["estimate", str(store)])
    assert result.exit_code == 0, result.output
    # Every audited case was answered "threat": the estimate is the whole release.
    assert "threat: " in result.output and "from 8 audited" in " ".join(result.output.split())
    threat = next(r for r in estimate_store(store)["per_label"] if r["label"] == "threat")
    assert threat["estimated_count"]["estimate"] == pytest.approx(120)
    with ReviewStore(store, create=False) as opened:
        assert {d.strategy for d in opened.decisions()} == {"audit"}
        assert all(d.labels == ("threat",) for d in opened.decisions())


@pytest.mark.slow
def test_long_narrative_pages_at_80x24_with_header_and_legend_in_view(
    tmp_path: Path, model_dir: Path
):
    filler = " ".join(f"The complainant added detail number {i} to the account." for i in range(40))
    df = make_corpus(6, seed=4)
    df["text"] = df["text"] + " " + filler + " " + df["id"]
    data = tmp_path / "long.csv"
    df.to_csv(data, index=False)
    child = review(tmp_path, data, model_dir, tmp_path / "r.db")
    screen(child)  # drawn at the spawn's 60x200
    child.setwinsize(24, 80)
    press(child, "?")
    ansi = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
    first = ansi.sub("", press(child, "x"))  # any key leaves the definitions: the case, 80x24
    assert first.lstrip().startswith("allegations review")
    assert first.count("\n") <= 22  # with the legend's lines: nothing scrolls off the top
    match = re.search(r"page 1 of (\d+) · \[space\] next page", first)
    assert match and int(match.group(1)) >= 2
    second = ansi.sub("", press(child, " "))
    assert "page 2 of" in second and second.lstrip().startswith("allegations review")
    assert current_id(second) == current_id(first)
    child.send("q")
    child.expect(pexpect.EOF)
