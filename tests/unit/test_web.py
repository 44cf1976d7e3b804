"""The HTTP layer: security headers on every response, WebSockets only from the app's own origin, /healthz."""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import json
from datetime import UTC, datetime, timedelta

import pytest
from starlette.requests import Request
from starlette.routing import Router

from modules import auth, clinic, settings, web
from modules.certificates import display_date
from modules.core.clock import FixedClock
from modules.core.types import Role
from modules.store import Store


def run_async(coroutine):
    """Run a coroutine to the end on a fresh loop in its own thread: the browser journeys, which run earlier in the
    same pytest process, keep an event loop running on the main thread, where asyncio.run() is refused."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _run(app, scope):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent


def page(scope, receive, send):
    async def respond():
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": b"ok"})
    return respond()


def websocket_scope(origin: str | None, host: str = "clinic.example:8501") -> dict:
    headers = [(b"host", host.encode())] + ([(b"origin", origin.encode())] if origin else [])
    return {"type": "websocket", "scheme": "ws", "path": "/_stcore/stream", "headers": headers}


def test_every_response_says_it_may_not_be_framed():
    sent = run_async(_run(web.SecurityMiddleware(page), {"type": "http", "headers": [], "path": "/"}))
    headers = dict(sent[0]["headers"])
    assert headers[b"x-frame-options"] == b"DENY"
    assert headers[b"content-security-policy"] == b"frame-ancestors 'none'"
    assert headers[b"content-type"] == b"text/html"


@pytest.fixture
def routes_db(tmp_path, monkeypatch):
    """The database the routes and the origin check read (TRAINING_DB_URL); their store is closed afterwards."""
    url = f"sqlite:///{tmp_path / 'web.db'}"
    monkeypatch.setenv("TRAINING_DB_URL", url)
    settings.reload()
    yield url
    opened = web._stores.pop(url, None)
    if opened is not None:
        opened.close()
    settings.reload()


def test_websockets_from_another_origin_are_refused(monkeypatch, routes_db):
    monkeypatch.setenv("TRAINING_BASE_URL", "https://training.clinic.example")
    settings.reload()
    reached = []

    async def streamlit(scope, receive, send):
        reached.append(scope)

    middleware = web.SecurityMiddleware(streamlit)
    for origin in ("http://localhost:9999", "https://evil.example", "http://clinic.example:8502"):
        assert run_async(_run(middleware, websocket_scope(origin))) == [{"type": "websocket.close", "code": 1008}]
    assert reached == []
    for origin in ("http://clinic.example:8501", "https://training.clinic.example", None):
        run_async(_run(middleware, websocket_scope(origin)))
    assert len(reached) == 3
    settings.reload()


def test_healthz_is_ok_only_when_the_store_and_banks_are(monkeypatch, tmp_path):
    from tests.helpers import FIXTURE_BANKS

    monkeypatch.setenv("TRAINING_DB_URL", f"sqlite:///{tmp_path / 'health.db'}")
    monkeypatch.setenv("TRAINING_BANKS_DIR", str(FIXTURE_BANKS))
    settings.reload()
    response = run_async(web.healthz(None))
    assert response.status_code == 200 and json.loads(response.body)["status"] == "ok"
    broken = tmp_path / "banks"
    broken.mkdir()
    (broken / "01-bad.yaml").write_text("module: [", encoding="utf-8")
    monkeypatch.setenv("TRAINING_BANKS_DIR", str(broken))
    settings.reload()
    assert run_async(web.healthz(None)).status_code == 503
    settings.reload()


# ------------------------------------------------------------------------------ the public verify page and its twin

HOSTILE = "<script>alert(1)</script> O'Brien & \"Sons\""


@pytest.fixture
def verify_store(routes_db, monkeypatch):
    """The routes' database, a fresh rate limit, the clinic in Auckland, a clock 400 days back for issuing."""
    monkeypatch.setenv("TRAINING_TIMEZONE", "Pacific/Auckland")
    settings.reload()
    monkeypatch.setattr(web, "verify_limit", web.RateLimit())
    store = Store.open(routes_db, clock=FixedClock(datetime.now(UTC) - timedelta(days=400)),
                       audit_key=settings.audit_key())
    clinic.update(store, None, "Riverside <Skin> Clinic", "https://training.clinic.example")
    yield store
    store.close()


def certify(store, name, days_valid):
    user_id = auth.create_user(store, name.split()[0].lower()[:8] + str(days_valid), name, Role.TECHNICIAN,
                               "correct horse battery")
    return store.certificates.issue(user_id, None, "Microdermabrasion technician", 0.9,
                                    store.clock() + timedelta(days=days_valid))


def get(path: str, client: str = "203.0.113.7"):
    """One GET through the app's routes, as uvicorn would hand it over: (status, headers, body)."""
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "root_path": "",
             "query_string": b"", "headers": [(b"host", b"training.clinic.example")], "scheme": "http",
             "server": ("127.0.0.1", 8501), "client": (client, 50000)}
    sent = run_async(_run(web.SecurityMiddleware(Router(routes=web.ROUTES)), scope))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body.decode()


