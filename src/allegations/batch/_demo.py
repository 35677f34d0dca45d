"""The demo job: the default model on the bundled sample and release."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .._paths import bundled_data, model_folder, shipped_model
from ..errors import InputError, ModelError
from ..model import Tagger, load_model
from ._workflows import LabelSpec, predict_file, train_files

__all__ = ["run_demo", "train_default_model"]

log = logging.getLogger(__name__)


def train_default_model(data_dir: str | Path, out: str | Path) -> Tagger:
    """Train the default model from the bundled sample, exactly as ``models/default`` was.

    The command is ``allegations train data/sample.csv --codebook data/codebook.toml
    --id-col id --seed 0 --out models/default``.
    """
    data_dir = Path(data_dir)
    return train_files(
        [data_dir / "sample.csv"],
        out,
        text_col="text",
        spec=LabelSpec(),
        id_col="id",
        codebook_path=data_dir / "codebook.toml",
        seed=0,
    )


def run_demo(
    *,
    data_dir: str | Path = "data",
    model_dir: str | Path = "default",
    out: str | Path = "out/release-tagged.csv",
    retrain: bool = False,
) -> dict[str, Any]:
    """Load (or train) the default model, tag ``release.csv`` and summarise the result.

    Returns
    -------
    dict
        ``summary`` (as :func:`predict_file`), ``least_confident`` (ten rows: id,
        labels, confidence, needs_review), ``model_note``.
    """
    data_dir, model_dir, out = Path(data_dir), model_folder(model_dir), Path(out)
    if not data_dir.exists() and str(data_dir) == "data":  # outside the project folder
        data_dir = bundled_data()
    if not (data_dir / "release.csv").is_file():
        raise InputError(
            f"{data_dir / 'release.csv'} not found; run the demo from the project "
            "folder or pass `data_dir`."
        )
    model: Tagger | None = None
    note = ""
    if not retrain:
        try:
            model = load_model(model_dir)
            note = f"Loaded model {_shown(model_dir)} (id {model.model_id[:12]})."
        except ModelError as exc:
            log.warning(
                "Cannot use %s (%s); training a fresh model from the sample.", model_dir, exc
            )
            model_dir = out.parent / "model"
    if model is None:
        if model_dir == shipped_model():  # never overwrite the shipped model
            model_dir = out.parent / "model"
        model = train_default_model(data_dir, model_dir)
        cv = model.card["cross_validation"]
        note = (
            f"Trained model {_shown(model_dir)} from {_shown(data_dir / 'sample.csv')}: "
            "cross-validated "
            f"micro-F1 {cv['micro_f1']:.3f}, macro-F1 {cv['macro_f1']:.3f}."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = predict_file(
        data_dir / "release.csv",
        out,
        model,
        text_col="narrative",
        id_col="case_id",
        return_frame=True,
    )
    frame = summary["frame"]
    least = frame.sort_values(["confidence", "id"], kind="stable").head(10)
    return {
        "summary": summary,
        "least_confident": least[["id", "labels", "confidence", "needs_review"]].to_dict(
            orient="records"
        ),
        "model_note": note,
    }


def _shown(path: Path) -> str:
    """``path`` as a user reads it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
