"""Accounts and audit log in the real app: one-time passwords kept until dismissed and handed out as a sheet, and
an audit log that reads in words, with refused actions one tick away."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool
from streamlit.runtime.media_file_manager import MediaFileManager

from modules import auth, sessions
from modules.core.errors import AuthError, LastManagerError
from modules.core.types import Role
from modules.store.schema import metadata
from tests.app.conftest import open_app, signed_in, texts

STAFF_CSV = b"username,full_name,role,location\nann,Ann Able,technician,North\nbob,Bob Brown,technician,South\n"


@pytest.fixture
def downloads(monkeypatch):
    """file id -> (file name, the callable a deferred download button runs when clicked). AppTest drops its media
    manager after each run, so the callables are caught as the page registers them."""
    caught: dict[str, tuple[str | None, object]] = {}
    register = MediaFileManager.add_deferred

    def catching(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        file_id = register(self, data_callable, mimetype, coordinates, file_name, **kwargs)
        caught[file_id] = (file_name, data_callable)
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", catching)
    return caught


def download(at, downloads, label: str) -> tuple[str, bytes]:
    """Click the download button `label` as a browser would: run its callable, the file name with its bytes."""
    proto = next(b for b in at.get("download_button") if b.label == label).proto
    file_name, make = downloads[proto.deferred_file_id]
    return file_name, make()


def button(at, label):
    return next(b for b in at.button if b.label == label)


def passwords_on_screen(at) -> dict[str, str]:
    for frame in at.dataframe:
        if "One-time password" in frame.value.columns:
            return dict(zip(frame.value["Username"], frame.value["One-time password"]))
    return {}


def import_staff(at) -> None:
    at.file_uploader[0].set_value(("staff.csv", STAFF_CSV, "text/csv"))
    at.run()
    button(at, "Import accounts").click().run()


def every_stored_value(url: str) -> str:
    """Every cell of every table, as text: what the database holds."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return "\n".join(str(tuple(row)) for table in metadata.sorted_tables
                             for row in conn.execute(select(table)))
    finally:
        engine.dispose()


def test_imported_passwords_stay_after_other_clicks_and_download_as_a_sheet(users, app_store, downloads):
    at = open_app(users["manager"], "accounts.py")
    import_staff(at)
    shown = passwords_on_screen(at)
    assert set(shown) == {"ann", "bob"}
    next(s for s in at.selectbox if s.label == "Account").set_value(users["technician"].id).run()
    at.run()
    assert passwords_on_screen(at) == shown  # another click no longer loses them
    name, data = download(at, downloads, "Password sheet (CSV)")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert name == "one-time-passwords.csv"
    assert {(r["username"], r["one_time_password"]) for r in rows} == set(shown.items())
    assert all("first sign in" in r["note"] for r in rows)
    name, pdf = download(at, downloads, "Password sheet (PDF, to print)")
    assert name == "one-time-passwords.pdf" and pdf.startswith(b"%PDF-")
    exports = app_store.audit.rows(users["manager"].actor, action="export")
    assert {e.target for e in exports} == {"one-time-passwords:csv", "one-time-passwords:pdf"}
    assert auth.sign_in(app_store, "ann", shown["ann"]).username == "ann"


def test_done_forgets_the_passwords_for_good(users, app_store):
    at = open_app(users["manager"], "accounts.py")
    import_staff(at)
    assert passwords_on_screen(at)
    button(at, "Done: forget these passwords").click().run()
    assert not passwords_on_screen(at) and "forgotten" in texts(at)
    at.run()
    assert not passwords_on_screen(at) and not at.get("download_button")


def test_a_reset_joins_the_list_and_replaces_an_older_password_of_the_same_person(users, app_store):
    at = open_app(users["manager"], "accounts.py")
    import_staff(at)
    first = passwords_on_screen(at)
    ann = app_store.accounts.find("ann")
    next(s for s in at.selectbox if s.label == "Account").set_value(ann.id).run()
    button(at, "Reset password").click().run()
    now = passwords_on_screen(at)
    assert list(now) == ["ann", "bob"] and now["bob"] == first["bob"] and now["ann"] != first["ann"]
    with pytest.raises(AuthError):
        auth.sign_in(app_store, "ann", first["ann"])
    assert auth.sign_in(app_store, "ann", now["ann"]).username == "ann"


def test_the_passwords_are_never_stored_and_end_with_the_session(users, app_store):
    manager = users["manager"]
    at = open_app(manager, "accounts.py")
    import_staff(at)
    shown = passwords_on_screen(at)
    assert len(shown) == 2
    stored = every_stored_value(app_store.url)
    assert not any(password in stored for password in shown.values())
    sessions.end_for(app_store, manager.id, manager.actor, app_store.clock())  # as sign-out or a time-out does
    at.run()
    assert at.title[0].value == "Sign in"
    signed_in(at, manager)
    at.switch_page("modules/pages/accounts.py")
    at.run()
    assert not at.exception and not passwords_on_screen(at)


def test_the_audit_log_shows_names_and_sentences(users, app_store):
    manager, tess = users["manager"], users["technician"]
    app_store.accounts.set_role(tess.id, Role.TRAINER, manager.actor)
    app_store.accounts.set_active(tess.id, False, manager.actor)
    at = open_app(manager, "audit.py")
    assert not at.exception
    frame = at.dataframe[0].value
    assert "user:" not in " ".join(frame["About"]) + " ".join(frame["What happened"])
    row = frame[frame["Action"] == "Role changed"].iloc[0]
    assert row["Who"] == "Maya Manager (manager)"
    assert row["About"] == "Tess Technician (technician, deactivated)"
    assert row["What happened"] == "Changed the role of Tess Technician (technician, deactivated) to trainer."


