"""Tag chunks of texts, in this process or in a pool of worker processes.

Each worker process loads the model once (from the pickled bytes it is handed when it
starts) and tags whole chunks; results come back in input order, so the output does not
depend on the number of processes.
"""

from __future__ import annotations

import collections
import multiprocessing
import pickle
import signal
import sys
import time
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model import Tagger

__all__ = ["STAGES", "ChunkResult", "tag_chunk", "tag_chunks", "RunTotals"]

#: The timed stages of a run, in order ("classify" is the model's calibrated probabilities).
STAGES = ("read", "preprocess", "features", "classify", "label", "write")


@dataclass
class ChunkResult:
    """The predictions for one chunk and what it took to make them."""

    frame: pd.DataFrame
    label_counts: np.ndarray
    n_no_label: int
    n_needs_review: int
    n_empty_text: int
    n_distinct: int
    seconds: dict[str, float]


def tag_chunk(
    model: Tagger, texts: Sequence[Any], ids: Sequence[Any], evidence: bool = False
) -> ChunkResult:
    """Tag one chunk with ``model`` and time each stage.

    Exact duplicate texts within the chunk are preprocessed and scored once (releases
    repeat narratives: the Chicago intake file has 19 % exact duplicates); every row still
    gets its own output row. The rows come from the model's own methods
    (``featurize``, ``proba_from_features``, ``frame_from_proba``), so they equal
    ``model.predict``.
    """
    t0 = time.perf_counter()
    first: dict[Any, int] = {}
    inverse = np.fromiter(
        (first.setdefault(_key(t), len(first)) for t in texts), dtype=np.int64, count=len(texts)
    )
    distinct = [None] * len(first)
    for text, j in zip(texts, inverse.tolist(), strict=True):
        if distinct[j] is None:
            distinct[j] = text
    seconds = {"preprocess": time.perf_counter() - t0}
    X, n_tokens = model.featurize(distinct, seconds)
    t2 = time.perf_counter()
    proba = model.proba_from_features(X)
    proba = proba[inverse] if len(texts) else proba
    t3 = time.perf_counter()
    # Decided once: the table, the evidence and the run's counts share the decisions, and
    # a blank narrative counts under no label (it gets none in the table).
    blank = model.blank_mask(texts)
    decided = model.decide(proba)
    if blank.any():
        decided[blank] = 0
    frame = model.frame_from_proba(proba, ids, blank, decided)
    if evidence:  # cited phrases and sentences: costs far more than tagging itself
        model.add_evidence(frame, list(texts), decided)
    seconds["classify"] = t3 - t2
    seconds["label"] = time.perf_counter() - t3
    empty = n_tokens == 0
    return ChunkResult(
        frame=frame,
        label_counts=decided.sum(axis=0).astype(np.int64),
        n_no_label=int((decided.sum(axis=1) == 0).sum()) if len(decided) else 0,
        n_needs_review=int(np.asarray(frame["needs_review"], dtype=bool).sum()),
        n_empty_text=int(empty[inverse].sum()) if len(texts) else 0,
        n_distinct=len(distinct),
        seconds=seconds,
    )


def _key(text: Any) -> Any:
    # None and NaN both mean "no text" to the preprocessor.
    if text is None or (isinstance(text, float) and text != text):
        return None
    return text


_WORKER_MODEL: Tagger | None = None


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _set_mask(how: int) -> None:
    """Block or unblock Ctrl-C and SIGTERM for this thread (POSIX; a no-op elsewhere)."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(how, _STOP_SIGNALS)


def _init_worker(model_bytes: bytes | None) -> None:
    global _WORKER_MODEL
    # The parent handles Ctrl-C and stops the pool; workers must not print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the CLI's handler is the parent's
    _set_mask(signal.SIG_UNBLOCK)  # blocked by the parent around the fork
    if model_bytes is not None:
        _WORKER_MODEL = pickle.loads(model_bytes)


def _work(texts: list[Any], ids: list[Any], evidence: bool) -> ChunkResult:
    assert _WORKER_MODEL is not None, "worker started without a model"
    return tag_chunk(_WORKER_MODEL, texts, ids, evidence)


def tag_chunks(
    model: Tagger,
    chunks: Iterable[tuple[list[Any], list[Any]]],
    *,
    n_process: int = 1,
    evidence: bool = False,
) -> Generator[ChunkResult, None, None]:
    """Tag ``(texts, ids)`` chunks in order, with ``n_process`` processes.

    With more than one process, at most two chunks per process are in flight, so memory
    stays flat however long the input is.

    Raises
    ------
    InputError
        If ``n_process`` is below 1.
    """
    if n_process < 1:
        raise InputError(f"`n_process` {n_process} must be at least 1.")
    if n_process == 1:
        for texts, ids in chunks:
            yield tag_chunk(model, texts, ids, evidence)
        return
    global _WORKER_MODEL
    # Warm the model (spaCy pipeline, lemma table) once here: forked workers inherit it.
    model.featurize(["warm up"])
    # Ctrl-C or kill during the fork would raise KeyboardInterrupt inside the interpreter's
    # after-fork hooks, where it is swallowed (the run then goes on) or leaves a lock
    # half-released. Block them until the pool exists; a pending one lands just below,
    # inside the try, where the pool is stopped cleanly.
    _set_mask(signal.SIG_BLOCK)
    try:
        if sys.platform.startswith("linux"):
            # fork: workers start at once with the loaded model (no re-import, no unpickling).
            ctx: Any = multiprocessing.get_context("fork")
            _WORKER_MODEL = model
            pool = ctx.Pool(n_process, initializer=_init_worker, initargs=(None,))
        else:
            # spawn: a fresh interpreter per worker, which unpickles the model once.
            ctx = multiprocessing.get_context("spawn")
            payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
            pool = ctx.Pool(n_process, initializer=_init_worker, initargs=(payload,))
    except BaseException:
        _set_mask(signal.SIG_UNBLOCK)
        raise
    pending: collections.deque[Any] = collections.deque()
    try:
        _set_mask(signal.SIG_UNBLOCK)
        for texts, ids in chunks:
            pending.append(pool.apply_async(_work, (texts, ids, evidence)))
            while len(pending) >= 2 * n_process:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
        pool.close()
    finally:
        pool.terminate()
        pool.join()
        _WORKER_MODEL = None


@dataclass
class RunTotals:
    """Counts and timings summed over the chunks of a run."""

    labels: list[str]
    rows: int = 0
    label_counts: np.ndarray | None = None
    no_label: int = 0
    needs_review: int = 0
    empty_text: int = 0
    distinct_texts: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    def add(self, result: ChunkResult) -> None:
        """Add one chunk's counts and timings."""
        self.rows += len(result.frame)
        if self.label_counts is None:
            self.label_counts = np.zeros(len(self.labels), dtype=np.int64)
        self.label_counts += result.label_counts
        self.no_label += result.n_no_label
        self.needs_review += result.n_needs_review
        self.empty_text += result.n_empty_text
        self.distinct_texts += result.n_distinct
        for stage, secs in result.seconds.items():
            self.seconds[stage] = self.seconds.get(stage, 0.0) + secs

    def counts(self) -> dict[str, int]:
        """Rows per label."""
        counts = self.label_counts if self.label_counts is not None else np.zeros(len(self.labels))
        return {label: int(c) for label, c in zip(self.labels, counts, strict=True)}
