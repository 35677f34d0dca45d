"""Model folder size and load time, in fresh processes.

Each run is a new interpreter (nothing cached): it imports allegations, loads the model
folder (``load``), then tags the bundled release (``first predict``: the first call pays
for spaCy's pipeline and lemma tables unless loading already did). With ``--before-src``
and ``--before-model`` a second checkout (for example the commit before a format change,
``git worktree add /tmp/old <commit>``) is timed in the same run, alternating with this
one, so both see the same machine. Medians over ``--runs``; results in docs/model-files.md.

Run::

    .venv/bin/python benchmarks/model_files.py
    .venv/bin/python benchmarks/model_files.py --before-src /tmp/old/src \\
        --before-model /tmp/old/models/default
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PROBE = r"""
import sys, time
t0 = time.perf_counter()
import pandas as pd
from allegations import load_model
t1 = time.perf_counter()
model = load_model(sys.argv[1])
t2 = time.perf_counter()
texts = pd.read_csv(sys.argv[2])["narrative"].tolist()
t3 = time.perf_counter()
model.predict_proba(texts)
t4 = time.perf_counter()
print(t1 - t0, t2 - t1, t4 - t3)
"""


def _one(src: Path, model: Path, release: Path) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(model), str(release)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        sys.exit(f"Error: loading {model} with {src} failed: {out.stderr.strip()[-300:]}")
    return [float(x) for x in out.stdout.split()]


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "default")
    parser.add_argument("--release", type=Path, default=ROOT / "data" / "release.csv")
    parser.add_argument("--before-src", type=Path)
    parser.add_argument("--before-model", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    systems = {"now": (ROOT / "src", args.model)}
    if args.before_src and args.before_model:
        systems["before"] = (args.before_src, args.before_model)
    times: dict[str, list[list[float]]] = {name: [] for name in systems}
    for _ in range(args.runs):
        for name, (src, model) in systems.items():
            times[name].append(_one(src, model, args.release))
    print("| checkout | folder bytes | import s | load s | first predict s | load + predict s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (_, model) in systems.items():
        med = [statistics.median(run[i] for run in times[name]) for i in range(3)]
        both = statistics.median(run[1] + run[2] for run in times[name])
        print(
            f"| {name} | {_size(model):,} | {med[0]:.3f} | {med[1]:.3f} | {med[2]:.3f} "
            f"| {both:.3f} |"
        )
    if "before" in times:
        print()
        print(_paired(times["now"], times["before"]))


def _paired(now: list[list[float]], before: list[list[float]]) -> str:
    """Median of the paired differences of load + first predict, with a 95% bootstrap
    interval (runs alternate, so run i of each checkout saw the same machine state)."""
    import random

    diffs = [(a[1] + a[2]) - (b[1] + b[2]) for a, b in zip(now, before, strict=True)]
    rng = random.Random(0)
    boots = sorted(
        statistics.median(rng.choices(diffs, k=len(diffs))) for _ in range(2000)
    )
    return (
        f"load + first predict, now minus before (paired, {len(diffs)} runs): median "
        f"{statistics.median(diffs):+.3f} s (95% interval {boots[49]:+.3f} to {boots[1949]:+.3f})"
    )


if __name__ == "__main__":
    main()
