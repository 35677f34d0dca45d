"""Whole tables written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from allegations.errors import OutputError
from allegations.tables._write import write_table

FRAME = pd.DataFrame({"id": ["007", "2"], "text": ["Agent ran a plate, then left.", 'ÉLAN "q"']})


def test_write_to_missing_folder(tmp_path: Path):
    with pytest.raises(OutputError, match="does not exist; create it"):
        write_table(FRAME, tmp_path / "no" / "out.csv")


def test_jsonl_keeps_lists(tmp_path: Path):
    path = tmp_path / "o.jsonl"
    write_table(pd.DataFrame({"labels": [["a", "b"], []]}), path)
    assert [json.loads(line)["labels"] for line in path.read_text().splitlines()] == [
        ["a", "b"],
        [],
    ]
