"""The model folder: the model as data, its model card, and a manifest.

Layout of a model folder (format 2, see :mod:`allegations.model.bundle`)::

    model.json        labels, the config of every step, vocabularies, tokenizer check
    weights.npz       the numeric arrays (idf weights, affix matrix, coefficients, ...)
    model-card.json   training data, labels, cross-validated metrics, thresholds, versions
    model-card.md     the same for people
    manifest.json     sha256 and size of every file above, library versions

Nothing in a model folder is code, and :func:`load_model` never unpickles. It checks the
manifest first (every file's size and sha256, no file missing or extra, no size over
:data:`MAX_FILE_BYTES`), then parses the JSON and arrays with every shape bounded, then
runs the tokenizer check. The model id is the sha256 of the ``sha256sum`` lines of
``model.json`` and ``weights.npz``: ``sha256sum model.json weights.npz | sha256sum``.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from pathlib import Path
from typing import Any

from .._paths import DEFAULT_MODEL_NAME, model_folder, shipped_model
from ..errors import ModelError, ModelIntegrityError
from ..tables import atomic_write, sha256_file
from .arrays import read_arrays, write_arrays
from .bundle import ARRAY_NAMES, MODEL_JSON, WEIGHTS, model_from_parts, model_parts
from .card import render_card_markdown
from .fields import parse_json
from .tagger import Tagger
from .token_check import compare_tokens

__all__ = [
    "check_model_folder",
    "save_model",
    "load_model",
    "MODEL_JSON",
    "WEIGHTS",
    "CARD_JSON",
    "CARD_MD",
    "MANIFEST",
    "FORMAT_VERSION",
    "MAX_FILE_BYTES",
    "read_manifest",
    "library_versions",
]

CARD_JSON = "model-card.json"
CARD_MD = "model-card.md"
MANIFEST = "manifest.json"
FORMAT_VERSION = 2
#: The files of a model folder besides the manifest; the model id hashes the first two.
MODEL_FILES = (MODEL_JSON, WEIGHTS)
FILES = (MODEL_JSON, WEIGHTS, CARD_JSON, CARD_MD)
#: The largest file a model folder may hold (a size claim above it is refused unread).
MAX_FILE_BYTES = 1 << 30
_MAX_MANIFEST_BYTES = 1 << 20
#: The fields a manifest may have; any other field is refused (a manifest from a newer or
#: foreign tool must not be half-understood).
MANIFEST_FIELDS = frozenset({"format", "format_version", "model_id", "labels", "versions", "files"})
FILE_FIELDS = frozenset({"sha256", "bytes"})

log = logging.getLogger(__name__)


def library_versions() -> dict[str, str]:
    """The versions of Python and the libraries a model is trained and loaded with."""
    import platform
    from importlib import metadata

    from .._version import __version__

    versions = {"allegations": __version__, "python": platform.python_version()}
    for name in ("scikit-learn", "spacy", "spacy-lookups-data", "numpy", "scipy", "pandas"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _model_id(digests: dict[str, str]) -> str:
    """The sha256 of the ``sha256sum`` output for the model files, in this order."""
    lines = "".join(f"{digests[name]}  {name}\n" for name in MODEL_FILES)
    return hashlib.sha256(lines.encode()).hexdigest()


def save_model(model: Tagger, folder: str | Path) -> str:
    """Write ``model`` to ``folder`` (created if needed) and return its model id.

    Each file is written atomically; the manifest is written last, so a folder with a
    manifest is complete. The same model gives the same bytes.

    Returns
    -------
    str
        The model id (see the module docstring).
    """
    folder = Path(folder)
    check_model_folder(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"Cannot create model folder {folder} ({exc.strerror}); choose another --out."
        ) from None
    doc, arrays = model_parts(model)
    with atomic_write(folder / MODEL_JSON, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, separators=(",", ":"))
        fh.write("\n")
    with atomic_write(folder / WEIGHTS, "wb") as fh:
        write_arrays(fh, arrays)
    model_id = _model_id({name: sha256_file(folder / name) for name in MODEL_FILES})
    card = {**model.card, "model_id": model_id}
    model.card, model.model_id = card, model_id
    with atomic_write(folder / CARD_JSON, "w", encoding="utf-8") as fh:
        json.dump(card, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    with atomic_write(folder / CARD_MD, "w", encoding="utf-8") as fh:
        fh.write(render_card_markdown(card))
    files = {
        name: {"sha256": sha256_file(folder / name), "bytes": (folder / name).stat().st_size}
        for name in FILES
    }
    manifest = {
        "format": "allegations-model",
        "format_version": FORMAT_VERSION,
        "model_id": model_id,
        "labels": model.labels,
        "versions": card.get("versions", {}),
        "files": files,
    }
    with atomic_write(folder / MANIFEST, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    return model_id


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """Read and check the shape of a model folder's manifest.

    Raises
    ------
    ModelError
        If the folder or manifest is missing or unreadable, or the folder holds a model
        in the old pickle format.
    """
    folder = model_folder(folder)
    if not folder.exists():
        if folder == shipped_model():
            raise ModelError(
                f"The shipped model '{DEFAULT_MODEL_NAME}' is not part of this installation "
                f"(it is models/{DEFAULT_MODEL_NAME} of a source checkout); pass --model with a "
                "model folder, or train one with 'allegations train DATA --out FOLDER'."
            )
        raise ModelError(
            f"Model folder {folder} not found; train one with "
            f"'allegations train DATA --out {folder}' or pass --model."
        )
    if not folder.is_dir():
        raise ModelError(
            f"{folder} is a file; --model takes the model folder made by 'allegations train'."
        )
    path = folder / MANIFEST
    try:
        with open(path, "rb") as fh:
            raw = fh.read(_MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        raise ModelError(
            f"{folder} is not a model folder: {MANIFEST} is missing. Pass the "
            "folder written by 'allegations train --out'."
        ) from None
    except OSError:
        raise ModelIntegrityError(
            f"{path} is not a readable manifest; retrain the model."
        ) from None
    if len(raw) > _MAX_MANIFEST_BYTES:
        raise ModelIntegrityError(
            f"{path} is larger than {_MAX_MANIFEST_BYTES} bytes; it is not a manifest written "
            "by allegations. Retrain the model."
        )
    manifest = parse_json(raw, str(path))
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != "allegations-model"
        or not isinstance(manifest.get("files"), dict)
    ):
        raise ModelIntegrityError(
            f"{path} is not an allegations model manifest; retrain the model."
        )
    if manifest.get("format_version") == 1:
        raise ModelIntegrityError(
            f"{folder} holds a model in the old pickle format (format 1), which this version "
            "of allegations does not load: loading a pickle runs code. Retrain it with "
            f"'allegations train DATA --out {folder}' (nothing was unpickled)."
        )
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        newer = type(version) is int and version > FORMAT_VERSION
        raise ModelIntegrityError(
            f"{folder} has model format {repr(version)[:20]}; this version of allegations "
            f"reads format {FORMAT_VERSION}. "
            + (
                "It was saved by a newer allegations: upgrade (pip install -U allegations) "
                "or retrain the model with this one."
                if newer
                else "Retrain the model."
            )
        )
    unknown = sorted(set(manifest) - MANIFEST_FIELDS)
    if unknown:
        raise ModelIntegrityError(
            f"{path} has unknown field(s) {', '.join(map(repr, unknown[:10]))}; it was not "
            "written by this version of allegations. Retrain the model."
        )
    for name, meta in manifest["files"].items():
        if (
            not isinstance(meta, dict)
            or set(meta) != FILE_FIELDS
            or not isinstance(meta["sha256"], str)
            or type(meta["bytes"]) is not int
        ):
            raise ModelIntegrityError(
                f"{path} has a malformed entry for {str(name)[:60]!r} (expected sha256 and "
                "bytes); retrain the model."
            )
    labels = manifest.get("labels")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise ModelIntegrityError(f"{path} has no list of labels; retrain the model.")
    if not isinstance(manifest.get("versions", {}), dict):
        raise ModelIntegrityError(f"{path} has a malformed versions entry; retrain the model.")
    return manifest


def _strays(folder: Path) -> list[str]:
    """Files in ``folder`` that are not part of a model (hidden files aside)."""
    present = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    return sorted(present - set(FILES) - {MANIFEST})


def check_model_folder(folder: str | Path) -> None:
    """Check that a model can be saved to ``folder``: new, empty, or a model folder.

    A folder holding other files would become a model folder that does not load (see
    :func:`load_model`), and the user's files would sit among the model's.

    Raises
    ------
    ModelError
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ModelError(f"{folder} is a file, not a folder; choose another --out.")
    strays = _strays(folder) if folder.is_dir() else []
    if strays:
        raise ModelError(
            f"{folder} holds {strays[0]!r}"
            + (f" and {len(strays) - 1} other file(s)" if len(strays) > 1 else "")
            + f", which {'are' if len(strays) > 1 else 'is'} not part of a model; choose a new "
            "or empty folder for --out."
        )


