"""The learning loop's worker: train on the decisions so far, rank what is left.

:func:`retrain` runs in the background process of :class:`~allegations.review._learn.Learner`
(or in-process for ``--export-sheet --learn``). It never writes to the review store: a
killed retrain loses only its model. Its inputs arrive once (:class:`WorkerData`, the
release's distinct narratives and the labelled file) and per retrain (:class:`RetrainTask`).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import AllegationsError

if TYPE_CHECKING:
    from ..training import Codebook

__all__ = [
    "ACTIVE_BIAS_NOTE",
    "EVIDENCE_AHEAD",
    "LoopModel",
    "RetrainTask",
    "WorkerData",
    "init_worker",
    "retrain",
    "run_task",
    "warm_up",
]

#: Evidence phrases are worked out by the worker for this many of the next cases.
EVIDENCE_AHEAD = 100
#: The warning every model the loop trains carries in its card.
ACTIVE_BIAS_NOTE = (
    "Trained in the review's learning loop: {chosen} of its {n} training cases were chosen by "
    "the loop (the cases a model was least sure of), so its cross-validated figures are "
    "biased (hard cases are over-represented). Estimates for publication come from a random "
    "audit: allegations review DATA --strategy audit, then allegations estimate."
)


@dataclass(frozen=True)
class RetrainTask:
    """What one retrain needs beyond what the worker holds from its start.

    ``decided`` lists ``(text, labels, chosen)`` per decided case (``chosen``: the loop or a
    model put it on screen, rather than a random draw); ``candidates`` are positions in
    the worker's distinct release texts still to be ranked.
    """

    number: int
    decided: tuple[tuple[str, tuple[str, ...], bool], ...]
    candidates: tuple[int, ...]
    n_rank: int


@dataclass
class LoopModel:
    """One retrain's outcome: the model's figures, and its view of the ranked cases."""

    number: int
    ok: bool
    message: str = ""
    model_id: str = ""
    labels: list[str] = field(default_factory=list)
    n_cases: int = 0
    macro_f1: float | None = None
    macro_f1_95ci: list[float] | None = None
    seconds: float = 0.0
    #: Positions in the worker's distinct texts, best first, with their scores.
    order: list[int] = field(default_factory=list)
    proba: np.ndarray | None = None
    decided: np.ndarray | None = None
    evidence: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    model_dir: str | None = None

    def status(self) -> str:
        """The one-line status the screen shows."""
        if not self.ok:
            return f"model {self.number} not trained: {self.message}"
        line = f"model {self.number}, trained on {self.n_cases} cases"
        if self.macro_f1 is not None:
            line += f", cross-validated macro-F1 {self.macro_f1:.2f}"
            if self.macro_f1_95ci:
                low, high = self.macro_f1_95ci
                line += f" ({low:.2f}-{high:.2f})"
        return line


@dataclass
class WorkerData:
    """What the worker holds for the whole session (sent once)."""

    texts: list[str]
    labelled_texts: list[str]
    labelled_sets: list[list[str]]
    codebook: dict[str, Any] | None
    labels: list[str]
    single_label: bool
    strategy: str
    seed: int
    out: str | None


_DATA: WorkerData | None = None


def init_worker(base: WorkerData, parent: int) -> None:
    """Start of the worker process: keep the session's data, stay quiet and polite."""
    global _DATA
    _DATA = base
    try:  # below the screen's process, so a retrain never slows a key press
        os.nice(5)
    except (AttributeError, OSError):
        pass
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - scikit-learn brings threadpoolctl
        pass
    # Nothing may write over the review screen: the model's notes come back in the result.
    logging.getLogger().handlers[:] = [logging.NullHandler()]
    logging.getLogger().propagate = False
    warnings.simplefilter("ignore")
    # ``parent`` comes from the review itself: it may be gone before this process is up.
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """End the worker when the review that started it is gone (killed with -9, say): an
    orphaned worker would otherwise wait for work forever."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def warm_up() -> None:
    """A first task that only brings the worker up, with the library imported."""
    from ..training import train  # noqa: F401


def run_task(task: RetrainTask) -> LoopModel:
    assert _DATA is not None, "the learning loop's worker was not initialised"
    return retrain(_DATA, task)


def _training_set(
    base: WorkerData, task: RetrainTask
) -> tuple[list[str], list[list[str]], int, int]:
    """The labelled file's rows with the store's decisions added (a decision on a narrative
    of the file replaces that row's labels); single-label designs keep one-label cases.

    Returns texts, label sets, the number chosen by the loop and the number from the store.
    """
    reviewed = {text for text, _, _ in task.decided}
    rows = [
        (text, list(given), False)
        for text, given in zip(base.labelled_texts, base.labelled_sets, strict=True)
        if text not in reviewed
    ]
    n_file = len(rows)
    rows += [(text, list(decided), chosen) for text, decided, chosen in task.decided]
    keep = [not base.single_label or len(r[1]) == 1 for r in rows]
    kept = [r for r, k in zip(rows, keep, strict=True) if k]
    n_decided = sum(keep[n_file:])
    return [r[0] for r in kept], [r[1] for r in kept], sum(r[2] for r in kept), n_decided


def _codebook_for(base: WorkerData, sets: list[list[str]]) -> Codebook | None:
    """The codebook restricted to the labels that have a case so far (a label with none
    cannot be learned yet; it keeps the codebook's own scores)."""
    if base.codebook is None:
        return None
    from ..training import Codebook

    given = {x for s in sets for x in s}
    data = dict(base.codebook)
    data["labels"] = [e for e in base.codebook.get("labels", []) if e.get("name") in given]
    return Codebook.from_dict(data)


def retrain(base: WorkerData, task: RetrainTask) -> LoopModel:
    """Train on the labelled cases and decisions, then rank the candidates (the worker's job).

    Never raises for a model that cannot be trained yet (too few cases, a label without a
    case): the result says why, and the queue keeps its order.
    """
    from ..model import save_model
    from ..training import train

    started = time.perf_counter()
    texts, sets, n_chosen, n_decided = _training_set(base, task)
    result = LoopModel(number=task.number, ok=False, n_cases=len(texts))
    try:
        codebook = _codebook_for(base, sets)
        model = train(texts, sets, codebook=codebook, seed=base.seed)
    except AllegationsError as exc:
        result.message = f"{exc} It is tried again after more decisions."
        result.seconds = time.perf_counter() - started
        return result
    cv = model.card.get("cross_validation") or {}
    note = ACTIVE_BIAS_NOTE.format(chosen=n_chosen, n=len(texts))
    model.card["learning_loop"] = {
        "model_number": task.number,
        "n_training_cases": len(texts),
        "n_from_labelled_file": len(texts) - n_decided,
        "n_from_review": n_decided,
        "n_chosen_by_loop": n_chosen,
        "strategy": base.strategy,
        "note": note,
    }
    model.card.setdefault("notes", []).append(note)
    result.model_id = _save(model, save_model, base.out)
    result.model_dir = base.out
    candidates = list(task.candidates)
    cand_texts = [base.texts[i] for i in candidates]
    proba, decided = _view(model, cand_texts, base)
    from ._select import rank_by_scores

    order = rank_by_scores(
        proba, decided, task.n_rank, strategy=base.strategy, texts=cand_texts, seed=base.seed
    )
    ahead = order[:EVIDENCE_AHEAD]
    known = [base.labels.index(x) for x in model.labels]
    if ahead and known:
        sub = decided[np.ix_(ahead, known)]
        for i, items in zip(ahead, model.explain([cand_texts[i] for i in ahead], sub), strict=True):
            phrases: dict[str, list[str]] = {}
            for item in items:
                phrases.setdefault(str(item["label"]), []).append(str(item["phrase"]))
            result.evidence[candidates[i]] = phrases
    result.ok = True
    result.labels = list(model.labels)
    result.macro_f1 = cv.get("macro_f1")
    result.macro_f1_95ci = cv.get("macro_f1_95ci")
    result.order = [candidates[i] for i in order]
    result.proba = proba[order].astype(np.float32)
    result.decided = decided[order].astype(np.int8)
    result.seconds = time.perf_counter() - started
    return result


def _view(model: Any, texts: list[str], base: WorkerData) -> tuple[np.ndarray, np.ndarray]:
    """The model's probabilities and decisions (its own rule, :meth:`Tagger.decide`; blank
    narratives get no label, as in ``predict``) in the session's label order. A label the
    model cannot learn yet takes the codebook's score and, on a multi-label design, the
    codebook's suggestion (:class:`~allegations.review._cold.CodebookScorer`'s rule)."""
    proba = np.zeros((len(texts), len(base.labels)))
    decided = np.zeros(proba.shape, dtype=np.int8)
    if not texts:
        return proba, decided
    own = model.predict_proba(texts)
    known = [base.labels.index(x) for x in model.labels]
    proba[:, known] = own
    decided[:, known] = model.decide(own)
    missing = [j for j, x in enumerate(base.labels) if x not in model.labels]
    if missing and base.codebook is not None:
        from ..training import Codebook
        from ._cold import SUGGEST_AT
        from ._select import codebook_scores

        scores = codebook_scores(texts, Codebook.from_dict(base.codebook))
        names = [e.get("name") for e in base.codebook.get("labels", [])]
        for j in missing:
            if base.labels[j] in names:
                proba[:, j] = scores[:, names.index(base.labels[j])]
                if not base.single_label:  # one label per case: the model's top label stays
                    decided[:, j] = proba[:, j] >= SUGGEST_AT
    decided[model.blank_mask(texts)] = 0
    return proba, decided


def _save(model: Any, save_model: Any, out: str | None) -> str:
    """Save the model (its id names it in the decisions): to ``out`` when given, as
    ``allegations train --out`` writes (each file atomically, the manifest last; other
    files in the folder are left alone), else to a folder thrown away."""
    if out is not None:
        return str(save_model(model, out))
    with tempfile.TemporaryDirectory(prefix="allegations-loop-") as tmp:
        return str(save_model(model, tmp))
