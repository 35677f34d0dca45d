"""Model folders (format 2): data, not code. Round trips, hostile folders, the tokenizer
check, and that loading never unpickles."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from allegations import load_model, save_model
from allegations.cli import app
from allegations.errors import ModelError, ModelIntegrityError
from allegations.model._arrays import read_arrays, write_arrays
from allegations.model._bundle import MODEL_JSON, WEIGHTS
from allegations.model._manifest import CARD_JSON, FILES, MANIFEST, MAX_FILE_BYTES

TEXTS = [
    "Officer threatened a coworker.",
    "Officer ran a records check on a friend and took cash from a neighbour.",
    "",
    "Completely unrelated words: zyxwv quokka.",
]


def _refresh_manifest(folder: Path) -> None:
    """Recompute every hash, size and the model id, as someone crafting a folder would: the
    manifest then agrees with the files, and only the checks of the content can refuse."""
    manifest = json.loads((folder / MANIFEST).read_text())
    for name in manifest["files"]:
        data = (folder / name).read_bytes()
        manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    lines = "".join(f"{manifest['files'][n]['sha256']}  {n}\n" for n in (MODEL_JSON, WEIGHTS))
    manifest["model_id"] = hashlib.sha256(lines.encode()).hexdigest()
    (folder / MANIFEST).write_text(json.dumps(manifest))


def _edit_json(folder: Path, name: str, change) -> None:
    doc = json.loads((folder / name).read_text())
    change(doc)
    (folder / name).write_text(json.dumps(doc))
    _refresh_manifest(folder)


def _arrays(folder: Path) -> dict[str, np.ndarray]:
    with np.load(folder / WEIGHTS, allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def _write_arrays(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(folder / WEIGHTS, "wb") as fh:
        write_arrays(fh, arrays)
    _refresh_manifest(folder)


# -- round trips -------------------------------------------------------------------------
def test_round_trip_gives_bit_identical_probabilities(trained_model, model_dir: Path):
    loaded = load_model(model_dir)
    assert np.array_equal(loaded.predict_proba(TEXTS), trained_model.predict_proba(TEXTS))
    pd.testing.assert_frame_equal(
        loaded.predict(TEXTS, evidence=True), trained_model.predict(TEXTS, evidence=True)
    )
    assert loaded.card["cross_validation"] == trained_model.card["cross_validation"]
    assert {p.name for p in model_dir.iterdir()} == {*FILES, MANIFEST}


def test_exclusive_model_round_trip_is_bit_identical(corpus: pd.DataFrame, tmp_path: Path):
    from allegations import train

    labels = [[s.split(";")[0] or "none"] for s in corpus.labels]
    model = train(corpus.text.tolist(), labels, seed=0, exclusive=True)
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.exclusive
    assert np.array_equal(loaded.predict_proba(TEXTS), model.predict_proba(TEXTS))


def test_binary_exclusive_model_round_trip(corpus: pd.DataFrame, tmp_path: Path):
    """Two labels: scikit-learn keeps one coefficient row and the loader must too."""
    from allegations import train

    labels = [["threat" if "threat" in s else "other"] for s in corpus.labels]
    model = train(corpus.text.tolist(), labels, seed=0, exclusive=True)
    save_model(model, tmp_path / "m")
    assert np.array_equal(
        load_model(tmp_path / "m").predict_proba(TEXTS), model.predict_proba(TEXTS)
    )


@pytest.mark.slow
def test_govtrack_round_trip_is_bit_identical(tmp_path: Path):
    """Real narratives: the bundled GovTrack misconduct database, every one of its texts."""
    from allegations import train

    from ..conftest import DATA

    frame = pd.read_csv(DATA / "govtrack_misconduct" / "misconduct-instances.csv", dtype=str)
    cols = ["corruption", "crime", "elections", "ethics", "sexual-harassment-abuse"]
    labels = [[c for c in cols if isinstance(row[c], str)] for _, row in frame.iterrows()]
    model = train(frame["text"].tolist(), labels, seed=0)
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    texts = frame["text"].tolist()
    assert np.array_equal(loaded.predict_proba(texts), model.predict_proba(texts))


def test_a_loaded_pipeline_refits_as_the_trained_one(trained_model, model_dir: Path, corpus):
    """compare-release refits the model's pipeline on folds of the training data: the loaded
    classifier knows its settings, so the refit equals the trained model's refit."""
    from sklearn.base import clone

    from allegations.training._labels import to_matrix

    loaded = load_model(model_dir)
    docs = trained_model.preprocess(corpus.text.tolist()[:80])
    y = to_matrix([s.split(";") if s else [] for s in corpus.labels[:80]], trained_model.labels)
    ours = clone(loaded.pipeline).fit(docs, y).decision_function(docs)
    theirs = clone(trained_model.pipeline).fit(docs, y).decision_function(docs)
    assert np.array_equal(ours, theirs)


