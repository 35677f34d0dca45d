"""Time per review screen: the real ``allegations review`` in a pseudo-terminal, 100 cases.

Trains a model on Philadelphia police complaint narratives (../shared/data; real text,
median ~700 characters, 13 labels, so the two-digit label keys are on screen), starts the
review of other narratives from the same release, presses one key per case (y / n
alternately) for 100 cases and measures, per key, the time from sending the key to the
end of the next full screen (the legend). That covers: the key read, the SQLite commit with
synchronous=FULL (fsync), rendering and the terminal round trip.

Anchors measured in the same run (same machine, same load):
* ``load+predict``: loading the model folder and tagging one narrative, i.e. what one screen
  would cost if the model were reloaded per case;
* ``commit``: one decision written to a scratch store (the fsync alone).

Run: ``.venv/bin/python benchmarks/review_screen.py [--cases 100] [--train-rows 800]``
(falls back to a constructed corpus when ../shared/data is absent).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pexpect

ROOT = Path(__file__).resolve().parents[1]
PHILLY = ROOT.parent / "shared" / "data" / "philly_2013_2018" / "ppd_complaints_7-18.csv"
sys.path.insert(0, str(ROOT))

from allegations import load_model  # noqa: E402
from allegations.batch._workflows import LabelSpec, train_files  # noqa: E402
from allegations.review._session import LEGEND  # noqa: E402
from allegations.review._store import ReviewStore  # noqa: E402


def corpus(n_train: int, n_review: int, folder: Path) -> tuple[Path, Path, str]:
    if PHILLY.exists():
        df = pd.read_csv(PHILLY, dtype=str, keep_default_na=False)
        df = pd.DataFrame(
            {
                "id": df["cap_number"],
                "text": df["summary"],
                "labels": df["general_cap_classification"].str.strip(),
            }
        ).sample(frac=1.0, random_state=0)
        source = f"{PHILLY.name} (Philadelphia police complaints)"
    else:
        from tests.conftest import make_corpus

        df = make_corpus(n_train + n_review, seed=0)
        source = "constructed corpus (../shared/data absent)"
    train, review = df.iloc[:n_train], df.iloc[n_train : n_train + n_review]
    train.to_csv(folder / "train.csv", index=False)
    review.to_csv(folder / "review.csv", index=False)
    return folder / "train.csv", folder / "review.csv", source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--train-rows", type=int, default=800)
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("allegations"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train_csv, review_csv, source = corpus(args.train_rows, max(args.cases, 200), folder)
        t0 = time.perf_counter()
        train_files([train_csv], folder / "model", spec=LabelSpec(), id_col="id", seed=0)
        print(f"data: {source}; trained on {args.train_rows} rows in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip

        # Anchor 1: load the model and tag one narrative (a per-case reload would cost this).
        one = pd.read_csv(review_csv, dtype=str)["text"].iloc[0]
        loads = []
        for _ in range(5):
            t = time.perf_counter()
            load_model(folder / "model").predict([one])
            loads.append(time.perf_counter() - t)
        # Anchor 2: one committed decision (fsync) on a scratch store.
        commits = []
        with ReviewStore(folder / "scratch.db", labels=["a", "b"]) as store:
            for i in range(50):
                t = time.perf_counter()
                store.record(case_id=str(i), text=f"t{i}", labels=["a"], predicted={},
                             model_id="", reviewer="r", strategy="bench")  # fmt: skip
                commits.append(time.perf_counter() - t)

        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "50"}
        env.pop("NO_COLOR", None)
        t0 = time.perf_counter()
        child = pexpect.spawn(
            exe,
            ["review", str(review_csv), "--model", str(folder / "model"), "--store",
             str(folder / "review.db"), "--id-col", "id", "--reviewer", "bench",
             "--limit", str(args.cases)],
            env=env, encoding="utf-8", dimensions=(50, 120), timeout=120,
        )  # fmt: skip
        child.delaybeforesend = None
        child.expect_exact(LEGEND)
        startup = time.perf_counter() - t0
        per_screen = []
        for i in range(args.cases):
            t = time.perf_counter()
            child.send("yn"[i % 2])
            child.expect_exact(LEGEND)
            per_screen.append(time.perf_counter() - t)
        child.send("q")
        child.expect(pexpect.EOF)
        child.close()
        with ReviewStore(folder / "review.db", create=False) as store:
            n_saved = len(store.standing("bench"))

    ms = sorted(x * 1000 for x in per_screen)
    median = statistics.median(ms)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    load_ms = statistics.median(loads) * 1000
    commit_ms = statistics.median(commits) * 1000
    print(f"start-up (load model, tag {max(args.cases, 200)} narratives, first screen): "
          f"{startup:.2f} s")  # fmt: skip
    print(f"{len(ms)} screens, {n_saved} decisions saved: key -> next full screen "
          f"median {median:.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms")  # fmt: skip
    print(f"anchor load+predict one case: median {load_ms:.1f} ms "
          f"(per-case reload would be {load_ms / median:.1f}x a screen)")  # fmt: skip
    print(f"anchor one committed decision (fsync): median {commit_ms:.1f} ms "
          f"({commit_ms / median:.0%} of a screen)")  # fmt: skip
    print("target: under 50 ms per screen ->", "met" if p95 < 50 else "NOT met (p95)")


if __name__ == "__main__":
    main()