def _read_checked(folder: Path, manifest: dict[str, Any]) -> dict[str, bytes]:
    """The bytes of every listed file, each checked against the manifest's size (within
    :data:`MAX_FILE_BYTES`) and sha256 before it is returned; no file missing or extra."""
    listed = manifest["files"]
    for name in listed:
        if Path(name).name != name or name in (".", ".."):
            raise ModelIntegrityError(
                f"{folder / MANIFEST} names a file outside the folder ({str(name)[:60]!r}); "
                "the model is not usable."
            )
    extra = sorted(set(listed) - set(FILES))
    missing = sorted(set(FILES) - set(listed))
    if extra or missing:
        raise ModelIntegrityError(
            f"{folder / MANIFEST} lists {', '.join(map(repr, extra)) or 'no'} extra and "
            f"{', '.join(map(repr, missing)) or 'no'} missing file(s); a model folder holds "
            f"{', '.join(FILES)} and {MANIFEST}. Retrain the model."
        )
    strays = _strays(folder)
    if strays:
        raise ModelIntegrityError(
            f"{folder} holds {strays[0]!r}, which is not part of a model; remove it (a model "
            f"folder holds {', '.join(FILES)} and {MANIFEST} only) or copy the model afresh."
        )
    out = {}
    for name in FILES:
        path, size = folder / name, listed[name]["bytes"]
        if not 0 <= size <= MAX_FILE_BYTES:
            raise ModelIntegrityError(
                f"{folder / MANIFEST} claims {size} bytes for {name}; a model file holds at "
                f"most {MAX_FILE_BYTES} bytes. Retrain the model."
            )
        if not path.is_file():
            raise ModelIntegrityError(
                f"{path} is missing; the model folder is incomplete. "
                "Copy the whole folder or retrain."
            )
        try:
            with open(path, "rb") as fh:
                data = fh.read(size + 1)
        except OSError as exc:
            raise ModelError(
                f"{path} cannot be read ({exc.strerror or type(exc).__name__}); check its "
                "permissions."
            ) from None
        if len(data) != size:
            raise ModelIntegrityError(
                f"{path} has changed since the model was saved ({path.stat().st_size} bytes, "
                f"expected {size}); refusing to load it. Restore the original file or retrain."
            )
        if hashlib.sha256(data).hexdigest() != listed[name]["sha256"]:
            raise ModelIntegrityError(
                f"{path} has changed since the model was saved (sha256 mismatch); refusing to "
                "load it. Restore the original file or retrain."
            )
        out[name] = data
    return out