def test_saving_is_deterministic_and_the_id_hashes_the_files(trained_model, tmp_path: Path):
    first = save_model(trained_model, tmp_path / "a")
    assert first == save_model(trained_model, tmp_path / "b")
    for name in (MODEL_JSON, WEIGHTS):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    # The documented check: sha256sum model.json weights.npz | sha256sum
    lines = "".join(
        f"{hashlib.sha256((tmp_path / 'a' / n).read_bytes()).hexdigest()}  {n}\n"
        for n in (MODEL_JSON, WEIGHTS)
    )
    assert first == hashlib.sha256(lines.encode()).hexdigest()
    # A loaded model saves to the same bytes again.
    assert save_model(load_model(tmp_path / "a"), tmp_path / "c") == first


def test_weights_are_a_plain_npz(model_dir: Path):
    """numpy itself reads the archive without pickle, and the format's reader agrees."""
    plain = _arrays(model_dir)
    ours = read_arrays(model_dir / WEIGHTS, set(plain))
    assert plain.keys() == ours.keys()
    for name in plain:
        assert np.array_equal(plain[name], ours[name]) and plain[name].dtype == ours[name].dtype


def test_loading_never_unpickles(model_dir: Path, monkeypatch):
    import joblib

    def refuse(*args, **kwargs):
        raise AssertionError("load_model unpickled something")

    for module, name in ((pickle, "load"), (pickle, "loads"), (pickle, "Unpickler")):
        monkeypatch.setattr(module, name, refuse)
    monkeypatch.setattr(joblib, "load", refuse)
    monkeypatch.setattr(np, "load", refuse)
    try:
        import torch
    except ImportError:
        pass
    else:
        monkeypatch.setattr(torch, "load", refuse)
    model = load_model(model_dir)
    assert model.predict(TEXTS)["labels"].tolist()


def test_card_says_what_a_model_file_is(model_dir: Path):
    text = (model_dir / "model-card.md").read_text()
    assert "| label | cases | threshold | goal | precision (95% CI) |" in text
    assert "## Review flag" in text and "calibration error" in text
    assert "Model files are data" in text


# -- the old format and planted pickles --------------------------------------------------
class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_old_pickle_folder_is_refused_without_unpickling(tmp_path: Path):
    """A format-1 folder whose model.joblib would create a file when unpickled, with a
    manifest that matches it."""
    marker, folder = tmp_path / "pwned", tmp_path / "old"
    folder.mkdir()
    data = pickle.dumps(_Payload(marker))
    (folder / "model.joblib").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    manifest = {
        "format": "allegations-model",
        "format_version": 1,
        "model_id": digest,
        "labels": ["a", "b"],
        "versions": {},
        "files": {"model.joblib": {"sha256": digest, "bytes": len(data)}},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="old pickle format .format 1.*Retrain it"):
        load_model(folder)
    assert not marker.exists()


def test_planted_pickle_as_weights_is_refused(copy_model: Path, tmp_path: Path):
    marker = tmp_path / "pwned"
    (copy_model / WEIGHTS).write_bytes(pickle.dumps(_Payload(marker)))
    _refresh_manifest(copy_model)
    with pytest.raises(ModelIntegrityError, match="weights.npz is not a readable array archive"):
        load_model(copy_model)
    assert not marker.exists()


def test_object_array_in_the_archive_is_refused(copy_model: Path, tmp_path: Path):
    """An .npy member holding a pickled object array never reaches the unpickler."""
    marker = tmp_path / "pwned"
    arrays = _arrays(copy_model)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    with open(copy_model / WEIGHTS, "wb") as fh, zipfile.ZipFile(fh, "w") as archive:
        for name, arr in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, arr)
            data = buf.getvalue() if name == "tagger.ece" else member.getvalue()
            archive.writestr(f"{name}.npy", data)
    _refresh_manifest(copy_model)
    with pytest.raises(ModelIntegrityError, match="array tagger.ece has dtype \\|O"):
        load_model(copy_model)
    assert not marker.exists()


# -- hostile or damaged folders ----------------------------------------------------------
def test_changed_file_is_refused(copy_model: Path):
    path = copy_model / WEIGHTS
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="weights.npz has changed .*sha256 mismatch"):
        load_model(copy_model)


