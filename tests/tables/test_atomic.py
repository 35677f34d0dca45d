"""Files put into place atomically: whole, or chunk by chunk through a locked partial file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from allegations.tables._atomic import atomic_write, remove_stale_partials


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target, "w") as fh:
        fh.write("partial")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_stale_partials_are_removed_but_live_ones_kept(tmp_path: Path):
    import fcntl

    out = tmp_path / "tagged.csv"
    stale = tmp_path / ".tagged.csv.abc123.partial"
    stale.write_bytes(b"half a file")
    live = tmp_path / ".tagged.csv.def456.partial"
    live.write_bytes(b"being written")
    other = tmp_path / ".other.csv.xyz.partial"
    other.write_bytes(b"not ours to judge")
    fd = os.open(live, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert remove_stale_partials(out) == 1
    finally:
        os.close(fd)
    assert not stale.exists() and live.exists() and other.exists()
