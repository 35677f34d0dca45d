"""The learning loop (issue 18, item 3): retrain every K decisions, re-rank the queue."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from allegations import load_model
from allegations.errors import InputError, LabelError
from allegations.review._learn import Learner, attach_learner
from allegations.review._opening import open_review
from allegations.review._select import rank_by_scores
from allegations.review._store import ReviewStore

from ..conftest import make_corpus

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def release(tmp_path: Path) -> tuple[Path, dict[str, list[str]]]:
    """A later release (narratives and ids) and its true labels, for the simulated reviewer."""
    df = make_corpus(90, seed=7)
    df["id"] = [f"R{i:03d}" for i in range(len(df))]
    path = tmp_path / "release.csv"
    df[["id", "text"]].to_csv(path, index=False)
    truth = {r.id: [x for x in r.labels.split(";") if x] for r in df.itertuples()}
    return path, truth


def _review(session, truth: dict[str, list[str]], n: int) -> None:
    """Decide ``n`` cases as the truth says."""
    for _ in range(n):
        session.save(truth[session.current.case_id])


@pytest.mark.slow
def test_retrain_after_every_k_decisions_reranks_the_queue(
    tmp_path: Path, model_dir: Path, corpus_csv: Path, release
):
    data, truth = release
    out = tmp_path / "loop-model"
    session = open_review(data, model_dir, tmp_path / "s.db", id_col="id", strategy="uncertain")
    learner = attach_learner(
        session, labelled=[corpus_csv], every=10, limit=40, out=out, background=False
    )
    assert len(session.queue) == 40
    assert "first model trains after 10" in session.learn_status
    _review(session, truth, 9)
    assert learner.number == 0 and learner.model is None
    before = [c.text_hash for c in session.queue]
    _review(session, truth, 1)  # the 10th decision retrains (in-process here) and re-ranks
    assert learner.number == 1 and learner.model is not None and learner.model.ok
    assert session.learn_status.startswith("model 1, trained on 130 cases")  # 120 + 10
    assert "cross-validated macro-F1" in session.learn_status

    # The queue after the decided head is the new model's ranking of the undecided cases.
    model = load_model(out)
    assert model.model_id == learner.model.model_id
    head = session.queue[: session.index]
    assert all(c.text_hash in session.decided for c in head)
    distinct = {c.text_hash: c for c in reversed(learner.pool)}  # first case of each text
    pool = [c for c in learner.pool if distinct[c.text_hash] is c]
    pool = [c for c in pool if c.text_hash not in session.decided]
    texts = [c.text for c in pool]
    proba = model.predict_proba(texts)
    expected = rank_by_scores(proba, model.decide(proba), 30, strategy="uncertain", texts=texts)
    # The case on screen when the model arrived stays; the ones after it are re-ranked.
    on_screen = session.current.text_hash
    got = list(dict.fromkeys(c.text_hash for c in session.queue[session.index + 1 :]))
    want = [pool[i].text_hash for i in expected if pool[i].text_hash != on_screen]
    assert got == want[: len(got)] and len(got) >= 25
    assert len(session.queue) == 40
    assert got != list(dict.fromkeys(before[session.index :]))
    # The cases carry the new model's view, and decisions on them name that model.
    _review(session, truth, 1)
    shown = session.current
    assert shown.model_id == model.model_id
    j = texts.index(shown.text)
    assert shown.scores == pytest.approx(dict(zip(model.labels, proba[j], strict=True)), abs=1e-3)
    _review(session, truth, 1)
    with ReviewStore(tmp_path / "s.db", create=False) as store:
        latest = max(store.final(None).values(), key=lambda d: d.seq)
    assert latest.model_id == model.model_id
    # The card says how many training cases the loop chose, and that CV is biased.
    loop = model.card["learning_loop"]
    assert loop["n_from_review"] == 10 and loop["n_chosen_by_loop"] == 10
    assert model.card["n_cases"] == 130
    assert loop["n_from_labelled_file"] == 120
    assert any("biased" in note for note in model.card["notes"])
    session.store.close()


def test_a_model_that_cannot_be_trained_yet_leaves_the_queue_alone(
    tmp_path: Path, model_dir: Path, release
):
    data, _ = release
    session = open_review(data, model_dir, tmp_path / "s.db", id_col="id")
    learner = attach_learner(session, every=10, background=False)
    order = [c.text_hash for c in session.queue]
    for _ in range(10):
        session.save(["query"])  # one label only: nothing to tell apart
    assert learner.latest is not None and not learner.latest.ok
    assert "not trained" in session.learn_status and "tried again" in session.learn_status
    assert [c.text_hash for c in session.queue] == order
    assert len(session.store.final(None)) == 10  # every decision saved as ever
    session.store.close()


def test_labelled_file_with_labels_the_review_lacks_is_refused(
    tmp_path: Path, model_dir: Path, release
):
    data, _ = release
    labelled = tmp_path / "labelled.csv"
    pd.DataFrame({"id": ["a"], "text": ["x"], "labels": ["PHYSICAL ABUSE"]}).to_csv(
        labelled, index=False
    )
    session = open_review(data, model_dir, tmp_path / "s.db", id_col="id")
    with pytest.raises(LabelError, match="'PHYSICAL ABUSE'"):
        attach_learner(session, labelled=[labelled], background=False)
    with pytest.raises(InputError, match="every"):
        Learner(session.queue, labels=session.labels, every=0, background=False)
    session.store.close()


@pytest.mark.slow
def test_background_retrain_never_blocks_and_reranks(
    tmp_path: Path, model_dir: Path, corpus_csv: Path, release
):
    data, truth = release
    session = open_review(data, model_dir, tmp_path / "s.db", id_col="id", strategy="balanced")
    learner = attach_learner(session, labelled=[corpus_csv], every=5)
    try:
        _review(session, truth, 5)
        assert learner.running  # the worker trains; the screen goes on
        assert "training in the background" in session.learn_status
        _review(session, truth, 3)  # decisions while it runs are saved as ever
        assert learner.number == 1  # and start no second retrain
        result = learner.wait(timeout=300)
        assert result is not None and result.ok, result and result.message
        assert session.refresh() is True
        assert session.queue[session.index + 1].model_id == result.model_id  # after the shown
        assert learner.since == 3
        _review(session, truth, 2)  # 5 decisions since the last start: the next retrain
        assert learner.number == 2
    finally:
        learner.close()
        session.store.close()


KILL_SCRIPT = """
import os, signal, sys
from allegations.review._learn import attach_learner
from allegations.review._opening import open_review