def test_size_change_is_caught_before_hashing(copy_model: Path):
    with open(copy_model / MODEL_JSON, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelIntegrityError, match="has changed since the model was saved .* bytes"):
        load_model(copy_model)


def test_extra_file_in_the_folder_is_refused(copy_model: Path):
    (copy_model / "model.joblib").write_bytes(b"anything")
    with pytest.raises(ModelIntegrityError, match="holds 'model.joblib', which is not part"):
        load_model(copy_model)


def test_extra_file_in_the_manifest_is_refused(copy_model: Path):
    (copy_model / "extra.bin").write_bytes(b"x")
    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["files"]["extra.bin"] = {"sha256": hashlib.sha256(b"x").hexdigest(), "bytes": 1}
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="lists 'extra.bin' extra"):
        load_model(copy_model)


@pytest.mark.parametrize("name", [MODEL_JSON, WEIGHTS])
def test_missing_file_is_refused(copy_model: Path, name: str):
    (copy_model / name).unlink()
    with pytest.raises(ModelIntegrityError, match=f"{name} is missing"):
        load_model(copy_model)


def test_truncated_array_is_refused(copy_model: Path):
    with zipfile.ZipFile(copy_model / WEIGHTS) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members["classifier.coef.npy"] = members["classifier.coef.npy"][:-80]
    with open(copy_model / WEIGHTS, "wb") as fh, zipfile.ZipFile(fh, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    _refresh_manifest(copy_model)
    with pytest.raises(ModelIntegrityError, match="array classifier.coef claims shape"):
        load_model(copy_model)


def test_compressed_member_is_refused(copy_model: Path):
    """A deflated member could expand past the file's size: only stored members load."""
    with zipfile.ZipFile(copy_model / WEIGHTS) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    with open(copy_model / WEIGHTS, "wb") as fh:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
    _refresh_manifest(copy_model)
    with pytest.raises(ModelIntegrityError, match="is compressed"):
        load_model(copy_model)


def test_array_of_the_wrong_shape_is_refused(copy_model: Path):
    arrays = _arrays(copy_model)
    arrays["classifier.coef"] = arrays["classifier.coef"][:, :-1].copy()
    _write_arrays(copy_model, arrays)
    with pytest.raises(ModelIntegrityError, match="array classifier.coef has shape"):
        load_model(copy_model)


def test_vocabulary_of_the_wrong_size_is_refused(copy_model: Path):
    _edit_json(copy_model, MODEL_JSON, lambda doc: doc["vocabulary"].pop())
    with pytest.raises(ModelIntegrityError, match="model: array features"):
        load_model(copy_model)


def test_index_outside_the_vocabulary_is_refused(copy_model: Path):
    arrays = _arrays(copy_model)
    arrays["features.unigram_lemmas"] = arrays["features.unigram_lemmas"] + 10**9
    _write_arrays(copy_model, arrays)
    with pytest.raises(ModelIntegrityError, match="unigram_lemmas indexes outside"):
        load_model(copy_model)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_nan_or_inf_weight_is_refused(copy_model: Path, value: float):
    arrays = _arrays(copy_model)
    arrays["classifier.coef"] = arrays["classifier.coef"].copy()
    arrays["classifier.coef"][0, 0] = value
    _write_arrays(copy_model, arrays)
    with pytest.raises(ModelIntegrityError, match="classifier.coef holds NaN or infinite"):
        load_model(copy_model)


def test_huge_size_claim_is_refused_unread(copy_model: Path):
    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["files"][WEIGHTS]["bytes"] = 2_000_000_000
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(
        ModelIntegrityError, match=f"claims 2000000000 bytes .*most {MAX_FILE_BYTES}"
    ):
        load_model(copy_model)


def test_json_nesting_bomb_is_refused(copy_model: Path):
    (copy_model / MODEL_JSON).write_text("[" * 200_000 + "]" * 200_000)
    _refresh_manifest(copy_model)
    with pytest.raises(ModelIntegrityError, match="model.json nests too deeply"):
        load_model(copy_model)


def test_manifest_nesting_bomb_is_refused(copy_model: Path):
    (copy_model / MANIFEST).write_text('{"files": ' + "[" * 200_000 + "]" * 200_000 + "}")
    with pytest.raises(ModelIntegrityError, match="manifest.json nests too deeply"):
        load_model(copy_model)


def test_wrongly_typed_field_is_refused(copy_model: Path):
    _edit_json(copy_model, MODEL_JSON, lambda doc: doc["features"].update(min_df="2"))
    with pytest.raises(ModelIntegrityError, match="features.min_df is not a whole number"):
        load_model(copy_model)


def test_labels_inside_the_model_must_agree(copy_model: Path):
    """A consistent-looking folder whose model predicts other labels is still refused."""

    def relabel(doc):
        doc["labels"] = ["a", "b", "c"]

    _edit_json(copy_model, CARD_JSON, relabel)
    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["labels"] = ["a", "b", "c"]
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="predicts the labels money, query, threat"):
        load_model(copy_model)