def load_model(folder: str | Path, *, allow_version_mismatch: bool = False) -> Tagger:
    """Verify and load a model folder. Nothing in it is unpickled or run.

    Checks, in order: the manifest; every file's size and sha256 (no file missing or
    extra); the model id; the card's and the model's labels; every field and array shape
    of ``model.json`` and ``weights.npz``; then the tokenizer check (the stored tokens of
    the check sentences against the installed spaCy and lemma tables).

    Parameters
    ----------
    folder : str or Path
    allow_version_mismatch : bool
        Load even if the installed spaCy or its lemma tables now tokenise the check
        sentences differently (results may differ; a warning is logged).

    Returns
    -------
    Tagger

    Raises
    ------
    ModelError, ModelIntegrityError
    """
    folder = model_folder(folder)
    manifest = read_manifest(folder)
    data = _read_checked(folder, manifest)
    digests = {name: manifest["files"][name]["sha256"] for name in MODEL_FILES}
    if manifest.get("model_id") != _model_id(digests):
        raise ModelIntegrityError(
            f"{folder / MANIFEST}: the model id does not match the sha256 of {MODEL_JSON} and "
            f"{WEIGHTS}; the manifest was edited. Retrain the model."
        )
    card = parse_json(data[CARD_JSON], str(folder / CARD_JSON))
    if not isinstance(card, dict) or card.get("labels") != manifest["labels"]:
        raise ModelIntegrityError(
            f"{folder}: the labels of {CARD_JSON} and {MANIFEST} differ "
            f"({_labels_text(card.get('labels') if isinstance(card, dict) else None)} vs "
            f"{_labels_text(manifest['labels'])}); the folder mixes two models. Retrain."
        )
    doc = parse_json(data[MODEL_JSON], str(folder / MODEL_JSON))
    if isinstance(doc, dict) and doc.get("labels") != manifest["labels"]:
        raise ModelIntegrityError(
            f"{folder / MODEL_JSON} predicts the labels {_labels_text(doc.get('labels'))} but "
            f"the manifest lists {_labels_text(manifest['labels'])}; retrain the model."
        )
    arrays = read_arrays(io.BytesIO(data[WEIGHTS]), ARRAY_NAMES, where=str(folder / WEIGHTS))
    model, saved_chunks = model_from_parts(doc, arrays, where=str(folder))
    _check_tokenizer(folder, doc, model, manifest["versions"], allow_version_mismatch)
    model.preprocessor.restore_chunks(saved_chunks)
    model.card = card
    model.model_id = str(manifest["model_id"])
    return model


