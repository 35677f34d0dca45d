"""The fitted model: texts in, label probabilities, labels and review flags out."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ..stats import REVIEW_ERROR, wrong_chance
from ..text import SpacyPreprocessor, split_tokens
from ._calibration import PlattCalibrator
from ._classifier import decision_scores, label_scores
from ._confidence import DEFAULT_REVIEW_SHARE
from ._encode import TokenEncoder
from ._evidence import explain, format_evidence, label_weights

__all__ = [
    "Tagger",
    "prediction_columns",
    "EVIDENCE_COLUMNS",
]

#: Columns added by ``evidence=True``: ``label: "phrase" | ...`` and the sentences.
EVIDENCE_COLUMNS = ["evidence", "evidence_sentences"]


def prediction_columns(labels: Sequence[str], evidence: bool = False) -> list[str]:
    """The columns of a prediction table, in order."""
    columns = ["id", "labels", *[f"p_{label}" for label in labels], "confidence", "needs_review"]
    return columns + EVIDENCE_COLUMNS if evidence else columns


def join_labels(decided: np.ndarray, labels: Sequence[str]) -> list[str]:
    """The ``;``-joined names of each row's decided labels ("" for none).

    Rows are grouped by their label combination, so each distinct combination is joined
    once (a release has few combinations and many rows).
    """
    if len(decided) == 0:
        return []
    flags = np.asarray(decided, dtype=bool)
    names = np.array(labels, dtype=object)
    if flags.shape[1] <= 62:  # one integer per combination: a fast 1-D unique
        codes = flags.astype(np.int64) @ (np.int64(1) << np.arange(flags.shape[1], dtype=np.int64))
        _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        combos = flags[first]
    else:
        combos, inverse = np.unique(flags, axis=0, return_inverse=True)
    text = np.array([";".join(names[row]) for row in combos], dtype=object)
    return text[np.asarray(inverse).reshape(-1)].tolist()


def is_blank(text: Any) -> bool:
    """True for a narrative with no text: None, NaN, or only whitespace."""
    if text is None or (isinstance(text, float) and text != text):
        return True
    return not str(text).strip()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one batch of the fast path.

    A batch allocates many short lists and strings and creates no reference cycles
    (reference counting frees all of it), yet its allocations can trigger a collection
    that walks every live object: right after training a Philadelphia fold model, a test
    fold took up to 15% longer with the collector on. The collector's state is restored
    on exit.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Tagger:
    """A trained allegation tagger.

    Built by :func:`allegations.training.train` or :func:`allegations.load_model`; not meant to be
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
        ece: np.ndarray | None = None,
        card: dict[str, Any] | None = None,
    ) -> None:
        self.labels = list(labels)
        self.exclusive = exclusive
        self.preprocessor = preprocessor
        self.pipeline = pipeline
        self.calibrator = calibrator
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.bands = np.asarray(bands, dtype=np.float64)
        self.ece = np.zeros(len(self.labels)) if ece is None else np.asarray(ece, np.float64)
        self.card: dict[str, Any] = card or {}
        self.model_id: str = ""
        #: Share of cases ``needs_review`` flags: those whose confidence falls below the
        #: out-of-fold confidence under which this share of training cases fell.
        self.review_share: float = DEFAULT_REVIEW_SHARE

    def __getstate__(self) -> dict[str, Any]:
        # Pickled only to hand a live model to worker processes (model files are format 2,
        # see allegations.model._bundle): the caches are rebuilt there.
        state = dict(self.__dict__)
        state.pop("_weights", None)
        state.pop("_encoder", None)
        state["_review_quantiles"] = self._confidence_quantiles()  # the review cut-off
        state["card"] = {}  # workers tag; the card (about 140 KB) stays with the parent
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

    def featurize(
        self, texts: Iterable[Any], seconds: dict[str, float] | None = None
    ) -> tuple[Any, np.ndarray]:
        """The feature matrix of raw ``texts`` and each text's number of lemmas.

        With the default (blank English) pipeline this takes the fast path of
        :class:`~allegations.model._encode.TokenEncoder`, which gives the same matrix as
        ``features.transform(preprocess(texts))`` without building lemma strings.
        ``seconds``, when given, gains the time spent in ``preprocess`` and ``features``.
        """
        features = self.pipeline.named_steps["features"]
        t0 = time.perf_counter()
        if self.preprocessor.spacy_model is None:
            encoder = self.__dict__.get("_encoder")
            if encoder is None:
                encoder = self.__dict__["_encoder"] = TokenEncoder(self.preprocessor, features)
            with _collector_paused():
                ids, doc_of, n_tokens, unseen = encoder.encode_batch(texts)
                t1 = time.perf_counter()
                X = features.transform_ids(ids, doc_of, len(n_tokens), unseen)
        else:
            docs = self.preprocess(texts)
            n_tokens = np.fromiter((len(split_tokens(d)) for d in docs), np.int64, count=len(docs))
            t1 = time.perf_counter()
            X = features.transform(docs)
        if seconds is not None:
            seconds["preprocess"] = seconds.get("preprocess", 0.0) + t1 - t0
            seconds["features"] = seconds.get("features", 0.0) + time.perf_counter() - t1
        return X, n_tokens

    def proba_from_features(self, X: Any) -> np.ndarray:
        """Calibrated probabilities from a feature matrix (see :meth:`featurize`)."""
        if X.shape[0] == 0:
            return np.zeros((0, len(self.labels)))
        classifier = self.pipeline.named_steps["classify"]
        scores = label_scores(classifier, classifier.decision_function(X), len(self.labels))
        return self.calibrator.transform(scores)

    def predict_proba(self, texts: Iterable[Any]) -> np.ndarray:
        """Return calibrated probabilities, shape (n_texts, n_labels)."""
        return self.proba_from_features(self.featurize(texts)[0])

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Turn probabilities into 0/1 label decisions with the model's thresholds."""
        if self.exclusive:
            out = np.zeros(proba.shape, dtype=np.int8)
            if len(proba):
                out[np.arange(len(proba)), proba.argmax(axis=1)] = 1
            return out
        return (proba >= self.thresholds).astype(np.int8)

    @staticmethod
    def blank_mask(texts: Sequence[Any]) -> np.ndarray:
        """Which ``texts`` are blank (None, NaN or whitespace): see :meth:`frame_from_proba`."""
        return np.fromiter((is_blank(t) for t in texts), dtype=bool, count=len(texts))

    def _confidence_quantiles(self) -> list[float] | None:
        found = self.__dict__.get("_review_quantiles")
        if found is None:
            found = (self.card.get("review") or {}).get("confidence_quantiles")
            if found:
                self.__dict__["_review_quantiles"] = found
        return list(found) if found else None

    def review_cutoff(self, share: float | None = None) -> float | None:
        """The confidence below which a case needs review, for a review ``share``.

        It is the ``share`` quantile of the out-of-fold confidences stored in the card at
        training time (interpolated between percentiles), so that about that share of a
        release resembling the training data falls below it. This works chunk by chunk,
        without knowing the release size. None for a model whose card has no confidence
        distribution (trained before it was recorded).
        """
        quantiles = self._confidence_quantiles()
        if not quantiles:
            return None
        share = self.review_share if share is None else share
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"review share {share!r}: expected a share between 0 and 1")
        if share <= 0.0:
            return -1.0  # nothing is below
        if share >= 1.0:
            return 2.0  # everything is below
        return float(np.interp(share, np.linspace(0.0, 1.0, len(quantiles)), quantiles))

    def review(
        self, proba: np.ndarray, decided: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Confidence and review flag of each case, from the calibrated probabilities (and
        the decisions made from them, when the caller has them already).

        A decision (label given or not) is wrong with calibrated chance ``1 - p`` or
        ``p``. ``confidence`` is one minus the largest such chance over the labels.
        ``needs_review`` is a ranked budget: the case's confidence is below
        :meth:`review_cutoff` (the least confident ``review_share`` of cases, 10% by
        default). A model whose card has no confidence distribution keeps the older rule:
        flagged when, for some label, the chance of a wrong decision plus the label's
        expected calibration error exceeds :data:`~allegations.stats._reliability.REVIEW_ERROR`.
        """
        if len(proba) == 0 or proba.shape[1] == 0:
            return np.ones(len(proba)), np.zeros(len(proba), dtype=bool)
        wrong = wrong_chance(proba, self.decide(proba) if decided is None else decided)
        confidence = 1.0 - wrong.max(axis=1)
        cutoff = self.review_cutoff()
        if cutoff is not None:
            return confidence, np.asarray(confidence < cutoff)
        return confidence, np.asarray((wrong + self.ece > REVIEW_ERROR).any(axis=1))

    def frame_from_proba(
        self,
        proba: np.ndarray,
        ids: Sequence[Any],
        blank: np.ndarray | None = None,
        decided: np.ndarray | None = None,
    ) -> pd.DataFrame:
        """Build the prediction table for probabilities ``proba`` of cases ``ids``.

        ``blank`` marks cases with no text: they get no label, no probabilities, an empty
        ``confidence`` and ``needs_review`` false (there is nothing to review).
        ``decided`` (:meth:`decide` of ``proba``, as the caller made them) saves deciding
        again.
        """
        if decided is None:
            decided = self.decide(proba)
        confidence, needs_review = self.review(proba, decided)
        rounded = np.round(proba, 4)
        confidence = np.round(confidence, 4)
        if blank is not None and len(blank) and np.any(blank):
            blank = np.asarray(blank, dtype=bool)
            decided = decided.copy()
            decided[blank] = 0
            rounded = rounded.astype(np.float64, copy=True)
            rounded[blank] = np.nan
            confidence = confidence.astype(np.float64, copy=True)
            confidence[blank] = np.nan
            needs_review = np.asarray(needs_review, dtype=bool) & ~blank
        joined = join_labels(decided, self.labels)
        data: dict[str, Any] = {"id": list(ids), "labels": joined}
        for j, label in enumerate(self.labels):
            data[f"p_{label}"] = rounded[:, j]
        data["confidence"] = confidence
        data["needs_review"] = np.asarray(needs_review).astype(bool)
        return pd.DataFrame(data, columns=prediction_columns(self.labels))

    def explain(self, texts: Sequence[Any], decided: np.ndarray) -> list[list[dict[str, Any]]]:
        """Evidence for each decided label of each text; see :mod:`allegations.model._evidence`."""
        features = self.pipeline.named_steps["features"]
        weights = self.__dict__.get("_weights")
        if weights is None:
            weights = self.__dict__["_weights"] = label_weights(
                self.pipeline.named_steps["classify"], len(self.labels)
            )
        return explain(self.preprocessor, features, weights, texts, decided, self.labels)

    def frame_from_texts(
        self, texts: Sequence[Any], ids: Sequence[Any], *, evidence: bool = True
    ) -> pd.DataFrame:
        """Build the prediction table of one chunk of raw texts.

        With ``evidence`` the table gains ``evidence`` (``label: "phrase" | ...``) and
        ``evidence_sentences`` columns, and ``frame.attrs["evidence"]`` holds the
        structured list that :func:`allegations.tables.nested_records` writes to JSON Lines.
        """
        texts = list(texts)
        proba = self.predict_proba(texts)
        blank = self.blank_mask(texts)
        decided = self.decide(proba)
        decided[blank] = 0
        frame = self.frame_from_proba(proba, ids, blank, decided)
        if evidence:
            self.add_evidence(frame, texts, decided)
        return frame

    def add_evidence(
        self, frame: pd.DataFrame, texts: Sequence[Any], decided: np.ndarray
    ) -> pd.DataFrame:
        """Add the evidence columns (and ``frame.attrs["evidence"]``) to ``frame`` in place."""
        cited = self.explain(texts, decided)
        frame["evidence"] = [format_evidence(c) for c in cited]
        frame["evidence_sentences"] = [format_evidence(c, "sentence") for c in cited]
        frame.attrs["evidence"] = cited
        return frame

    def predict(
        self, texts: Iterable[Any], ids: Sequence[Any] | None = None, *, evidence: bool = False
    ) -> pd.DataFrame:
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
            per label, ``confidence`` (0-1, low = unsure) and ``needs_review``; with
            ``evidence``, also ``evidence`` and ``evidence_sentences``.
        """
        texts = list(texts)
        return self.frame_from_texts(
            texts, range(len(texts)) if ids is None else ids, evidence=evidence
        )