def test_label_set_of_card_and_manifest_must_agree(copy_model: Path):
    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["labels"] = ["money", "query"]
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(
        ModelIntegrityError,
        match="labels of model-card.json and manifest.json differ .money, query, threat vs "
        "money, query.",
    ):
        load_model(copy_model)


def test_model_id_must_be_the_hash_of_the_files(copy_model: Path):
    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["model_id"] = "0" * 64
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="model id does not match the sha256"):
        load_model(copy_model)


def test_a_newer_format_says_to_upgrade(copy_model: Path):
    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["format_version"] = 3
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="format 3; .*reads format 2. .*newer .*upgrade"):
        load_model(copy_model)


def test_unknown_manifest_field_is_refused(copy_model: Path):
    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["signed_by"] = "someone"
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="unknown field.s. 'signed_by'"):
        load_model(copy_model)


def test_path_escape_in_manifest_is_refused(copy_model: Path):
    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["files"]["../evil"] = {"sha256": "0" * 64, "bytes": 1}
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="outside the folder"):
        load_model(copy_model)


@pytest.mark.parametrize("content", ["[]", "not json", '{"format": "other"}'])
def test_broken_manifest(copy_model: Path, content: str):
    (copy_model / MANIFEST).write_text(content)
    with pytest.raises(ModelIntegrityError, match="manifest"):
        load_model(copy_model)


def test_missing_manifest_and_folder(copy_model: Path, tmp_path: Path):
    with pytest.raises(ModelError, match="Model folder .* not found; train one"):
        load_model(tmp_path / "nothing")
    (copy_model / MANIFEST).unlink()
    with pytest.raises(ModelError, match="manifest.json is missing"):
        load_model(copy_model)


def test_unreadable_model_file(copy_model: Path):
    (copy_model / WEIGHTS).unlink()
    (copy_model / WEIGHTS).mkdir()  # not a file: cannot be read as one
    with pytest.raises(ModelIntegrityError, match="weights.npz is missing"):
        load_model(copy_model)


# -- versions and the tokenizer check ----------------------------------------------------
def test_changed_tokenizer_names_the_versions_that_differ(copy_model: Path):
    _edit_json(copy_model, MODEL_JSON, _change_a_check_token)
    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["versions"]["spacy"] = "0.0.1"
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(
        ModelIntegrityError,
        match="trained with spacy 0.0.1 .installed: [0-9.]+., spacy-lookups-data .*tokenise "
        "text differently .*pip install spacy==0.0.1 spacy-lookups-data==",
    ):
        load_model(copy_model)


def test_other_scikit_learn_version_loads(copy_model: Path):
    """The format holds no scikit-learn class: another version in the manifest is no reason
    to refuse."""
    manifest = json.loads((copy_model / MANIFEST).read_text())
    manifest["versions"]["scikit-learn"] = "0.0.1"
    manifest["versions"]["spacy"] = "0.0.1"
    (copy_model / MANIFEST).write_text(json.dumps(manifest))
    assert load_model(copy_model).labels


def _change_a_check_token(doc) -> None:
    first = doc["tokenizer_check"][0]
    tokens = first["tokens"].split()
    tokens[2] = "tecs_old"
    first["tokens"] = " ".join(tokens) + " "


def test_changed_tokenizer_is_refused_naming_the_token(copy_model: Path):
    _edit_json(copy_model, MODEL_JSON, _change_a_check_token)
    with pytest.raises(
        ModelIntegrityError,
        match="tokenise its check sentences differently .check sentence 1, token 3: saved "
        "'tecs_old', now 'tecs'.*Retrain, or pass `allow_version_mismatch`",
    ):
        load_model(copy_model)


