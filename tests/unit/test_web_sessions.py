"""Sign-in and sign-out over HTTP, and the gate in front of the app's pages: the real routes and middleware of
app.py on a Starlette app whose only other route stands in for Streamlit's page shell."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from modules import auth, register, sessions, settings, web, web_sessions
from modules.core.types import Role, SessionEnd
from modules.store import Store

PASSWORD = "correct horse battery"
PAGES = ["home", "team", "account", "quiz"]


async def page_shell(request):
    return HTMLResponse("streamlit page shell")


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'web.db'}"
    monkeypatch.setenv("TRAINING_DB_URL", url)
    monkeypatch.setenv("TRAINING_BASE_URL", "http://testserver")
    settings.reload()
    web_sessions.set_pages(PAGES)
    store = Store.open(url, audit_key=settings.audit_key())
    yield store
    store.close()
    opened = web._stores.pop(url, None)
    if opened is not None:
        opened.close()
    settings.reload()


@pytest.fixture
def tess(db):
    auth.create_user(db, "manager", "Maya Manager", Role.MANAGER, PASSWORD)
    return db.accounts.get(auth.create_user(db, "tess", "Tess Technician", Role.TECHNICIAN, PASSWORD))


def client(address: str = "203.0.113.5") -> TestClient:
    app = Starlette(routes=web.ROUTES + web_sessions.ROUTES + [Route("/{path:path}", page_shell)],
                    middleware=[Middleware(web.SecurityMiddleware), Middleware(web_sessions.SessionGate)])
    return TestClient(app, client=(address, 50000), follow_redirects=False)


def set_cookies(response) -> dict[str, dict]:
    """Each Set-Cookie header as {name: {"value": ..., attribute: value}}."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            found[name] = {"value": morsel.value, **{k: v for k, v in morsel.items() if v}}
    return found


def csrf_of(response) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', response.text)[1]


def sign_in(browser: TestClient, username: str, password: str, next_page: str = "/"):
    form = browser.get("/signin", params={"next": next_page})
    assert form.status_code == 200, form.text
    return browser.post("/signin", data={"username": username, "password": password, "next": next_page,
                                         "csrf": csrf_of(form)})


def test_a_page_opened_signed_out_goes_to_sign_in_and_then_to_that_page(tess):
    browser = client()
    asked = browser.get("/team?tab=2")
    assert asked.status_code == 303
    assert asked.headers["location"] == "/signin?next=%2Fteam%3Ftab%3D2"
    signed = sign_in(browser, "tess", PASSWORD, "/team?tab=2")
    assert signed.status_code == 303 and signed.headers["location"] == "/team?tab=2"
    assert browser.get("/team?tab=2").text == "streamlit page shell"  # a reload keeps the session
    assert browser.get("/").text == "streamlit page shell"


def test_the_session_cookie_is_httponly_lax_and_never_in_an_address(tess):
    browser = client()
    signed = sign_in(browser, "tess", PASSWORD, "/quiz")
    cookie = set_cookies(signed)[sessions.COOKIE]
    assert cookie["httponly"] is True and cookie["samesite"] == "lax" and cookie["path"] == "/"
    assert "secure" not in cookie  # the public address is http here
    assert int(cookie["max-age"]) == 12 * 3600
    assert cookie["value"] not in signed.headers["location"]
    form_cookie = set_cookies(client().get("/signin"))[web_sessions.CSRF_COOKIE]
    assert form_cookie["httponly"] is True and form_cookie["samesite"] == "strict"


def test_the_cookie_is_secure_when_the_public_address_is_https(tess, monkeypatch):
    monkeypatch.setenv("TRAINING_BASE_URL", "https://training.clinic.example")
    settings.reload()
    signed = sign_in(client(), "tess", PASSWORD)
    assert set_cookies(signed)[sessions.COOKIE]["secure"] is True


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer_and_no_session(tess, db):
    wrong = sign_in(client(), "tess", "not the password")
    unknown = sign_in(client(), "nobody", "not the password")
    for answer in (wrong, unknown):
        assert answer.status_code == 401 and auth.GENERIC_REFUSAL in answer.text
        assert sessions.COOKIE not in set_cookies(answer)
    assert db.sessions.open_count(tess.id, db.clock()) == 0


