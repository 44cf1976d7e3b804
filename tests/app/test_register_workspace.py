"""The manager's register page and the Expiring page in the real app (issue #16): role and name filters, blank dates,
revocation confirmed with who and why, the choice kept after a refusal, one person's history, and expiry lists."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from modules import auth, settings
from modules.core.types import Role
from tests.app.conftest import PASSWORD, open_app, open_page_directly, texts

TITLE = "Microdermabrasion technician"


@pytest.fixture
def clinic(users, app_store):
    """Tess (North) holds a certificate ending in 20 days; Sam Lee (South) one ending in 75 days; Nina (South)
    none."""
    sam = app_store.accounts.get(auth.create_user(app_store, "sam", "Sam Lee", Role.TECHNICIAN, PASSWORD, "South"))
    auth.create_user(app_store, "nina", "Nina None", Role.TECHNICIAN, PASSWORD, "South")
    tess_cert = app_store.certificates.issue(users["technician"].id, None, TITLE, 0.93,
                                             app_store.clock() + timedelta(days=20))
    sam_cert = app_store.certificates.issue(sam.id, None, TITLE, 0.9, app_store.clock() + timedelta(days=75))
    return {"sam": sam, "tess_cert": tess_cert, "sam_cert": sam_cert}


def widget(elements, label):
    return next(e for e in elements if e.label == label)


def revoke_form(at, certificate_id, reason):
    widget(at.selectbox, "Certificate").set_value(certificate_id)
    widget(at.text_input, "Reason for revoking").input(reason)
    widget(at.button, "Revoke certificate").click().run()


def test_the_register_filters_by_role_and_name_and_leaves_missing_dates_blank(users, clinic):
    at = open_app(users["manager"], "register.py")
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Not certified"] == "1"  # Nina; not Maya (manager) or Tom (trainer)
    table = at.dataframe[0].value.set_index("Name")
    assert table.loc["Nina None", ["Issued", "Expires"]].tolist() == ["", ""]
    # A number that is missing (no exam sat yet) shows as an empty cell too, not a grey "None".
    assert pd.isna(table.loc["Nina None", "Exam score (%)"]) and at.dataframe[0].proto.placeholder == ""
    widget(at.multiselect, "Role").set_value([Role.TRAINER]).run()
    assert list(at.dataframe[0].value["Name"]) == ["Tom Trainer"]
    widget(at.multiselect, "Role").set_value([Role.TECHNICIAN]).run()
    widget(at.text_input, "Name or username contains").input("lee").run()
    assert list(at.dataframe[0].value["Name"]) == ["Sam Lee"]
    assert "1 of 5 staff shown." in texts(at)


def test_revoking_asks_first_repeating_who_and_why(users, clinic, app_store):
    at = open_app(users["manager"], "register.py")
    revoke_form(at, clinic["sam_cert"].id, "Practical not signed off")
    assert not at.exception
    question = f"Revoke Sam Lee's certificate {clinic['sam_cert'].code} because 'Practical not signed off'?"
    assert question in [w.value.replace("\\", "") for w in at.warning]
    assert not app_store.certificates.by_id(clinic["sam_cert"].id).revoked  # nothing happens before Confirm
    widget(at.button, "Confirm: revoke it").click().run()
    assert not at.exception and f"Certificate {clinic['sam_cert'].code} is revoked." in texts(at)
    revoked = app_store.certificates.by_id(clinic["sam_cert"].id)
    assert revoked.revoked and revoked.revoked_reason == "Practical not signed off"
    table = at.dataframe[0].value.set_index("Name")
    assert table.loc["Sam Lee", ["Status", "Revoked by", "Revocation reason"]].tolist() == [
        "revoked", "Maya Manager", "Practical not signed off"]
    assert widget(at.selectbox, "Certificate").value is None  # the form starts afresh


def test_cancel_revokes_nothing(users, clinic, app_store):
    at = open_app(users["manager"], "register.py")
    revoke_form(at, clinic["sam_cert"].id, "Wrong name")
    widget(at.button, "Cancel").click().run()
    assert not at.exception and "Nothing was revoked." in texts(at)
    assert not app_store.certificates.by_id(clinic["sam_cert"].id).revoked
    assert not any("Revoke Sam Lee" in w.value for w in at.warning)


def test_after_a_refusal_the_chosen_certificate_stays_chosen(users, clinic, app_store):
    at = open_app(users["manager"], "register.py")
    revoke_form(at, clinic["sam_cert"].id, "   ")
    assert not at.exception
    assert any("Give the reason for revoking" in e.value for e in at.error)
    assert widget(at.selectbox, "Certificate").value == clinic["sam_cert"].id
    assert not app_store.certificates.by_id(clinic["sam_cert"].id).revoked
    widget(at.text_input, "Reason for revoking").input("Practical not signed off")
    widget(at.button, "Revoke certificate").click().run()
    widget(at.button, "Confirm: revoke it").click().run()
    assert app_store.certificates.by_id(clinic["sam_cert"].id).revoked


def test_one_person_s_history_shows_each_certificate_and_who_revoked_it(users, clinic, app_store):
    app_store.certificates.revoke(clinic["sam_cert"].id, users["manager"].actor, "Wrong name")
    renewed = app_store.certificates.issue(clinic["sam"].id, None, TITLE, 0.97, app_store.clock() + timedelta(days=300))
    at = open_app(users["manager"], "register.py")
    widget(at.selectbox, "Person").set_value(clinic["sam"].id).run()
    assert not at.exception
    history = at.dataframe[1].value
    assert list(history["Certificate code"]) == [renewed.code, clinic["sam_cert"].code]
    assert list(history["Status"]) == ["certified", "revoked"]
    assert list(history["Revoked by"]) == ["", "Maya Manager"]
    assert list(history["Revocation reason"]) == ["", "Wrong name"]


@pytest.fixture
def no_smtp(monkeypatch):
    for name in settings.SETTINGS:
        if name.startswith("TRAINING_SMTP_"):
            monkeypatch.delenv(name, raising=False)


def test_the_expiring_page_lists_each_window_and_says_email_is_off(users, clinic, no_smtp):
    at = open_page_directly(users["manager"], "expiring.py")
    assert not at.exception
    shown = texts(at)
    assert "Within 30 days (1)" in shown and "Within 60 days (0)" in shown and "Within 90 days (1)" in shown
    assert "SMTP is not configured" in shown and "Nothing is sent" in shown
    assert list(at.dataframe[0].value["Name"]) == ["Tess Technician"]
    assert list(at.dataframe[0].value["Reminder sent"]) == ["no"]
    assert list(at.dataframe[1].value["Name"]) == ["Sam Lee"]


def test_the_expiring_page_shows_each_holders_address_or_that_they_have_none(users, clinic, app_store, no_smtp):
    app_store.accounts.set_email(clinic["sam"].id, "sam@clinic.example", users["manager"].actor)
    at = open_page_directly(users["manager"], "expiring.py")
    assert not at.exception
    assert list(at.dataframe[0].value["E-mail"]) == ["none: tell them in person"]  # Tess
    assert list(at.dataframe[1].value["E-mail"]) == ["sam@clinic.example"]


@pytest.mark.parametrize("role", ["technician", "trainer"])
def test_the_expiring_page_refuses_everyone_but_managers(users, clinic, role, no_smtp):
    at = open_page_directly(users[role], "expiring.py")
    assert not at.exception
    assert "You do not have access to this page." in [e.value for e in at.error]
    assert not at.dataframe and "Sam Lee" not in texts(at)


def test_a_manager_reaches_expiring_certificates_from_the_menu(users, clinic, no_smtp):
    at = open_app(users["manager"], "expiring.py")
    assert not at.exception
    assert "Within 30 days (1)" in texts(at)
