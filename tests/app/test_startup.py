"""A clinic PC started with a bad setting or an unusable database sees one plain sentence, never a traceback."""

from __future__ import annotations

import shutil

from sqlalchemy import text

from modules import auth, settings
from modules.store import Store
from tests.app.conftest import open_app, texts
from tests.helpers import SCHEMA_V1, behind_the_store


def test_an_unknown_time_zone_stops_the_app_with_a_sentence(monkeypatch, tmp_path):
    monkeypatch.setenv("TRAINING_DB_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("TRAINING_TIMEZONE", "Europe/Atlantis")
    settings.reload()
    at = open_app()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "TRAINING_TIMEZONE 'Europe/Atlantis' is not an IANA time zone name; use one such as Europe/London or UTC."]
    assert not at.text_input  # no sign-in form behind a broken start


def test_a_database_from_a_newer_app_is_refused_with_a_sentence(monkeypatch, tmp_path):
    clinic = tmp_path / "clinic.db"
    shutil.copy(SCHEMA_V1 / "clinic.db", clinic)
    url = f"sqlite:///{clinic}"
    with behind_the_store(url) as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('9999_from_the_future')"))
    monkeypatch.setenv("TRAINING_DB_URL", url)
    at = open_app()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The database was written by a newer version of this app; update the app first."]


def test_an_old_clinic_database_is_upgraded_on_start_and_its_people_can_sign_in(monkeypatch, tmp_path):
    clinic = tmp_path / "clinic.db"
    shutil.copy(SCHEMA_V1 / "clinic.db", clinic)  # schema version 1, written before migrations existed
    monkeypatch.setenv("TRAINING_DB_URL", f"sqlite:///{clinic}")
    at = open_app()
    assert not at.exception and not at.error and at.title[0].value == "Sign in"
    store = Store.open(f"sqlite:///{clinic}", audit_key=settings.audit_key())
    try:
        sam = auth.sign_in(store, "sam", "clinic-phrase-three")  # what POST /signin checks
    finally:
        store.close()
    at = open_app(sam)
    assert not at.exception
    assert "Signed in as **Sam Lee**" in texts(at)
