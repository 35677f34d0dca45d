"""Run the atheris fuzz targets (table readers, model loader) for a bounded time (when
installable)."""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"readers": ROOT / "fuzz" / "fuzz_readers.py", "model": ROOT / "fuzz" / "fuzz_model.py"}
SECONDS = 20


def _model_seeds(folder: Path) -> None:
    """Seeds for the model loader: per target file, a replacement and a splice (see
    fuzz/fuzz_model.py for what the first byte means)."""
    import numpy as np

    from allegations.model._arrays import write_arrays

    buf = io.BytesIO()
    write_arrays(buf, {"tagger.ece": np.zeros(2), "classifier.classes": np.arange(2)})
    bodies = [b'{"labels": ["a", "b"], "exclusive": false}', buf.getvalue(), b"[[[[]]]]"]
    for target in range(4):
        for k, body in enumerate(bodies):
            (folder / f"seed{target}-{k}").write_bytes(bytes([target | 0x20]) + body)
        (folder / f"seed{target}-splice").write_bytes(bytes([target | 0x30, 7, 0]) + b'"x"')


def _seeds(folder: Path) -> None:
    """A small seed corpus: one valid file per format, prefixed by its format byte."""
    frame = pd.DataFrame({"id": ["1", "2"], "text": ['a "b", c', "d\ne"]})
    csv_bytes = frame.to_csv(index=False).encode()
    seeds = {
        0: csv_bytes,
        1: frame.to_csv(index=False, sep="\t").encode(),
        2: frame.to_json(orient="records", lines=True).encode(),
    }
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    seeds[3] = buf.getvalue()
    buf = io.BytesIO()
    frame.to_excel(buf, index=False)
    seeds[4] = buf.getvalue()
    for byte, data in seeds.items():
        (folder / f"seed{byte}").write_bytes(bytes([byte]) + data)


@pytest.mark.slow
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_target_survives_fuzzing(tmp_path: Path, target: str):
    if importlib.util.find_spec("atheris") is None:
        pytest.skip("atheris is not installed (Linux/macOS only; pip install atheris)")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (_model_seeds if target == "model" else _seeds)(corpus)
    result = subprocess.run(
        [
            sys.executable,
            str(TARGETS[target]),
            f"-max_total_time={SECONDS}",
            "-rss_limit_mb=3072",
            "-timeout=30",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=SECONDS * 10,
        cwd=tmp_path,
    )
    tail = "\n".join(result.stderr.splitlines()[-40:])
    assert result.returncode == 0, tail
    assert "Done" in result.stderr, tail
    assert not list(tmp_path.glob("crash-*")), tail
