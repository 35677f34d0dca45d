"""The predict path: the user's table kept beside the tags, in every output format."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from allegations.batch._options import PredictOptions
from allegations.batch._predict import predict_file
from allegations.errors import ColumnError, InputError
from allegations.tables import TableOptions
from allegations.tables._read import load_table
from allegations.tables._write import write_table

from ..conftest import make_corpus


@pytest.fixture()
def release(tmp_path: Path) -> Path:
    df = make_corpus(40, seed=9)  # id, text, labels (a column the tags also have)
    df.insert(1, "district", [str(i % 7) for i in range(len(df))])
    df.loc[0, "district"] = "=cmd|' /C calc'!A0"
    path = tmp_path / "release.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("ext", [".csv", ".tsv", ".xlsx", ".parquet"])
def test_keep_all_appends_the_tags_to_the_users_table(
    tmp_path: Path, trained_model, release: Path, ext: str
):
    out = tmp_path / f"out{ext}"
    table = TableOptions(id_col="id")
    result = predict_file(
        release, out, trained_model, PredictOptions(table=table, keep_columns="all", chunk_rows=7)
    )
    back = load_table(out)
    source = load_table(release)
    tags = [f"p_{label}" for label in trained_model.labels]
    # The input's columns first, as they were; the tag id is left out (it repeats id);
    # the tag 'labels' clashes with the input's and becomes tag_labels.
    assert back.columns.tolist() == [
        "id",
        "district",
        "text",
        "labels",
        "tag_labels",
        *tags,
        "confidence",
        "needs_review",
    ]
    assert back["text"].tolist() == source["text"].tolist()
    assert back["labels"].tolist() == source["labels"].tolist()
    expected = trained_model.predict(source["text"].tolist())
    assert back["tag_labels"].tolist() == expected["labels"].tolist()
    assert back["district"][0] == "'=cmd|' /C calc'!A0" or ext == ".parquet"
    summary = result["summary"]["output"]
    assert summary["renamed_tag_columns"] == {"labels": "tag_labels"}


def test_keep_all_jsonl_nests_the_tags(tmp_path: Path, trained_model, release: Path):
    out = tmp_path / "out.jsonl"
    predict_file(release, out, trained_model, keep_columns="all", chunk_rows=9)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 40
    first = records[0]
    assert list(first)[:4] == ["id", "district", "text", "labels"]
    assert first["tag_id"] == 1  # no --id-col: the record number, renamed (input has id)
    assert isinstance(first["tag_labels"], list)
    assert set(first["scores"]) == set(trained_model.labels)


def test_keep_a_list_or_none(tmp_path: Path, trained_model, release: Path):
    out = tmp_path / "out.csv"
    predict_file(release, out, trained_model, keep_columns="district,id", chunk_rows=11)
    assert load_table(out).columns.tolist()[:4] == ["district", "id", "tag_id", "labels"]
    predict_file(release, out, trained_model, keep_columns="none")
    assert load_table(out).columns.tolist()[:2] == ["id", "labels"]
    with pytest.raises(ColumnError, match="Column 'precinct' not found .* Pass `keep_columns`"):
        predict_file(release, out, trained_model, keep_columns="district,precinct")


def test_output_is_identical_for_any_number_of_processes(
    tmp_path: Path, trained_model, release: Path
):
    outs = []
    for n in (1, 2):
        out = tmp_path / f"out{n}.csv"
        predict_file(release, out, trained_model, keep_columns="all", n_process=n, chunk_rows=6)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_jsonl_input_with_a_late_new_key(tmp_path: Path, trained_model):
    path = tmp_path / "in.jsonl"
    rows = [{"text": f"Officer threatened a neighbour {i}."} for i in range(6)]
    rows[4]["district"] = "7"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(InputError, match="the key 'district' first appears after record 3"):
        predict_file(path, tmp_path / "o.csv", trained_model, keep_columns="all", chunk_rows=3)
    assert not (tmp_path / "o.csv").exists()
    predict_file(path, tmp_path / "o.csv", trained_model, keep_columns="district", chunk_rows=3)
    assert load_table(tmp_path / "o.csv")["district"].tolist() == ["", "", "", "", "7", ""]


def test_options_or_keywords_not_both(tmp_path: Path, trained_model, release: Path):
    with pytest.raises(TypeError):
        predict_file(release, tmp_path / "o.csv", trained_model, PredictOptions(), n_process=2)
    write_table(pd.DataFrame({"text": []}), tmp_path / "empty.csv")
    result = predict_file(
        tmp_path / "empty.csv", tmp_path / "o.xlsx", trained_model, keep_columns="all"
    )
    assert result["rows"] == 0
    assert load_table(tmp_path / "o.xlsx").columns.tolist()[:2] == ["text", "id"]


def test_readers_take_the_tags_not_the_users_columns_of_the_same_name(
    tmp_path: Path, model_dir: Path, release: Path
):
    """The release holds its own 'labels' (planted as one label everywhere) and its ids in
    'case': report and estimate must count the model's tags (tag_labels), not those."""
    from typer.testing import CliRunner

    from allegations.batch._summary import tag_view
    from allegations.cli import app
    from allegations.report._inputs import read_predictions

    df = load_table(release).rename(columns={"id": "case"})
    planted = df["labels"].iloc[0].split(";")[0] or "zz"
    df["labels"] = planted
    data = tmp_path / "release_case.csv"
    df.to_csv(data, index=False)
    out = tmp_path / "tagged.csv"
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["predict", str(data), "--model", str(model_dir), "--id-col", "case", "--out", str(out)]
        + ["--quiet"],
    )
    assert result.exit_code == 0, result.output
    raw = load_table(out)
    assert "tag_labels" in raw.columns and "id" not in raw.columns  # kept: case, labels
    view = tag_view(raw, out)
    assert view["labels"].tolist() == raw["tag_labels"].tolist()
    assert view["id"].tolist() == raw["case"].tolist()
    labels = json.loads((model_dir / "model-card.json").read_text(encoding="utf-8"))["labels"]
    read = read_predictions(out, labels)
    expected = [[x for x in str(v).split(";") if x] for v in raw["tag_labels"]]
    assert [list(x) for x in read["labels"]] == expected
    # Without the summary beside it, tag_<name> still wins over <name>.
    (tmp_path / "tagged.csv.summary.json").unlink()
    assert tag_view(load_table(out), out)["labels"].tolist() == raw["tag_labels"].tolist()
