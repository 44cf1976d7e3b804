"""Sign-in gate: first-run manager, sign in and out, one message for every refusal, throttling by address,
idle sign-out, role checks."""

from datetime import UTC, datetime

import pytest

from modules.auth import GENERIC_REFUSAL
from modules.core.clock import FixedClock
from tests.app.conftest import PASSWORD, open_app, open_page_directly, texts


def fill_sign_in(at, username, password):
    fields = {t.label: t for t in at.text_input}
    fields["Username"].input(username)
    fields["Password"].input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    return at


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
    assert "Signed in as **Maya Manager** (manager)" in texts(at)
    assert app_store.accounts.find("maya").role.value == "manager"
    again = open_app()
    assert again.title[0].value == "Sign in"


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
    assert not at.exception and "Signed in as **Maya Manager** (manager)" in texts(at)
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


def test_sign_in_and_sign_out(users):
    at = fill_sign_in(open_app(), "technician", PASSWORD)
    assert "Signed in as **Tess Technician** (technician)" in texts(at)
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert at.title[0].value == "Sign in"


def test_wrong_password_and_unknown_user_get_the_same_message(users):
    wrong = fill_sign_in(open_app(), "technician", "not the password")
    unknown = fill_sign_in(open_app(), "nobody", "not the password")
    assert wrong.error[0].value == unknown.error[0].value == GENERIC_REFUSAL


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
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_app(users["technician"], page)  # not in the technician's menu
    at = open_page_directly(users["technician"], page)  # and the page itself refuses
    assert not at.exception
    assert "You do not have access to this page." in [e.value for e in at.error]
    assert not at.dataframe


@pytest.mark.parametrize("page", ["register.py", "accounts.py", "audit.py"])
def test_a_trainer_is_refused_manager_pages(users, page):
    at = open_page_directly(users["trainer"], page)
    assert "You do not have access to this page." in [e.value for e in at.error]


def test_every_refusal_reads_the_same_and_never_says_locked(users):
    at = open_app()
    seen = set()
    for username in ["technician"] * 6 + ["nobody"] * 4:  # past the account's pause and the address's limit
        fill_sign_in(at, username, "not the password")
        seen.add(at.error[0].value)
    fill_sign_in(at, "technician", PASSWORD)  # the address is refused now, and says so in the same words
    seen.add(at.error[0].value)
    assert seen == {GENERIC_REFUSAL}
    assert at.title[0].value == "Sign in"


def test_a_failing_address_does_not_keep_the_user_out_elsewhere(users, monkeypatch):
    from modules.pages import common
    monkeypatch.setattr(common, "client_address", lambda: "203.0.113.9")
    attacker = open_app()
    for _ in range(12):
        fill_sign_in(attacker, "manager", "guessing away")
    fill_sign_in(attacker, "manager", PASSWORD)
    assert attacker.error[0].value == GENERIC_REFUSAL
    monkeypatch.setattr(common, "client_address", lambda: "198.51.100.7")
    at = fill_sign_in(open_app(), "manager", PASSWORD)
    assert "Signed in as **Maya Manager** (manager)" in texts(at)