def test_the_verify_page_shows_the_verdict_holder_title_and_local_dates(verify_store):
    cert = certify(verify_store, "Tess Technician", 800)
    status, headers, body = get(f"/verify/{cert.code}")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "Valid: this certificate is genuine and current." in body
    assert "Tess Technician" in body and "Microdermabrasion technician" in body and cert.code in body
    assert display_date(cert.issued_at, "Pacific/Auckland") in body
    assert display_date(cert.expires_at, "Pacific/Auckland") in body
    assert "Riverside &lt;Skin&gt; Clinic" in body  # the recorded name, escaped
    assert "<script" not in body and "0.9" not in body and "90%" not in body  # no script, no score
    assert headers["cache-control"] == "no-store"
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert get(f"/verify/{cert.code.lower().replace('-', ' ')}")[0] == 200  # typed codes are forgiven


def test_expired_and_revoked_certificates_say_so_in_words(verify_store):
    expired = certify(verify_store, "Eve Expired", 30)
    assert "Expired: this certificate is genuine but no longer current." in get(f"/verify/{expired.code}")[2]
    revoked = certify(verify_store, "Rex Revoked", 800)
    manager = auth.create_user(verify_store, "mia", "Mia", Role.MANAGER, "correct horse battery")
    verify_store.certificates.revoke(revoked.id, verify_store.accounts.get(manager).actor, "issued in error")
    assert "Revoked: this certificate was withdrawn" in get(f"/verify/{revoked.code}")[2]


def test_a_hostile_holder_name_is_shown_as_text(verify_store):
    cert = certify(verify_store, HOSTILE, 800)
    body = get(f"/verify/{cert.code}")[2]
    assert html.escape(HOSTILE) in body
    assert "<script>" not in body and "O'Brien" not in body


@pytest.mark.parametrize("code", ["ZZZZ-ZZZZ-ZZZZ-ZZZZ", "not%20a%20code%3B%20DROP%20TABLE", "x" * 500,
                                  "%3Cscript%3Ealert(1)%3C%2Fscript%3E"])
def test_unknown_and_malformed_codes_get_the_same_404_page(verify_store, code):
    status, _, body = get(f"/verify/{code}")
    assert status == 404
    assert body == get("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")[2]  # nothing of the typed text comes back
    assert "No certificate matches this code." in body
    status, _, body = get(f"/verify/{code}.json")
    assert status == 404 and set(json.loads(body)) == {"error"}


def test_the_json_twin_has_exactly_the_six_keys(verify_store):
    cert = certify(verify_store, HOSTILE, 800)
    status, headers, body = get(f"/verify/{cert.code}.json")
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body) == {"code": cert.code, "holder": HOSTILE, "title": "Microdermabrasion technician",
                                "issued": cert.issued_at.isoformat(), "expires": cert.expires_at.isoformat(),
                                "status": "valid"}


def test_each_address_gets_30_checks_a_minute_then_429_with_retry_after(verify_store):
    for _ in range(30):
        assert get("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")[0] == 404
    status, headers, _ = get("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert status == 429 and 1 <= int(headers["retry-after"]) <= 60
    status, headers, body = get("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ.json")  # the twin shares the limit
    assert status == 429 and "retry-after" in headers and "error" in json.loads(body)
    assert get("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ", client="198.51.100.9")[0] == 404  # another address is not held up


def test_the_rate_limit_window_slides_and_remembers_a_bounded_number_of_addresses():
    now = [1000.0]
    limit = web.RateLimit(limit=3, window=60, max_addresses=100, clock=lambda: now[0])
    assert [limit.retry_after("a") for _ in range(3)] == [None, None, None]
    assert limit.retry_after("a") == 60
    now[0] += 59.5
    assert limit.retry_after("a") == 1
    now[0] += 1
    assert limit.retry_after("a") is None  # the first three have left the window
    for number in range(1000):
        limit.retry_after(f"10.0.{number // 256}.{number % 256}")
    assert len(limit._hits) == 100


def test_a_websocket_from_the_recorded_public_address_is_accepted(verify_store):
    reached = []

    async def streamlit(scope, receive, send):
        reached.append(scope)

    # A proxy that passes the app its own Host and no X-Forwarded-Proto: only the recorded address can vouch.
    scope = websocket_scope("https://training.clinic.example", host="127.0.0.1:8501")
    run_async(_run(web.SecurityMiddleware(streamlit), scope))
    assert len(reached) == 1


def test_the_rate_limit_counts_the_visitor_behind_a_proxy_on_this_machine_only():
    def address(client, forwarded=None):
        headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
        return web.client_address(Request({"type": "http", "headers": headers, "client": (client, 50000)}))

    assert address("203.0.113.7") == "203.0.113.7"
    assert address("203.0.113.7", "198.51.100.1") == "203.0.113.7"  # a proxy elsewhere is not believed
    assert address("127.0.0.1", "10.9.9.9, 198.51.100.1") == "198.51.100.1"  # the address the proxy added
    assert address("::ffff:127.0.0.1", "198.51.100.1") == "198.51.100.1"  # bound to "::", as without --server.address
    assert address("::1") == "::1"


def test_an_unreachable_store_is_a_plain_503_not_a_traceback(tmp_path, monkeypatch):
    (tmp_path / "a-folder.db").mkdir()
    monkeypatch.setenv("TRAINING_DB_URL", f"sqlite:///{tmp_path / 'a-folder.db'}")
    settings.reload()
    monkeypatch.setattr(web, "verify_limit", web.RateLimit())
    try:
        status, _, body = get("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")
        assert status == 503 and "cannot be checked just now" in body
        status, _, body = get("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ.json")
        assert status == 503 and set(json.loads(body)) == {"error"}
    finally:
        settings.reload()