def test_the_refused_actions_filter_shows_only_refusals_in_words(users, app_store):
    manager = users["manager"]
    with pytest.raises(LastManagerError):
        app_store.accounts.set_active(manager.id, False, manager.actor)
    with pytest.raises(AuthError):
        auth.sign_in(app_store, "technician", "not the password")
    app_store.accounts.set_location(users["trainer"].id, "South", manager.actor)
    at = open_app(manager, "audit.py")
    assert "Location changed" in set(at.dataframe[0].value["Action"])
    next(c for c in at.checkbox if c.label == "Refused actions only").check().run()
    frame = at.dataframe[0].value
    assert set(frame["Action"]) == {"Last manager change refused", "Sign-in refused"}
    assert ("Refused to deactivate Maya Manager (manager): they are the last active manager. Nothing was changed."
            in set(frame["What happened"]))
    assert "(refused actions only)" in texts(at)


def test_a_refused_change_in_the_accounts_page_is_in_the_log(users, app_store):
    manager = users["manager"]
    at = open_app(manager, "accounts.py")
    next(s for s in at.selectbox if s.label == "Account").set_value(manager.id).run()
    button(at, "Deactivate").click().run()
    assert "last active manager" in texts(at)
    refused = app_store.audit.rows(manager.actor, action="last_manager_refused")
    assert [r.actor_id for r in refused] == [manager.id]
    assert app_store.accounts.get(manager.id).active
    assert sessions.open_count(app_store, manager.id, app_store.clock()) == 1  # the refused change ended none


# ---- e-mail addresses for expiry reminders --------------------------------------------------------------------


def as_read(markdown: str) -> str:
    """Markdown source as a person reads it: the escapes `common.plain` adds (`\\@`, `\\.`) are not shown."""
    return re.sub(r"\\(.)", r"\1", markdown)


def accounts_table(at):
    return next(frame.value for frame in at.dataframe if "E-mail" in frame.value.columns)


def add_user_with_email(at, username: str, email: str) -> None:
    form = {t.label: t for t in at.text_input}
    form["Username"].input(username)
    form["Full name"].input("Nora New")
    form["E-mail address (optional)"].input(email)
    button(at, "Add user").click().run()


def test_a_manager_adds_an_account_with_an_address_and_it_shows_in_the_table(users, app_store):
    at = open_app(users["manager"], "accounts.py")
    add_user_with_email(at, "nora", "Nora.New@Clinic.Example")
    assert not at.exception
    assert app_store.accounts.find("nora").email == "nora.new@clinic.example"
    table = accounts_table(at)
    assert table[table["Username"] == "nora"]["E-mail"].tolist() == ["nora.new@clinic.example"]
    assert app_store.accounts.find("nora").must_change_password


def test_a_bad_address_is_said_plainly_and_adds_no_account(users, app_store):
    at = open_app(users["manager"], "accounts.py")
    add_user_with_email(at, "nora", "nora at clinic")
    assert not at.exception
    assert [as_read(e.value) for e in at.error] == [
        "'nora at clinic' is not an e-mail address. Write it as name@clinic.example: one @, and a dot in the part "
        "after it."]
    assert app_store.accounts.find("nora") is None


def test_a_manager_changes_a_person_s_address(users, app_store):
    manager, tess = users["manager"], users["technician"]
    at = open_app(manager, "accounts.py")
    next(s for s in at.selectbox if s.label == "Account").set_value(tess.id).run()
    next(t for t in at.text_input if t.label == "E-mail address").input("tess@clinic.example")
    button(at, "Save e-mail address").click().run()
    assert not at.exception
    assert app_store.accounts.get(tess.id).email == "tess@clinic.example"
    assert "The e-mail address of Tess Technician is now tess@clinic.example." in as_read(texts(at))
    [row] = app_store.audit.rows(manager.actor, action="email_changed")
    assert (row.actor_id, row.target) == (manager.id, f"user:{tess.id}")


def test_a_person_sets_and_clears_their_own_address(users, app_store):
    tess = users["technician"]
    at = open_app(tess, "account.py")
    field = next(t for t in at.text_input if t.label == "E-mail address")
    assert field.value == ""
    field.input("Tess@Clinic.Example")
    button(at, "Save e-mail address").click().run()
    assert not at.exception and "Your e-mail address is now tess@clinic.example." in as_read(texts(at))
    assert app_store.accounts.get(tess.id).email == "tess@clinic.example"
    assert next(t for t in at.text_input if t.label == "E-mail address").value == "tess@clinic.example"

    next(t for t in at.text_input if t.label == "E-mail address").input("")
    button(at, "Save e-mail address").click().run()
    assert app_store.accounts.get(tess.id).email is None and "is cleared" in texts(at)
    rows = app_store.audit.rows(users["manager"].actor, action="email_changed")
    assert [(row.actor_id, row.target) for row in rows] == [(tess.id, f"user:{tess.id}")] * 2


def test_a_person_s_bad_address_is_refused_plainly(users, app_store):
    tess = users["technician"]
    app_store.accounts.set_email(tess.id, "tess@clinic.example", tess.actor)
    at = open_app(tess, "account.py")
    next(t for t in at.text_input if t.label == "E-mail address").input("tess@clinic")
    button(at, "Save e-mail address").click().run()
    assert not at.exception
    assert [as_read(e.value) for e in at.error] == [
        "'tess@clinic' is not an e-mail address. Write it as name@clinic.example: one @, and a dot in the part "
        "after it."]
    assert app_store.accounts.get(tess.id).email == "tess@clinic.example"
