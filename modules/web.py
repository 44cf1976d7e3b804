"""The HTTP layer around the Streamlit app (served by `st.App` in app.py): security headers, the WebSocket origin
check, a health route for a load balancer, and the public certificate check. Plain ASGI and Starlette; nothing here
imports streamlit.

- Every HTTP response says the app may not be framed by another site (clickjacking): `X-Frame-Options: DENY` and
  `Content-Security-Policy: frame-ancestors 'none'`, plus `X-Content-Type-Options: nosniff` and a referrer policy.
- A WebSocket (Streamlit's live channel) is accepted only from the app's own origin: the page's address, or the
  public address in TRAINING_BASE_URL. A page on any other site, `http://localhost:<another port>` included, is
  refused, so it cannot drive a signed-in person's session.
- `GET /verify/{code}` is what a certificate's QR code opens: a small server-rendered page (no script, no
  WebSocket) that says valid, expired or revoked with the holder, title and dates, nothing more. Its machine twin is
  `GET /verify/{code}.json`. Both allow each client address 30 requests a minute (429 with Retry-After beyond),
  so nobody can walk the code space from one machine. The Streamlit page at /verify (no code in the path) stays
  for people inside the app.
- The clinic's Open Badges 3.0 credentials (modules.credentials) are checked without signing in: its public key as a
  JWKS at `GET /credentials/jwks.json` and as a did:web document at `GET /.well-known/did.json` (also `/did.json`,
  where did:web looks when the public address has a path), and the signed revocation list at
  `GET /credentials/status/revocation`. Any site may fetch them (a wallet in a browser does).
"""

from __future__ import annotations

import base64
import hashlib
import html
import ipaddress
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from modules import settings

if TYPE_CHECKING:
    from modules.register import PublicRecord
    from modules.store import Store

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
        headers: dict[str, str] = {name.decode("latin-1").lower(): value.decode("latin-1")
                                   for name, value in scope["headers"]}
        origin = headers.get("origin")
        if origin is None:
            return True  # not a browser page (a health probe, a script): the XSRF token still guards actions
        scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
        if origin.lower() in allowed_origins(headers.get("host"), scheme):
            return True
        # The address a manager recorded (a proxy that rewrites Host and drops X-Forwarded-Proto still passes);
        # read only for an origin nothing else allowed, so an ordinary connection costs no query.
        return origin.lower() == _origin_of(_recorded_public_address())


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


def _recorded_public_address() -> str:
    """The public address the manager recorded (modules.clinic), or the setting when the store cannot say."""
    from modules import clinic
    from modules.core.errors import TrainingError

    try:
        return clinic.public_address(_store(settings.get("TRAINING_DB_URL")))
    except TrainingError:
        return settings.get("TRAINING_BASE_URL")


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()  # the verify routes open the store from worker threads


def _store(url: str) -> Store:
    from modules.store import Store

    with _stores_lock:
        if url not in _stores:
            _stores[url] = Store.open(url, audit_key=settings.audit_key())
        return _stores[url]


# ----------------------------------------------------------------------------------- public verification


class RateLimit:
    """At most `limit` requests in any `window` seconds from one address: a sliding window of request times per
    address. Only the `max_addresses` most recently seen addresses are remembered, so a flood of addresses cannot
    fill the memory. Used from the event loop only (no await inside), so it needs no lock."""

    def __init__(self, limit: int = 30, window: float = 60.0, max_addresses: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.max_addresses, self.clock = limit, window, max_addresses, clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, address: str) -> int | None:
        """None when this request may go ahead (it is counted); else the whole seconds until one may."""
        now = self.clock()
        hits = self._hits.pop(address, None) or deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        self._hits[address] = hits  # most recently seen last
        if len(hits) >= self.limit:
            return max(1, math.ceil(hits[0] + self.window - now))
        hits.append(now)
        while len(self._hits) > self.max_addresses:
            self._hits.popitem(last=False)
        return None


verify_limit = RateLimit()


