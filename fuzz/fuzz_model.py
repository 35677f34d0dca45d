"""Atheris fuzz target for the model loader (``allegations.load_model``).

A small valid model folder is trained once. Each input then replaces one of its files:
the first byte picks which (``model.json``, ``weights.npz``, ``manifest.json``, the card)
and whether the manifest is recomputed to match (as someone crafting a folder would do,
so that the checks of the content are reached, not only the hashes); the rest of the
input is the file's new content. With the second bit of the first byte set, the input is
instead spliced into the valid file at a position given by the next two bytes, so the
fuzzer also explores nearly valid JSON and archives. The only exception allowed out of
the loader is :class:`allegations.errors.ModelError` (the command line turns it into a
one-line ``Error:``, exit 1); anything else is a crash.

Run (Linux/macOS, ``pip install atheris``)::

    .venv/bin/python fuzz/fuzz_model.py -max_total_time=60 fuzz/corpus-model-tmp

``tests/test_fuzz.py`` runs it for about 20 seconds when atheris can be imported.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["allegations"]):
    from allegations import load_model, save_model, train
    from allegations.errors import ModelError

WORK = Path(tempfile.mkdtemp(prefix="fuzz-model-"))
VALID = WORK / "valid"
TARGETS = ("model.json", "weights.npz", "manifest.json", "model-card.json")


def _valid_model() -> None:
    words = ["queried", "threatened", "paid", "searched", "records", "cash", "friend"]
    texts = [f"Officer {words[i % 7]} {words[i * 3 % 7]} of case {i % 5}." for i in range(40)]
    labels = [["query"] if i % 2 else ["money"] for i in range(40)]
    save_model(train(texts, labels, seed=0), VALID)


def _refresh(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    for name in manifest["files"]:
        data = (folder / name).read_bytes()
        manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    lines = "".join(f"{manifest['files'][n]['sha256']}  {n}\n" for n in TARGETS[:2])
    manifest["model_id"] = hashlib.sha256(lines.encode()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_one_input(data: bytes) -> None:
    if len(data) < 3:
        return
    head, body = data[0], data[1:]
    name = TARGETS[head % len(TARGETS)]
    folder = WORK / "case"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(VALID, folder)
    if head & 0x10:  # splice into the valid file
        valid = (folder / name).read_bytes()
        at = int.from_bytes(body[:2], "little") % (len(valid) + 1)
        body = valid[:at] + body[2:] + valid[at + len(body) - 2 :]
    (folder / name).write_bytes(body)
    if head & 0x20 and name != "manifest.json":
        try:
            _refresh(folder)
        except (ValueError, KeyError, TypeError):  # the manifest itself stays valid
            return
    try:
        load_model(folder)
    except ModelError:
        return


def main() -> None:
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    _valid_model()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
