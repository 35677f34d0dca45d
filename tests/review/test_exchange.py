"""Export for training (retraining with the corrections); Prodigy and Label Studio round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from allegations import evaluate, load_model
from allegations.cli import app
from allegations.errors import InputError, StoreError
from allegations.review._exchange import export_store
from allegations.review._exchange_import import import_file
from allegations.review._opening import open_review
from allegations.review._store import ReviewStore

from ..conftest import make_corpus

runner = CliRunner()


def _recall(model, frame: pd.DataFrame, label: str) -> float:
    report = evaluate(model, frame.text.tolist(), [s.split(";") if s else [] for s in frame.labels])
    return next(r["recall"] for r in report["per_label"] if r["label"] == label)


@pytest.mark.slow
def test_export_retrains_a_model_that_includes_the_corrections(tmp_path: Path):
    # The original labels lost "threat" on all but eight cases; a reviewer restores it.
    df = make_corpus(160, seed=0)
    truth = dict(zip(df.id, df.labels, strict=True))
    original = df.copy()
    kept = 0
    for i, labels in enumerate(df.labels):
        if "threat" in labels.split(";"):
            kept += 1
            if kept > 8:
                original.loc[i, "labels"] = ";".join(x for x in labels.split(";") if x != "threat")
    corrected = set(original.id[original.labels != df.labels])
    assert len(corrected) == 40
    original.to_csv(tmp_path / "original.csv", index=False)
    holdout = make_corpus(100, seed=9)

    result = runner.invoke(
        app, ["train", str(tmp_path / "original.csv"), "--id-col", "id", "--out",
              str(tmp_path / "v1"), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _recall(load_model(tmp_path / "v1"), holdout, "threat") < 0.5

    session = open_review(
        tmp_path / "original.csv", tmp_path / "v1", tmp_path / "review.db", id_col="id",
        reviewer="ana",
    )  # fmt: skip
    while session.current is not None:
        case = session.current
        if case.case_id in corrected:
            session.selection = [x for x in truth[case.case_id].split(";") if x]
            session.press("enter")
        else:
            session.press("s")
    session.store.close()
    assert session.n_saved == 40

    result = runner.invoke(
        app, ["export", str(tmp_path / "review.db"), "--out", str(tmp_path / "reviewed.csv")]
    )
    assert result.exit_code == 0, result.output
    reviewed = pd.read_csv(tmp_path / "reviewed.csv", dtype=str, keep_default_na=False)
    assert reviewed.columns.tolist() == ["id", "text", "labels"]
    assert set(reviewed.id) == corrected
    assert all(reviewed.labels == reviewed.id.map(truth))

    result = runner.invoke(
        app, ["train", str(tmp_path / "original.csv"), str(tmp_path / "reviewed.csv"),
              "--id-col", "id", "--out", str(tmp_path / "v2"), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    retrained = load_model(tmp_path / "v2")
    assert retrained.card["data"]["n_overridden_by_id"] == 40
    assert _recall(retrained, holdout, "threat") > 0.9


@pytest.fixture()
def reviewed_store(tmp_path: Path) -> Path:
    path = tmp_path / "review.db"
    with ReviewStore(path, labels=["money", "query", "threat"]) as store:
        for i, labels in enumerate([["money"], [], ["query", "threat"], ["threat"]]):
            store.record(
                case_id=f"C{i}", text=f"Narrative {i}, with \"quotes\" and ünïcode.",
                labels=labels, predicted={"money": 0.2, "query": 0.6, "threat": 0.5},
                predicted_labels=["query"], model_id="abc123", reviewer="ana",
                strategy="uncertain",
            )  # fmt: skip
        store.undo_last("ana")  # C3 is undone: not exported
    return path


def _standing(path: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    with ReviewStore(path, create=False) as store:
        final = store.final()
        texts = store.texts(final)
        return {d.case_id: (texts[h], d.labels) for h, d in final.items()}


@pytest.mark.parametrize(("fmt", "name"), [("prodigy", "x.jsonl"), ("label-studio", "x.json")])
def test_round_trip_through_other_tools(reviewed_store: Path, tmp_path: Path, fmt: str, name: str):
    out = tmp_path / name
    result = runner.invoke(app, ["export", str(reviewed_store), "--out", str(out), "--format", fmt])
    assert result.exit_code == 0, result.output
    new_store = tmp_path / f"{fmt}.db"
    result = runner.invoke(app, ["import", str(out), "--store", str(new_store)])
    assert result.exit_code == 0, result.output
    assert "Imported 3 decision(s)" in result.output
    assert _standing(new_store) == _standing(reviewed_store)
    assert len(_standing(new_store)) == 3
    with ReviewStore(new_store, create=False) as store:
        assert store.labels == ["money", "query", "threat"]
        assert store.reviewers() == ["ana"]
    again = import_file(out, new_store)
    assert again == {"imported": 0, "unchanged": 3, "skipped": 0, "format": fmt}


def test_prodigy_file_shape(reviewed_store: Path, tmp_path: Path):
    export_store(reviewed_store, tmp_path / "p.jsonl", fmt="prodigy")
    tasks = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [t["accept"] for t in tasks] == [["money"], [], ["query", "threat"]]
    assert {t["answer"] for t in tasks} == {"accept"}
    assert tasks[0]["options"][0] == {"id": "money", "text": "money"}
    assert tasks[0]["meta"]["id"] == "C0" and tasks[0]["meta"]["scores"]["query"] == 0.6


def test_label_studio_file_shape(reviewed_store: Path, tmp_path: Path):
    export_store(reviewed_store, tmp_path / "l.json", fmt="label-studio")
    tasks = json.loads((tmp_path / "l.json").read_text())
    first = tasks[0]
    assert first["data"]["case_id"] == "C0"
    assert first["annotations"][0]["result"][0]["value"]["choices"] == ["money"]
    prediction = first["predictions"][0]
    assert prediction["result"][0]["value"]["choices"] == ["query"]
    assert prediction["score"] == pytest.approx(0.0)  # min |2p - 1|: the 0.5 on threat
    assert prediction["model_version"] == "abc123"


def test_import_skips_answers_that_are_not_decisions_and_refuses_unknown_labels(
    reviewed_store: Path, tmp_path: Path
):
    lines = [
        {"text": "a", "accept": ["money"], "answer": "reject"},
        {"text": "b", "label": "money", "answer": "accept"},
        {"text": "c", "accept": ["money"], "answer": "accept"},
    ]
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    summary = import_file(path, reviewed_store, reviewer="lee")
    assert (summary["imported"], summary["skipped"]) == (1, 2)
    with ReviewStore(reviewed_store, create=False) as store:
        assert "lee" in store.reviewers()

    path.write_text(json.dumps({"text": "d", "accept": ["stalking"], "answer": "accept"}) + "\n")
    with pytest.raises(InputError, match="line 1 has label.*stalking"):
        import_file(path, reviewed_store)
    path.write_text("{not json\n")
    with pytest.raises(InputError, match="line 1 is not valid JSON"):
        import_file(path, reviewed_store)
    ls = tmp_path / "l.json"
    ls.write_text(json.dumps([{"data": {"text": "e"}, "annotations": [{"was_cancelled": True}]}]))
    assert import_file(ls, reviewed_store)["skipped"] == 1
    with pytest.raises(InputError, match="Cannot tell the format"):
        import_file(reviewed_store, tmp_path / "other.db")


def test_export_errors(tmp_path: Path, reviewed_store: Path):
    with pytest.raises(StoreError, match="not found"):
        export_store(tmp_path / "none.db", tmp_path / "out.csv")
    result = runner.invoke(
        app, ["export", str(reviewed_store), "--out", str(tmp_path / "no" / "out.csv")]
    )
    assert result.exit_code == 1 and "does not exist" in result.output
    result = runner.invoke(
        app, ["export", str(reviewed_store), "--out", str(tmp_path / "o.csv"), "--reviewer", "zed"]
    )
    assert result.exit_code == 1 and "Reviewer 'zed' has no decision" in result.output
    export_store(reviewed_store, tmp_path / "out.jsonl")
    rows = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["labels"] for r in rows] == ["money", "", "query;threat"]


def test_new_commands_have_help_with_an_example():
    for name in ("review", "export", "import", "estimate", "agreement"):
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert "Example" in result.output and f"allegations {name}" in result.output


def test_training_export_can_match_the_original_column_names(reviewed_store: Path, tmp_path: Path):
    out = tmp_path / "r.tsv"
    result = runner.invoke(
        app, ["export", str(reviewed_store), "--out", str(out), "--id-col", "case_id",
              "--text-col", "narrative", "--labels-col", "category"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, sep="\t", dtype=str, keep_default_na=False)
    assert frame.columns.tolist() == ["case_id", "narrative", "category"]
    assert frame.category.tolist() == ["money", "", "query;threat"]