def client_address(request: Request) -> str:
    """The client's address from the ASGI scope. Behind a reverse proxy on this machine uvicorn has already put the
    visitor's there, from X-Forwarded-For (it trusts 127.0.0.1 and ::1). Bound to "::" (Streamlit's default without
    --server.address) the proxy arrives as ::ffff:127.0.0.1, which uvicorn does not trust: then, as the sign-in
    throttle does, the address the proxy added last to X-Forwarded-For counts, so visitors do not share one limit."""
    host = request.client.host if request.client and request.client.host else ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    if (mapped or ip).is_loopback:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[-1].strip()
        return forwarded or host
    return host


_VERDICTS = {
    "valid": "Valid: this certificate is genuine and current.",
    "expired": "Expired: this certificate is genuine but no longer current.",
    "revoked": "Revoked: this certificate was withdrawn by the clinic and is not valid.",
}
_NO_MATCH = "No certificate matches this code. Check that it was typed exactly as printed."
_CSS = ("body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#f6f6f4}"
        "main{max-width:32rem;margin:0 auto;padding:1.5rem 1rem}"
        ".clinic{margin:0;color:#555;font-size:.95rem}h1{font-size:1.35rem;margin:.4rem 0 1rem}"
        ".verdict{padding:.8rem 1rem;border-radius:.4rem;border-left:.4rem solid}"
        ".valid{background:#e6f4ea;border-color:#1e7e34}.expired{background:#fff4e0;border-color:#b26a00}"
        ".revoked,.unknown{background:#fdecea;border-color:#b3261e}"
        "dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem;margin:1rem 0}dt{color:#555}dd{margin:0}"
        "a{color:#0b57d0}")


def style_hash(css: str) -> str:
    """The CSP hash that lets exactly this inline stylesheet, and no other, apply."""
    return base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()


_CSP = (f"default-src 'none'; style-src 'sha256-{style_hash(_CSS)}'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'")
# A verdict changes when a certificate is revoked: nobody on the way may keep an old one.
_NO_STORE = {"cache-control": "no-store", "x-robots-tag": "noindex"}


def _page(clinic_name: str, verdict: str, headline: str, details: list[tuple[str, str]]) -> str:
    """The whole page; every value is escaped here, so a holder's name can never become markup."""
    esc = html.escape
    rows = "".join(f"<dt>{esc(label)}</dt><dd>{esc(value)}</dd>" for label, value in details)
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Certificate check · {esc(clinic_name)}</title><style>{_CSS}</style></head><body><main>"
            f"<p class=\"clinic\">{esc(clinic_name)}</p><h1>Certificate check</h1>"
            f"<p class=\"verdict {esc(verdict)}\" role=\"status\"><strong>{esc(headline)}</strong></p>"
            + (f"<dl>{rows}</dl>" if rows else "")
            + "<p><a href=\"../verify\">Check another code</a></p></main></body></html>")


def _lookup(code: str) -> tuple[str, PublicRecord | None]:
    """The clinic's name and the public record for `code` (None when nothing matches); runs in a worker thread."""
    from modules import clinic, register
    from modules.core.clock import system_clock

    store = _store(settings.get("TRAINING_DB_URL"))
    return clinic.clinic_name(store), register.verify_code(store, code, system_clock())


def _too_many(retry_after: int, as_json: bool) -> Response:
    headers = {**_NO_STORE, "retry-after": str(retry_after)}
    message = "Too many certificate checks from this address; try again in a minute."
    if as_json:
        return JSONResponse({"error": message}, status_code=429, headers=headers)
    return Response(message, status_code=429, media_type="text/plain", headers=headers)


