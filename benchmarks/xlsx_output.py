"""Time of writing a tagged table as XLSX against CSV, in the same run.

Tags the real Philadelphia complaints (3,786 rows) once with the shipped model, keeping
the user's columns (as ``predict --keep-columns all`` writes them), then times writing
that output table, chunk by chunk as ``predict`` does, with
``allegations.tables._chunk_writer.open_writer`` as CSV (the anchor) and as XLSX (frozen header,
filter, widths; openpyxl write-only mode). Prints the best-of-runs seconds and the ratio;
the target is at most ~1.5x.

Usage::

    .venv/bin/python benchmarks/xlsx_output.py --repeat 3 --runs 5
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from allegations.batch._options import PredictOptions
from allegations.batch._predict import predict_file
from allegations.tables._chunk_writer import open_writer

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "philly_2013_2018" / "ppd_complaints_7-18.csv"


def best(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="copies of the tagged table")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chunk-rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        result = predict_file(
            SOURCE,
            folder / "tagged.parquet",
            ROOT / "models" / "default",
            PredictOptions.build(text_col="summary", keep_columns="all"),
            return_frame=True,
            write_summary=False,
        )
        frame = pd.concat([result["frame"]] * args.repeat, ignore_index=True)
        chunks = [
            frame.iloc[i : i + args.chunk_rows] for i in range(0, len(frame), args.chunk_rows)
        ]

        def write(name: str) -> None:
            with open_writer(folder / name, None) as writer:
                for chunk in chunks:
                    writer.write(chunk)

        seconds: dict[str, float] = {}
        for name in ("out.csv", "out.xlsx", "out.csv", "out.xlsx"):  # interleaved, best of

            def run(name: str = name) -> None:
                write(name)

            seconds[name] = min(seconds.get(name, float("inf")), best(run, args.runs))
        ratio = seconds["out.xlsx"] / seconds["out.csv"]
        print(f"{len(frame):,} rows x {len(frame.columns)} columns")
        print(f"CSV  {seconds['out.csv']:.3f} s (anchor)")
        print(f"XLSX {seconds['out.xlsx']:.3f} s = {ratio:.2f}x CSV (target <= 1.5x)")


if __name__ == "__main__":
    main()
