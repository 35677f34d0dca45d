"""Progress of long library steps (training's folds), reported to a caller's callback.

The library never prints: a caller that wants a progress bar installs a callback for the
duration of a call, and the steps report through it::

    with progress_callback(lambda step, done, total: print(step, done, total)):
        train(texts, label_sets)

Without a callback the reports cost nothing. The callback gets a short description of
the current step (no narrative text), the units done and the units known so far (the
total can grow once a step learns its size, as cross-validation does).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["ProgressCallback", "progress_callback", "add_work", "advance"]

ProgressCallback = Callable[[str, int, int], None]


@dataclass
class _Tracker:
    callback: ProgressCallback
    done: int = 0
    total: int = 0


_current: ContextVar[_Tracker | None] = ContextVar("allegations_progress", default=None)


@contextlib.contextmanager
def progress_callback(callback: ProgressCallback | None) -> Iterator[None]:
    """Send the progress of the steps run inside this block to ``callback(step, done, total)``
    (None: no reports)."""
    token = _current.set(_Tracker(callback) if callback is not None else None)
    try:
        yield
    finally:
        _current.reset(token)


def add_work(units: int, step: str = "") -> None:
    """Announce ``units`` more units of work (reported at once with the new total)."""
    tracker = _current.get()
    if tracker is not None:
        tracker.total += max(int(units), 0)
        tracker.callback(step, tracker.done, tracker.total)


def advance(step: str, units: int = 1) -> None:
    """Report ``units`` units of ``step`` done."""
    tracker = _current.get()
    if tracker is not None:
        tracker.done += max(int(units), 0)
        tracker.callback(step, tracker.done, tracker.total)
