"""The web review's HTTP side: a Starlette app behind a guard, and the server that runs it.

Every request needs the run's random token (in the first URL, then in an HttpOnly,
SameSite=Strict cookie); every state change is a POST carrying a second token in a
header from a page of the same origin; every response forbids external loads and inline
script. Narrative text only ever travels in JSON response bodies: never in a URL, a
header or a log line (the access log is off).
"""

from __future__ import annotations

import hmac
import html
import json
import logging
import secrets
import signal
import socket
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...errors import AllegationsError, InputError
from ._hub import ReviewHub, StaleState

__all__ = ["COOKIE", "CSP", "create_app", "loopback", "open_socket", "serve"]

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "allegations_review"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-store",
}
MAX_BODY = 16_384
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def loopback(host: str) -> bool:
    """True for an address only this machine reaches."""
    return host in _LOOPBACK or host.startswith("127.")


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


class Guard:
    """ASGI middleware: token, Host, CSRF and Origin checks; security headers on every reply.

    ``allowed_hosts`` (``host:port`` values of the Host header) defends against DNS
    rebinding; None accepts any Host (a server on a non-loopback ``--host``).
    """

    def __init__(
        self, app: ASGIApp, *, token: str, csrf: str, allowed_hosts: Iterable[str] | None
    ) -> None:
        self.app = app
        self.token = token
        self.csrf = csrf
        self.allowed_hosts = None if allowed_hosts is None else set(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        request = Request(scope)
        problem = self._refuse(request)
        if problem is not None:
            await PlainTextResponse(problem, status_code=403)(scope, receive, send_secured)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if request.method == "GET" and "token" in query:
            # The one-time URL: swap the token for a cookie and drop it from the address bar.
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(
                COOKIE, self.token, httponly=True, samesite="strict", path="/", secure=False
            )
            await response(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)

    def _refuse(self, request: Request) -> str | None:
        host = request.headers.get("host", "")
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            return "Forbidden: unexpected Host header; open the URL the review printed."
        cookie = SimpleCookie()
        try:
            cookie.load(request.headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is no token
            cookie = SimpleCookie()
        held = cookie[COOKIE].value if COOKIE in cookie else None
        given = parse_qs(request.url.query).get("token", [None])[0]
        if not (_same(held, self.token) or (request.method == "GET" and _same(given, self.token))):
            return (
                "Forbidden: this review needs its token; open the full URL that "
                "'allegations review --web' printed."
            )
        if request.method not in ("GET", "HEAD"):
            if request.method != "POST":
                return "Forbidden: only GET and POST are used here."
            if not _same(request.headers.get("x-csrf-token"), self.csrf):
                return "Forbidden: missing or wrong X-CSRF-Token header."
            origin = request.headers.get("origin")
            if origin is None or origin != f"{request.url.scheme}://{host}":
                return "Forbidden: cross-origin request."
            if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
                return "Forbidden: cross-site request."
        return None


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InputError(f"The request body is {len(raw)} bytes; at most {MAX_BODY} are read.")
    try:
        data = json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError("The request body is not JSON; send a JSON object.") from None
    if not isinstance(data, dict):
        raise InputError("The request body is not a JSON object; send one.")
    return data


def _api(action: Callable[[ReviewHub, dict[str, Any]], Any], hub: ReviewHub) -> Callable[..., Any]:
    async def endpoint(request: Request) -> Response:
        try:
            state = await action(hub, await _body(request))
        except StaleState as stale:
            return JSONResponse(stale.state, status_code=409)
        except InputError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except AllegationsError as exc:  # the store: the decision was NOT saved
            log.error("%s", exc)
            return JSONResponse({"error": str(exc)}, status_code=500)
        except Exception as exc:  # never a traceback that might quote a narrative
            log.error("Unexpected %s in the web review.", type(exc).__name__)
            return JSONResponse(
                {"error": f"Unexpected {type(exc).__name__}; nothing was saved. Reload the page."},
                status_code=500,
            )
        return JSONResponse(state)

    return endpoint


def create_app(
    hub: ReviewHub,
    *,
    token: str,
    csrf: str | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> ASGIApp:
    """The ASGI app of a web review over ``hub``, guarded by ``token``.

    Parameters
    ----------
    hub : ReviewHub
    token : str
        The secret of the printed URL (and of the cookie it is exchanged for).
    csrf : str, optional
        The header token the page sends with each POST (random if not given).
    allowed_hosts : iterable of str, optional
        Accepted ``Host`` headers (``127.0.0.1:8765``...); None accepts any.
    """
    csrf = csrf or secrets.token_urlsafe(32)
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    page = page.replace("__CSRF__", html.escape(csrf, quote=True)).replace(
        "__REVIEWER__", html.escape(hub.default_reviewer, quote=True)
    )

    async def index(request: Request) -> Response:
        return Response(page, media_type="text/html; charset=utf-8")

    async def favicon(request: Request) -> Response:
        return Response(status_code=204)

    async def join(hub: ReviewHub, body: dict[str, Any]) -> dict[str, Any]:
        return await hub.join(body.get("reviewer"))

    async def press(hub: ReviewHub, body: dict[str, Any]) -> dict[str, Any]:
        return await hub.press(body.get("reviewer"), body.get("key"), body.get("version"))

    async def toggle(hub: ReviewHub, body: dict[str, Any]) -> dict[str, Any]:
        return await hub.toggle(body.get("reviewer"), body.get("number"), body.get("version"))

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        Route("/api/join", _api(join, hub), methods=["POST"]),
        Route("/api/key", _api(press, hub), methods=["POST"]),
        Route("/api/toggle", _api(toggle, hub), methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    return Guard(Starlette(routes=routes), token=token, csrf=csrf, allowed_hosts=allowed_hosts)


def open_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free port).

    Raises
    ------
    InputError
        If the address cannot be bound (port in use, unknown host).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say so. Without it
    # the response body waits behind its headers for the client's delayed ACK (40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise InputError(
            f"Cannot serve on {host}:{port} ({exc.strerror or exc}); pass another `port` "
            "(or none for a free one) or `host`."
        ) from None
    sock.set_inheritable(True)
    return sock


def serve(app: ASGIApp, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until Ctrl-C or SIGTERM; no access log."""
    import uvicorn

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        date_header=False,
    )

    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again for the
    # handler that was in place before: here, one that ends serving without a traceback.
    def stopped(signum: int, frame: object) -> None:
        raise _Stopped

    catch = [signal.SIGINT, signal.SIGTERM]
    previous = {s: signal.signal(s, stopped) for s in catch}
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except (_Stopped, KeyboardInterrupt):
        pass
    finally:
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _Stopped(Exception):
    """Ctrl-C or SIGTERM ended the server."""
