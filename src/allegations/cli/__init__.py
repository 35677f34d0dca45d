"""The ``allegations`` command line: one module per command, each a thin wrapper."""

from __future__ import annotations

from . import (  # noqa: F401  (registers the commands)
    agreement,
    compare_release,
    curve,
    demo,
    estimate,
    evaluate,
    export,
    import_,
    predict,
    report,
    review,
    suspects,
    train,
)
from ._app import app, main

__all__ = ["app", "main"]
