"""The manager's pages in the real app: register, accounts, audit log, public verify and My account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from modules import auth, register
from modules.core.types import Role
from tests.app.conftest import PASSWORD, ROOT, open_app, open_page_directly, texts
from tests.helpers import behind_the_store

MANAGER_PAGES = ["register.py", "expiring.py", "accounts.py", "audit.py"]


@pytest.fixture
def certified(users, app_store):
    """Tess holds a current certificate; a second technician in the South has none."""
    tess = users["technician"]
    cert = app_store.certificates.issue(tess.id, None, "Microdermabrasion technician", 0.93,
                                       app_store.clock() + timedelta(days=200))
    auth.create_user(app_store, "sam", "Sam South", Role.TECHNICIAN, PASSWORD, location="South")
    return cert


def button(at, label):
    return next(b for b in at.button if b.label == label)


@pytest.mark.parametrize("role", ["technician", "trainer"])
@pytest.mark.parametrize("page", MANAGER_PAGES)
def test_manager_pages_refuse_technicians_and_trainers(users, certified, role, page):
    at = open_app(users[role], page)  # its address typed: the page opens (no "Page not found") and refuses
    assert not at.exception
    assert "You do not have access to this page." in [e.value for e in at.error]
    assert certified.code not in texts(at) and not at.dataframe and not at.get("download_button")
    # and the page itself refuses, even when reached directly
    direct = open_page_directly(users[role], page)
    assert not direct.exception
    assert "You do not have access to this page." in [e.value for e in direct.error]
    assert certified.code not in texts(direct) and not direct.dataframe and not direct.get("download_button")


def test_register_counts_filters_and_offers_exports(users, certified):
    at = open_app(users["manager"], "register.py")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Certified"] == "1" and metrics["Not certified"] == "1"  # Sam: staff need no certificate
    table = at.dataframe[0].value
    assert certified.code in set(table["Certificate code"]) and len(table) == 4
    next(m for m in at.multiselect if m.label == "Location").set_value(["South"]).run()
    assert list(at.dataframe[0].value["Name"]) == ["Sam South"]
    labels = [b.label for b in at.get("download_button")]
    assert labels[:4] == ["Register (CSV)", "Register (Excel)", "All attempts (CSV)", "All attempts (Excel)"]


def test_the_register_warns_while_certificates_point_to_a_loopback_address(users, app_store):
    at = open_app(users["manager"], "register.py")
    assert any("which only this computer can open" in w.value for w in at.warning)
    fields = {t.label: t for t in at.text_input}
    fields["Clinic name"].input("Riverside Skin Clinic")
    fields["Public address"].input("https://training.riverside.example")
    button(at, "Save clinic details").click().run()
    assert not at.exception and "Clinic details saved." in texts(at)
    assert not any("only this computer" in w.value for w in at.warning)
    assert app_store.clinic.current()["public_address"] == "https://training.riverside.example"
    manager = users["manager"].actor
    assert {row.actor_id for row in app_store.audit.rows(manager, action="clinic_setting_changed")} == {manager.user_id}


def test_revoking_shows_at_once_in_the_register_and_on_the_verify_page(users, certified, app_store):
    at = open_app(users["manager"], "register.py")
    next(s for s in at.selectbox if s.label == "Certificate").set_value(certified.id)
    next(t for t in at.text_input if t.label == "Reason for revoking").input("Practical not signed off")
    button(at, "Revoke certificate").click().run()
    button(at, "Confirm: revoke it").click().run()  # revoking asks first (tests/app/test_register_workspace.py)
    assert not at.exception
    assert f"Certificate {certified.code} is revoked." in texts(at)
    assert "revoked" in set(at.dataframe[0].value["Status"])
    assert app_store.audit.rows(users["manager"].actor, action="certificate_revoked")
    public = verify_signed_out(certified.code)
    assert "Revoked" in texts(public) and "Practical not signed off" not in texts(public)


def verify_signed_out(code: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    if code is not None:
        at.query_params["code"] = code
    at.run()
    at.switch_page("modules/pages/verify.py").run()
    return at


def test_verify_page_needs_no_sign_in_and_shows_only_name_title_dates_status(certified):
    at = verify_signed_out(certified.code)
    assert not at.exception
    shown = texts(at)
    assert "Valid" in shown and "Tess Technician" in shown and "Microdermabrasion technician" in shown
    assert "93" not in shown and "North" not in shown  # no score, no location


def test_verify_page_shows_a_markdown_looking_name_as_typed_not_as_a_link(app_store):
    name = "Eve [click here](https://evil.example) *bold*"
    eve = auth.create_user(app_store, "eve", name, Role.TECHNICIAN, PASSWORD)
    cert = app_store.certificates.issue(eve, None, "Microdermabrasion technician", 0.9,
                                        app_store.clock() + timedelta(days=200))
    at = verify_signed_out(cert.code)
    assert not at.exception
    shown = texts(at)
    live = re.sub(r"\\.", "", shown)  # what Markdown acts on: escaped characters are inert
    assert "](" not in live and "*bold*" not in live  # neither a link nor emphasis reaches Markdown
    assert r"Eve \[click here\](https\://evil\.example) \*bold\*" in shown


def test_verify_page_takes_a_typed_code_and_refuses_unknown_ones(certified):
    at = verify_signed_out()
    at.text_input[0].input(certified.code.lower()).run()
    assert "Valid" in texts(at)
    at.text_input[0].input("ABCD-EFGH-JKMN-PQRS").run()
    assert [e.value for e in at.error] == [
        "No certificate matches this code. Check that it was typed exactly as printed."]
    assert "Tess" not in texts(at)


def test_adding_a_user_shows_a_one_time_password_until_dismissed(users, app_store):
    at = open_app(users["manager"], "accounts.py")
    form = {t.label: t for t in at.text_input}
    form["Username"].input("nora")
    form["Full name"].input("Nora New")
    form["Location"].input("East")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception
    password = at.dataframe[0].value["One-time password"][0]
    nora = app_store.accounts.find("nora")
    assert nora.must_change_password and nora.location == "East"
    assert auth.sign_in(app_store, "nora", password).id == nora.id
    at.run()
    assert list(at.dataframe[0].value["One-time password"]) == [password]  # kept until the manager is done
    button(at, "Done: forget these passwords").click().run()
    assert all("One-time password" not in frame.value.columns for frame in at.dataframe)


def test_a_bad_csv_import_lists_each_problem_and_changes_nothing(users, app_store):
    at = open_app(users["manager"], "accounts.py")
    before = app_store.accounts.count()
    at.file_uploader[0].set_value(("staff.csv", b"username,full_name,role,location\nann,,technician,\nbob,Bob,chef,\n",
                                   "text/csv"))
    at.run()
    button(at, "Import accounts").click().run()
    assert "Nothing was changed" in texts(at)
    assert "line 2: the full name is missing" in texts(at) and "line 3: unknown role 'chef'" in texts(at)
    assert app_store.accounts.count() == before


def test_a_good_csv_import_shows_the_new_passwords(users, app_store):
    at = open_app(users["manager"], "accounts.py")
    at.file_uploader[0].set_value(("staff.csv", b"username,full_name,role,location\nann,Ann A,technician,N\n",
                                   "text/csv"))
    at.run()
    button(at, "Import accounts").click().run()
    assert "1 account(s) imported" in texts(at)
    shown = at.dataframe[0].value  # the one-time table comes first, above the list of accounts
    assert list(shown["Username"]) == ["ann"] and len(shown["One-time password"][0]) == 17
    assert app_store.accounts.find("ann").must_change_password
    at.run()
    assert list(at.dataframe[0].value["Username"]) == ["ann"]  # still there after another run


def test_the_last_manager_cannot_deactivate_themselves_in_the_app(users, app_store):
    manager = users["manager"]
    at = open_app(manager, "accounts.py")
    next(s for s in at.selectbox if s.label == "Account").set_value(manager.id).run()
    button(at, "Deactivate").click().run()
    assert "last active manager" in texts(at)
    assert app_store.accounts.get(manager.id).active


def test_deactivating_a_technician_keeps_their_records(users, app_store, certified):
    tess = users["technician"]
    at = open_app(users["manager"], "accounts.py")
    next(s for s in at.selectbox if s.label == "Account").set_value(tess.id).run()
    button(at, "Deactivate").click().run()
    assert "deactivated" in texts(at) and not app_store.accounts.get(tess.id).active
    rows = register.register_rows(app_store, users["manager"].actor, app_store.clock())
    assert next(r for r in rows if r.user_id == tess.id).certificate.code == certified.code


def test_audit_page_lists_filters_and_reports_a_broken_chain(users, app_store, certified):
    at = open_app(users["manager"], "audit.py")
    assert not at.exception and "The log is intact" in texts(at)
    next(s for s in at.selectbox if s.label == "Action").set_value("certificate_issued").run()
    assert set(at.dataframe[0].value["Action"]) == {"Certificate issued"}
    with behind_the_store(app_store.url) as conn:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET target = 'user:99' WHERE id = 2"))
    at = open_app(users["manager"], "audit.py")
    assert "entry 2" in texts(at)


def test_a_one_time_password_must_be_changed_before_anything_else(users, app_store):
    made = register.add_user(app_store, users["manager"].actor, "nina", "Nina New", Role.TECHNICIAN)
    at = open_app(app_store.accounts.get(made.user_id))
    assert "Choose your own password" in texts(at)
    form = {t.label: t for t in at.text_input}
    form["Current password"].input(made.one_time_password)
    form["New password"].input("my own long phrase")
    form["Confirm new password"].input("my own long phrase")
    button(at, "Change password").click().run()
    assert not at.exception
    assert not app_store.accounts.get(made.user_id).must_change_password
    # The change ended every session of hers, this one too: she signs in again with her own password.
    assert at.title[0].value == "Sign in" and "Your password is changed." in texts(at)
    again = open_app(app_store.accounts.get(made.user_id), "home.py")  # the full menu is back
    assert not again.exception and "Choose your own password" not in texts(again)
