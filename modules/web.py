"""The HTTP layer around the Streamlit app (served by `st.App` in app.py): security headers, the WebSocket origin
check, and a health route for a load balancer. Plain ASGI and Starlette; nothing here imports streamlit.

- Every HTTP response says the app may not be framed by another site (clickjacking): `X-Frame-Options: DENY` and
  `Content-Security-Policy: frame-ancestors 'none'`, plus `X-Content-Type-Options: nosniff` and a referrer policy.
- A WebSocket (Streamlit's live channel) is accepted only from the app's own origin: the page's address, or the
  public address in TRAINING_BASE_URL. A page on any other site, `http://localhost:<another port>` included, is
  refused, so it cannot drive a signed-in person's session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from modules import settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECURITY_HEADERS = {
    b"x-frame-options": b"DENY",
    b"content-security-policy": b"frame-ancestors 'none'",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
}


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(host: str | None, scheme: str) -> set[str]:
    """The origins a WebSocket may come from: the address the request was sent to, and the public address."""
    allowed = {_origin_of(settings.get("TRAINING_BASE_URL"))}
    if host:
        allowed.add(f"{scheme}://{host}".lower())
    return allowed


class SecurityMiddleware:
    """Adds the security headers to every HTTP response and refuses WebSockets from other origins."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and not self._same_origin(scope):
            await send({"type": "websocket.close", "code": 1008})  # policy violation: a foreign page
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in SECURITY_HEADERS.items() if name not in present]
            await send(message)

        await self.app(scope, receive, with_headers)

    @staticmethod
    def _same_origin(scope: Scope) -> bool:
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        origin = headers.get("origin")
        if origin is None:
            return True  # not a browser page (a health probe, a script): the XSRF token still guards actions
        scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
        return origin.lower() in allowed_origins(headers.get("host"), scheme)


async def healthz(request: Request) -> Response:
    """200 only when the record store answers and every question bank loads: for a load balancer's probe."""
    from modules.banks import load_banks
    from modules.core.errors import TrainingError

    try:
        banks = load_banks(settings.get("TRAINING_BANKS_DIR"))
        store = _store(settings.get("TRAINING_DB_URL"))
        revision = store.revision()
    except TrainingError as error:
        return JSONResponse({"status": "unavailable", "reason": str(error)}, status_code=503)
    if banks.problems or not banks.modules:
        return JSONResponse({"status": "unavailable", "reason": "a question bank has problems"}, status_code=503)
    return JSONResponse({"status": "ok", "modules": len(banks.modules), "schema": revision})


_stores: dict[str, Any] = {}


def _store(url: str) -> Any:
    from modules.store import Store

    if url not in _stores:
        _stores[url] = Store.open(url, audit_key=settings.audit_key())
    return _stores[url]


ROUTES = [Route("/healthz", healthz, methods=["GET"])]
