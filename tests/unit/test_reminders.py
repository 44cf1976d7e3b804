"""Expiry reminders (issue #16): the windows, once per certificate and window, dry runs, nothing without SMTP, and
the `expiring` and `send-reminders` commands."""

from __future__ import annotations

import json
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


def certify(store, username, name, days_left, location="North", role=Role.TECHNICIAN, email=None):
    user = store.accounts.get(auth.create_user(store, username, name, role, PASSWORD, location, email=email))
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
    assert "No e-mail address on their account, so tell them in person (3):" in body  # nobody has one here
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


# ------------------------------------------------------------------------------- each holder's own reminder


def sent_to(smtp: FakeSmtp) -> list[str]:
    return [message["To"] for _, message in smtp.sent]


def holder_rows(store, actor):
    return [row for row in store.audit.rows(actor, action="reminder_sent") if json.loads(row.detail)["to"] == "holder"]


@pytest.fixture
def addressed_staff(store, manager):
    """Tess (10 days left) has an e-mail address; Fay (45 days) has none."""
    return {"ten": certify(store, "ten", "Tess Ten", 10, email="Tess@Clinic.Example"),
            "forty": certify(store, "forty", "Fay Fortyfive", 45, location="South")}


def send(store, actor, clock, smtp, **options):
    return reminders.send_reminders(store, actor, clock(), WINDOWS, "Glow Clinic", "UTC", CONFIG, sender=smtp,
                                    **options)


def test_a_holder_with_an_address_gets_their_own_reminder_and_the_digest_names_who_has_none(
        store, clock, manager, addressed_staff):
    smtp = FakeSmtp()
    run = send(store, manager.actor, clock, smtp)
    assert sent_to(smtp) == ["tess@clinic.example", "manager@clinic.example"]
    own = smtp.sent[0][1]
    tess_code = addressed_staff["ten"][1].code
    assert own["From"] == "training@clinic.example" and "13 March 2025" in own["Subject"]
    assert tess_code in own.get_content() and "Fay" not in own.get_content()  # nobody else's certificate
    digest = smtp.sent[1][1].get_content()
    no_address = digest[digest.index("No e-mail address on their account"):]
    assert "Fay Fortyfive (South)" in no_address and "Tess Ten" not in no_address.split("\n\n")[0]
    assert [(r.entry.username, r.sent, r.error) for r in run.personal] == [("ten", True, None)]
    (row,) = holder_rows(store, manager.actor)
    assert row.target == f"certificate:{tess_code}"
    assert json.loads(row.detail) == {"window_days": 30, "user_id": addressed_staff["ten"][0].id, "to": "holder",
                                      "address": "tess@clinic.example"}


def test_each_holder_gets_exactly_one_reminder_per_window(store, clock, manager, addressed_staff):
    smtp = FakeSmtp()
    send(store, manager.actor, clock, smtp)
    assert send(store, manager.actor, clock, smtp).personal == [] and len(smtp.sent) == 2  # nothing new

    clock.advance(days=16)  # Fay enters the 30-day window; Tess is still in it and has had hers
    send(store, manager.actor, clock, smtp)
    assert sent_to(smtp)[2:] == ["manager@clinic.example"]

    fay = addressed_staff["forty"][0]
    auth.set_email(store, fay.id, "fay@clinic.example", fay.actor)  # the manager knows; Fay has not been e-mailed
    run = send(store, manager.actor, clock, smtp)
    assert sent_to(smtp)[3:] == ["fay@clinic.example"] and run.due == [] and not run.sent
    assert send(store, manager.actor, clock, smtp).personal == [] and len(smtp.sent) == 4
    assert len(holder_rows(store, manager.actor)) == 2


