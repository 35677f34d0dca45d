"""The fitted model: texts in, label probabilities, labels and review flags out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from .model import PlattCalibrator, confidence_scores, decision_scores
from .preprocess import SpacyPreprocessor

__all__ = ["Tagger", "prediction_columns", "nested_records"]


def prediction_columns(labels: Sequence[str]) -> list[str]:
    """The columns of a prediction table, in order."""
    return ["id", "labels", *[f"p_{label}" for label in labels], "confidence", "needs_review"]


def nested_records(frame: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """Reshape a prediction table for JSON Lines: ``id``, ``labels`` (a list), ``scores``
    (label to probability), ``confidence``, ``needs_review``."""
    columns = [f"p_{label}" for label in labels]
    probs = frame[columns].to_numpy(dtype=float).tolist() if len(frame) else []
    return pd.DataFrame(
        {
            "id": frame["id"].tolist(),
            "labels": [s.split(";") if s else [] for s in frame["labels"]],
            "scores": [dict(zip(labels, row, strict=True)) for row in probs],
            "confidence": frame["confidence"].astype(float).tolist(),
            "needs_review": frame["needs_review"].astype(bool).tolist(),
        },
        columns=["id", "labels", "scores", "confidence", "needs_review"],
    )


class Tagger:
    """A trained allegation tagger.

    Built by :func:`allegations.train` or :func:`allegations.load_model`; not meant to be
    constructed by hand.

    Attributes
    ----------
    labels : list of str
        The label names, in column order.
    exclusive : bool
        True when each case carries exactly one label (argmax decision).
    thresholds : numpy.ndarray
        Per-label probability thresholds (multi-label).
    bands : numpy.ndarray, shape (n_labels, 2)
        Per-label uncertainty bands: a probability inside one flags the case for review.
    card : dict
        The model card (training data, metrics, versions); see ``model-card.md``.
    """

    def __init__(
        self,
        *,
        labels: Sequence[str],
        exclusive: bool,
        preprocessor: SpacyPreprocessor,
        pipeline: Pipeline,
        calibrator: PlattCalibrator,
        thresholds: np.ndarray,
        bands: np.ndarray,
        card: dict[str, Any] | None = None,
    ) -> None:
        self.labels = list(labels)
        self.exclusive = exclusive
        self.preprocessor = preprocessor
        self.pipeline = pipeline
        self.calibrator = calibrator
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.bands = np.asarray(bands, dtype=np.float64)
        self.card: dict[str, Any] = card or {}
        self.model_id: str = ""

    def __getstate__(self) -> dict[str, Any]:
        # The card and id live beside the pickle (model-card.json, manifest.json), so that
        # the pickled bytes depend only on the fitted model.
        state = dict(self.__dict__)
        state["card"] = {}
        state["model_id"] = ""
        return state

    def __repr__(self) -> str:
        kind = "exclusive" if self.exclusive else "multi-label"
        return f"<Tagger {kind}, {len(self.labels)} labels: {', '.join(self.labels)}>"

    # -- prediction --------------------------------------------------------------------
    def preprocess(self, texts: Iterable[Any]) -> np.ndarray:
        """Run the spaCy step on ``texts`` and return the normalised documents."""
        return self.preprocessor.transform(texts)

    def proba_from_docs(self, docs: Sequence[str] | np.ndarray) -> np.ndarray:
        """Calibrated probabilities for already preprocessed documents."""
        if len(docs) == 0:
            return np.zeros((0, len(self.labels)))
        scores = decision_scores(self.pipeline, docs, len(self.labels))
        return self.calibrator.transform(scores)

    def predict_proba(self, texts: Iterable[Any]) -> np.ndarray:
        """Return calibrated probabilities, shape (n_texts, n_labels)."""
        return self.proba_from_docs(self.preprocess(texts))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Turn probabilities into 0/1 label decisions with the model's thresholds."""
        if self.exclusive:
            out = np.zeros(proba.shape, dtype=np.int8)
            if len(proba):
                out[np.arange(len(proba)), proba.argmax(axis=1)] = 1
            return out
        return (proba >= self.thresholds).astype(np.int8)

    def frame_from_proba(self, proba: np.ndarray, ids: Sequence[Any]) -> pd.DataFrame:
        """Build the prediction table for probabilities ``proba`` of cases ``ids``."""
        decided = self.decide(proba)
        names = np.array(self.labels, dtype=object)
        joined = [";".join(names[row.astype(bool)]) for row in decided]
        in_band = (proba >= self.bands[:, 0]) & (proba <= self.bands[:, 1])
        data: dict[str, Any] = {"id": list(ids), "labels": joined}
        rounded = np.round(proba, 4)
        for j, label in enumerate(self.labels):
            data[f"p_{label}"] = rounded[:, j]
        data["confidence"] = np.round(confidence_scores(proba), 4)
        data["needs_review"] = in_band.any(axis=1) if len(proba) else np.zeros(0, bool)
        return pd.DataFrame(data, columns=prediction_columns(self.labels))

    def predict(self, texts: Iterable[Any], ids: Sequence[Any] | None = None) -> pd.DataFrame:
        """Tag ``texts``.

        Parameters
        ----------
        texts : iterable of str
            Narratives; None or NaN count as empty.
        ids : sequence, optional
            One id per text; by default the row number (0, 1, ...).

        Returns
        -------
        pandas.DataFrame
            Columns ``id``, ``labels`` (joined by ";", empty for none), ``p_<label>``
            per label, ``confidence`` (0-1, low = unsure) and ``needs_review``.
        """
        texts = list(texts)
        proba = self.predict_proba(texts)
        return self.frame_from_proba(proba, range(len(texts)) if ids is None else ids)
