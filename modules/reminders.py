"""Expiry reminders: who holds a current certificate that ends within the policy's reminder windows
(`reminder_days`, e.g. 30, 60 and 90 days), and the e-mails that say so once per certificate and window.

Each person whose account has an e-mail address gets their own reminder; the manager gets one digest of every
certificate due, which names those without an address so the manager can tell them. Nothing is sent unless the
SMTP settings are filled in. Every reminder sent is an audit row (`reminder_sent`, target `certificate:<code>`,
detail `{"window_days": N, "to": "manager" | "holder", ...}`), which is also how a later run knows to skip it, for
each recipient apart. The sender is injected, so tests never open a connection. Nothing here imports streamlit.
"""

from __future__ import annotations

import json
import smtplib
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pandas as pd

from modules import settings
from modules.certificates import display_date
from modules.core import timezones
from modules.core.clock import require_utc
from modules.core.errors import SettingsError, TrainingError
from modules.core.records import Actor, require_manager
from modules.core.types import CertificateStatus, Role, UserId
from modules.register import COMMAND_LINE
from modules.store import RegisterRow, Store

REMINDER_SENT = "reminder_sent"
SMTP_TIMEOUT_SECONDS = 30
IMPLICIT_TLS_PORT = 465
NOT_CONFIGURED = ("E-mail reminders are off: SMTP is not configured (set TRAINING_SMTP_HOST, TRAINING_SMTP_FROM and "
                  "TRAINING_SMTP_MANAGER_TO). Nothing is sent.")
NO_TECHNICIAN_ADDRESSES = ("Each person whose account has an e-mail address also gets their own reminder; the "
                           "manager's e-mail names those without one, to be told in person.")
TO_MANAGER, TO_HOLDER = "manager", "holder"  # the audit detail's "to": who a reminder went to
_CURRENT = (CertificateStatus.CERTIFIED, CertificateStatus.EXPIRING)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    from_address: str
    manager_address: str


