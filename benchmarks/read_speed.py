"""Read speed of ``allegations.tables._read.load_table`` on a real records release.

Builds a CSV of the Philadelphia complaints file repeated ``--repeat`` times (header once),
and a CSV of ``--short`` short records, in a temporary folder and times, in the same run:

* the anchor: ``pandas.read_csv(dtype=str, engine="c")`` with no checks;
* ``load_table`` (encoding check, header check, record-level field-count check).

Usage::

    .venv/bin/python benchmarks/read_speed.py --repeat 10 --runs 5

Prints the best-of-runs seconds and the ratio to the anchor. Timing figures belong in
docs, never in tests.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from allegations.tables._read import load_table

SOURCE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "philly_2013_2018"
    / "ppd_complaints_7-18.csv"
)


def best(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--short", type=int, default=500_000, help="rows of the short file")
    args = parser.parse_args()
    raw = SOURCE.read_bytes()
    header, _, body = raw.partition(b"\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "philly_repeated.csv"
        path.write_bytes(header + b"\n" + body * args.repeat)
        size_mb = path.stat().st_size / 1e6

        def anchor() -> None:
            pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, engine="c")

        def ours() -> None:
            load_table(path)

        n_rows = len(load_table(path))
        t_anchor = best(anchor, args.runs)
        t_ours = best(ours, args.runs)
        print(f"file: {size_mb:.1f} MB, {n_rows} rows (philly complaints x{args.repeat})")
        print(f"anchor pandas.read_csv(dtype=str, engine='c'): {t_anchor:.3f} s")
        print(f"load_table: {t_ours:.3f} s  ratio to anchor {t_ours / t_anchor:.2f}x")

        # Many short records: per-record overhead dominates here.
        short = Path(tmp) / "short_rows.csv"
        lines = [f"{i:07d},Officer {i % 97} ran a plate,query;threat" for i in range(args.short)]
        short.write_text("id,text,labels\n" + "\n".join(lines) + "\n", encoding="utf-8")
        t_anchor = best(
            lambda: pd.read_csv(
                short, dtype=str, keep_default_na=False, na_filter=False, engine="c"
            ),
            args.runs,
        )
        t_ours = best(lambda: load_table(short), args.runs)
        print(f"file: {short.stat().st_size / 1e6:.1f} MB, {args.short} short rows")
        print(f"anchor pandas.read_csv(dtype=str, engine='c'): {t_anchor:.3f} s")
        print(f"load_table: {t_ours:.3f} s  ratio to anchor {t_ours / t_anchor:.2f}x")


if __name__ == "__main__":
    main()
