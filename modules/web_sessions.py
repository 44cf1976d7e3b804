"""Sign-in and sign-out as real HTTP requests, and the gate that sends a signed-out visitor to sign in first.

- `GET /signin` is a small server-rendered form; `POST /signin` checks the password (`auth.sign_in`: the one
  refusal message, the throttles) and begins a session: a random token in a cookie that is HttpOnly,
  SameSite=Lax, Secure when the public address is https, and never in a URL. Then it sends the browser on to the page
  it asked for (`next`), or to My account while a one-time password must be changed.
- Both forms are CSRF-protected: sign-in by a double-submitted random value (a SameSite=Strict cookie and a hidden
  field), sign-out by an HMAC of the session token that only a page of the session can show. A POST whose Origin
  is another site is refused either way.
- `SessionGate` answers a page request (`GET /team`, a reload, a bookmark) without a live session with a redirect
  to `/signin?next=/team`, so the person lands where they meant to after signing in. Until the first account exists
  the pages are let through: the first-run form lives there.
"""

from __future__ import annotations

import hmac
import html
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from modules import auth, sessions, settings, web
from modules.core.clock import system_clock
from modules.core.errors import AuthError, TrainingError
from modules.core.types import SessionEnd

if TYPE_CHECKING:
    from modules.core.records import User
    from modules.store import Store

SIGN_IN = "/signin"
SIGN_OUT = "/signout"
CSRF_COOKIE = "training_sign_in_form"
FORM_LIFETIME = 3600  # seconds a sign-in form stays usable
_FORM_CSS = web._CSS + (
    "form{display:grid;gap:.35rem;margin:1rem 0}label{font-weight:600;margin-top:.5rem}"
    "input{font:inherit;padding:.5rem;border:1px solid #999;border-radius:.3rem}"
    "button{font:inherit;margin-top:1rem;padding:.6rem;border:0;border-radius:.3rem;background:#0b57d0;color:#fff}"
    ".note{padding:.6rem .8rem;border-radius:.3rem;background:#e8f0fe}.error{background:#fdecea}")
_FORM_CSP = (f"default-src 'none'; style-src 'sha256-{web.style_hash(_FORM_CSS)}'; frame-ancestors 'none'; "
             "base-uri 'none'; form-action 'self'")
_NO_STORE = {"cache-control": "no-store"}
_REFUSED_FORM = "This sign-in form has expired or came from another site. Please sign in again."

# The app's page paths ("/team"), set by app.py from its menu; the gate and `next` accept only these.
_pages: set[str] = set()
_with_accounts: set[str] = set()  # databases known to have an account: once true it stays so


def set_pages(paths: Iterable[str]) -> None:
    _pages.clear()
    _pages.update("/" + path.strip("/") for path in paths)
    _pages.add("/")


