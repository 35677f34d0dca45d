"""The ``allegations`` command line: one module per command, each a thin wrapper."""

from __future__ import annotations

from . import demo, evaluate, predict, suspects, train  # noqa: F401  (registers the commands)
from ._app import app, main

__all__ = ["app", "main"]
