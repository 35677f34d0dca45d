"""Decision round trip of the web review, two reviewers at once, against the terminal screen.

The method of ``benchmarks/review_screen.py`` (same data, same model, one key per case,
y / n alternately), in one run:

* ``terminal``: the real ``allegations review`` in a pseudo-terminal; per key, the time from
  sending it to the end of the next full screen (the legend).
* ``web, 1 reviewer`` and ``web, 2 reviewers at once``: the real ``allegations review --web``
  server; per key, the time from sending the POST to having the JSON of the next case
  (the decision committed with fsync first). Two reviewers press their keys at the same
  time on the same store (two threads, two connections). The browser's drawing of the
  answer (a few DOM nodes) is not included.
* anchor: one committed decision alone on a scratch store (the fsync).

Run: ``.venv/bin/python benchmarks/web_latency.py [--cases 100] [--train-rows 800]``
(falls back to a constructed corpus when ../shared/data is absent).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from review_screen import corpus  # noqa: E402

from allegations.batch._workflows import LabelSpec, train_files  # noqa: E402
from allegations.review._session import LEGEND  # noqa: E402
from allegations.review._store import ReviewStore  # noqa: E402

URL = re.compile(r"(http://\S+)/\?token=\S+")


def summary(seconds: list[float]) -> str:
    ms = sorted(x * 1000 for x in seconds)
    p50 = statistics.median(ms)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    return f"n={len(ms):>3}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms"


def p50(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def terminal(exe: str, review_csv: Path, model: Path, store: Path, n: int) -> list[float]:
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "50"}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(
        exe,
        ["review", str(review_csv), "--model", str(model), "--store", str(store),
         "--id-col", "id", "--reviewer", "bench", "--limit", str(n)],
        env=env, encoding="utf-8", dimensions=(50, 120), timeout=120,
    )  # fmt: skip
    child.delaybeforesend = None
    child.expect_exact(LEGEND)
    times = []
    for i in range(n):
        t = time.perf_counter()
        child.send("yn"[i % 2])
        child.expect_exact(LEGEND)
        times.append(time.perf_counter() - t)
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    return times


def start_web(exe: str, review_csv: Path, model: Path, store: Path, n: int):
    proc = subprocess.Popen(
        [exe, "review", str(review_csv), "--model", str(model), "--store", str(store),
         "--id-col", "id", "--limit", str(n), "--web"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in iter(proc.stdout.readline, ""):
            lines.put(line)
            if URL.search(line):
                return
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    while True:
        line = lines.get(timeout=180)
        if not line:
            raise SystemExit(f"the web review did not start: {proc.communicate()[1]}")
        found = URL.search(line)
        if found:
            return proc, found.group(0), found.group(1)


def web_reviewer(url: str, base: str, name: str, n: int, barrier: threading.Barrier,
                 out: list[float]) -> None:  # fmt: skip
    """One reviewer: keep-alive connection with TCP_NODELAY, as browsers have."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.connect()
    assert conn.sock is not None
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    cookie = "allegations_review=" + url.split("?token=", 1)[1]

    def send(method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": cookie}
        if body is not None:
            headers.update({"X-CSRF-Token": csrf, "Origin": base,
                            "Content-Type": "application/json"})  # fmt: skip
        conn.request(method, path, body=None if body is None else json.dumps(body),
                     headers=headers)  # fmt: skip
        response = conn.getresponse()
        return response.status, response.read()

    csrf = ""
    page = send("GET", "/")[1].decode()
    csrf = re.search(r'name="csrf" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert send("POST", "/api/join", {"reviewer": name})[0] == 200
    barrier.wait()
    for i in range(n):
        t = time.perf_counter()
        status, raw = send("POST", "/api/key", {"reviewer": name, "key": "yn"[i % 2]})
        state = json.loads(raw)
        out.append(time.perf_counter() - t)
        assert status == 200 and state["last"]["kind"] == "saved", state
    conn.close()


def web(exe: str, review_csv: Path, model: Path, store: Path, n: int, names: list[str]):
    proc, url, base = start_web(exe, review_csv, model, store, n)
    try:
        barrier = threading.Barrier(len(names))
        results: dict[str, list[float]] = {name: [] for name in names}
        threads = [
            threading.Thread(target=web_reviewer, args=(url, base, name, n, barrier, results[name]))
            for name in names
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    with ReviewStore(store, create=False) as opened:
        saved = {name: len(opened.standing(name)) for name in names}
    return results, saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--train-rows", type=int, default=800)
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("allegations"))
    n = args.cases
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train_csv, review_csv, source = corpus(args.train_rows, max(n, 200), folder)
        train_files([train_csv], folder / "model", spec=LabelSpec(), id_col="id", seed=0)
        model = folder / "model"
        print(f"data: {source}; {n} decisions per reviewer")

        commits = []
        with ReviewStore(folder / "scratch.db", labels=["a", "b"]) as store:
            for i in range(50):
                t = time.perf_counter()
                store.record(case_id=str(i), text=f"t{i}", labels=["a"], predicted={},
                             model_id="", reviewer="r", strategy="bench")  # fmt: skip
                commits.append(time.perf_counter() - t)

        term = terminal(exe, review_csv, model, folder / "terminal.db", n)
        one, saved_one = web(exe, review_csv, model, folder / "web1.db", n, ["ana"])
        two, saved_two = web(exe, review_csv, model, folder / "web2.db", n, ["ana", "ben"])

    both = two["ana"] + two["ben"]
    print(f"terminal screen, 1 reviewer           : {summary(term)}")
    print(f"web, 1 reviewer                       : {summary(one['ana'])}  saved {saved_one}")
    print(f"web, 2 reviewers at once (both)       : {summary(both)}  saved {saved_two}")
    for name, times in two.items():
        print(f"  web, 2 at once, {name:<4}                : {summary(times)}")
    print(f"anchor: one committed decision (fsync) : p50 {p50(commits):6.1f} ms")
    print(f"web 2 at once / terminal, p50: {p50(both) / p50(term):.2f}x; "
          f"web 1 / terminal, p50: {p50(one['ana']) / p50(term):.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
