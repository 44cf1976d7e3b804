"""Expiry reminders (issue #16): the windows, once per certificate and window, dry runs, nothing without SMTP, and
the `expiring` and `send-reminders` commands."""

from __future__ import annotations

from datetime import timedelta

import pytest

from modules import auth, reminders, settings
from modules.__main__ import main
from modules.core.errors import SettingsError, TrainingError
from modules.core.types import Role
from modules.register import COMMAND_LINE
from modules.store import Store

PASSWORD = "correct horse battery"
WINDOWS = (30, 60, 90)
CONFIG = reminders.SmtpConfig("mail.clinic.example", 587, "robot", "mail-secret", "training@clinic.example",
                              "manager@clinic.example")


class FakeSmtp:
    """Stands in for the mail server: keeps what it was handed, or refuses like a server that is down."""

    def __init__(self, fail: bool = False):
        self.sent: list = []
        self.fail = fail

    def __call__(self, config, message):
        if self.fail:
            raise TrainingError("The reminder e-mail could not be sent through mail.clinic.example:587.")
        self.sent.append((config, message))


def certify(store, username, name, days_left, location="North", role=Role.TECHNICIAN, active=True):
    user = store.accounts.get(auth.create_user(store, username, name, role, PASSWORD, location))
    cert = store.certificates.issue(user.id, None, "Microdermabrasion technician", 0.9,
                                    store.clock() + timedelta(days=days_left))
    return user, cert


@pytest.fixture
def manager(store):
    return store.accounts.get(auth.create_user(store, "mia", "Mia Manager", Role.MANAGER, PASSWORD, "North"))


@pytest.fixture
def expiring_staff(store, manager):
    """Certificates ending in 10, 45, 80 and 200 days, one revoked at 20 days and one deactivated at 15."""
    made = {name: certify(store, name, full, days) for name, full, days in [
        ("ten", "Tess Ten", 10), ("forty", "Fay Fortyfive", 45), ("eighty", "Eli Eighty", 80),
        ("far", "Fred Far", 200), ("revoked", "Rita Revoked", 20), ("gone", "Gina Gone", 15)]}
    store.certificates.revoke(made["revoked"][1].id, manager.actor, "Wrong name")
    store.accounts.set_active(made["gone"][0].id, False, manager.actor)
    return made


def test_windows_are_the_policy_s_or_stop_at_the_days_asked_for():
    assert reminders.windows([90, 30, 60]) == (30, 60, 90)
    assert reminders.windows(WINDOWS, 30) == (30,)
    assert reminders.windows(WINDOWS, 45) == (30, 45)
    with pytest.raises(TrainingError):
        reminders.windows(WINDOWS, 0)


def test_each_current_certificate_falls_in_the_narrowest_window_that_holds_it(store, manager, expiring_staff):
    found = reminders.expiring_for(store, manager.actor, store.clock(), WINDOWS)
    assert [(e.username, e.window_days, e.days_left(store.clock())) for e in found] == [
        ("ten", 30, 10), ("forty", 60, 45), ("eighty", 90, 80)]  # not revoked, deactivated or beyond 90 days
    assert [e.username for e in reminders.expiring_for(store, manager.actor, store.clock(), (30,))] == ["ten"]


def test_the_list_is_for_managers_only(store, manager, expiring_staff):
    trainer = store.accounts.get(auth.create_user(store, "tom", "Tom Trainer", Role.TRAINER, PASSWORD)).actor
    with pytest.raises(Exception, match="Only a manager"):
        reminders.expiring_for(store, trainer, store.clock(), WINDOWS)


def test_a_reminder_is_sent_once_per_window_and_recorded(store, clock, manager, expiring_staff):
    smtp = FakeSmtp()
    first = reminders.send_reminders(store, manager.actor, clock(), WINDOWS, "Glow Clinic", "UTC", CONFIG,
                                     sender=smtp)
    assert first.sent and len(smtp.sent) == 1
    _, message = smtp.sent[0]
    assert message["To"] == "manager@clinic.example" and message["From"] == "training@clinic.example"
    body = message.get_content()
    assert "Tess Ten" in body and "Fay Fortyfive" in body and "Eli Eighty" in body and "Fred Far" not in body
    assert "technicians are not e-mailed" in body
    assert "mail-secret" not in message.as_string()
    audited = store.audit.rows(manager.actor, action="reminder_sent")
    assert len(audited) == 3 and {row.target for row in audited} == {
        f"certificate:{expiring_staff[name][1].code}" for name in ("ten", "forty", "eighty")}

    again = reminders.send_reminders(store, manager.actor, clock(), WINDOWS, "Glow Clinic", "UTC", CONFIG,
                                     sender=smtp)
    assert again.due == [] and not again.sent and len(smtp.sent) == 1  # nothing new: nothing sent

    clock.advance(days=16)  # Fay's certificate now ends within 30 days: a new window, a new reminder
    later = reminders.send_reminders(store, manager.actor, clock(), WINDOWS, "Glow Clinic", "UTC", CONFIG,
                                     sender=smtp)
    assert [(e.username, e.window_days) for e in later.due] == [("forty", 30)] and len(smtp.sent) == 2


def test_a_dry_run_sends_and_records_nothing(store, manager, expiring_staff):
    smtp = FakeSmtp()
    run = reminders.send_reminders(store, manager.actor, store.clock(), WINDOWS, "Glow Clinic", "UTC", CONFIG,
                                   dry_run=True, sender=smtp)
    assert len(run.due) == 3 and run.message is not None and not run.sent
    assert smtp.sent == [] and store.audit.rows(manager.actor, action="reminder_sent") == []


