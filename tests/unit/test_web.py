"""The HTTP layer: security headers on every response, WebSockets only from the app's own origin, /healthz."""

from __future__ import annotations

import asyncio
import json

from modules import settings, web


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
    sent = asyncio.run(_run(web.SecurityMiddleware(page), {"type": "http", "headers": [], "path": "/"}))
    headers = dict(sent[0]["headers"])
    assert headers[b"x-frame-options"] == b"DENY"
    assert headers[b"content-security-policy"] == b"frame-ancestors 'none'"
    assert headers[b"content-type"] == b"text/html"


def test_websockets_from_another_origin_are_refused(monkeypatch):
    monkeypatch.setenv("TRAINING_BASE_URL", "https://training.clinic.example")
    settings.reload()
    reached = []

    async def streamlit(scope, receive, send):
        reached.append(scope)

    middleware = web.SecurityMiddleware(streamlit)
    for origin in ("http://localhost:9999", "https://evil.example", "http://clinic.example:8502"):
        assert asyncio.run(_run(middleware, websocket_scope(origin))) == [{"type": "websocket.close", "code": 1008}]
    assert reached == []
    for origin in ("http://clinic.example:8501", "https://training.clinic.example", None):
        asyncio.run(_run(middleware, websocket_scope(origin)))
    assert len(reached) == 3
    settings.reload()


def test_healthz_is_ok_only_when_the_store_and_banks_are(monkeypatch, tmp_path):
    from tests.helpers import FIXTURE_BANKS

    monkeypatch.setenv("TRAINING_DB_URL", f"sqlite:///{tmp_path / 'health.db'}")
    monkeypatch.setenv("TRAINING_BANKS_DIR", str(FIXTURE_BANKS))
    settings.reload()
    response = asyncio.run(web.healthz(None))
    assert response.status_code == 200 and json.loads(response.body)["status"] == "ok"
    broken = tmp_path / "banks"
    broken.mkdir()
    (broken / "01-bad.yaml").write_text("module: [", encoding="utf-8")
    monkeypatch.setenv("TRAINING_BANKS_DIR", str(broken))
    settings.reload()
    assert asyncio.run(web.healthz(None)).status_code == 503
    settings.reload()
