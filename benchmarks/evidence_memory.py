"""Peak memory of ``predict --evidence`` on one huge narrative cell, against ``predict``.

Issue 19.9: ``--evidence`` peaked at 1.5 GB on one 10 MB cell. Evidence is now sought in a
narrative's first ``MAX_EVIDENCE_CHARS`` characters, so its extra memory should not grow
with the cell; what remains is ``predict``'s own cost of the cell (the anchor, same run).

Corpus: the narratives of ``data/release.csv`` joined into one cell of the given size, plus
20 ordinary rows, written to ``/tmp/allegations-bench/evidence_<mb>mb.csv`` (never
committed). Model: ``models/default``. Each command runs in a fresh child process whose
peak resident set size (``ru_maxrss``) is reported.

Run: ``.venv/bin/python benchmarks/evidence_memory.py [--mb 10]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
WORK = Path("/tmp/allegations-bench")
SCRIPT = Path(sys.executable).with_name("allegations")


def corpus(mb: float) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"evidence_{mb:g}mb.csv"
    if path.exists():
        return path
    texts = pd.read_csv(ROOT / "data" / "release.csv", dtype=str, keep_default_na=False)[
        "narrative"
    ]
    size, parts = int(mb * 1_000_000), []
    while sum(map(len, parts)) + len(parts) < size:
        parts.extend(texts.tolist())
    big = " ".join(parts)[:size]
    rows = pd.DataFrame({"id": ["BIG"] + [f"r{i}" for i in range(20)], "text": [big, *texts[:20]]})
    rows.to_csv(path, index=False)
    return path


def child(args: list[str]) -> None:
    """Run one command; print its wall time and peak RSS (MB) as JSON."""
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"rc": done.returncode, "s": time.perf_counter() - start, "mb": peak}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=10.0)
    parser.add_argument("--child", nargs=argparse.REMAINDER)
    ns = parser.parse_args()
    if ns.child:
        child(ns.child)
        return
    data = corpus(ns.mb)
    for name, extra in (("predict", []), ("predict --evidence", ["--evidence"])):
        out = WORK / "evidence_out.csv"
        command = [str(SCRIPT), "predict", str(data), "--id-col", "id", "--out", str(out), "-q"]
        run = subprocess.run(
            [sys.executable, __file__, "--child", *command, *extra], capture_output=True, text=True
        )
        result = json.loads(run.stdout)
        print(
            f"{name:20s} {ns.mb:g} MB cell: peak RSS {result['mb']:7.0f} MB, "
            f"{result['s']:6.1f} s, exit {result['rc']}"
        )


if __name__ == "__main__":
    main()