def test_allow_version_mismatch_from_the_command_line(copy_model: Path, tmp_path: Path):
    _edit_json(copy_model, MODEL_JSON, _change_a_check_token)
    data = tmp_path / "d.csv"
    pd.DataFrame({"text": ["Officer threatened a coworker."]}).to_csv(data, index=False)
    args = ["predict", str(data), "--model", str(copy_model), "--out", str(tmp_path / "o.csv")]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1 and "--allow-version-mismatch" in refused.output
    assert refused.output.startswith("Error: ") and "Traceback" not in refused.output
    loaded = CliRunner().invoke(app, [*args, "--allow-version-mismatch"])
    assert loaded.exit_code == 0, loaded.output
    assert "tokenises differently" in " ".join(loaded.output.split())


HOSTILE = {
    "extra file": lambda f: (f / "notes.txt").write_text("x"),
    "missing file": lambda f: (f / WEIGHTS).unlink(),
    "nesting bomb": lambda f: ((f / MODEL_JSON).write_text("[" * 100_000), _refresh_manifest(f)),
    "size claim": lambda f: _edit_size(f, 2_000_000_000),
    "planted pickle": lambda f: ((f / WEIGHTS).write_bytes(pickle.dumps(1)), _refresh_manifest(f)),
}


def _edit_size(folder: Path, size: int) -> None:
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"][WEIGHTS]["bytes"] = size
    (folder / MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_folders_give_one_error_line(copy_model: Path, tmp_path: Path, case: str):
    HOSTILE[case](copy_model)
    data = tmp_path / "d.csv"
    pd.DataFrame({"text": ["Officer threatened a coworker."]}).to_csv(data, index=False)
    result = CliRunner().invoke(
        app, ["predict", str(data), "--model", str(copy_model), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("Error: ") and "Traceback" not in result.output
    assert "internal error" not in result.output
    assert not (tmp_path / "o.csv").exists()


# -- other scikit-learn versions -----------------------------------------------------------
def _oldest_allowed_scikit_learn() -> str:
    import re

    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    from ..conftest import ROOT

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    found = next(re.search(r">=\s*([\d.]+)", d) for d in deps if d.startswith("scikit-learn"))
    assert found, "pyproject.toml gives scikit-learn no lower bound"
    return f"scikit-learn=={found.group(1)}"


@pytest.mark.slow
@pytest.mark.parametrize("which", ["oldest", "newest"])
def test_model_loads_under_the_oldest_and_newest_scikit_learn(which: str, tmp_path: Path):
    """The shipped model, loaded in a separate interpreter whose scikit-learn is the oldest
    the project allows (pyproject's lower bound) or the newest on the package index,
    gives the very probabilities it gives here. scikit-learn is installed beside the
    project's environment (pip --target, first on the path), once per version."""
    import subprocess
    import sys

    from ..conftest import DATA, ROOT

    spec = _oldest_allowed_scikit_learn() if which == "oldest" else "scikit-learn"
    target = ROOT / ".venv" / f"sklearn-{which}-{spec.split('=')[-1]}"  # one per version
    if not (target / "sklearn").is_dir():
        pip = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--upgrade"]
            + ["--target", str(target), spec],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if pip.returncode != 0:
            pytest.skip(f"cannot install {spec} here: {pip.stderr.strip()[-200:]}")
    default = ROOT / "models" / "default"
    texts = pd.read_csv(DATA / "release.csv")["narrative"].tolist()
    np.save(tmp_path / "here.npy", load_model(default).predict_proba(texts))
    script = (
        "import sys, numpy as np, pandas as pd, sklearn\n"
        "from allegations import load_model\n"
        "texts = pd.read_csv(sys.argv[2])['narrative'].tolist()\n"
        "np.save(sys.argv[3], load_model(sys.argv[1]).predict_proba(texts))\n"
        "print(sklearn.__version__, sklearn.__file__)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(default), str(DATA / "release.csv")]
        + [str(tmp_path / "there.npy")],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    version, where = run.stdout.split()
    assert where.startswith(str(target))
    if which == "oldest":
        assert version.startswith(spec.split("==")[1])
    assert np.array_equal(np.load(tmp_path / "here.npy"), np.load(tmp_path / "there.npy"))


def test_save_refuses_a_folder_holding_other_files(trained_model, tmp_path: Path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ModelError, match=r"holds 'notes.txt', which is not part of a model"):
        save_model(trained_model, folder)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]  # nothing written
    (tmp_path / "file").write_text("x")
    with pytest.raises(ModelError, match="is a file, not a folder"):
        save_model(trained_model, tmp_path / "file")
    save_model(trained_model, tmp_path / "model")
    save_model(trained_model, tmp_path / "model")  # a model folder is overwritten
    assert load_model(tmp_path / "model").model_id == trained_model.model_id
