"""The model bundle: a folder with the joblib model, its model card and a manifest.

Layout of a model folder::

    model.joblib      the fitted Tagger (a pickle: it runs code when loaded)
    model-card.json   training data, labels, cross-validated metrics, thresholds, versions
    model-card.md     the same for people
    manifest.json     sha256 and size of every file above, library versions

:func:`load_model` checks the manifest before anything is unpickled: a changed or
missing file, or other scikit-learn/spaCy versions, are refused. The hashes catch
corruption and accidental swaps; they do not make a model from an untrusted source safe.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import joblib

from .errors import ModelError, ModelIntegrityError
from .io import atomic_write, sha256_file
from .tagger import Tagger

__all__ = [
    "save_model",
    "load_model",
    "MODEL_FILE",
    "CARD_JSON",
    "CARD_MD",
    "MANIFEST",
    "render_card_markdown",
    "read_manifest",
]

MODEL_FILE = "model.joblib"
CARD_JSON = "model-card.json"
CARD_MD = "model-card.md"
MANIFEST = "manifest.json"
FORMAT_VERSION = 1
#: Libraries whose version must match exactly between training and loading.
PINNED = ("scikit-learn", "spacy")
#: The fields a manifest may have; any other field is refused (a manifest from a newer or
#: foreign tool must not be half-understood).
MANIFEST_FIELDS = frozenset({"format", "format_version", "model_id", "labels", "versions", "files"})
FILE_FIELDS = frozenset({"sha256", "bytes"})


def save_model(model: Tagger, folder: str | Path) -> str:
    """Write ``model`` to ``folder`` (created if needed) and return its model id.

    Each file is written atomically; the manifest is written last, so a folder with a
    manifest is complete.

    Returns
    -------
    str
        The model id: the sha256 of ``model.joblib``.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"Cannot create model folder {folder} ({exc.strerror}); choose another --out."
        ) from None
    with atomic_write(folder / MODEL_FILE, "wb") as fh:
        joblib.dump(model, fh, protocol=5)
    model_id = sha256_file(folder / MODEL_FILE)
    card = {**model.card, "model_id": model_id}
    model.card, model.model_id = card, model_id
    with atomic_write(folder / CARD_JSON, "w", encoding="utf-8") as fh:
        json.dump(card, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    with atomic_write(folder / CARD_MD, "w", encoding="utf-8") as fh:
        fh.write(render_card_markdown(card))
    files = {
        name: {"sha256": sha256_file(folder / name), "bytes": (folder / name).stat().st_size}
        for name in (MODEL_FILE, CARD_JSON, CARD_MD)
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
        If the folder or manifest is missing or unreadable.
    """
    folder = Path(folder)
    if not folder.exists():
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
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            f"{folder} is not a model folder: {MANIFEST} is missing. Pass the "
            "folder written by 'allegations train --out'."
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise ModelIntegrityError(
            f"{path} is not a readable manifest; retrain the model."
        ) from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != "allegations-model"
        or not isinstance(manifest.get("files"), dict)
    ):
        raise ModelIntegrityError(
            f"{path} is not an allegations model manifest; retrain the model."
        )
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelIntegrityError(
            f"{folder} has model format {manifest.get('format_version')!r}; this version of "
            f"allegations reads format {FORMAT_VERSION}. Retrain the model."
        )
    unknown = sorted(set(manifest) - MANIFEST_FIELDS)
    if unknown:
        raise ModelIntegrityError(
            f"{path} has unknown field(s) {', '.join(map(repr, unknown[:10]))}; it was not "
            "written by this version of allegations. Retrain the model."
        )
    for name, meta in manifest["files"].items():
        if not isinstance(meta, dict) or set(meta) - FILE_FIELDS or "sha256" not in meta:
            raise ModelIntegrityError(
                f"{path} has a malformed entry for {name!r} (expected sha256 and bytes); "
                "retrain the model."
            )
    labels = manifest.get("labels")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise ModelIntegrityError(f"{path} has no list of labels; retrain the model.")
    return manifest


def load_model(folder: str | Path, *, allow_version_mismatch: bool = False) -> Tagger:
    """Verify and load a model folder.

    Checks, in order and before unpickling: the manifest, the sha256 of every file, and
    the scikit-learn and spaCy versions. Only then is ``model.joblib`` loaded.

    Parameters
    ----------
    folder : str or Path
    allow_version_mismatch : bool
        Load even if scikit-learn or spaCy differ from training (results may differ).

    Returns
    -------
    Tagger

    Raises
    ------
    ModelError, ModelIntegrityError
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    for name in (MODEL_FILE, CARD_JSON):
        if name not in manifest["files"]:
            raise ModelIntegrityError(
                f"{folder / MANIFEST} does not list {name}; retrain the model."
            )
    for name, meta in manifest["files"].items():
        path = folder / name
        if Path(name).name != name:
            raise ModelIntegrityError(
                f"{folder / MANIFEST} names a file outside the folder "
                f"({name!r}); the model is not usable."
            )
        if not path.is_file():
            raise ModelIntegrityError(
                f"{path} is missing; the model folder is incomplete. "
                "Copy the whole folder or retrain."
            )
        size = meta.get("bytes")
        if size is not None and path.stat().st_size != size:
            raise ModelIntegrityError(
                f"{path} has changed since the model was saved ({path.stat().st_size} bytes, "
                f"expected {size}); refusing to load it. Restore the original file or retrain."
            )
        try:
            digest = sha256_file(path)
        except OSError as exc:
            raise ModelError(
                f"{path} cannot be read ({exc.strerror or type(exc).__name__}); check its "
                "permissions."
            ) from None
        if digest != meta.get("sha256"):
            raise ModelIntegrityError(
                f"{path} has changed since the model was saved (sha256 mismatch); refusing to "
                "load it. Restore the original file or retrain."
            )
    if manifest.get("model_id") != manifest["files"][MODEL_FILE]["sha256"]:
        raise ModelIntegrityError(
            f"{folder / MANIFEST}: the model id does not match the sha256 of {MODEL_FILE}; "
            "the manifest was edited. Retrain the model."
        )
    _check_versions(folder, manifest.get("versions", {}), allow_version_mismatch)
    try:
        card = json.loads((folder / CARD_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ModelIntegrityError(f"{folder / CARD_JSON} is unreadable; retrain.") from None
    if not isinstance(card, dict) or card.get("labels") != manifest["labels"]:
        raise ModelIntegrityError(
            f"{folder}: the labels of {CARD_JSON} and {MANIFEST} differ "
            f"({_labels_text(card.get('labels') if isinstance(card, dict) else None)} vs "
            f"{_labels_text(manifest['labels'])}); the folder mixes two models. Retrain."
        )
    from sklearn.exceptions import InconsistentVersionWarning

    with warnings.catch_warnings():
        if not allow_version_mismatch:
            warnings.simplefilter("error", InconsistentVersionWarning)
        try:
            model = joblib.load(folder / MODEL_FILE)
        except InconsistentVersionWarning as exc:
            raise ModelIntegrityError(
                f"{folder / MODEL_FILE} was pickled with scikit-learn "
                f"{exc.original_sklearn_version}; install that version or retrain."
            ) from None
        except Exception as exc:
            raise ModelError(
                f"{folder / MODEL_FILE} cannot be loaded ({type(exc).__name__}); retrain the model."
            ) from None
    if not isinstance(model, Tagger):
        raise ModelError(f"{folder / MODEL_FILE} does not hold an allegations model; retrain.")
    if model.labels != manifest["labels"]:
        raise ModelIntegrityError(
            f"{folder / MODEL_FILE} predicts the labels {_labels_text(model.labels)} but the "
            f"manifest lists {_labels_text(manifest['labels'])}; retrain the model."
        )
    model.card = card
    model.model_id = str(manifest.get("model_id", ""))
    return model


def _labels_text(labels: Any) -> str:
    if not isinstance(labels, list):
        return "none"
    shown = ", ".join(str(x)[:40] for x in labels[:10])
    return shown + (", ..." if len(labels) > 10 else "")


def _check_versions(folder: Path, saved: dict[str, str], allow: bool) -> None:
    from .train import _versions

    current = _versions()
    diffs = [
        f"{lib} {saved.get(lib)} (installed: {current[lib]})"
        for lib in PINNED
        if saved.get(lib) != current[lib]
    ]
    if diffs and not allow:
        wanted = " ".join(f"{lib}=={saved.get(lib)}" for lib in PINNED)
        raise ModelIntegrityError(
            f"{folder} was trained with {', '.join(diffs)}; a model must be loaded with the "
            f"versions it was trained with. Install them (pip install {wanted}) or retrain, "
            "or pass --allow-version-mismatch to load anyway."
        )
    if diffs:
        import logging

        logging.getLogger(__name__).warning(
            "Loading %s despite version differences: %s. Results may differ.",
            folder,
            ", ".join(diffs),
        )


def _with_ci(value: float, interval: Any) -> str:
    if not interval:
        return f"{value:.3f}"
    return f"{value:.3f} ({float(interval[0]):.3f}-{float(interval[1]):.3f})"


def render_card_markdown(card: dict[str, Any]) -> str:
    """Render a model card dict as Markdown."""
    cv = card.get("cross_validation", {})
    lines = [
        "# Model card",
        "",
        f"- Model id: `{card.get('model_id', '')}`",
        f"- Created: {card.get('created', '')}",
        f"- Task: {card.get('task', '')}; {len(card.get('labels', []))} labels",
        f"- Training cases: {card.get('n_cases', 0)} "
        f"({card.get('n_cases_without_label', 0)} with no label, "
        f"{card.get('n_cases_with_several_labels', 0)} with several)",
        f"- Seed: {card.get('seed')}",
        f"- Preprocessing: {card.get('preprocessing', {}).get('spacy_model', '')}",
        f"- Model: {card.get('model', {}).get('features', '')}; "
        f"{card.get('model', {}).get('classifier', '')}; "
        f"{card.get('model', {}).get('calibration', '')}",
    ]
    for item in card.get("data", {}).get("files", []):
        lines.append(
            f"- Data: `{item.get('name')}`, {item.get('rows')} rows, sha256 `{item.get('sha256')}`"
        )
    codebook = card.get("codebook")
    if codebook:
        lines.append(
            f"- Codebook: {codebook.get('name')} version {codebook.get('version')} "
            f"(sha256 `{codebook.get('sha256')}`)"
        )
    lines += [
        "",
        "## Cross-validated quality",
        "",
        f"{cv.get('scheme', '')}.",
        "",
        f"Micro-F1 **{cv.get('micro_f1')}**, macro-F1 **{cv.get('macro_f1')}** (labels with at "
        f"least {cv.get('min_support')} cases); {cv.get('n_grouped_duplicates', 0)} exact and "
        f"{cv.get('n_grouped_near_duplicates', 0)} near-duplicate texts kept in one fold with "
        "their twin. Precision and recall are at each label's threshold, with bootstrap 95% "
        "intervals; ECE is the expected calibration error of the label's probabilities.",
        "",
        "| label | cases | threshold | goal | precision (95% CI) | recall (95% CI) | F1 | ECE "
        "| note |",
        "|---|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for row in cv.get("per_label", []):
        note = "too few examples to measure" if row.get("too_few") else ""
        ece = row.get("ece")
        lines.append(
            f"| {row['label']} | {row['support']} | {row.get('threshold', '')} | "
            f"{row.get('goal', '')} | {_with_ci(row['precision'], row.get('precision_95ci'))} | "
            f"{_with_ci(row['recall'], row.get('recall_95ci'))} | {row['f1']:.3f} | "
            f"{'' if ece is None else f'{ece:.3f}'} | {note} |"
        )
    review = card.get("review") or {}
    if review.get("rule"):
        rule = str(review["rule"])
        lines += ["", "## Review flag", "", f"{rule[:1].upper()}{rule[1:]}."]
    if card.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {n}" for n in card["notes"]]
    versions = card.get("versions", {})
    lines += [
        "",
        "## Software",
        "",
        ", ".join(f"{k} {v}" for k, v in versions.items()),
        "",
        "Model files are code: load only models you trained or received from someone you trust.",
        "",
    ]
    return "\n".join(lines)
