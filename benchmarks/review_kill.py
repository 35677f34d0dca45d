"""Kill ``allegations review`` with SIGKILL many times; check that no acknowledged decision is lost.

Each iteration starts the real review in a pseudo-terminal on the same store, presses a
random number of keys (accept, none, toggles, enter, undo), records every decision the
screen acknowledged ("Saved case ...", "Undid decision ..."), then sends one more key and
kills the process with SIGKILL after a random delay (0-20 ms: before, during or after the
commit of that key). After each kill: ``PRAGMA integrity_check`` must be ``ok`` and the
store's standing decisions must include every acknowledged one with the acknowledged
labels (the in-flight key is allowed to be present or absent, never half-written).

Run: ``.venv/bin/python benchmarks/review_kill.py [--iterations 100] [--seed 0]``
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import make_corpus  # noqa: E402

from allegations import save_model, train  # noqa: E402
from allegations.review._session import LEGEND  # noqa: E402
from allegations.review._store import ReviewStore  # noqa: E402

SAVED = re.compile(r"Saved case (\S+): (.+?) \(decision #(\d+)\)\.")
UNDID = re.compile(r"Undid decision #(\d+) on case (\S+)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    exe = str(Path(sys.executable).with_name("allegations"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        df = make_corpus(400, seed=11)
        df["text"] = df["text"] + " ref " + df["id"]
        df.to_csv(folder / "cases.csv", index=False)
        labels = [s.split(";") if s else [] for s in df.labels]
        save_model(train(df.text.tolist(), labels, seed=0), folder / "model")
        store = folder / "review.db"
        acked: dict[str, tuple[str, int]] = {}
        n_keys = n_acked = n_undo = 0
        failures: list[str] = []
        t0 = time.perf_counter()
        for it in range(args.iterations):
            child = pexpect.spawn(
                exe,
                ["review", str(folder / "cases.csv"), "--model", str(folder / "model"),
                 "--store", str(store), "--id-col", "id", "--reviewer", "kim"],
                env={**os.environ, "TERM": "xterm", "NO_COLOR": "1"}, encoding="utf-8",
                dimensions=(60, 200), timeout=120,
            )  # fmt: skip
            child.delaybeforesend = None
            child.expect_exact(LEGEND)
            for _ in range(rng.randint(0, 15)):
                key = rng.choice(["y", "n", "1", "2", "3", "\r", "\r", "u"])
                child.send(key)
                child.expect_exact(LEGEND)
                n_keys += 1
                text = child.before
                if m := SAVED.search(text):
                    acked[m.group(1)] = (m.group(2), int(m.group(3)))
                    n_acked += 1
                elif m := UNDID.search(text):
                    acked.pop(m.group(2), None)
                    n_undo += 1
            in_flight = rng.choice(["y", "n", "\r", "u"])
            child.send(in_flight)
            time.sleep(rng.choice([0.0, 0.0005, 0.002, 0.005, 0.01, 0.02]))
            os.kill(child.pid, signal.SIGKILL)
            child.expect(pexpect.EOF)
            child.close()
            con = sqlite3.connect(store)
            check = con.execute("PRAGMA integrity_check").fetchone()[0]
            con.close()
            with ReviewStore(store, create=False) as opened:
                rows = opened.standing("kim").values()
                standing = {d.case_id: d.labels for d in rows}
                seqs = {d.case_id: d.seq for d in rows}
            lost = [
                cid
                for cid, (shown, _) in acked.items()
                if standing.get(cid) != (() if shown == "none apply" else tuple(shown.split("; ")))
            ]
            if in_flight == "u" and acked:
                latest = max(acked, key=lambda c: acked[c][1])
                if lost == [latest] and latest not in standing:
                    lost = []  # the in-flight undo landed on the latest decision: not a loss
            if check != "ok" or lost:
                detail = [(c, acked[c][0], standing.get(c)) for c in lost[:3]]
                failures.append(f"iteration {it}: integrity {check}, lost {detail} ({in_flight!r})")
            # The in-flight key may have landed: adopt the store's view for the next round.
            acked = {c: ("; ".join(lab) or "none apply", seqs[c]) for c, lab in standing.items()}
        elapsed = time.perf_counter() - t0
    print(
        f"{args.iterations} kill -9 iterations in {elapsed:.0f} s: {n_keys} keys, {n_acked} "
        f"acknowledged saves, {n_undo} acknowledged undos; {len(acked)} standing decisions at "
        f"the end; failures: {len(failures)}"
    )
    for line in failures:
        print("  FAIL", line)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
