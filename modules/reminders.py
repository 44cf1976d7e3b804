"""Expiry reminders: who holds a current certificate that ends within the policy's reminder windows
(`reminder_days`, e.g. 30, 60 and 90 days), and the e-mail that tells the manager about each one once per window.

Accounts hold no e-mail address, so the manager receives one digest and tells the technicians; nothing is sent
unless the SMTP settings are filled in. Every reminder sent is an audit row (`reminder_sent`, target
`certificate:<code>`, detail `{"window_days": N}`), which is also how a later run knows to skip it. The sender is
injected, so tests never open a connection. Nothing here imports streamlit.
"""

from __future__ import annotations

import json
import smtplib
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
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
NO_TECHNICIAN_ADDRESSES = ("Accounts hold no e-mail address, so technicians are not e-mailed: the manager receives one "
                           "list and tells them.")
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

    def days_left(self, now: datetime) -> int:
        """Whole days left, rounded up: a certificate ending in 3 hours has 1 day left."""
        return -((now - self.expires_at) // timedelta(days=1))


@dataclass(frozen=True)
class ReminderRun:
    """What `send_reminders` found due, the digest it made (None when there was nothing to say or no SMTP),
    and whether it was sent."""

    due: list[Expiring]
    message: EmailMessage | None
    sent: bool


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
    """`expiring` over the register as it stands at `now` (managers only)."""
    require_manager(actor, "list expiring certificates")
    return expiring(store.registry.rows(actor, now), now, window_days)


EXPIRING_COLUMNS = ("Name", "Username", "Location", "Role", "Certificate code", "Expires", "Days left",
                    "Reminder sent")


def expiring_frame(entries: Iterable[Expiring], now: datetime, tz_name: str,
                   sent: set[tuple[str, int]]) -> pd.DataFrame:
    """The entries as the Expiring page shows them; "Reminder sent" is for the entry's own window."""
    zone = timezones.zone(tz_name)
    return pd.DataFrame([(entry.full_name, entry.username, entry.location or "", entry.role.value, entry.code,
                          entry.expires_at.astimezone(zone).date().isoformat(), entry.days_left(now),
                          "yes" if (entry.code, entry.window_days) in sent else "no") for entry in entries],
                        columns=list(EXPIRING_COLUMNS))


def sent_reminders(store: Store, actor: Actor | None) -> set[tuple[str, int]]:
    """(certificate code, window) of every reminder already sent, from the audit log."""
    sent = set()
    for row in store.audit.rows(actor or COMMAND_LINE, action=REMINDER_SENT, limit=None):
        try:
            window = int(json.loads(row.detail)["window_days"])
        except (ValueError, KeyError, TypeError):
            continue  # not one of ours: never a reason to skip a reminder
        sent.add((row.target.removeprefix("certificate:"), window))
    return sent


def digest(due: Sequence[Expiring], clinic_name: str, tz_name: str, now: datetime,
           config: SmtpConfig) -> EmailMessage:
    """One plain-text e-mail to the manager listing every reminder due, grouped by window."""
    message = EmailMessage()
    message["Subject"] = f"{clinic_name}: {len(due)} certificate(s) expiring soon"
    message["From"] = config.from_address
    message["To"] = config.manager_address
    message.set_content("\n".join(digest_lines(due, tz_name, now) + ["", NO_TECHNICIAN_ADDRESSES]) + "\n")
    return message


def digest_lines(entries: Sequence[Expiring], tz_name: str, now: datetime) -> list[str]:
    """The entries as lines of text, under a heading per window: for the e-mail and the command line."""
    lines: list[str] = []
    for window in sorted({entry.window_days for entry in entries}):
        group = [entry for entry in entries if entry.window_days == window]
        lines.append(f"Expiring within {window} days ({len(group)}):")
        lines += [f"  {entry.full_name} ({entry.location or 'no location'}), certificate {entry.code}, expires "
                  f"{display_date(entry.expires_at, tz_name)} ({entry.days_left(now)} day(s) left)"
                  for entry in group]
    return lines


def send_reminders(store: Store, actor: Actor | None, now: datetime, window_days: Sequence[int], clinic_name: str,
                   tz_name: str, config: SmtpConfig | None, *, dry_run: bool = False,
                   sender: Sender | None = None, actor_username: str | None = None) -> ReminderRun:
    """Send the manager one digest of the reminders not yet sent for their window, then record each one.

    Nothing is sent on a dry run or without `config`; the audit log is written only after the mail server took
    the message, so a failed send is tried again on the next run."""
    require_manager(actor, "send expiry reminders")
    already = sent_reminders(store, actor)
    due = [entry for entry in expiring_for(store, actor, now, window_days)
           if (entry.code, entry.window_days) not in already]
    if not due or config is None:
        return ReminderRun(due, None, False)
    message = digest(due, clinic_name, tz_name, now, config)
    if dry_run:
        return ReminderRun(due, message, False)
    (sender or smtp_send)(config, message)
    auditing = None if actor == COMMAND_LINE else actor
    for entry in due:
        store.audit.record(auditing, REMINDER_SENT, f"certificate:{entry.code}",
                           {"window_days": entry.window_days, "user_id": entry.user_id, "to": "manager"},
                           actor_username=actor_username)
    return ReminderRun(due, message, True)


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
