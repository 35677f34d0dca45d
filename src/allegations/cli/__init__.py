"""The ``allegations`` command line: one module per command, each a thin wrapper."""

from __future__ import annotations

from . import compare_release, demo, evaluate, predict, train  # noqa: F401  (registers)
from ._app import app, main

__all__ = ["app", "main"]
