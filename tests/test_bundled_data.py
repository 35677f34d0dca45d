"""The bundled data: the labelled sample, the demo release and the govtrack copy."""

from __future__ import annotations

import csv

import pytest

from allegations import load_codebook
from allegations.tables._read import load_table
from allegations.training._labels import parse_label_string

from .conftest import DATA


@pytest.fixture(scope="module")
def sample():
    return load_table(DATA / "sample.csv")


def test_sample_meets_the_spec(sample):
    codebook = load_codebook(DATA / "codebook.toml")
    assert sample.columns.tolist() == ["id", "text", "labels"]
    assert len(sample) >= 600
    assert sample["id"].is_unique and sample["text"].is_unique
    sets = [parse_label_string(v, ";") for v in sample["labels"]]
    known = set(codebook.label_names)
    assert all(set(s) <= known for s in sets)
    for label in codebook.label_names:
        assert sum(label in s for s in sets) >= 40, label
    none_share = sum(not s for s in sets) / len(sets)
    assert 0.10 <= none_share <= 0.22
    assert sum(len(s) > 1 for s in sets) >= 0.15 * len(sets)
    assert sample["text"].str.contains(r"\(b\)\s*\(\s*[67]", regex=True).sum() >= 20
    upper = sample["text"].map(lambda t: t.isupper())
    assert upper.sum() >= 20


def test_release_is_unlabelled_and_distinct(sample):
    release = load_table(DATA / "release.csv")
    assert {"case_id", "narrative"} <= set(release.columns)
    assert "labels" not in release.columns
    assert len(release) >= 300
    assert not set(release["narrative"]) & set(sample["text"]) - {""}


def test_govtrack_copy_is_attributed_and_unchanged():
    folder = DATA / "govtrack_misconduct"
    source = (folder / "SOURCE.md").read_text()
    assert "CC0" in source and "govtrack/misconduct" in source
    with open(folder / "misconduct-instances.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 508
    assert {"allegation", "text", "corruption", "sexual-harassment-abuse"} <= set(rows[0])
