"""Cheap shared fixtures: a small labelled corpus, file writers, paths to bundled data."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

from allegations import save_model, train
from allegations.tables import nested_records
from allegations.tables._write import write_table
from allegations.training._codebook import Codebook, LabelDefinition

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared" / "data"

settings.register_profile("ci", max_examples=60, deadline=None)
settings.load_profile("ci")

# Phrases per label for the constructed corpus; each case mixes one or two labels with
# filler, so the classifier has something real but imperfect to learn.
PHRASES = {
    "query": [
        "queried the database on",
        "ran a records check on",
        "searched the system for",
        "looked up the file of",
    ],
    "threat": ["threatened", "intimidated", "sent threatening messages to", "menaced"],
    "money": ["took cash from", "accepted a payment from", "was paid by", "took a bribe from"],
}
PEOPLE = ["his ex-wife", "a neighbour", "a coworker", "her cousin", "a journalist", "a friend"]
FILLER = [
    "The allegation was substantiated.",
    "Referred to OPR.",
    "The employee resigned.",
    "Case closed.",
    "Management was notified.",
    "Investigation ongoing.",
]


@pytest.fixture(autouse=True)
def _restore_logging():
    """Commands run in-process configure the 'allegations' logger (--quiet raises its
    level): every test gets it back as it was."""
    import logging

    logger = logging.getLogger("allegations")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def make_corpus(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """A small multi-label corpus with an id, text and labels column."""
    rng = random.Random(seed)
    rows = []
    labels = list(PHRASES)
    for i in range(n):
        k = rng.choice([0, 1, 1, 1, 2])
        chosen = sorted(rng.sample(labels, k))
        parts = [f"Officer {rng.choice(PHRASES[lab])} {rng.choice(PEOPLE)}." for lab in chosen]
        if not parts:
            parts = ["Officer was late to work several times."]
        parts.append(rng.choice(FILLER))
        rng.shuffle(parts)
        rows.append({"id": f"C{i:04d}", "text": " ".join(parts), "labels": ";".join(chosen)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def corpus() -> pd.DataFrame:
    return make_corpus()


@pytest.fixture(scope="session")
def corpus_csv(tmp_path_factory: pytest.TempPathFactory, corpus: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "cases.csv"
    corpus.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def trained_model(corpus: pd.DataFrame):
    from allegations import train

    return train(corpus.text.tolist(), [s.split(";") if s else [] for s in corpus.labels], seed=0)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, trained_model) -> Path:
    from allegations import save_model

    folder = tmp_path_factory.mktemp("model") / "m"
    save_model(trained_model, folder)
    return folder


@pytest.fixture()
def copy_model(model_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the saved model that a test may damage."""
    target = tmp_path / "model"
    shutil.copytree(model_dir, target)
    return target


def console_script() -> str:
    """Path of the installed ``allegations`` console script."""
    found = Path(sys.executable).with_name("allegations")
    if found.exists():
        return str(found)
    which = shutil.which("allegations")
    if which is None:  # pragma: no cover
        pytest.fail("the allegations console script is not installed; run make install")
    return which


def run_cli(
    *args: str | Path, cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run the installed console script and capture its output."""
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    env.pop("ALLEGATIONS_DEBUG", None)
    return subprocess.run(
        [console_script(), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=timeout,
        env=env,
    )


def needs_shared(*parts: str) -> Path:
    """Return a path under ../shared/data, or skip the test when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared/ is absent)")
    return path


# -- the report's inputs: a model whose card carries report data, a release, a summary -------
SHA = "0f" * 32
SECRET = "Zanzibar-Canary-4471"  # planted in every training narrative: never in a report


