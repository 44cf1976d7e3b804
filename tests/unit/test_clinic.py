"""The clinic's name and public address: the database value over the settings, loopback detection, the warning."""

from __future__ import annotations

import pytest

from modules import auth, clinic, settings
from modules.__main__ import main
from modules.core.errors import PermissionDenied, SettingsError
from modules.core.records import Actor
from modules.core.types import Role
from modules.store import Store


@pytest.mark.parametrize("address", [
    "http://127.0.0.1:8501", "http://127.3.4.5", "http://localhost:8501", "https://LOCALHOST/", "http://app.localhost",
    "http://[::1]:8501", "http://0.0.0.0:8501", "http://[::ffff:127.0.0.1]", "127.0.0.1:8501", "", "https://", "http://[",
])
def test_addresses_only_this_computer_can_open_are_loopback(address):
    assert clinic.is_loopback(address)
    assert clinic.loopback_warning(address).startswith(f"Certificates point to {address}, which only this computer")


@pytest.mark.parametrize("address", [
    "https://training.clinic.example", "http://192.168.1.20:8501", "https://[2001:db8::1]", "http://localhost.example",
])
def test_public_and_local_network_addresses_are_not_loopback(address):
    assert not clinic.is_loopback(address)
    assert clinic.loopback_warning(address) is None


def test_the_database_value_wins_over_the_settings(store, monkeypatch):
    monkeypatch.setenv("TRAINING_CLINIC_NAME", "Settings Clinic")
    monkeypatch.setenv("TRAINING_BASE_URL", "https://settings.example")
    settings.reload()
    try:
        assert (clinic.clinic_name(store), clinic.public_address(store)) == ("Settings Clinic", "https://settings.example")
        assert clinic.update(store, None, "  Riverside   Clinic ", "https://training.clinic.example/") == [
            "clinic_name", "public_address"]
        assert clinic.clinic_name(store) == "Riverside Clinic"
        assert clinic.public_address(store) == "https://training.clinic.example"
    finally:
        settings.reload()


def test_update_writes_only_what_changed_and_only_for_a_manager(store):
    manager_id = auth.create_user(store, "mia", "Mia", Role.MANAGER, "a long clinic passphrase")
    trainer_id = auth.create_user(store, "tom", "Tom", Role.TRAINER, "a long clinic passphrase")
    manager, trainer = Actor(manager_id, Role.MANAGER), Actor(trainer_id, Role.TRAINER)
    clinic.update(store, manager, "Riverside Clinic", "https://training.clinic.example")
    assert clinic.update(store, manager, "Riverside Clinic", "https://clinic.example") == ["public_address"]
    assert clinic.update(store, manager, "Riverside Clinic", "https://clinic.example") == []
    with pytest.raises(PermissionDenied):
        clinic.update(store, trainer, "Mine now", "https://evil.example")
    changes = store.audit.rows(manager, action="clinic_setting_changed")
    assert [(row.actor_id, row.target) for row in changes] == [(manager_id, "clinic:public_address"),
                                                               (manager_id, "clinic:public_address"),
                                                               (manager_id, "clinic:clinic_name")]


@pytest.mark.parametrize("address", [
    "training.clinic.example", "ftp://clinic.example", "https://", "https://clinic.example/?x=1",
    "https://clinic.example/#top", "https://user:pw@clinic.example", "https://clinic .example", "http://clinic:port",
    "javascript:alert(1)", "https://" + "a" * 200 + ".example",
])
def test_a_public_address_must_be_an_http_or_https_url_with_a_host(store, address):
    with pytest.raises(SettingsError, match="must be a web address"):
        clinic.update(store, None, "Riverside Clinic", address)
    assert store.clinic.current() == {}  # nothing written, the name neither


@pytest.mark.parametrize("name", ["", "   ", "x" * (clinic.NAME_MAX + 1)])
def test_a_clinic_name_must_be_given_and_short(name):
    with pytest.raises(SettingsError):
        clinic.checked_name(name)


def test_the_command_line_warns_on_export_and_verify_while_the_address_is_loopback(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TRAINING_DB_URL", url)
    settings.reload()
    try:
        main(["verify", "NOPE-NOPE-NOPE-NOPE"])
        assert "warning: Certificates point to http://127.0.0.1:8501" in capsys.readouterr().err
        main(["export", "--what", "register", "--format", "csv", "--out", str(tmp_path / "r.csv")])
        assert "warning: Certificates point to" in capsys.readouterr().err
        store = Store.open(url, audit_key=settings.audit_key())
        clinic.update(store, None, "Riverside Clinic", "https://training.clinic.example")
        store.close()
        main(["verify", "NOPE-NOPE-NOPE-NOPE"])
        assert "warning" not in capsys.readouterr().err
    finally:
        settings.reload()
