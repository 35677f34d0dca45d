"""Files put into place atomically: whole, or chunk by chunk through a locked partial file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from allegations.errors import OutputError
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


def test_check_output_path_names_the_parameter_and_refuses_inputs(tmp_path: Path):
    from allegations.tables import check_output_path

    data = tmp_path / "cases.csv"
    data.write_text("id,text\n1,a\n")
    assert check_output_path(tmp_path / "out.json", "json_path") == tmp_path / "out.json"
    with pytest.raises(OutputError, match=r"^`json_path` .*cases.csv is an input file"):
        check_output_path(data, "json_path", inputs=[data])
    with pytest.raises(OutputError, match=r"does not exist; create it or choose another `out`"):
        check_output_path(tmp_path / "absent" / "o.csv")
    with pytest.raises(OutputError, match=r"it is a folder. Choose a file name for `json_path`"):
        check_output_path(tmp_path, "json_path")