async def verify_page(request: Request) -> Response:
    """The page a certificate's QR code opens: the verdict in words, the holder, title and dates; or one
    "no certificate matches" page, status 404, for unknown and malformed codes alike."""
    from modules.certificates import display_date
    from modules.core.errors import TrainingError

    retry_after = verify_limit.retry_after(client_address(request))
    if retry_after is not None:
        return _too_many(retry_after, as_json=False)
    headers = {**_NO_STORE, "content-security-policy": _CSP}
    try:
        clinic_name, record = await run_in_threadpool(_lookup, request.path_params["code"])
    except TrainingError:
        body = _page(settings.get("TRAINING_CLINIC_NAME"), "unknown",
                     "Certificates cannot be checked just now; please try again in a few minutes.", [])
        return HTMLResponse(body, status_code=503, headers=headers)
    if record is None:
        return HTMLResponse(_page(clinic_name, "unknown", _NO_MATCH, []), status_code=404, headers=headers)
    zone = settings.get("TRAINING_TIMEZONE")
    details = [("Holder", record.holder_name), ("Certificate", record.title), ("Code", record.code),
               ("Issued", display_date(record.issued_at, zone)), ("Valid until", display_date(record.expires_at, zone))]
    return HTMLResponse(_page(clinic_name, record.verdict, _VERDICTS[record.verdict], details), headers=headers)


async def verify_json(request: Request) -> Response:
    """The page's machine twin: exactly {code, holder, title, issued, expires, status}, times as ISO 8601 UTC and
    status one of valid, expired, revoked; 404 with {"error": ...} when no certificate matches."""
    from modules.core.errors import TrainingError

    retry_after = verify_limit.retry_after(client_address(request))
    if retry_after is not None:
        return _too_many(retry_after, as_json=True)
    try:
        _, record = await run_in_threadpool(_lookup, request.path_params["code"])
    except TrainingError:
        return JSONResponse({"error": "Certificates cannot be checked just now."}, status_code=503, headers=_NO_STORE)
    if record is None:
        return JSONResponse({"error": _NO_MATCH}, status_code=404, headers=_NO_STORE)
    return JSONResponse({"code": record.code, "holder": record.holder_name, "title": record.title,
                         "issued": record.issued_at.isoformat(), "expires": record.expires_at.isoformat(),
                         "status": record.verdict}, headers=_NO_STORE)


# ----------------------------------------------------------------------------------- credential documents

_PUBLIC_DOCUMENT = {"access-control-allow-origin": "*"}


def _credential_document(kind: str) -> tuple[str, str]:
    """(body, media type) of a public credential document; runs in a worker thread."""
    import json

    from modules import clinic, credentials
    from modules.core.clock import system_clock
    store = _store(settings.get("TRAINING_DB_URL"))
    address, key = clinic.public_address(store), credentials.signing_key()
    if kind == "jwks":
        return json.dumps(credentials.jwks(address, key)), "application/jwk-set+json"
    if kind == "did":
        return json.dumps(credentials.did_document(address, key)), "application/did+json"
    listing = credentials.status_list_credential(address, store.certificates.revoked_ids(), system_clock())
    return credentials.sign(listing, address, key), credentials.MEDIA_TYPE


def _credential_route(kind: str, cache_control: str) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        from modules.core.errors import TrainingError

        try:
            body, media_type = await run_in_threadpool(_credential_document, kind)
        except TrainingError:
            return JSONResponse({"error": "Credentials cannot be checked just now."}, status_code=503,
                                headers={**_NO_STORE, **_PUBLIC_DOCUMENT})
        return Response(body, media_type=media_type, headers={"cache-control": cache_control, **_PUBLIC_DOCUMENT})

    return serve


# The key changes only when the key file is replaced; the revocation list changes whenever a certificate is revoked.
credential_jwks = _credential_route("jwks", "max-age=3600")
did_document = _credential_route("did", "max-age=3600")
revocation_list = _credential_route("status", "no-store")


# The JSON twin comes first: "/verify/{code}" would also match "ABCD.json". Streamlit's own page at /verify (no
# code in the path) is untouched: st.App serves these routes before its own and its page shell for the rest.
ROUTES = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/verify/{code}.json", verify_json, methods=["GET"]),
    Route("/verify/{code}", verify_page, methods=["GET"]),
    Route("/credentials/jwks.json", credential_jwks, methods=["GET"]),
    Route("/.well-known/did.json", did_document, methods=["GET"]),
    Route("/did.json", did_document, methods=["GET"]),
    Route("/credentials/status/revocation", revocation_list, methods=["GET"]),
]
