"""``--engine dask`` on a local cluster of two worker processes equals the local engine."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from allegations.batch._workflows import predict_file
from allegations.errors import InputError, MissingFileError

from ..conftest import make_corpus

pytest.importorskip("distributed")

pytestmark = [
    pytest.mark.slow,
    # distributed may warn about its own sockets and event loops at shutdown
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


@pytest.fixture(scope="module")
def cluster():
    from allegations.batch._dask_engine import local_cluster

    with local_cluster(n_workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("release")
    df = make_corpus(240, seed=11)[["id", "text"]]
    df.loc[4, "text"] = 'line one\nline "two", three'
    for i in range(3):
        df.iloc[i * 80 : (i + 1) * 80].to_csv(folder / f"part{i}.csv", index=False)
    pq = folder / "pq"
    pq.mkdir()
    for i in range(3):
        df.iloc[i * 80 : (i + 1) * 80].to_parquet(pq / f"part{i}.parquet", index=False)
    df.to_csv(folder / "whole.csv", index=False)
    return folder, df


def test_dask_glob_to_single_file_equals_local(tmp_path: Path, model_dir: Path, cluster, parts):
    from allegations.batch._dask_engine import predict_dask

    folder, df = parts
    local = tmp_path / "local.csv"
    predict_file(folder / "whole.csv", local, model_dir)
    out = tmp_path / "dask.csv"
    result = predict_dask(
        str(folder / "part*.csv"), out, model_dir, scheduler=cluster.scheduler_address
    )
    assert out.read_bytes() == local.read_bytes()  # row numbers run across the three files
    assert result["rows"] == 240
    summary = json.loads((tmp_path / "dask.csv.summary.json").read_text())
    assert summary["engine"] == "dask" and len(summary["input"]["files"]) == 3
    assert (
        summary["label_counts"]
        == predict_file(folder / "whole.csv", tmp_path / "x.csv", model_dir)["label_counts"]
    )


def test_dask_parquet_folder_to_parquet_folder_equals_local(
    tmp_path: Path, model_dir: Path, cluster, parts
):
    from allegations.batch._dask_engine import predict_dask

    folder, df = parts
    local = tmp_path / "local.parquet"
    predict_file(folder / "whole.csv", local, model_dir, id_col="id")
    out = tmp_path / "tagged"
    predict_dask(folder / "pq", out, model_dir, id_col="id", scheduler=cluster.scheduler_address)
    assert out.is_dir() and not list(tmp_path.glob(".*partial"))
    got = pd.read_parquet(out)
    pd.testing.assert_frame_equal(got, pd.read_parquet(local), check_dtype=False)


def test_dask_starts_its_own_local_cluster(tmp_path: Path, model_dir: Path, parts):
    from allegations.batch._dask_engine import predict_dask

    folder, _ = parts
    out = tmp_path / "own.jsonl"
    result = predict_dask(folder / "part0.csv", out, model_dir, n_workers=2)
    assert result["rows"] == 80 and len(out.read_text().splitlines()) == 80


def test_dask_input_errors(tmp_path: Path, model_dir: Path):
    from allegations.batch._dask_input import resolve_inputs

    with pytest.raises(MissingFileError, match="No file matches"):
        resolve_inputs(str(tmp_path / "*.csv"))
    (tmp_path / "a.csv").write_text("text\nx\n")
    (tmp_path / "b.jsonl").write_text('{"text": "x"}\n')
    with pytest.raises(InputError, match="several formats"):
        resolve_inputs(str(tmp_path / "*.*"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="holds no .parquet files"):
        resolve_inputs(empty)


def test_cli_engine_dask_on_jsonl_glob(tmp_path: Path, model_dir: Path, parts):
    from typer.testing import CliRunner

    from allegations.cli import app

    folder, df = parts
    for i in range(2):
        df.iloc[i * 40 : (i + 1) * 40].to_json(
            tmp_path / f"p{i}.jsonl", orient="records", lines=True, force_ascii=False
        )
    df.iloc[:80].to_json(tmp_path / "whole.jsonl", orient="records", lines=True)
    local = tmp_path / "local.tsv"
    # The command keeps the input's columns by default (--keep-columns all).
    predict_file(tmp_path / "whole.jsonl", local, model_dir, id_col="id", keep_columns="all")
    out = tmp_path / "dask.tsv"
    result = CliRunner().invoke(
        app,
        ["predict", str(tmp_path / "p*.jsonl"), "--engine", "dask", "--model", str(model_dir)]
        + ["--out", str(out), "--id-col", "id", "--quiet"],
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == local.read_bytes()
    assert (tmp_path / "dask.tsv.summary.json").exists()


@pytest.mark.parametrize("ext", [".csv", ".jsonl", ".xlsx"])
def test_dask_keeps_the_users_columns_as_the_local_engine(
    tmp_path: Path, model_dir: Path, cluster, parts, ext: str
):
    from allegations.batch._dask_engine import predict_dask

    folder, _ = parts
    local = tmp_path / f"local{ext}"
    predict_file(folder / "whole.csv", local, model_dir, keep_columns="all", id_col="id")
    out = tmp_path / f"dask{ext}"
    result = predict_dask(
        str(folder / "part*.csv"),
        out,
        model_dir,
        id_col="id",
        keep_columns="all",
        scheduler=cluster.scheduler_address,
    )
    assert result["summary"]["output"]["kept_columns"] == ["id", "text"]
    if ext == ".xlsx":
        from allegations.tables._read import load_table

        assert load_table(out).equals(load_table(local))
    else:
        assert out.read_bytes() == local.read_bytes()


def test_dask_reads_a_semicolon_file_with_a_title(tmp_path: Path, model_dir: Path, cluster, parts):
    from allegations.batch._dask_engine import predict_dask
    from allegations.tables import TableOptions

    _, df = parts
    path = tmp_path / "semi.csv"
    path.write_text("Release of 2025\n" + df.to_csv(index=False, sep=";"), encoding="utf-8")
    out = tmp_path / "o.csv"
    table = TableOptions.from_layout(header_row=2, id_col="id")
    predict_dask(
        str(path),
        out,
        model_dir,
        table=table,
        keep_columns="none",
        scheduler=cluster.scheduler_address,
    )
    tagged = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert tagged["id"].tolist() == df["id"].tolist()
