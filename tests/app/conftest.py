"""AppTest fixtures: the fixture banks, a fresh database per test, users of each role, and an app signed in as
one of them."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from modules import auth, sessions, settings
from modules.core.clock import system_clock
from modules.core.types import Role
from modules.store import Store
from tests.helpers import FIXTURE_BANKS

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fresh_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def fixture_banks(monkeypatch):
    """The app reads the small fixture banks, so an edit to the clinic's content never breaks an AppTest."""
    monkeypatch.setenv("TRAINING_BANKS_DIR", str(FIXTURE_BANKS))


@pytest.fixture
def app_store(tmp_path, monkeypatch) -> Store:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("TRAINING_DB_URL", url)
    store = Store.open(url, audit_key=settings.audit_key())
    yield store
    store.close()


@pytest.fixture
def users(app_store):
    """One active user of each role, by role name."""
    made = {}
    for role, name in ((Role.MANAGER, "Maya Manager"), (Role.TRAINER, "Tom Trainer"),
                       (Role.TECHNICIAN, "Tess Technician")):
        user_id = auth.create_user(app_store, role.value, name, role, PASSWORD, location="North")
        made[role.value] = app_store.accounts.get(user_id)
    return made


def signed_in(at: AppTest, user, clock=None) -> str:
    """Begin a session for `user` in the store, as POST /signin does, and hand its token to the AppTest session
    (AppTest cannot send the cookie a browser would). Returns the token."""
    store = Store.open(settings.get("TRAINING_DB_URL"), audit_key=settings.audit_key())
    try:
        token = sessions.begin(store, user, (clock or system_clock)())
    finally:
        store.close()
    at.session_state["_session_token"] = token
    return token


def open_app(user=None, page: str | None = None, timeout: float = 30, clock=None) -> AppTest:
    """The real app.py, optionally signed in as `user`, on an injected `clock`, switched to `page`."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if clock is not None:
        at.session_state["_clock"] = clock
    if user is not None:
        signed_in(at, user, clock)
    at.run()
    if page is not None:
        at.switch_page(f"modules/pages/{page}")
        at.run()
    return at


def open_page_directly(user, page: str, timeout: float = 30) -> AppTest:
    """Run one page file on its own, as a request that bypasses the menu would: the page must check the role."""
    at = AppTest.from_file(str(ROOT / "modules" / "pages" / page), default_timeout=timeout)
    if user is not None:
        signed_in(at, user)
    at.run()
    return at


def texts(at: AppTest) -> str:
    """Everything readable on the page, for assertions about what a person sees."""
    parts = [e.value for e in at.markdown] + [e.value for e in at.title] + [e.value for e in at.subheader]
    parts += [e.value for e in at.error] + [e.value for e in at.warning] + [e.value for e in at.info]
    parts += [e.value for e in at.success] + [e.value for e in at.caption]
    return "\n".join(str(p) for p in parts)
