"""Time to the first review screen against ``predict`` on the same file.

``allegations review`` runs the model once over the whole release, builds the queue and
opens the store before the first screen, whose evidence is then worked out (evidence is
computed per case as it is shown, not for the whole release); that start-up is paid again
on every resume. This times that path through the library (:func:`allegations.review._session.
open_review` with the model already loaded: read the table, tag it, build
the cases and the ``uncertain`` queue, open a new store) and, on the same file,
:func:`allegations.batch._workflows.predict_file` with and without ``evidence`` (what
``allegations predict [--evidence]`` does after loading the model). Start-up should grow
like predict does (linearly); issue 17 asks for at most 1.5x ``predict``.

Corpus: the 400 narratives of ``data/release.csv`` repeated to each size with unique ids,
each with its own reference number appended (``Ref. R0000123.``) so that no two rows are
the same text: both paths score each distinct text once, and a corpus of repeats would time
only that. Written to ``/tmp/allegations-bench/review_distinct_<n>.csv`` (never committed). Model:
``models/default``.

Run: ``.venv/bin/python benchmarks/review_startup.py [--sizes 1000 10000 100000]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
WORK = Path("/tmp/allegations-bench")
sys.path.insert(0, str(ROOT / "src"))

from allegations import load_model  # noqa: E402
from allegations.batch._workflows import predict_file  # noqa: E402
from allegations.review._opening import open_review  # noqa: E402


def release(n_rows: int) -> Path:
    """``data/release.csv`` narratives repeated to ``n_rows`` rows, each with its own id."""
    path = WORK / f"review_distinct_{n_rows}.csv"
    if not path.exists():
        texts = pd.read_csv(ROOT / "data" / "release.csv", dtype=str)["narrative"].tolist()
        WORK.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(
            {
                "id": [f"R{i:07d}" for i in range(n_rows)],
                "text": [f"{texts[i % len(texts)]} Ref. R{i:07d}." for i in range(n_rows)],
            }
        ).to_csv(path, index=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    args = parser.parse_args()
    model = load_model(ROOT / "models" / "default")
    with tempfile.TemporaryDirectory() as tmp:
        warm = release(400)
        predict_file(warm, Path(tmp) / "warm.csv", model, id_col="id", evidence=True)
        for n_rows in args.sizes:
            path = release(n_rows)
            seconds: dict[str, float] = {}
            for name, evidence in (("predict", False), ("predict_evidence", True)):
                t0 = time.perf_counter()
                predict_file(
                    path, Path(tmp) / f"{name}_{n_rows}.csv", model, id_col="id", evidence=evidence
                )
                seconds[name] = time.perf_counter() - t0
            t0 = time.perf_counter()
            session = open_review(path, model, Path(tmp) / f"store_{n_rows}.db", id_col="id")
            assert session.current is not None
            session.current.phrases()  # the first screen shows its evidence
            seconds["review_startup"] = time.perf_counter() - t0
            session.store.close()
            print(
                json.dumps(
                    {
                        "rows": n_rows,
                        **{k: round(v, 2) for k, v in seconds.items()},
                        "ratio_to_predict_evidence": round(
                            seconds["review_startup"] / seconds["predict_evidence"], 2
                        ),
                        "ratio_to_predict": round(
                            seconds["review_startup"] / seconds["predict"], 2
                        ),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
