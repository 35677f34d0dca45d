"""A review with no model: the codebook orders the cases, decisions are saved as usual."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allegations.cli import app
from allegations.review._cold import open_codebook_review
from allegations.review._store import ReviewStore

from ..conftest import BOOK, DATA, make_corpus

SECRET = "Zanzibar-Canary-4471"


@pytest.fixture()
def cases_csv(tmp_path: Path) -> Path:
    df = make_corpus(80, seed=9)
    df.loc[41, "text"] = "The clerk forged a supervisor's signature on a leave form."
    df["text"] = df["text"] + f" {SECRET} file " + df["id"]
    path = tmp_path / "cases.csv"
    df.to_csv(path, index=False)
    return path


@pytest.fixture()
def book_path(tmp_path: Path) -> Path:
    path = tmp_path / "book.toml"
    entries = []
    for d in BOOK.labels:
        phrases = ", ".join(f'"{p}"' for p in d.seed_phrases)
        entries.append(
            f'[[labels]]\nname = "{d.name}"\ndefinition = "{d.definition}"\n'
            f"seed_phrases = [{phrases}]\n"
        )
    path.write_text('[codebook]\nname = "t"\nversion = "1"\n\n' + "\n".join(entries))
    return path


def test_open_codebook_review_orders_by_the_codebook_and_saves(tmp_path: Path, cases_csv: Path):
    store_path = tmp_path / "s.db"
    session = open_codebook_review(cases_csv, BOOK, store_path, id_col="id", limit=12)
    try:
        queue = [c.case_id for c in session.queue]
        assert len(queue) == 12 == len(set(queue))
        assert "C0041" in queue[:6]  # the only forgery comes up in the first round
        forged = next(c for c in session.queue if c.case_id == "C0041")
        assert forged.predicted == ["forgery"] and forged.phrases() == {"forgery": ["forged"]}
        assert session.strategy == "codebook" and session.model_id.startswith("codebook:")
        first = session.current
        assert first is not None
        session.press("1")
        session.press("enter")
    finally:
        session.store.close()
    store = ReviewStore(store_path, create=False)
    try:
        (decision,) = store.decisions()
        assert decision.case_id == first.case_id and decision.strategy == "codebook"
        assert store.labels == ["query", "threat", "money", "forgery"]
    finally:
        store.close()


def test_review_without_model_needs_a_codebook(tmp_path: Path, cases_csv: Path, book_path: Path):
    base = ["review", str(cases_csv), "--store", str(tmp_path / "s.db")]
    result = CliRunner().invoke(app, base)
    assert result.exit_code == 2 and "--codebook" in result.output
    result = CliRunner().invoke(app, [*base, "--codebook", str(book_path), "--strategy", "audit"])
    assert result.exit_code == 2 and "pass --model" in " ".join(result.output.split())
    result = CliRunner().invoke(app, [*base, "--codebook", str(tmp_path / "none.toml")])
    assert result.exit_code == 1 and "not found" in result.output
    assert SECRET not in result.output


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="pexpect drives POSIX terminals only")
def test_console_script_cold_start_saves_decisions(tmp_path: Path, cases_csv: Path):
    from ..support.terminal import SAVED, current_id, press, screen, spawn

    store = tmp_path / "review.db"
    child = spawn(
        "review",
        cases_csv,
        "--codebook",
        DATA / "codebook.toml",
        "--store",
        store,
        "--id-col",
        "id",
        "--limit",
        "10",
        cwd=tmp_path,
    )
    first = screen(child)
    assert "case 1 of 10" in first and "codebook" in first
    a = current_id(first)
    shown = press(child, "n")
    saved = SAVED.search(shown)
    assert saved and saved.group(1) == a
    child.send("q")
    child.expect("Saved 1 decision")
    child.wait()
    reopened = ReviewStore(store, create=False)
    try:
        assert [d.case_id for d in reopened.decisions()] == [a]
    finally:
        reopened.close()
