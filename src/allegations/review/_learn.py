"""The learning loop: a model retrained in the background while the reviewer reviews.

``allegations review DATA --learn`` attaches a :class:`Learner` to the review session.
After every ``every`` decisions (and never while a retrain is still running) it hands the
labelled file's cases plus the store's decisions to a worker process, which trains a
model with the default options (:func:`allegations.train`), scores the release's
undecided narratives and ranks them with :func:`~allegations.review._select.rank_by_scores`.
The screen never waits: each key press only asks whether the worker is done
(:meth:`Learner.poll`), and when it is, the cases after the one on screen are re-ranked
with the new model's view (:meth:`ReviewSession.requeue`). Decisions are saved exactly as
in any review, before the next case shows; the worker writes nothing to the store, so a
killed review loses no decision and a killed retrain loses only that model.

The worker (:mod:`~allegations.review._learn_worker`) is one long-lived process (spawned,
so it is safe beside the web server's threads) that receives the release's distinct
narratives and the labelled file once, at start, and afterwards only the decisions: a key
press never pays for pickling a release. Without a worker (``--export-sheet`` with
``--learn``) the same job runs in this process.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, LabelError
from ..model import check_model_folder, confidence_of
from ._learn_worker import (
    LoopModel,
    RetrainTask,
    WorkerData,
    init_worker,
    retrain,
    run_task,
    warm_up,
)

if TYPE_CHECKING:
    from ..batch import LabelSpec
    from ..tables import TableOptions
    from ..training import Codebook
    from ._cases import Case
    from ._session import ReviewSession

__all__ = ["DEFAULT_EVERY", "Learner", "attach_learner"]

log = logging.getLogger(__name__)

#: Decisions between two retrains (issue 18 asks for about 20-50).
DEFAULT_EVERY = 25
#: Strategies whose order is the loop's (or a model's) choice, not a random draw.
RANDOM_STRATEGIES = ("random", "audit")


# -- the loop in the session --------------------------------------------------------------
class Learner:
    """Retrains in a background process every ``every`` decisions; re-ranks the queue.

    Parameters
    ----------
    pool : list of Case
        Every case of the release (the queue is re-ranked from these).
    labels : list of str
        The session's labels (the keys 1-9 keep their meaning across models).
    labelled_texts, labelled_sets : sequences
        The labelled file's cases (may be empty: the store's decisions alone).
    codebook : Codebook, optional
    single_label : bool
        Train one-label-per-case models (the store's label design).
    strategy : str
        How each new model ranks the queue (a :func:`~allegations.select` strategy).
    every : int
        Decisions between retrains.
    limit : int, optional
        The queue's length (the first N of each ranking).
    out : Path, optional
        Folder that holds the latest model.
    background : bool
        Retrain in a worker process (False: in this process, for sheets and tests).
    """

    def __init__(
        self,
        pool: Sequence[Case],
        *,
        labels: Sequence[str],
        labelled_texts: Sequence[str] = (),
        labelled_sets: Sequence[Sequence[str]] = (),
        codebook: Codebook | None = None,
        single_label: bool = False,
        strategy: str = "default",
        every: int = DEFAULT_EVERY,
        limit: int | None = None,
        seed: int = 0,
        out: str | Path | None = None,
        background: bool = True,
    ) -> None:
        if every < 1:
            raise InputError(f"every must be at least 1 decision, not {every}.")
        if out is not None:  # before the review, not in the worker after the first retrain
            check_model_folder(out)
        self.every = int(every)
        self.limit = limit
        self.labels = list(labels)
        from ._select import SELECT_STRATEGIES

        # A codebook or suspects queue hands over to the measured default once a model exists.
        self.strategy = strategy if strategy in SELECT_STRATEGIES else "default"
        # One entry per distinct narrative: a release repeats narratives.
        first: dict[str, str] = {}
        for case in pool:
            first.setdefault(case.text_hash, case.text)
        texts = list(first.values())
        self.pool = list(pool)
        self._hashes = list(first)
        self._base = WorkerData(
            texts=texts,
            labelled_texts=[str(t) for t in labelled_texts],
            labelled_sets=[list(s) for s in labelled_sets],
            codebook=codebook.to_dict() if codebook is not None else None,
            labels=self.labels,
            single_label=single_label,
            strategy=self.strategy,
            seed=seed,
            out=str(out) if out is not None else None,
        )
        self._executor: ProcessPoolExecutor | None = None
        self._future: Future[LoopModel] | None = None
        self.since = 0  # decisions since the last retrain started
        self.number = 0  # retrains started
        self.latest: LoopModel | None = None  # the latest finished retrain
        self.model: LoopModel | None = None  # the latest successful one
        self.generation = 0  # bumps when a new ranking is ready
        self._ranked: list[Case] = []
        if background:
            ctx = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=ctx,
                initializer=init_worker,
                initargs=(self._base, os.getpid()),
            )
            # Start the worker now, before the first screen: spawning it (an interpreter
            # that imports the library and receives the release) takes a second or two that
            # no key press should pay.
            self._executor.submit(warm_up)

    # -- state ----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """A retrain is under way."""
        return self._future is not None and not self._future.done()

    def status(self) -> str:
        """One line for the screen: the running retrain and the latest model."""
        parts = []
        if self.running:
            parts.append(f"model {self.number} training in the background")
        if self.latest is not None:
            parts.append(self.latest.status())
        elif not self.running:
            left = max(self.every - self.since, 0)
            parts.append(f"the first model trains after {left} more decision(s)")
        return "; ".join(parts)

    # -- events ---------------------------------------------------------------------------
    def note_decision(self, session: ReviewSession) -> None:
        """Count one saved decision; start a retrain when ``every`` are in and none runs."""
        self.since += 1
        self.maybe_start(session)

    def maybe_start(self, session: ReviewSession) -> bool:
        """Start a retrain if enough decisions came in and none is running."""
        self.poll()
        if self.running or self.since < self.every:
            return False
        self.start(session)
        return True

    def start(self, session: ReviewSession) -> None:
        """Hand the store's decisions to the worker (or retrain here, without a worker)."""
        task = self._task(session)
        self.since = 0
        self.number += 1
        if self._executor is None:
            self._finish(retrain(self._base, task))
            return
        self._future = self._executor.submit(run_task, task)

    def wait(self, timeout: float | None = None) -> LoopModel | None:
        """Block until the running retrain is done (tests, sheets, the end of a session)."""
        if self._future is not None:
            self._future.result(timeout=timeout)
        self.poll()
        return self.latest

    def poll(self) -> bool:
        """Take a finished retrain's result (never blocks); True when a new ranking is ready."""
        future = self._future
        if future is None or not future.done():
            return False
        self._future = None
        try:
            result = future.result()
        except Exception as exc:  # the worker died or failed: the review goes on
            log.warning("The background retrain stopped (%s); the queue keeps its order.",
                        type(exc).__name__)  # fmt: skip
            result = LoopModel(
                number=self.number, ok=False, message=f"the retrain stopped ({type(exc).__name__})"
            )
        return self._finish(result)

    def _finish(self, result: LoopModel) -> bool:
        self.latest = result
        if not result.ok:
            return False
        self.model = result
        self._ranked = self._cases(result)
        self.generation += 1
        return True

    def _task(self, session: ReviewSession) -> RetrainTask:
        final = session.store.final(None)
        texts = session.store.texts(final)
        decided = tuple(
            (texts[h], tuple(d.labels), d.strategy not in RANDOM_STRATEGIES)
            for h, d in sorted(final.items(), key=lambda kv: kv[1].seq)
            if h in texts
        )
        candidates = tuple(i for i, h in enumerate(self._hashes) if h not in final)
        n_rank = len(candidates) if self.limit is None else min(len(candidates), self.limit)
        return RetrainTask(self.number + 1, decided, candidates, n_rank)

    def _cases(self, result: LoopModel) -> list[Case]:
        """The ranked cases with the new model's view (one Case per row of the release)."""
        from ._cases import Case

        by_hash: dict[str, list[Case]] = {}
        for case in self.pool:
            by_hash.setdefault(case.text_hash, []).append(case)
        assert result.proba is not None and result.decided is not None
        confidence = confidence_of(result.proba, result.decided)
        out: list[Case] = []
        for k, i in enumerate(result.order):
            scores = {
                x: round(float(p), 4) for x, p in zip(self.labels, result.proba[k], strict=True)
            }
            predicted = [x for x, d in zip(self.labels, result.decided[k], strict=True) if d]
            for old in by_hash[self._hashes[i]]:
                out.append(
                    Case(
                        case_id=old.case_id,
                        text=old.text,
                        text_hash=old.text_hash,
                        scores=scores,
                        predicted=predicted,
                        confidence=round(float(confidence[k]), 4),
                        evidence=dict(result.evidence.get(i, {})),
                        model_id=result.model_id,
                    )
                )
        return out

    def upcoming(self) -> list[Case]:
        """The latest ranking (empty before the first model)."""
        return self._ranked

    def close(self) -> None:
        """Stop the worker (a running retrain is abandoned; its model is not kept)."""
        if self._executor is not None:
            processes = list((getattr(self._executor, "_processes", None) or {}).values())
            self._executor.shutdown(wait=False, cancel_futures=True)
            for proc in processes:
                if proc.is_alive():
                    proc.terminate()
            self._executor = None
            self._future = None


def attach_learner(
    session: ReviewSession,
    *,
    labelled: Sequence[str | Path] = (),
    spec: LabelSpec | None = None,
    table: TableOptions | None = None,
    codebook: Codebook | None = None,
    every: int = DEFAULT_EVERY,
    limit: int | None = None,
    seed: int = 0,
    out: str | Path | None = None,
    background: bool = True,
) -> Learner:
    """Start the learning loop on ``session``, whose queue holds the whole release in order.

    ``labelled`` tables (the cases labelled before this review) are read with the column
    and layout options the model's training data was read with (recorded in the store), as
    ``export`` writes them; an option not recorded (a codebook start, a model trained through the
    API) is taken from ``spec`` and ``table``, else the defaults. The queue is cut to
    ``limit`` cases, re-ranked from the whole release by each new model.

    Raises
    ------
    InputError, ColumnError, LabelError
        A labelled table that cannot be read, or that uses labels the review does not have.
    """
    from ..batch import LabelSpec, read_labelled
    from ..tables import TableOptions

    texts: list[str] = []
    sets: list[list[str]] = []
    if labelled:
        recorded = json.loads(session.store.meta().get("training_options", "{}") or "{}")
        given, layout = spec or LabelSpec(), table or TableOptions()
        label_cols = tuple(recorded.get("label_cols") or ())
        spec = LabelSpec(
            labels_col=recorded.get("labels_col") or given.labels_col,
            label_sep=recorded.get("label_sep") or given.label_sep,
            label_cols=label_cols or (() if recorded else given.label_cols),
        )
        table = TableOptions(
            text_col=recorded.get("text_col") or layout.text_col,
            id_col=recorded.get("id_col") if recorded else layout.id_col,
            **(TableOptions.recorded_layout(recorded) or layout.layout()),
        )
        data = read_labelled(list(labelled), spec=spec, table=table)
        names = {x.casefold(): x for x in session.labels}
        unknown = sorted({x for s in data.label_sets for x in s if x.casefold() not in names})
        if unknown:
            shown = ", ".join(repr(x) for x in unknown[:5])
            raise LabelError(
                f"The labelled file uses {len(unknown)} label(s) this review does not have "
                f"({shown}); its labels are: {', '.join(session.labels)}. Pass a labelled "
                "file coded with the same codebook, or rename its labels."
            )
        texts = ["" if t is None else str(t) for t in data.texts]
        sets = [[names[x.casefold()] for x in s] for s in data.label_sets]
    learner = Learner(
        session.queue,
        labels=session.labels,
        labelled_texts=texts,
        labelled_sets=sets,
        codebook=codebook,
        single_label=session.single_label,
        strategy=session.strategy,
        every=every,
        limit=limit,
        seed=seed,
        out=out,
        background=background,
    )
    session.learner = learner
    session.requeue(list(session.queue), limit=limit)
    return learner