def test_a_dry_run_builds_every_message_and_sends_and_records_none(store, manager, clock, addressed_staff):
    smtp = FakeSmtp()
    run = send(store, manager.actor, clock, smtp, dry_run=True)
    assert smtp.sent == [] and store.audit.rows(manager.actor, action="reminder_sent") == []
    assert run.message is not None and [(r.entry.username, r.sent) for r in run.personal] == [("ten", False)]
    assert run.personal[0].message["To"] == "tess@clinic.example"
    printed = "\n".join(reminders.summary_lines(run, "UTC", clock()))
    assert "Tess Ten (North), certificate" in printed and "e-mail tess@clinic.example" in printed
    assert "Fay Fortyfive (South)" in printed and "no e-mail address" in printed
    assert "Their own reminder, each to their own address (1):" in printed


def test_nothing_reaches_a_holder_without_smtp(store, manager, clock, addressed_staff):
    smtp = FakeSmtp()
    run = reminders.send_reminders(store, manager.actor, clock(), WINDOWS, "Glow Clinic", "UTC", None, sender=smtp)
    assert smtp.sent == [] and store.audit.rows(manager.actor, action="reminder_sent") == []
    assert [(r.entry.username, r.message, r.sent) for r in run.personal] == [("ten", None, False)]


class RefusingOne(FakeSmtp):
    """A mail server that refuses one recipient and takes every other message."""

    def __init__(self, refused: str):
        super().__init__()
        self.refused = refused

    def __call__(self, config, message):
        if message["To"] == self.refused:
            raise TrainingError(f"The server refused {self.refused}.")
        super().__call__(config, message)


def test_a_refused_holder_reminder_is_named_to_the_manager_and_tried_again(store, clock, manager, addressed_staff):
    smtp = RefusingOne("tess@clinic.example")
    run = send(store, manager.actor, clock, smtp)
    assert sent_to(smtp) == ["manager@clinic.example"] and run.sent
    assert "Tess Ten (tess@clinic.example): The server refused tess@clinic.example." in smtp.sent[0][1].get_content()
    assert holder_rows(store, manager.actor) == []
    smtp.refused = ""  # the address was fixed at the server's end
    again = send(store, manager.actor, clock, smtp)
    assert sent_to(smtp)[1:] == ["tess@clinic.example"] and not again.sent  # the manager has had this list


def test_reminders_recorded_before_holders_had_addresses_count_as_the_manager_s(store, manager, clock,
                                                                               addressed_staff):
    code = addressed_staff["forty"][1].code
    store.audit.record(manager.actor, "reminder_sent", f"certificate:{code}", {"window_days": 60})
    assert reminders.sent_reminders(store, manager.actor) == {(code, 60)}
    assert reminders.sent_reminders(store, manager.actor, reminders.TO_HOLDER) == set()


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
    certify(store, "ten", "Tess Ten", 10, email="tess@clinic.example")
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
    assert "Dry run, nothing sent or recorded. Would send 2 reminder(s) to the manager (manager@clinic.example)" in out
    # Both: the manager's list, and who gets their own reminder at which address and who has none.
    assert "Tess Ten (North)" in out and "; e-mail tess@clinic.example" in out
    assert "Fay Fortyfive (South)" in out and "; no e-mail address" in out
    assert smtp.sent == [] and store.audit.rows(manager.actor, action="reminder_sent") == []


def test_send_reminders_sends_once_then_has_nothing_due(cli_store, monkeypatch, capsys):
    store, manager = cli_store
    configure_smtp(monkeypatch)
    smtp = FakeSmtp()
    monkeypatch.setattr(reminders, "smtp_send", smtp)
    assert main(["send-reminders"]) == 0
    assert "Sent 2 reminder(s) to the manager (manager@clinic.example)" in capsys.readouterr().out
    assert main(["send-reminders"]) == 0
    assert "No reminders due" in capsys.readouterr().out
    assert [message["To"] for _, message in smtp.sent] == ["tess@clinic.example", "manager@clinic.example"]
    recorded = store.audit.rows(COMMAND_LINE, action="reminder_sent")
    assert len(recorded) == 3 and {row.actor_username for row in recorded} == {"command-line"}
