"""The gate inside the app: the first-run manager, what a run shows once its session has ended, role checks.
Signing in and out themselves are HTTP requests, tested in tests/unit/test_web_sessions.py."""

from datetime import UTC, datetime

import pytest

from modules.core.clock import FixedClock
from modules.core.types import SessionEnd
from tests.app.conftest import open_app, open_page_directly, texts


def test_first_run_creates_the_first_manager_and_never_shows_again(app_store):
    at = open_app()
    assert at.title[0].value == "Create the first manager account"
    fields = {t.label: t for t in at.text_input}
    fields["Full name"].input("Maya Manager")
    fields["Username"].input("maya")
    fields["Password"].input("a long clinic phrase")
    fields["Confirm password"].input("a long clinic phrase")
    next(b for b in at.button if b.label == "Create account").click().run()
    assert not at.exception
    assert at.title[0].value == "Sign in"
    assert "Your manager account is ready. Sign in with it to continue." in texts(at)
    assert '<a href="/signin" target="_self">Sign in</a>' in [m.value for m in at.markdown]
    assert app_store.accounts.find("maya").role.value == "manager"
    again = open_app()
    assert again.title[0].value == "Sign in" and "Create account" not in [b.label for b in again.button]


def test_first_run_records_the_clinic_name_and_public_address(app_store):
    at = open_app()
    fields = {t.label: t for t in at.text_input}
    assert fields["Public address"].value == "http://127.0.0.1:8501"  # prefilled from the settings
    fields["Full name"].input("Maya Manager")
    fields["Username"].input("maya")
    fields["Password"].input("a long clinic phrase")
    fields["Confirm password"].input("a long clinic phrase")
    fields["Clinic name"].input("Riverside Skin Clinic")
    fields["Public address"].input("https://training.riverside.example/")
    next(b for b in at.button if b.label == "Create account").click().run()
    assert not at.exception and "Your manager account is ready" in texts(at)
    assert app_store.clinic.current() == {"clinic_name": "Riverside Skin Clinic",
                                          "public_address": "https://training.riverside.example"}


def test_first_run_refuses_an_address_that_is_not_a_web_address_and_creates_nobody(app_store):
    at = open_app()
    fields = {t.label: t for t in at.text_input}
    for label, value in (("Full name", "Maya Manager"), ("Username", "maya"), ("Password", "a long clinic phrase"),
                         ("Confirm password", "a long clinic phrase"), ("Public address", "training.clinic")):
        fields[label].input(value)
    next(b for b in at.button if b.label == "Create account").click().run()
    assert "must be a web address" in at.error[0].value
    assert app_store.accounts.count() == 0 and app_store.clinic.current() == {}


def test_first_run_refuses_mismatched_passwords(app_store):
    at = open_app()
    fields = {t.label: t for t in at.text_input}
    fields["Full name"].input("Maya Manager")
    fields["Username"].input("maya")
    fields["Password"].input("a long clinic phrase")
    fields["Confirm password"].input("a different phrase")
    next(b for b in at.button if b.label == "Create account").click().run()
    assert at.error and app_store.accounts.count() == 0


def test_a_session_idle_for_30_minutes_signs_out(users):
    clock = FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    at = open_app(users["technician"], clock=clock)
    assert "Signed in as" in texts(at)
    clock.advance(minutes=31)
    at.run()
    assert at.title[0].value == "Sign in"
    assert "signed out after 30 minutes" in texts(at)


@pytest.mark.parametrize("page", ["team.py", "item_analysis.py", "register.py", "accounts.py", "audit.py"])
def test_a_technician_is_refused_staff_pages(users, page):
    menu = open_app(users["technician"], page)  # the page's address: it opens, refuses, and shows nothing
    assert [e.value for e in menu.error] == ["You do not have access to this page."] and not menu.dataframe
    at = open_page_directly(users["technician"], page)  # and the page itself refuses
    assert not at.exception
    assert "You do not have access to this page." in [e.value for e in at.error]
    assert not at.dataframe


@pytest.mark.parametrize("page", ["register.py", "accounts.py", "audit.py"])
def test_a_trainer_is_refused_manager_pages(users, page):
    at = open_page_directly(users["trainer"], page)
    assert "You do not have access to this page." in [e.value for e in at.error]


def test_a_page_opened_after_the_session_ended_offers_sign_in_and_back_to_that_page(users, app_store):
    at = open_app(users["trainer"], "team.py")
    app_store.sessions.end_all(users["trainer"].id, SessionEnd.ENDED_BY_MANAGER, users["manager"].actor,
                               app_store.clock())
    at.run()
    assert not at.exception and at.title[0].value == "Sign in"
    assert "You were signed out by a manager." in texts(at)
    assert '<a href="/signin?next=%2Fteam" target="_self">Sign in</a>' in [m.value for m in at.markdown]
    assert not at.dataframe  # nothing of the page is shown
