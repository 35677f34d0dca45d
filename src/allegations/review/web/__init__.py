"""Review in the browser: the terminal review's sessions and store behind a local web page.

Needs the ``web`` extra (Starlette, uvicorn): ``pip install 'allegations[web]'``.
"""

from __future__ import annotations

from ._app import COOKIE, CSP, create_app, loopback, open_socket, serve
from ._hub import ReviewHub, StaleState, case_segments, reviewer_name

__all__ = [
    "COOKIE",
    "CSP",
    "ReviewHub",
    "StaleState",
    "case_segments",
    "create_app",
    "loopback",
    "open_socket",
    "reviewer_name",
    "serve",
]