def _check_tokenizer(
    folder: Path, doc: dict[str, Any], model: Tagger, saved: dict[str, Any], allow: bool
) -> None:
    """Refuse a model whose check sentences the installed spaCy tokenises differently."""
    difference = compare_tokens(doc, model.preprocessor, str(folder / MODEL_JSON))
    if difference is None:
        return
    current = library_versions()
    libs = ("spacy", "spacy-lookups-data")
    trained = {lib: str(saved.get(lib, "unknown"))[:20] for lib in libs}
    if all(trained[lib] == current[lib] for lib in libs):
        versions = ", ".join(f"{lib} {current[lib]}" for lib in libs)
        problem = (
            f"the installed {versions} (the versions it was trained with) tokenise its check "
            f"sentences differently ({difference}); the folder may have been edited or a "
            "spaCy pipeline changed"
        )
        fix = "Retrain"
    else:
        versions = ", ".join(f"{lib} {trained[lib]} (installed: {current[lib]})" for lib in libs)
        wanted = " ".join(f"{lib}=={trained[lib]}" for lib in libs)
        problem = (
            f"it was trained with {versions}, which tokenise text differently from the "
            f"installed versions ({difference})"
        )
        fix = f"Install them (pip install {wanted}) or retrain"
    if not allow:
        raise ModelIntegrityError(
            f"{folder}: {problem}. {fix}, or pass --allow-version-mismatch to load anyway."
        )
    log.warning(
        "Loading %s although the installed spaCy tokenises differently: %s. Results may differ.",
        folder,
        problem,
    )


def _labels_text(labels: Any) -> str:
    if not isinstance(labels, list):
        return "none"
    shown = ", ".join(str(x)[:40] for x in labels[:10])
    return shown + (", ..." if len(labels) > 10 else "")
