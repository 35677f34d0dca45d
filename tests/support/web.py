"""The web review's server, started through the console script (tests/review/test_web_*)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from ..conftest import console_script

URL = re.compile(r"(http://\S+)/\?token=(\S+)")


class Server:
    """A running ``allegations review --web`` process and the address it printed."""

    def __init__(self, proc: subprocess.Popen[str], url: str, head: str) -> None:
        self.proc = proc
        self.url = url
        self.head = head
        match = URL.search(url)
        assert match is not None
        self.base, self.token = match.group(1), match.group(2)

    def stop(self) -> tuple[int, str, str]:
        """Ctrl-C, as a person would; the exit code and the rest of the output."""
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=60)
        return self.proc.returncode, self.head + out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=60)


def start_server(
    cwd: Path, data: Path, model: Path, store: Path, *extra: str, env: dict[str, str] | None = None
) -> Server:
    """Start the console script with --web and wait for its URL."""
    full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    full_env.pop("ALLEGATIONS_DEBUG", None)
    proc = subprocess.Popen(
        [console_script(), "review", str(data), "--model", str(model), "--store", str(store),
         "--id-col", "id", "--web", *extra],
        cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    first: list[str] = []

    def read(stream: IO[str] = proc.stdout) -> None:  # until the URL line, then stop reading
        for line in iter(stream.readline, ""):
            lines.put(line)
            if URL.search(line):
                return
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        if not line:
            break
        first.append(line)
        found = URL.search(line)
        if found:
            return Server(proc, found.group(0), "".join(first))
    head = "".join(first)
    proc.kill()
    out, err = proc.communicate()
    pytest.fail(f"the web review did not print its URL:\n{head}{out}\n{err}")
