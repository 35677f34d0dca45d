"""The manifest of a model folder: which files it holds, their sizes and sha256, the
library versions, and the checks that run before any model file is parsed.

:func:`read_manifest` checks the manifest's shape; :func:`read_checked` returns the bytes
of every listed file, each checked against the manifest's size and sha256 (no file missing
or extra, none over :data:`MAX_FILE_BYTES`). :mod:`allegations.model._persistence` saves
and loads models through them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from .._paths import DEFAULT_MODEL_NAME, model_folder, shipped_model
from ..errors import ModelError, ModelIntegrityError
from ._bundle import MODEL_JSON, WEIGHTS
from ._fields import parse_json

__all__ = [
    "CARD_JSON",
    "CARD_MD",
    "FILES",
    "FORMAT_VERSION",
    "MANIFEST",
    "MAX_FILE_BYTES",
    "MODEL_FILES",
    "library_versions",
    "read_checked",
    "read_manifest",
    "stray_files",
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
                f"(it is models/{DEFAULT_MODEL_NAME} of a source checkout); pass another `model` "
                "folder, or train one with 'allegations train DATA --out FOLDER'."
            )
        raise ModelError(
            f"Model folder {folder} not found; train one with "
            f"'allegations train DATA --out {folder}' or pass another `model`."
        )
    if not folder.is_dir():
        raise ModelError(
            f"{folder} is a file; a `model` is the folder made by 'allegations train'."
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


def stray_files(folder: Path) -> list[str]:
    """Files in ``folder`` that are not part of a model (hidden files aside)."""
    present = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    return sorted(present - set(FILES) - {MANIFEST})


def read_checked(folder: Path, manifest: dict[str, Any]) -> dict[str, bytes]:
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
    strays = stray_files(folder)
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