def noisy_corpus(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """The constructed corpus with label noise (so quality is imperfect) and a rare label."""
    df = make_corpus(n, seed=seed)
    labels = []
    for i, value in enumerate(df["labels"]):
        chosen = set(value.split(";")) - {""}
        if i % 7 == 0 and chosen:
            chosen.pop()  # a label the coder missed
        if i % 11 == 0:
            chosen.add("threat")  # a label the text does not support
        labels.append(chosen)
    for i in (3, 50, 120):  # three cases: too few to measure
        df.loc[i, "text"] = df.loc[i, "text"] + " Officer brandished a knife at a neighbour."
        labels[i].add("weapon")
    df["labels"] = [";".join(sorted(s)) for s in labels]
    df["text"] = df["text"] + f" {SECRET}"
    return df


def fake_store(labels: list[str]) -> dict[str, Any]:
    """A dict of the shape allegations.review._estimate.estimate_store returns."""

    def iv(e: float, lo: float, hi: float) -> dict[str, float]:
        return {"estimate": e, "low": lo, "high": hi}

    return {
        "n_audited": 60,
        "reviewers": ["ana", "ben"],
        "per_label": [
            {
                "label": label,
                "tagged": 40 + j,
                "n_audited": 20,
                "precision": iv(0.9, 0.7, 0.97),
                "recall": iv(0.85, 0.65, 0.95),
                "estimated_count": iv(45.0 + j, 35.0, 60.0),
                "elusion": iv(0.02, 0.0, 0.08),
            }
            for j, label in enumerate(labels)
        ],
        "agreement": {labels[0]: {"kappa": 0.81, "n_both": 15}},
    }


@pytest.fixture(scope="session")
def report_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A saved model with report data, a codebook and provenance; a release; a summary."""
    folder = tmp_path_factory.mktemp("report")
    df = noisy_corpus()
    sets = [s.split(";") if s else [] for s in df["labels"]]
    codebook = Codebook(
        name="Test codebook",
        version="2.1",
        labels=tuple(
            LabelDefinition(name, goal="precision=0.8" if name == "money" else None)
            for name in ("money", "query", "threat", "weapon")
        ),
        sha256="ab" * 32,
    )
    data_info = {"files": [{"name": "cases.csv", "rows": len(df), "sha256": SHA}]}
    model = train(df["text"].tolist(), sets, seed=0, codebook=codebook, data_info=data_info)
    assert set(model.card["report_data"]) >= {"pr_curves", "cooccurrence", "text_length_hist"}
    save_model(model, folder / "model")
    release = make_corpus(300, seed=7)
    pred = model.predict(release["text"].tolist(), ids=release["id"].tolist())
    write_table(pred, folder / "tagged.csv")
    write_table(nested_records(pred, model.labels), folder / "tagged.jsonl")
    summary = {"drift_warnings": ["Share tagged 'threat' rose from 20% to 41% <check>"]}
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return {
        "model": folder / "model",
        "predictions": folder / "tagged.csv",
        "jsonl": folder / "tagged.jsonl",
        "summary": folder / "summary.json",
    }


def single_label_corpus(n: int = 240, seed: int = 0) -> tuple[list[str], list[list[str]]]:
    """One label per case; 8 flipped labels; a rare label (4 cases) the model cannot learn."""
    rng = np.random.default_rng(seed)
    words = {
        "theft": ["stole cash", "took money from the property room", "pocketed evidence cash"],
        "force": ["punched the man", "struck him with a baton", "kicked the suspect"],
        "rude": ["cursed at the caller", "used profanity", "yelled insults at her"],
    }
    filler = ["The complaint was filed.", "A witness was interviewed.", "Case closed."]
    texts, sets = [], []
    for i in range(n):
        label = list(words)[i % 3]
        texts.append(f"Officer {rng.choice(words[label])}. {rng.choice(filler)} Ref {i}.")
        sets.append([label])
    for i in (10, 70, 130, 190):  # a rare label, worded like ordinary cases
        texts[i] = f"Officer yelled at a driver. {filler[i % 3]} Ref {i}."
        sets[i] = ["traffic"]
    return texts, sets


#: A toy codebook of four labels; 'forgery' is named only by its definition and phrase.
BOOK = Codebook(
    name="test",
    version="1",
    labels=(
        LabelDefinition(name="query", seed_phrases=("queried the database", "records check")),
        LabelDefinition(name="threat", seed_phrases=("threatened", "intimidated")),
        LabelDefinition(name="money", seed_phrases=("took a bribe", "accepted a payment")),
        LabelDefinition(
            name="forgery", definition="Forged a signature on a document.", seed_phrases=("forged",)
        ),
    ),
)
