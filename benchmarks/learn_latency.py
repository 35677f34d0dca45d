"""Key latency of the learning review while a model retrains in the background (issue 18).

Usage (from the repository root)::

    .venv/bin/python benchmarks/learn_latency.py [--labels 300] [--every 20] [--decisions 100] \\
        [--pause 2]

Philadelphia complaints (``../shared/data``, as ``benchmarks/label_efficiency.py`` builds
the task): a model is trained on ``--labels`` random cases of the 2013-2016 pool, and the
2017-2018 release (794 cases) is reviewed with ``--learn``. The true labels play the
reviewer: ``--pause`` seconds reading each case, then a digit for the true label and
enter, back to back. Every key is timed as the terminal runs it
(``session.press`` plus rendering the screen with rich), split into keys pressed while a
retrain was running in the background and the others. The goal (issue 18): each key under
50 ms while a retrain runs. The key that takes a new model's ranking is reported on its own.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from label_efficiency import load_split  # noqa: E402

from allegations import save_model, train  # noqa: E402
from allegations.cli._review_screen import render  # noqa: E402
from allegations.review._learn import attach_learner  # noqa: E402
from allegations.review._opening import open_review  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=300)
    parser.add_argument("--every", type=int, default=20)
    parser.add_argument("--decisions", type=int, default=100)
    parser.add_argument(
        "--pause", type=float, default=2.0, help="seconds a reviewer reads before deciding"
    )
    args = parser.parse_args()
    (pool_x, pool_y, test_x, test_y), _ = load_split("philly")
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(pool_x), size=args.labels, replace=False)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        labelled = work / "labelled.csv"
        pd.DataFrame(
            {"text": [pool_x[i] for i in chosen], "labels": [";".join(pool_y[i]) for i in chosen]}
        ).to_csv(labelled, index=False)
        release = work / "release.csv"
        ids = [f"R{i:04d}" for i in range(len(test_x))]
        pd.DataFrame({"id": ids, "text": test_x}).to_csv(release, index=False)
        truth = dict(zip(ids, test_y, strict=True))
        model = train([pool_x[i] for i in chosen], [pool_y[i] for i in chosen], seed=0)
        save_model(model, work / "model")
        t0 = time.perf_counter()
        session = open_review(release, work / "model", work / "s.db", id_col="id")
        learner = attach_learner(session, labelled=[labelled], every=args.every)
        opened = time.perf_counter() - t0
        busy, idle, takes = [], [], []
        retrains: list[float] = []
        started: dict[int, float] = {}
        try:
            for _ in range(args.decisions):
                case = session.current
                if case is None:
                    break
                keys = []
                for label in truth[case.case_id]:
                    if label in session.labels:  # a label the first model never saw: skip
                        number = session.labels.index(label) + 1
                        keys += ["0", *f"{number:02d}"] if number > 9 else [str(number)]
                keys += ["enter"] if keys else ["s"]
                time.sleep(args.pause)  # reading the case; the worker trains meanwhile
                for key in keys:
                    running = learner.running
                    generation = learner.generation
                    t = time.perf_counter()
                    session.press(key)
                    render(session)
                    spent = (time.perf_counter() - t) * 1000
                    if learner.generation != generation:
                        takes.append(spent)
                    elif running:
                        busy.append(spent)
                    else:
                        idle.append(spent)
                    if learner.running and learner.number not in started:
                        started[learner.number] = time.perf_counter()
                    if learner.latest is not None and learner.latest.number in started:
                        retrains.append(learner.latest.seconds)
                        started.pop(learner.latest.number)
            status = session.learn_status
        finally:
            learner.close()
            session.store.close()

    def line(name: str, values: list[float]) -> str:
        if not values:
            return f"| {name} | 0 | - | - | - |"
        a = np.array(values)
        return (
            f"| {name} | {len(a)} | {np.percentile(a, 50):.1f} | {np.percentile(a, 95):.1f} "
            f"| {a.max():.1f} |"
        )

    print(f"Session opened with the loop in {opened:.1f} s; {learner.number} retrain(s) started.")
    print(f"Retrain seconds (train + rank, in the worker): {[round(s, 1) for s in retrains]}")
    print("| keys | n | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    print(line("while a retrain runs", busy))
    print(line("no retrain running", idle))
    print(line("taking a new model's ranking", takes))
    print(f"Last status: {status}")


if __name__ == "__main__":
    main()
