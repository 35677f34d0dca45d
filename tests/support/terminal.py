"""The terminal program driven through a pseudo-terminal (pexpect): start, read a screen,
press a key (tests/review/test_screen.py, test_cold.py)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from allegations.review._session import AUDIT_LEGEND, LEGEND

from ..conftest import console_script

pexpect = pytest.importorskip("pexpect")

CLEAR = "\x1b[H\x1b[2J"
SAVED = re.compile(r"Saved case (\S+): (.+?) \(decision #(\d+)\)\.")
CASE = re.compile(r"case (\d+) of (\d+) · id (\S+)")


def spawn(*args: str | Path, cwd: Path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TERM": "xterm-256color",
        "NO_COLOR": "1",
        "HOME": str(cwd),
        "LANG": "C.UTF-8",
    }
    child = pexpect.spawn(
        console_script(),
        [str(a) for a in args],
        cwd=str(cwd),
        env=env,
        encoding="utf-8",
        dimensions=(60, 200),
        timeout=120,
    )
    child.delaybeforesend = None
    return child


def screen(child) -> str:
    """Wait for the next complete screen (it ends with a legend) and return it."""
    child.expect_exact([LEGEND, AUDIT_LEGEND])
    return child.before.rsplit(CLEAR, 1)[-1]


def press(child, key: str) -> str:
    child.send(key)
    return screen(child)


def current_id(text: str) -> str:
    match = CASE.search(text)
    assert match, text
    return match.group(3)
