"""A review of suspected labelling mistakes: most suspect first, the suggestion one key away."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from allegations.batch._workflows import LabelSpec
from allegations.cli import app
from allegations.cli._review_screen import build_screen
from allegations.review._fix import SuspectCase, open_suspects_review
from allegations.review._store import ReviewStore

from ..conftest import single_label_corpus

FLIPPED = {3: "rude", 31: "rude", 52: "theft", 88: "rude"}


@pytest.fixture()
def labelled_csv(tmp_path: Path) -> Path:
    texts, sets = single_label_corpus()
    truth = {i: sets[i][0] for i in FLIPPED}
    for i, wrong in FLIPPED.items():
        sets[i] = [wrong if truth[i] != wrong else "force"]
    df = pd.DataFrame(
        {"case": [f"R{i}" for i in range(len(texts))], "text": texts, "tags": [s[0] for s in sets]}
    )
    df.attrs["truth"] = truth
    path = tmp_path / "labelled.csv"
    df.to_csv(path, index=False)
    (tmp_path / "truth.txt").write_text(";".join(f"R{i}={truth[i]}" for i in FLIPPED))
    return path


@pytest.mark.slow
def test_suspects_review_queues_flipped_rows_and_saves_the_suggestion(
    tmp_path: Path, labelled_csv: Path
):
    truth = dict(x.split("=") for x in (tmp_path / "truth.txt").read_text().split(";"))
    store_path = tmp_path / "fix.db"
    session = open_suspects_review(
        [labelled_csv], store_path, spec=LabelSpec(labels_col="tags"), id_col="case", limit=6
    )
    try:
        first = session.current
        assert isinstance(first, SuspectCase) and first.case_id in truth
        assert first.predicted == [truth[first.case_id]] and len(first.given) == 1
        assert first.given != first.predicted and first.why.startswith("change: ")
        assert {c.case_id for c in session.queue[:4]} == set(truth)
        screen = str(build_screen(session).renderables[3])  # type: ignore[attr-defined]
        assert screen.startswith("Given: ")
        session.press("y")  # accept the suggestion
    finally:
        session.store.close()
    store = ReviewStore(store_path, create=False)
    try:
        (decision,) = store.decisions()
        assert decision.case_id == first.case_id
        assert list(decision.labels) == [truth[first.case_id]]
        assert decision.strategy == "suspects" and decision.model_id.startswith("out-of-fold:")
    finally:
        store.close()


@pytest.mark.slow
def test_review_strategy_suspects_needs_no_model(tmp_path: Path, labelled_csv: Path):
    result = CliRunner().invoke(
        app,
        [
            "review",
            str(labelled_csv),
            "--store",
            str(tmp_path / "s.db"),
            "--strategy",
            "suspects",
            "--labels-col",
            "tags",
            "--id-col",
            "case",
        ],
    )
    assert result.exit_code == 1
    assert "needs an interactive terminal" in " ".join(result.output.split())
