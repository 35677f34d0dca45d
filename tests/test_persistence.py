from __future__ import annotations

import json
import pickle
from pathlib import Path

import pandas as pd
import pytest

from allegations import load_model, save_model
from allegations.errors import ModelError, ModelIntegrityError
from allegations.persistence import MANIFEST, MODEL_FILE


def test_round_trip_predicts_the_same(trained_model, model_dir: Path):
    loaded = load_model(model_dir)
    texts = ["Officer threatened a coworker.", "Officer ran a records check on a friend."]
    pd.testing.assert_frame_equal(loaded.predict(texts), trained_model.predict(texts))
    assert loaded.card["cross_validation"] == trained_model.card["cross_validation"]
    assert len(loaded.model_id) == 64
    assert {p.name for p in model_dir.iterdir()} == {
        "model.joblib",
        "model-card.json",
        "model-card.md",
        "manifest.json",
    }


def test_saving_twice_gives_identical_model_bytes(trained_model, tmp_path: Path):
    assert save_model(trained_model, tmp_path / "a") == save_model(trained_model, tmp_path / "b")


def test_changed_file_is_refused_before_unpickling(copy_model: Path, tmp_path: Path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    (copy_model / MODEL_FILE).write_bytes(pickle.dumps(Payload()))
    with pytest.raises(
        ModelIntegrityError, match="model.joblib has changed since the model was saved"
    ):
        load_model(copy_model)
    assert not marker.exists()


def test_one_flipped_byte_is_refused(copy_model: Path):
    path = copy_model / MODEL_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="sha256 mismatch"):
        load_model(copy_model)


def test_missing_manifest(copy_model: Path):
    (copy_model / MANIFEST).unlink()
    with pytest.raises(ModelError, match="manifest.json is missing"):
        load_model(copy_model)


def test_missing_model_file(copy_model: Path):
    (copy_model / MODEL_FILE).unlink()
    with pytest.raises(ModelIntegrityError, match="model.joblib is missing"):
        load_model(copy_model)


def test_missing_folder(tmp_path: Path):
    with pytest.raises(ModelError, match="Model folder .* not found; train one"):
        load_model(tmp_path / "nothing")


def test_version_mismatch_is_refused_with_the_fix(copy_model: Path):
    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["versions"]["scikit-learn"] = "0.0.1"
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(
        ModelIntegrityError,
        match="trained with scikit-learn 0.0.1 .installed: .*pip install scikit-learn==0.0.1",
    ):
        load_model(copy_model)
    assert load_model(copy_model, allow_version_mismatch=True).labels


def test_path_escape_in_manifest_is_refused(copy_model: Path):
    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["files"]["../evil"] = {"sha256": "0" * 64}
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="outside the folder"):
        load_model(copy_model)


def test_card_markdown_has_the_table(model_dir: Path):
    text = (model_dir / "model-card.md").read_text()
    assert "| label | cases | threshold |" in text
    assert "Model files are code" in text