def safe_next(value: str | None) -> str:
    """`value` when it is one of the app's own pages (with its query), else "/": never another site."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path not in _pages:
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _store() -> Store:
    return web._store(settings.get("TRAINING_DB_URL"))


def _first_run() -> bool:
    url = settings.get("TRAINING_DB_URL")
    if url not in _with_accounts and not auth.needs_first_manager(_store()):
        _with_accounts.add(url)
    return url not in _with_accounts


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # some browsers send none on a same-origin POST; the CSRF value still guards it
    allowed = web.allowed_origins(request.headers.get("host"), request.url.scheme)
    return origin.lower() in allowed or origin.lower() == web._origin_of(web._recorded_public_address())


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or web._recorded_public_address().lower().startswith("https://")


# ------------------------------------------------------------------------------------------------ the gate


class SessionGate:
    """Sends a page request without a live session to the sign-in form, remembering the page."""

    def __init__(self, app: web.ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: web.Scope, receive: web.Receive, send: web.Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or scope["path"] not in _pages:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        token = request.cookies.get(sessions.COOKIE)
        try:
            outcome = await run_in_threadpool(_resolve, token)
        except TrainingError:
            outcome = None  # the store is down: let the page say so in its own words
        if isinstance(outcome, sessions.Ended):
            where = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}" if scope.get("query_string") else "")
            response = RedirectResponse(_sign_in_address(where, outcome.reason), status_code=303, headers=_NO_STORE)
            if token is not None:
                response.delete_cookie(sessions.COOKIE, path="/")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _resolve(token: str | None) -> sessions.Signed | sessions.Ended | None:
    """None when there is nobody to sign in as yet (first run): the page shows the first-run form."""
    if _first_run():
        return None
    return sessions.resolve(_store(), token, system_clock())


def _sign_in_address(next_page: str, why: SessionEnd | None = None) -> str:
    query = {"next": next_page} if next_page != "/" else {}
    if why is not None:
        query["why"] = why.value
    return SIGN_IN + (f"?{urlencode(query)}" if query else "")


# -------------------------------------------------------------------------------------------- sign in / out


def _form_page(next_page: str, csrf: str, message: str = "", error: bool = False, username: str = "",
               status: int = 200) -> HTMLResponse:
    esc = html.escape
    clinic_name = _clinic_name()
    note = f"<p class=\"note{' error' if error else ''}\" role=\"status\">{esc(message)}</p>" if message else ""
    body = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Sign in · {esc(clinic_name)}</title><style>{_FORM_CSS}</style></head><body><main>"
            f"<p class=\"clinic\">{esc(clinic_name)}</p><h1>Sign in</h1>{note}"
            f"<form method=\"post\" action=\"{SIGN_IN}\">"
            f"<input type=\"hidden\" name=\"csrf\" value=\"{esc(csrf)}\">"
            f"<input type=\"hidden\" name=\"next\" value=\"{esc(next_page)}\">"
            "<label for=\"username\">Username</label>"
            f"<input id=\"username\" name=\"username\" autocomplete=\"username\" required value=\"{esc(username)}\""
            f"{'' if username else ' autofocus'}>"
            "<label for=\"password\">Password</label>"
            "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required"
            f"{' autofocus' if username else ''}>"
            "<button type=\"submit\">Sign in</button></form>"
            "<p>Checking a certificate? <a href=\"/verify\">Verify a certificate</a>; no account needed.</p>"
            "</main></body></html>")
    response = HTMLResponse(body, status_code=status, headers={**_NO_STORE, "content-security-policy": _FORM_CSP})
    response.set_cookie(CSRF_COOKIE, csrf, max_age=FORM_LIFETIME, path=SIGN_IN, httponly=True, samesite="strict")
    return response


def _clinic_name() -> str:
    from modules import clinic

    try:
        return clinic.clinic_name(_store())
    except TrainingError:
        return settings.get("TRAINING_CLINIC_NAME")


async def sign_in_form(request: Request) -> Response:
    next_page = safe_next(request.query_params.get("next"))
    try:
        outcome = await run_in_threadpool(_resolve, request.cookies.get(sessions.COOKIE))
    except TrainingError as error:
        return await run_in_threadpool(_form_page, next_page, secrets.token_urlsafe(24), str(error), True, "", 503)
    if not isinstance(outcome, sessions.Ended):  # already signed in, or nobody can sign in yet
        return RedirectResponse(next_page, status_code=303, headers=_NO_STORE)
    try:
        why = SessionEnd(request.query_params.get("why", ""))
    except ValueError:
        why = None
    message = sessions.ended_message(why) if why is not None else ""
    return await run_in_threadpool(_form_page, next_page, secrets.token_urlsafe(24), message)


async def sign_in(request: Request) -> Response:
    form = await request.form()
    next_page = safe_next(str(form.get("next") or ""))
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    cookie, field = request.cookies.get(CSRF_COOKIE) or "", str(form.get("csrf") or "")
    fresh = secrets.token_urlsafe(24)
    if not _same_origin(request) or not cookie or not hmac.compare_digest(cookie, field):
        return await run_in_threadpool(_form_page, next_page, fresh, _REFUSED_FORM, True, username, 403)
    try:
        token, user = await run_in_threadpool(_begin, username, password, web.client_address(request))
    except TrainingError as error:  # the one refusal message, or the store being unreachable
        return await run_in_threadpool(_form_page, next_page, fresh, str(error), True, username, 401)
    response = RedirectResponse("/account" if user.must_change_password else next_page, status_code=303,
                                headers=_NO_STORE)
    response.set_cookie(sessions.COOKIE, token, max_age=int(sessions.lifetime().total_seconds()), path="/",
                        httponly=True, samesite="lax", secure=_secure(request))
    response.delete_cookie(CSRF_COOKIE, path=SIGN_IN)
    return response


def _begin(username: str, password: str, address: str) -> tuple[str, User]:
    store = _store()
    if _first_run():
        raise AuthError(auth.GENERIC_REFUSAL)
    user = auth.sign_in(store, username, password, clock=system_clock, address=address)
    return sessions.begin(store, user, system_clock()), user


async def sign_out(request: Request) -> Response:
    token = request.cookies.get(sessions.COOKIE)
    form = await request.form()
    if token and (not _same_origin(request) or not sessions.proof_matches(token, str(form.get("csrf") or ""))):
        return HTMLResponse("<!doctype html><title>Sign-out refused</title><p>Sign-out was refused: the request did "
                            "not come from this app's own page. Use the Sign out button in the app.</p>",
                            status_code=403, headers=_NO_STORE)
    if token:
        await run_in_threadpool(sessions.sign_out, _store(), token, system_clock())
    response = RedirectResponse(_sign_in_address("/", SessionEnd.SIGNED_OUT), status_code=303, headers=_NO_STORE)
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


ROUTES = [
    Route(SIGN_IN, sign_in_form, methods=["GET"]),
    Route(SIGN_IN, sign_in, methods=["POST"]),
    Route(SIGN_OUT, sign_out, methods=["POST"]),
]
