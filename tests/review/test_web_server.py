"""The real ``allegations review --web`` server: options, start, stop, and kill -9."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from allegations.cli import app
from allegations.review._store import ReviewStore

from ..conftest import SECRET, make_corpus
from ..support.web import Server, start_server

httpx = pytest.importorskip("httpx2")
pytest.importorskip("uvicorn")
pytestmark = pytest.mark.skipif(os.name == "nt", reason="signals and kill -9 are POSIX here")



@pytest.fixture()
def cases_csv(tmp_path: Path) -> Path:
    df = make_corpus(150, seed=7)
    df["text"] = df["text"] + f" {SECRET} file " + df["id"]  # unique texts
    path = tmp_path / "cases.csv"
    df.to_csv(path, index=False)
    return path


class Client:
    """One reviewer's browser, over HTTP: the cookie, the CSRF header, the Origin."""

    def __init__(self, server: Server, reviewer: str | None) -> None:
        self.http = httpx.Client(base_url=server.base, timeout=30, follow_redirects=True)
        page = self.http.get(server.url)
        assert page.status_code == 200, page.text
        found = re.search(r'name="csrf" content="([^"]+)"', page.text)
        assert found is not None
        self.headers = {"X-CSRF-Token": found.group(1), "Origin": server.base}
        self.reviewer = reviewer
        self.state: dict[str, Any] | None = None
        if reviewer is not None:
            self.state = self.post("/api/join", {})

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(
            path, json={"reviewer": self.reviewer, **body}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        state: dict[str, Any] = response.json()
        self.state = state
        return state

    def key(self, key: str) -> dict[str, Any]:
        return self.post("/api/key", {"key": key})

    def close(self) -> None:
        self.http.close()


# -- the options, through CliRunner ---------------------------------------------------------
def test_web_options_reach_the_server(
    cases_csv: Path, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import allegations.review.web as web

    served: dict[str, Any] = {}

    def fake_serve(app_: Any, sock: Any) -> None:
        served["address"] = sock.getsockname()
        sock.close()

    monkeypatch.setattr(web, "serve", fake_serve)
    args = ["review", str(cases_csv), "--model", str(model_dir), "--store",
            str(tmp_path / "r.db"), "--id-col", "id", "--web", "--limit", "5"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    host, port = served["address"]
    assert host == "127.0.0.1" and port > 0
    assert re.search(rf"http://127\.0\.0\.1:{port}/\?token=[\w-]{{40,}}", result.output)
    assert "Warning" not in result.output and SECRET not in result.output
    assert "Saved 0 decision(s)" in result.output

    result = CliRunner().invoke(app, [*args, "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert "Warning: --host 0.0.0.0 serves the review beyond this machine" in result.output
    assert served["address"][0] == "0.0.0.0"


def test_without_the_web_extra_one_line_says_what_to_install(
    cases_csv: Path, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "allegations.review.web", None)  # import fails
    result = CliRunner().invoke(
        app,
        ["review", str(cases_csv), "--model", str(model_dir), "--store",
         str(tmp_path / "r.db"), "--id-col", "id", "--web"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "Error: allegations review --web needs Starlette and uvicorn" in result.output
    assert "pip install 'allegations[web]'" in result.output and "Traceback" not in result.output


def test_a_port_in_use_is_one_line_error(cases_csv: Path, model_dir: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            app,
            ["review", str(cases_csv), "--model", str(model_dir), "--store",
             str(tmp_path / "r.db"), "--id-col", "id", "--web", "--port", str(port)],
        )  # fmt: skip
    assert result.exit_code == 1
    assert f"Error: Cannot serve on 127.0.0.1:{port}" in result.output
    assert "pass another --port" in result.output and "Traceback" not in result.output


def test_the_socket_sends_small_answers_at_once() -> None:
    """TCP_NODELAY: without it every answer with a body waited 40 ms for a delayed ACK."""
    import socket

    from allegations.review.web import open_socket

    sock = open_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP  # asyncio sets NODELAY on accepted ones
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()


# -- the installed console script -----------------------------------------------------------
@pytest.mark.slow
def test_console_script_serves_opens_and_stops_on_ctrl_c(
    cases_csv: Path, model_dir: Path, tmp_path: Path
) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\n')
    browser.chmod(0o755)
    store = tmp_path / "review.db"
    server = start_server(
        tmp_path, cases_csv, model_dir, store, "--open", "--limit", "10", "--reviewer", "ana",
        env={"BROWSER": str(browser)},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert opened.read_text() == server.url  # --open hands the token URL to the browser
        assert httpx.get(server.base + "/").status_code == 403
        ana = Client(server, "ana")
        for k in "yny":
            ana.key(k)
        ana.key("u")
        ana.close()
    finally:
        code, out, err = server.stop()
    assert code == 0, err
    assert "Saved 3 decision(s)" in out and "(1 undone) by 1 reviewer(s)" in out
    assert SECRET not in out + err
    with ReviewStore(store, create=False) as opened_store:
        assert len(opened_store.standing("ana")) == 2


@pytest.mark.slow
def test_kill_9_loses_no_acknowledged_decision(
    cases_csv: Path, model_dir: Path, tmp_path: Path
) -> None:
    """Two reviewers press keys over HTTP; the server is SIGKILLed at a random moment.

    Every decision (and undo) whose response arrived must be in the store afterwards, and
    in force unless the one request still in flight for that reviewer undid it.
    """
    rng = random.Random(0)
    store = tmp_path / "review.db"
    acknowledged: dict[str, list[dict[str, Any]]] = {"ana": [], "ben": []}
    for _ in range(3):
        server = start_server(tmp_path, cases_csv, model_dir, store)
        stop = threading.Event()

        def work(name: str, seed: int, server: Server = server, stop: threading.Event = stop):
            keys = random.Random(seed)
            client = None
            try:
                client = Client(server, name)
                while not stop.is_set():
                    k = keys.choice(["y", "y", "n", "1", "enter", "u"])
                    state = client.key(k)
                    if state["last"] is not None:
                        acknowledged[name].append(state["last"])
            except (httpx.HTTPError, AssertionError, OSError):
                return  # the server died mid-request: that request was not acknowledged
            finally:
                if client is not None:
                    client.close()

        threads = [
            threading.Thread(target=work, args=(n, rng.randrange(10**6))) for n in acknowledged
        ]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.5, 2.0))
        os.kill(server.proc.pid, signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        server.kill()

    with sqlite3.connect(store) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with ReviewStore(store, create=False) as opened:
        rows = {d.seq: d for d in opened.decisions()}
        for name, events in acknowledged.items():
            assert sum(e["kind"] == "saved" for e in events) >= 3, "too few decisions to judge"
            in_force: dict[int, tuple[str, ...]] = {}
            for event in events:
                row = rows[event["seq"]]  # every acknowledged decision is in the file
                assert row.reviewer == name and row.case_id == event["case_id"]
                assert list(row.labels) == event["labels"]
                if event["kind"] == "saved":
                    in_force[event["seq"]] = row.labels
                else:
                    assert any(r.undoes == event["seq"] for r in rows.values())
                    in_force.pop(event["seq"], None)
            standing = {d.seq for d in opened.standing(name).values()}
            undone = {r.undoes for r in rows.values() if r.kind == "undo"}
            missing = [s for s in in_force if s not in standing]
            # Only the request in flight at a kill may have undone an acknowledged decision.
            assert all(s in undone for s in missing) and len(missing) <= 3
    print(  # shown with -s: the figures of this run
        f"kill -9 x3: acknowledged {sum(len(e) for e in acknowledged.values())} actions, "
        f"{len(rows)} rows in the store, 0 lost",
        file=sys.stderr,
    )