def main():
    data, model, store, labelled = sys.argv[1:5]
    session = open_review(data, model, store, id_col="id")
    learner = attach_learner(session, labelled=[labelled], every=5)
    for _ in range(5):
        session.save(list(session.current.predicted))
    assert learner.running
    for _ in range(3):
        session.save(list(session.current.predicted))
    assert learner.running
    print("saved 8", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

if __name__ == "__main__":  # the retrain worker is spawned: it imports this file
    main()
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_decisions_survive_a_kill_during_a_retrain(
    tmp_path: Path, model_dir: Path, corpus_csv: Path, release
):
    data, _ = release
    store = tmp_path / "s.db"
    script = tmp_path / "kill.py"
    script.write_text(textwrap.dedent(KILL_SCRIPT))
    proc = subprocess.run(
        [sys.executable, str(script), str(data), str(model_dir), str(store), str(corpus_csv)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert "saved 8" in proc.stdout
    with ReviewStore(store, create=False) as opened:
        assert len(opened.final(None)) == 8
    resumed = open_review(data, model_dir, store, id_col="id")
    assert resumed.n_decided == 8
    resumed.store.close()
@pytest.mark.slow
def test_export_sheet_with_learn_writes_the_next_batch_of_the_retrained_model(
    tmp_path: Path, model_dir: Path, corpus_csv: Path, release
):
    from ..conftest import run_cli

    data, truth = release
    store = tmp_path / "s.db"
    sheet = tmp_path / "next.csv"
    out = tmp_path / "loop"
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    refused = run_cli(
        "review", data, "--model", model_dir, "--store", tmp_path / "r.db", "--id-col", "id",
        "--learn", "--export-sheet", sheet, "--out", mine,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "Error: " in refused.stderr and "holds 'notes.txt'" in refused.stderr
    assert os.listdir(mine) == ["notes.txt"] and not sheet.exists()
    first = run_cli(
        "review", data, "--model", model_dir, "--store", store, "--id-col", "id",
        "--learn", "--labelled", corpus_csv, "--export-sheet", sheet, "--limit", "15",
        "--out", out,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "model 1, trained on 120 cases" in first.stdout
    assert load_model(out).card["learning_loop"]["n_from_review"] == 0
    rows = pd.read_csv(sheet, comment=None)
    assert len(rows.dropna(subset=["id"])) >= 15
    # Decide the sheet's cases (as an import would), then the next sheet retrains on them.
    session = open_review(data, model_dir, store, id_col="id")
    _review(session, truth, 12)
    session.store.close()
    second = run_cli(
        "review", data, "--model", model_dir, "--store", store, "--id-col", "id",
        "--learn", "--labelled", corpus_csv, "--export-sheet", sheet, "--limit", "15",
        "--out", out,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert "trained on 132 cases" in second.stdout
    card = json.loads((out / "model-card.json").read_text())
    assert card["learning_loop"]["n_from_review"] == 12
    assert np.isfinite(card["cross_validation"]["macro_f1"])
    assert not any(p.name.startswith(".loop") for p in tmp_path.iterdir())
    assert "manifest.json" in os.listdir(out)


@pytest.mark.slow
def test_codebook_start_reads_the_labelled_file_with_the_command_columns(
    tmp_path: Path, corpus: pd.DataFrame, release
):
    from ..conftest import run_cli

    data, _ = release
    renamed = tmp_path / "release2.csv"
    pd.read_csv(data).rename(columns={"text": "narrative"}).to_csv(renamed, index=False)
    labelled = tmp_path / "labelled.csv"
    corpus.rename(columns={"text": "narrative", "labels": "codes"}).to_csv(labelled, index=False)
    book = tmp_path / "book.toml"
    book.write_text(
        "".join(
            f'[[labels]]\nname = "{x}"\ndefinition = "{x}"\nseed_phrases = ["{x}"]\n'
            for x in ("money", "query", "threat")
        )
    )
    args = ["review", renamed, "--codebook", book, "--id-col", "id", "--text-col", "narrative",
            "--learn", "--labelled", labelled, "--export-sheet", tmp_path / "s.csv"]  # fmt: skip
    done = run_cli(*args, "--store", tmp_path / "a.db", "--labels-col", "codes")
    assert done.returncode == 0, done.stderr
    assert "model 1, trained on 120 cases" in done.stdout
    missing = run_cli(*args, "--store", tmp_path / "b.db")
    assert missing.returncode == 1
    assert "Error: Column 'labels' not found in labelled.csv" in missing.stderr
    assert "Pass --labels-col." in missing.stderr


def test_web_reviewers_share_one_loop(tmp_path: Path, model_dir: Path, corpus_csv: Path, release):
    pytest.importorskip("starlette")
    from allegations.review.web import ReviewHub

    data, truth = release
    template = open_review(data, model_dir, tmp_path / "s.db", id_col="id")
    learner = attach_learner(template, labelled=[corpus_csv], every=4, limit=30, background=False)
    hub = ReviewHub(template, default_reviewer="ana")
    try:
        state = hub.run_sync(hub._join, "ana")
        assert "first model trains after 4" in state["learning"]
        hub.run_sync(hub._join, "ben")
        for name in ("ana", "ana", "ben", "ben"):  # four decisions by two reviewers
            hub.run_sync(hub._press, name, "y", None)
        assert learner.number == 1 and learner.model is not None
        ben = hub._sessions["ben"]
        state = hub.run_sync(hub._press, "ben", "s", None)
        # both decided the same first two cases: the loop trains on one answer per narrative
        assert state["learning"].startswith("model 1, trained on 122 cases")
        after = ben.queue[ben.index :]
        assert after and all(c.model_id == learner.model.model_id for c in after)
        assert len(ben.queue) <= 30
    finally:
        hub.close()


@pytest.mark.slow
def test_labelled_file_is_read_with_the_layout_the_model_was_trained_with(
    tmp_path: Path, release
):
    from allegations.batch import train_files
    from allegations.tables import TableOptions

    data, _ = release
    corpus = make_corpus(120, seed=0)
    labelled = tmp_path / "labelled.csv"  # semicolons under a title line, as exported
    labelled.write_text("Cases, March\n" + corpus.to_csv(sep=";", index=False))
    model = tmp_path / "m"
    train_files(
        [labelled], out=model, table=TableOptions(text_col="text", sep=";", skip_rows=1)
    )
    session = open_review(data, model, tmp_path / "s.db", id_col="id")
    learner = attach_learner(session, labelled=[labelled], every=10, background=False)
    learner.start(session)
    session.refresh()
    assert learner.latest is not None and learner.latest.ok
    assert f"trained on {len(corpus)} cases" in session.learn_status
    session.store.close()
