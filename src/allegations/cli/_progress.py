"""A progress bar on stderr for the library's long steps (training's folds): see
:mod:`allegations.training._progress`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..training import progress_callback
from ._app import err_console

__all__ = ["step_progress"]


@contextlib.contextmanager
def step_progress(enabled: bool, console: Console | None = None) -> Iterator[None]:
    """Show the steps run inside the block as one bar (step, units done of known, time),
    removed when the block ends. Disabled: no bar and no cost."""
    if not enabled:
        yield
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console or err_console,
        transient=True,
    )
    task = bar.add_task("Starting", total=None)

    def update(step: str, done: int, total: int) -> None:
        bar.update(task, description=step or "Working", completed=done, total=total or None)

    with bar, progress_callback(update):
        yield
