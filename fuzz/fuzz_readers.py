"""Atheris fuzz target for the table readers (``allegations.tables._read.load_table``).

The first byte of each input picks the format (CSV, TSV, JSON Lines, Parquet, XLSX) and
the bad-record policy; the rest is written to a file of that type and read. The only
exception allowed out of the reader is :class:`allegations.errors.InputError` (which the
command line turns into a one-line ``Error:`` and exit code 1); anything else is a crash.

Run (Linux/macOS, ``pip install atheris``)::

    .venv/bin/python fuzz/fuzz_readers.py -max_total_time=60 fuzz/corpus-tmp

``tests/test_fuzz.py`` runs it for about 20 seconds when atheris can be imported.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import warnings
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["allegations"]):
    from allegations.errors import InputError
    from allegations.tables._read import load_table

FORMATS = (".csv", ".tsv", ".jsonl", ".parquet", ".xlsx")
POLICIES = ("error", "skip")
WORK = Path(tempfile.mkdtemp(prefix="fuzz-readers-"))


def test_one_input(data: bytes) -> None:
    if not data:
        return
    ext = FORMATS[data[0] % len(FORMATS)]
    policy = POLICIES[(data[0] // len(FORMATS)) % len(POLICIES)]
    path = WORK / f"input{ext}"
    path.write_bytes(data[1:])
    try:
        df = load_table(path, on_bad_rows=policy)
    except InputError:
        return
    # What comes back is a table of text.
    for column in df.columns:
        if not isinstance(column, str):
            raise AssertionError("a column name is not text")
        for value in df[column].tolist():
            if not isinstance(value, str):
                raise AssertionError("a cell is not text")


def main() -> None:
    logging.disable(logging.CRITICAL)  # reader warnings are expected for junk input
    warnings.simplefilter("ignore")  # third-party warnings about odd workbooks
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
