from __future__ import annotations

from pathlib import Path

import pytest

from allegations import load_codebook
from allegations.errors import CodebookError

from ..conftest import DATA


def test_default_codebook_has_the_nine_labels_with_definitions():
    codebook = load_codebook(DATA / "codebook.toml")
    assert codebook.label_names == [
        "unauthorized_query",
        "unauthorized_disclosure",
        "credential_sharing",
        "stalking",
        "harassment",
        "bribery",
        "fraud",
        "records_tampering",
        "sexual_misconduct",
    ]
    for label in codebook.labels:
        assert label.definition, label.name
        assert label.seed_phrases, label.name
    assert len(codebook.sha256) == 64


def test_round_trip_through_dict():
    codebook = load_codebook(DATA / "codebook.toml")
    from allegations.training._codebook import Codebook

    again = Codebook.from_dict(codebook.to_dict())
    assert again.labels == codebook.labels


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("[codebook]\nname='x'\n", "no \\[\\[labels\\]\\] entries"),
        ("[[labels]]\ndefinition='x'\n", "label entry 1 has no 'name'"),
        ("[[labels]]\nname='a'\n[[labels]]\nname='A'\n", "label 'A' is defined twice"),
        ("[[labels]]\nname='a'\nseed_phrases=[1]\n", "must be a list of strings"),
        ("not toml [", "is not valid UTF-8 TOML"),
    ],
)
def test_bad_codebooks(tmp_path: Path, content: str, match: str):
    path = tmp_path / "cb.toml"
    path.write_text(content)
    with pytest.raises(CodebookError, match=match):
        load_codebook(path)


def test_missing_codebook(tmp_path: Path):
    with pytest.raises(CodebookError, match="not found; pass an existing TOML file"):
        load_codebook(tmp_path / "nope.toml")
