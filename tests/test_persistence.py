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
    assert "| label | cases | threshold | goal | precision (95% CI) |" in text
    assert "## Review flag" in text and "calibration error" in text
    assert "Model files are code" in text


def _rewrite_manifest(folder: Path, **changes) -> dict:
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest.update(changes)
    (folder / MANIFEST).write_text(json.dumps(manifest))
    return manifest


def test_inconsistent_version_warning_is_an_error(trained_model, tmp_path: Path, monkeypatch):
    """Checklist 17: the pickle says another scikit-learn although the manifest agrees."""
    import sklearn.base

    monkeypatch.setattr(sklearn.base, "__version__", "0.0.1")
    save_model(trained_model, tmp_path / "m")
    monkeypatch.undo()
    with pytest.raises(
        ModelIntegrityError, match="was pickled with scikit-learn 0.0.1; install that version"
    ):
        load_model(tmp_path / "m")


def test_unknown_manifest_field_is_refused(copy_model: Path):
    """Checklist 18."""
    _rewrite_manifest(copy_model, signed_by="someone")
    with pytest.raises(ModelIntegrityError, match="unknown field.s. 'signed_by'"):
        load_model(copy_model)


def test_malformed_file_entry_is_refused(copy_model: Path):
    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["files"][MODEL_FILE]["run"] = "yes"
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="malformed entry for 'model.joblib'"):
        load_model(copy_model)


def test_label_set_of_card_and_manifest_must_agree(copy_model: Path):
    _rewrite_manifest(copy_model, labels=["money", "query"])
    with pytest.raises(
        ModelIntegrityError,
        match="labels of model-card.json and manifest.json differ .money, query, threat vs "
        "money, query.",
    ):
        load_model(copy_model)


def test_labels_inside_the_pickle_must_agree(copy_model: Path):
    """A consistent-looking folder whose model predicts other labels is still refused."""
    from allegations.io import sha256_file
    from allegations.persistence import CARD_JSON

    card = json.loads((copy_model / CARD_JSON).read_text())
    card["labels"] = ["a", "b", "c"]
    (copy_model / CARD_JSON).write_text(json.dumps(card))
    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["labels"] = ["a", "b", "c"]
    manifest["files"][CARD_JSON] = {
        "sha256": sha256_file(copy_model / CARD_JSON),
        "bytes": (copy_model / CARD_JSON).stat().st_size,
    }
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="predicts the labels money, query, threat"):
        load_model(copy_model)


def test_model_id_must_be_the_model_hash(copy_model: Path):
    _rewrite_manifest(copy_model, model_id="0" * 64)
    with pytest.raises(ModelIntegrityError, match="model id does not match the sha256"):
        load_model(copy_model)


def test_size_change_is_caught_before_hashing(copy_model: Path):
    with open(copy_model / MODEL_FILE, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelIntegrityError, match="has changed since the model was saved .* bytes"):
        load_model(copy_model)


@pytest.mark.parametrize("content", ["[]", "not json", '{"format": "other"}'])
def test_broken_manifest(copy_model: Path, content: str):
    (copy_model / MANIFEST).write_text(content)
    with pytest.raises(ModelIntegrityError, match="manifest"):
        load_model(copy_model)


def test_allow_version_mismatch_from_the_command_line(copy_model: Path, tmp_path: Path):
    from typer.testing import CliRunner

    from allegations.cli import app

    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["versions"]["spacy"] = "0.0.1"
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    data = tmp_path / "d.csv"
    pd.DataFrame({"text": ["Officer threatened a coworker."]}).to_csv(data, index=False)
    args = ["predict", str(data), "--model", str(copy_model), "--out", str(tmp_path / "o.csv")]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1 and "--allow-version-mismatch" in refused.output
    loaded = CliRunner().invoke(app, [*args, "--allow-version-mismatch"])
    assert loaded.exit_code == 0, loaded.output
    assert "despite version differences: spacy 0.0.1" in " ".join(loaded.output.split())


def test_unreadable_model_file(copy_model: Path, monkeypatch):
    import allegations.persistence as persistence

    def denied(path, chunk_size=0):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(persistence, "sha256_file", denied)
    with pytest.raises(ModelError, match="cannot be read .Permission denied.; check its"):
        load_model(copy_model)