@dataclass(frozen=True)
class Expiring:
    """One person's current certificate that ends within `window_days` (the narrowest window that holds it)."""

    user_id: UserId
    full_name: str
    username: str
    location: str | None
    role: Role
    code: str
    title: str
    expires_at: datetime
    window_days: int
    email: str | None = None  # the holder's own address, if their account has one

    def days_left(self, now: datetime) -> int:
        """Whole days left, rounded up: a certificate ending in 3 hours has 1 day left."""
        return -((now - self.expires_at) // timedelta(days=1))


@dataclass(frozen=True)
class PersonalReminder:
    """One holder's own reminder: its message (None without SMTP), whether the mail server took it, and if it
    refused, why (nothing is recorded then, so the next run tries again)."""

    entry: Expiring
    message: EmailMessage | None
    sent: bool = False
    error: str | None = None


@dataclass(frozen=True)
class ReminderRun:
    """What `send_reminders` found due for the manager's digest, the digest it made (None when there was nothing to
    say or no SMTP) and whether it was sent, and each holder's own reminder due."""

    due: list[Expiring]
    message: EmailMessage | None
    sent: bool
    personal: list[PersonalReminder] = field(default_factory=list)


Sender = Callable[[SmtpConfig, EmailMessage], None]


def smtp_config(current: settings.Settings | None = None) -> SmtpConfig | None:
    """The SMTP settings, or None while TRAINING_SMTP_HOST is blank (reminders off). A host without the two
    addresses is a SettingsError, so a half-done set-up is said, not silently ignored."""
    current = current or settings.current()
    if not current.smtp_host.strip():
        return None
    missing = [name for name, value in (("TRAINING_SMTP_FROM", current.smtp_from),
                                        ("TRAINING_SMTP_MANAGER_TO", current.smtp_manager_to)) if not value]
    if missing:
        raise SettingsError(f"TRAINING_SMTP_HOST is set but {' and '.join(missing)} is not: set both addresses, "
                            "or clear TRAINING_SMTP_HOST to switch reminders off.")
    password = current.smtp_password.get_secret_value()
    if not password and current.smtp_password_file.strip():
        path = Path(current.smtp_password_file.strip())
        try:
            password = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise SettingsError(f"The SMTP password file {path} cannot be read ({error.__class__.__name__}).") from None
    return SmtpConfig(current.smtp_host.strip(), current.smtp_port, current.smtp_user.strip(), password,
                      current.smtp_from, current.smtp_manager_to)


def windows(reminder_days: Iterable[int], limit: int | None = None) -> tuple[int, ...]:
    """The windows to list, narrowest first: the policy's, or with `limit` those under it and `limit` itself."""
    days = sorted(set(reminder_days))
    if limit is None:
        return tuple(days)
    if limit < 1:
        raise TrainingError("The number of days must be at least 1.")
    return (*(d for d in days if d < limit), limit)


def expiring(rows: Iterable[RegisterRow], now: datetime, window_days: Sequence[int]) -> list[Expiring]:
    """Active people whose deciding certificate is current and ends within the widest window, soonest first."""
    require_utc(now)
    if not window_days:
        return []
    ordered = sorted(window_days)
    horizon = now + timedelta(days=ordered[-1])
    found = []
    for row in rows:
        cert = row.deciding
        if not row.active or cert is None or row.status not in _CURRENT or not now < cert.expires_at <= horizon:
            continue
        window = next(d for d in ordered if cert.expires_at <= now + timedelta(days=d))
        found.append(Expiring(row.user_id, row.full_name, row.username, row.location, row.role, cert.code, cert.title,
                              cert.expires_at, window))
    return sorted(found, key=lambda entry: (entry.expires_at, entry.full_name))


def expiring_for(store: Store, actor: Actor | None, now: datetime, window_days: Sequence[int]) -> list[Expiring]:
    """`expiring` over the register as it stands at `now`, with each holder's e-mail address (managers only)."""
    require_manager(actor, "list expiring certificates")
    found = expiring(store.registry.rows(actor, now), now, window_days)
    if not found:
        return found
    addresses = {user.id: user.email for user in store.accounts.list_users(active_only=True)}
    return [replace(entry, email=addresses.get(entry.user_id)) for entry in found]


EXPIRING_COLUMNS = ("Name", "Username", "Location", "Role", "Certificate code", "Expires", "Days left",
                    "Reminder sent", "E-mail")
NO_ADDRESS = "none: tell them in person"


def expiring_frame(entries: Iterable[Expiring], now: datetime, tz_name: str,
                   sent: set[tuple[str, int]]) -> pd.DataFrame:
    """The entries as the Expiring page shows them; "Reminder sent" is for the entry's own window, and "E-mail"
    says who gets no reminder of their own (the manager's digest names them)."""
    zone = timezones.zone(tz_name)
    return pd.DataFrame([(entry.full_name, entry.username, entry.location or "", entry.role.value, entry.code,
                          entry.expires_at.astimezone(zone).date().isoformat(), entry.days_left(now),
                          "yes" if (entry.code, entry.window_days) in sent else "no", entry.email or NO_ADDRESS)
                         for entry in entries],
                        columns=list(EXPIRING_COLUMNS))


def sent_reminders(store: Store, actor: Actor | None, to: str = TO_MANAGER) -> set[tuple[str, int]]:
    """(certificate code, window) of every reminder already sent to `to` (the manager or the holder), from the
    audit log."""
    sent = set()
    for row in store.audit.rows(actor or COMMAND_LINE, action=REMINDER_SENT, limit=None):
        try:
            detail = json.loads(row.detail)
            window = int(detail["window_days"])
        except (ValueError, KeyError, TypeError):
            continue  # not one of ours: never a reason to skip a reminder
        if detail.get("to", TO_MANAGER) == to:
            sent.add((row.target.removeprefix("certificate:"), window))
    return sent


def digest(due: Sequence[Expiring], clinic_name: str, tz_name: str, now: datetime, config: SmtpConfig,
           refused: Sequence[PersonalReminder] = ()) -> EmailMessage:
    """One plain-text e-mail to the manager listing every reminder due, grouped by window, then who has no address
    to be reminded at and whose own reminder the mail server refused."""
    message = EmailMessage()
    message["Subject"] = (f"{clinic_name}: {len(due)} certificate(s) expiring soon" if due else
                          f"{clinic_name}: {len(refused)} expiry reminder(s) could not be sent")
    message["From"] = config.from_address
    message["To"] = config.manager_address
    lines = [*digest_lines(due, tz_name, now), "", *no_address_lines(due, tz_name)] if due else []
    if refused:
        lines += [*([""] if lines else []),
                  f"Their own reminder could not be sent; the next run tries again ({len(refused)}):"]
        lines += [f"  {reminder.entry.full_name} ({reminder.entry.email}): {reminder.error}" for reminder in refused]
    message.set_content("\n".join([*lines, "", NO_TECHNICIAN_ADDRESSES]) + "\n")
    return message


def no_address_lines(entries: Sequence[Expiring], tz_name: str) -> list[str]:
    """Who among `entries` has no e-mail address and must be told in person; one line when everyone has one."""
    missing = [entry for entry in entries if not entry.email]
    if not missing:
        return ["Everyone listed has an e-mail address and gets their own reminder."]
    return [f"No e-mail address on their account, so tell them in person ({len(missing)}):",
            *(f"  {entry.full_name} ({entry.location or 'no location'}), certificate {entry.code}, expires "
              f"{display_date(entry.expires_at, tz_name)}" for entry in missing)]


def personal_message(entry: Expiring, clinic_name: str, tz_name: str, now: datetime,
                     config: SmtpConfig) -> EmailMessage:
    """A plain-text reminder to the holder of an expiring certificate, at their own address."""
    if not entry.email:
        raise TrainingError(f"{entry.full_name} has no e-mail address to send a reminder to.")
    expires = display_date(entry.expires_at, tz_name)
    message = EmailMessage()
    message["Subject"] = f"{clinic_name}: your certificate expires on {expires}"
    message["From"] = config.from_address
    message["To"] = entry.email
    message.set_content("\n".join([
        f"Dear {entry.full_name},",
        "",
        f"Your certificate \"{entry.title}\" (code {entry.code}) expires on {expires}, in {entry.days_left(now)} "
        "day(s).",
        "To stay certified, sign in to the training app and pass the certification exam again before then.",
        "Your manager has been told as well.",
        "",
        clinic_name,
    ]) + "\n")
    return message


def personal_lines(reminders: Sequence[PersonalReminder], tz_name: str) -> list[str]:
    """Each holder's own reminder as a line of text, for the command line."""
    return [f"  {r.entry.full_name} <{r.entry.email}>, certificate {r.entry.code}, expires "
            f"{display_date(r.entry.expires_at, tz_name)} (within {r.entry.window_days} days)"
            + (f": NOT SENT, {r.error}" if r.error else "") for r in reminders]


def digest_lines(entries: Sequence[Expiring], tz_name: str, now: datetime) -> list[str]:
    """The entries as lines of text, under a heading per window, each with the holder's address or the lack of
    one: for the e-mail and the command line."""
    lines: list[str] = []
    for window in sorted({entry.window_days for entry in entries}):
        group = [entry for entry in entries if entry.window_days == window]
        lines.append(f"Expiring within {window} days ({len(group)}):")
        lines += [f"  {entry.full_name} ({entry.location or 'no location'}), certificate {entry.code}, expires "
                  f"{display_date(entry.expires_at, tz_name)} ({entry.days_left(now)} day(s) left); "
                  + (f"e-mail {entry.email}" if entry.email else "no e-mail address") for entry in group]
    return lines


def summary_lines(run: ReminderRun, tz_name: str, now: datetime) -> list[str]:
    """What a run sent (or, on a dry run, would send): the manager's list and each holder's own reminder."""
    lines = digest_lines(run.due, tz_name, now)
    if run.due:
        lines += no_address_lines(run.due, tz_name)
    if run.personal:
        lines.append(f"Their own reminder, each to their own address ({len(run.personal)}):")
        lines += personal_lines(run.personal, tz_name)
    return lines


def send_reminders(store: Store, actor: Actor | None, now: datetime, window_days: Sequence[int], clinic_name: str,
                   tz_name: str, config: SmtpConfig | None, *, dry_run: bool = False,
                   sender: Sender | None = None, actor_username: str | None = None) -> ReminderRun:
    """Send each holder with an address their own reminder, and the manager one digest, of the reminders not yet
    sent to them for their window; record each one as the mail server takes it.

    Nothing is sent on a dry run or without `config`; the audit log is written only after the mail server took
    the message, so a failed send is tried again on the next run. A holder's reminder the server refuses does not
    stop the others: the manager's digest names it (and is sent for it alone if need be)."""
    require_manager(actor, "send expiry reminders")
    found = expiring_for(store, actor, now, window_days)
    to_manager, to_holders = sent_reminders(store, actor, TO_MANAGER), sent_reminders(store, actor, TO_HOLDER)
    due = [entry for entry in found if (entry.code, entry.window_days) not in to_manager]
    holders = [entry for entry in found if entry.email and (entry.code, entry.window_days) not in to_holders]
    if config is None:
        return ReminderRun(due, None, False, [PersonalReminder(entry, None) for entry in holders])
    messages = [(entry, personal_message(entry, clinic_name, tz_name, now, config)) for entry in holders]
    if dry_run:
        message = digest(due, clinic_name, tz_name, now, config) if due else None
        return ReminderRun(due, message, False, [PersonalReminder(entry, mail) for entry, mail in messages])
    send, auditing = sender or smtp_send, None if actor == COMMAND_LINE else actor
    personal = [_send_personal(store, entry, mail, send, config, auditing, actor_username)
                for entry, mail in messages]
    refused = [reminder for reminder in personal if reminder.error]
    if not due and not refused:
        return ReminderRun(due, None, False, personal)
    message = digest(due, clinic_name, tz_name, now, config, refused)
    send(config, message)
    for entry in due:
        store.audit.record(auditing, REMINDER_SENT, f"certificate:{entry.code}",
                           {"window_days": entry.window_days, "user_id": entry.user_id, "to": TO_MANAGER},
                           actor_username=actor_username)
    return ReminderRun(due, message, True, personal)


def _send_personal(store: Store, entry: Expiring, message: EmailMessage, send: Sender, config: SmtpConfig,
                   auditing: Actor | None, actor_username: str | None) -> PersonalReminder:
    """Send one holder's reminder and record it; a refusal comes back as the reminder's error, recorded nowhere."""
    try:
        send(config, message)
    except TrainingError as error:
        return PersonalReminder(entry, message, error=str(error))
    store.audit.record(auditing, REMINDER_SENT, f"certificate:{entry.code}",
                       {"window_days": entry.window_days, "user_id": entry.user_id, "to": TO_HOLDER,
                        "address": entry.email}, actor_username=actor_username)
    return PersonalReminder(entry, message, sent=True)


def smtp_send(config: SmtpConfig, message: EmailMessage) -> None:
    """Send `message` over TLS (from the start on port 465, else STARTTLS); any failure is one plain sentence."""
    context = ssl.create_default_context()
    try:
        if config.port == IMPLICIT_TLS_PORT:
            connection: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=SMTP_TIMEOUT_SECONDS,
                                                        context=context)
        else:
            connection = smtplib.SMTP(config.host, config.port, timeout=SMTP_TIMEOUT_SECONDS)
        with connection:
            if config.port != IMPLICIT_TLS_PORT:
                connection.starttls(context=context)
            if config.user:
                connection.login(config.user, config.password)
            connection.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        # The error names the server's answer, never the password.
        raise TrainingError(f"The reminder e-mail could not be sent through {config.host}:{config.port} "
                            f"({error.__class__.__name__}: {error}). Nothing was recorded; the next run tries "
                            "again.") from None