def test_a_sign_in_without_the_forms_csrf_value_or_from_another_site_is_refused(tess, db):
    browser = client()
    csrf = csrf_of(browser.get("/signin"))
    forged = {"username": "tess", "password": PASSWORD, "next": "/"}
    assert browser.post("/signin", data=forged).status_code == 403
    assert browser.post("/signin", data={**forged, "csrf": "guessed"}).status_code == 403
    foreign = browser.post("/signin", data={**forged, "csrf": csrf}, headers={"origin": "https://evil.example"})
    assert foreign.status_code == 403 and "expired or came from another site" in foreign.text
    assert db.sessions.open_count(tess.id, db.clock()) == 0


@pytest.mark.parametrize("next_page", ["//evil.example/team", "https://evil.example/", "/not-a-page",
                                       "/\\evil.example", "javascript:alert(1)"])
def test_sign_in_never_sends_anyone_off_the_app(tess, next_page):
    assert sign_in(client(), "tess", PASSWORD, next_page).headers["location"] == "/"


def test_typed_text_comes_back_escaped(tess):
    answer = sign_in(client(), '<img src=x onerror=alert(1)>', "wrong")
    assert "<img" not in answer.text and "&lt;img src=x onerror=alert(1)&gt;" in answer.text


def test_a_one_time_password_leads_to_my_account(tess, db):
    made = register.add_user(db, db.accounts.find("manager").actor, "nina", "Nina New", Role.TECHNICIAN)
    assert sign_in(client(), "nina", made.one_time_password, "/team").headers["location"] == "/account"


def test_sign_out_needs_the_pages_proof_and_ends_every_session_even_a_copied_cookie(tess, db):
    browser, phone = client(), client()
    sign_in(browser, "tess", PASSWORD)
    sign_in(phone, "tess", PASSWORD)
    token = browser.cookies[sessions.COOKIE]
    assert browser.post("/signout", data={}).status_code == 403  # no proof: a forged form
    assert browser.post("/signout", data={"csrf": sessions.sign_out_proof(token)},
                        headers={"origin": "https://evil.example"}).status_code == 403
    assert db.sessions.open_count(tess.id, db.clock()) == 2

    out = browser.post("/signout", data={"csrf": sessions.sign_out_proof(token)})
    assert out.status_code == 303 and out.headers["location"] == "/signin?why=signed_out"
    assert set_cookies(out)[sessions.COOKIE]["max-age"] == "0"
    assert db.sessions.open_count(tess.id, db.clock()) == 0
    copied = client()
    copied.cookies.set(sessions.COOKIE, token)  # the cookie as copied before sign-out
    again = copied.get("/team")
    assert again.status_code == 303
    assert parse_qs(urlsplit(again.headers["location"]).query) == {"next": ["/team"], "why": ["signed_out"]}
    assert "You signed out." in copied.get(again.headers["location"]).text
    assert phone.get("/home").status_code == 303  # the other device too


def test_the_throttle_holds_an_address_not_the_person(tess):
    attacker = client("203.0.113.9")
    for _ in range(12):
        sign_in(attacker, "tess", "guessing away")
    refused = sign_in(attacker, "tess", PASSWORD)
    assert refused.status_code == 401 and auth.GENERIC_REFUSAL in refused.text
    assert sign_in(client("198.51.100.7"), "tess", PASSWORD).status_code == 303


def test_before_the_first_account_the_pages_open_for_the_first_run_form(db):
    browser = client()
    assert browser.get("/team").text == "streamlit page shell"
    assert browser.get("/signin").headers["location"] == "/"


def test_a_signed_in_visit_to_the_form_goes_straight_on(tess):
    browser = client()
    sign_in(browser, "tess", PASSWORD)
    assert browser.get("/signin", params={"next": "/quiz"}).headers["location"] == "/quiz"


def test_the_form_says_why_the_last_session_ended(tess):
    for reason in SessionEnd:
        assert sessions.ended_message(reason).replace("'", "&#x27;") in client().get(
            "/signin", params={"why": reason.value}).text
    assert client().get("/signin", params={"why": "<script>"}).status_code == 200