def test_nothing_is_sent_without_smtp(store, manager, expiring_staff):
    smtp = FakeSmtp()
    run = reminders.send_reminders(store, manager.actor, store.clock(), WINDOWS, "Glow Clinic", "UTC", None,
                                   sender=smtp)
    assert len(run.due) == 3 and run.message is None and not run.sent
    assert smtp.sent == [] and store.audit.rows(manager.actor, action="reminder_sent") == []


def test_a_failed_send_records_nothing_so_the_next_run_tries_again(store, manager, expiring_staff):
    with pytest.raises(TrainingError):
        reminders.send_reminders(store, manager.actor, store.clock(), WINDOWS, "Glow Clinic", "UTC", CONFIG,
                                 sender=FakeSmtp(fail=True))
    assert store.audit.rows(manager.actor, action="reminder_sent") == []
    smtp = FakeSmtp()
    assert reminders.send_reminders(store, manager.actor, store.clock(), WINDOWS, "Glow Clinic", "UTC", CONFIG,
                                    sender=smtp).sent


def smtp_settings(**values) -> settings.Settings:
    return settings.Settings.model_validate(values)


def test_smtp_is_off_by_default_and_a_half_set_up_is_said(tmp_path, monkeypatch):
    assert reminders.smtp_config(smtp_settings()) is None
    with pytest.raises(SettingsError, match="TRAINING_SMTP_MANAGER_TO"):
        reminders.smtp_config(smtp_settings(TRAINING_SMTP_HOST="mail.example", TRAINING_SMTP_FROM="a@example.org"))
    secret = tmp_path / "smtp-password"
    secret.write_text("from-the-file\n", encoding="utf-8")
    config = reminders.smtp_config(smtp_settings(
        TRAINING_SMTP_HOST="mail.example", TRAINING_SMTP_PORT="465", TRAINING_SMTP_FROM="a@example.org",
        TRAINING_SMTP_MANAGER_TO="boss@example.org", TRAINING_SMTP_PASSWORD_FILE=str(secret)))
    assert config.port == 465 and config.password == "from-the-file" and "from-the-file" not in repr(config)
    monkeypatch.setenv("TRAINING_SMTP_MANAGER_TO", "not an address")
    with pytest.raises(SettingsError, match="TRAINING_SMTP_MANAGER_TO must be an e-mail address"):
        settings.current()


# ------------------------------------------------------------------------------------------ command line


@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TRAINING_DB_URL", url)
    for name in settings.SETTINGS:
        if name.startswith("TRAINING_SMTP_"):
            monkeypatch.delenv(name, raising=False)
    store = Store.open(url, audit_key=settings.audit_key())
    manager = store.accounts.get(auth.create_user(store, "mia", "Mia Manager", Role.MANAGER, PASSWORD, "North"))
    certify(store, "ten", "Tess Ten", 10)
    certify(store, "forty", "Fay Fortyfive", 45, location="South")
    yield store, manager
    store.close()


def configure_smtp(monkeypatch):
    monkeypatch.setenv("TRAINING_SMTP_HOST", "mail.clinic.example")
    monkeypatch.setenv("TRAINING_SMTP_FROM", "training@clinic.example")
    monkeypatch.setenv("TRAINING_SMTP_MANAGER_TO", "manager@clinic.example")


def test_expiring_lists_30_days_by_default_and_more_when_asked(cli_store, capsys):
    assert main(["expiring"]) == 0
    out = capsys.readouterr().out
    assert "Expiring within 30 days (1):" in out and "Tess Ten (North)" in out and "Fay" not in out
    assert main(["expiring", "--days", "60"]) == 0
    out = capsys.readouterr().out
    assert "Expiring within 60 days (1):" in out and "Fay Fortyfive (South)" in out


def test_send_reminders_says_so_and_fails_without_smtp(cli_store, capsys):
    store, manager = cli_store
    assert main(["send-reminders"]) == 1
    assert "SMTP is not configured" in capsys.readouterr().err
    assert store.audit.rows(manager.actor, action="reminder_sent") == []


def test_send_reminders_dry_run_prints_what_it_would_send(cli_store, monkeypatch, capsys):
    store, manager = cli_store
    configure_smtp(monkeypatch)
    smtp = FakeSmtp()
    monkeypatch.setattr(reminders, "smtp_send", smtp)
    assert main(["send-reminders", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dry run, nothing sent or recorded. Would send 2 reminder(s) in one e-mail to manager@clinic.example" in out
    assert "Tess Ten" in out and "Fay Fortyfive" in out
    assert smtp.sent == [] and store.audit.rows(manager.actor, action="reminder_sent") == []


def test_send_reminders_sends_once_then_has_nothing_due(cli_store, monkeypatch, capsys):
    store, manager = cli_store
    configure_smtp(monkeypatch)
    smtp = FakeSmtp()
    monkeypatch.setattr(reminders, "smtp_send", smtp)
    assert main(["send-reminders"]) == 0
    assert "Sent 2 reminder(s) in one e-mail to manager@clinic.example" in capsys.readouterr().out
    assert main(["send-reminders"]) == 0
    assert "No reminders due" in capsys.readouterr().out
    assert len(smtp.sent) == 1
    recorded = store.audit.rows(COMMAND_LINE, action="reminder_sent")
    assert len(recorded) == 2 and {row.actor_username for row in recorded} == {"command-line"}
