"""The model folder: the model as data, its model card, and a manifest.

Layout of a model folder (format 2, see :mod:`allegations.model._bundle`)::

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

from .._paths import model_folder
from ..errors import ModelError, ModelIntegrityError
from ..tables import atomic_write, sha256_file
from ._arrays import read_arrays, write_arrays
from ._bundle import ARRAY_NAMES, MODEL_JSON, WEIGHTS, model_from_parts, model_parts
from ._card import render_card_markdown
from ._fields import parse_json
from ._manifest import (
    CARD_JSON,
    CARD_MD,
    FILES,
    FORMAT_VERSION,
    MANIFEST,
    MODEL_FILES,
    library_versions,
    read_checked,
    read_manifest,
    stray_files,
)
from ._tagger import Tagger
from ._token_check import compare_tokens

__all__ = ["check_model_folder", "load_model", "save_model"]

log = logging.getLogger(__name__)


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
            f"Cannot create model folder {folder} ({exc.strerror}); choose another `out` folder."
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
        raise ModelError(f"{folder} is a file, not a folder; choose another `out` folder.")
    strays = stray_files(folder) if folder.is_dir() else []
    if strays:
        raise ModelError(
            f"{folder} holds {strays[0]!r}"
            + (f" and {len(strays) - 1} other file(s)" if len(strays) > 1 else "")
            + f", which {'are' if len(strays) > 1 else 'is'} not part of a model; choose a new "
            "or empty `out` folder."
        )


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
    data = read_checked(folder, manifest)
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
            f"{folder}: {problem}. {fix}, or pass `allow_version_mismatch` to load anyway."
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
