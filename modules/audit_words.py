"""The audit log in words: who did what to whom, as a sentence a manager reads without knowing the row format.

The log keeps compact rows (`user:42`, JSON details) because its hash chain covers them exactly as written; this
module only reads them. Each action has one sentence builder; an action it does not know still reads, as its
details in a "key: value" list. Names come from the accounts as they are now, deactivated ones included; an id
with no account left reads as "account 42".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from modules.core import timezones
from modules.core.records import AuditRow, User
from modules.core.types import UserId

__all__ = ["REFUSED_ACTIONS", "WORDED_ACTIONS", "AuditLine", "account_names", "action_label", "in_words"]

# What someone tried and the app would not do: the audit page's "refused actions" filter.
REFUSED_ACTIONS = frozenset({
    "sign_in_failed", "sign_in_refused_paused", "sign_in_refused_inactive", "sign_in_address_throttled",
    "account_locked", "import_rejected", "signoff_refused", "last_manager_refused",
})

_LABELS = {
    "sign_in": "Signed in",
    "sign_in_failed": "Sign-in refused",
    "sign_in_refused_paused": "Sign-in refused (paused)",
    "sign_in_refused_inactive": "Sign-in refused (deactivated)",
    "sign_in_address_throttled": "Sign-ins from an address paused",
    "account_locked": "Account paused",
    "user_created": "Account created",
    "user_activated": "Account reactivated",
    "user_deactivated": "Account deactivated",
    "role_changed": "Role changed",
    "location_changed": "Location changed",
    "email_changed": "E-mail address changed",
    "password_changed": "Password changed",
    "sessions_ended": "Sessions ended",
    "clinic_setting_changed": "Clinic setting changed",
    "certificate_issued": "Certificate issued",
    "certificate_revoked": "Certificate revoked",
    "certificate_repaired": "Missing certificate issued",
    "export": "Export",
    "practical_signed_off": "Practical signed off",
    "practical_not_yet_competent": "Practical not yet competent",
    "signoff_refused": "Sign-off refused",
    "import_rejected": "Import refused",
    "last_manager_refused": "Last manager change refused",
    "reminder_sent": "Expiry reminder sent",
    "sealed": "Record sealed",
}

_SESSION_REASONS = {
    "signed_out": "signed out", "idle": "idle too long", "expired": "past the session time limit",
    "password_changed": "the password changed", "deactivated": "the account was deactivated",
    "ended_by_manager": "ended by a manager",
}
_CLINIC_SETTINGS = {"clinic_name": "the clinic's name", "public_address": "the clinic's public address"}
_EXPORTS = {"register": "the certification register", "attempts": "the attempts", "audit": "the audit log",
            "one-time-passwords": "a one-time password sheet", "xapi": "the xAPI statements"}
_SEALED_RECORDS = {"attempt_results": "the result of attempt", "certificates": "certificate record",
                   "certificate_revocations": "revocation record", "practical_signoffs": "practical sign-off"}
_ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)")


@dataclass(frozen=True)
class AuditLine:
    """One audit row as a manager reads it."""

    who: str
    action: str
    about: str
    sentence: str
    refused: bool


def account_names(accounts: Iterable[User]) -> dict[UserId, str]:
    """Each account's id -> "Full Name (username)", deactivated ones marked, for `in_words`."""
    return {user.id: f"{user.full_name} ({user.username}{'' if user.active else ', deactivated'})"
            for user in accounts}


def action_label(action: str) -> str:
    """The action's name in words ("role_changed" -> "Role changed"); an unknown one is tidied the same way."""
    return _LABELS.get(action) or action.replace("_", " ").strip().capitalize() or "(no action)"


def certificate_codes(rows: Iterable[AuditRow]) -> set[str]:
    """The certificate codes the rows are about, to look up their holders for `in_words`."""
    return {row.target.partition(":")[2] for row in rows if row.target.startswith("certificate:")}


def in_words(row: AuditRow, names: Mapping[UserId, str], tz_name: str,
             holders: Mapping[str, UserId] | None = None) -> AuditLine:
    """`row` with names for ids and a sentence for its details (`names` from `account_names`; `holders`, each
    certificate code's holder, lets a sentence say whose certificate it is about)."""
    words = _Words(row, names, tz_name, holders or {})
    build = _BUILDERS.get(row.action, _fallback)
    try:
        sentence = build(words)
    except (KeyError, TypeError, ValueError, AttributeError):  # details not in the shape this action writes
        sentence = _fallback(words)
    return AuditLine(words.who(), action_label(row.action), words.about(), sentence, row.action in REFUSED_ACTIONS)


class _Words:
    """What a builder needs: the row, its details parsed, and names and times in words."""

    def __init__(self, row: AuditRow, names: Mapping[UserId, str], tz_name: str, holders: Mapping[str, UserId]):
        self.row, self._names, self._tz_name, self._holders = row, names, tz_name, holders
        self.detail: Any = _parsed(row.detail)
        self.fields: dict[str, Any] = self.detail if isinstance(self.detail, dict) else {}
        self.text: str = self.local_times(self.detail) if isinstance(self.detail, str) else ""

    def account(self, user_id: object) -> str:
        try:
            key = UserId(int(str(user_id)))
        except ValueError:
            return f"account {user_id}"
        return self._names.get(key, f"account {key}")

    def who(self) -> str:
        row = self.row
        if row.actor_id is not None:
            return self.account(row.actor_id)
        if row.actor_username == "system":
            return "the system"
        if row.actor_username == "command-line":
            return "the command line"
        if row.actor_username.startswith("unknown #"):
            return f"someone typing an unknown username ({row.actor_username.removeprefix('unknown ')})"
        return row.actor_username

    def of_holder(self) -> str:
        """" of <holder>" when the row is about a certificate whose holder is known, else nothing."""
        kind, _, code = self.row.target.partition(":")
        holder = self._holders.get(code) if kind == "certificate" else None
        return "" if holder is None else f" of {self.account(holder)}"

    def about(self) -> str:
        kind, _, name = self.row.target.partition(":")
        if kind == "user":
            return self.account(name)
        if kind == "username":
            return f"an unknown username ({name})"
        if kind == "certificate":
            return f"certificate {name}"
        if kind == "attempt":
            return f"exam attempt {name}"
        if kind == "clinic":
            return _CLINIC_SETTINGS.get(name, f"the clinic setting {name}")
        if kind == "address":
            return f"address {name}"
        if kind in _SEALED_RECORDS:
            return f"{_SEALED_RECORDS[kind]} {name}"
        if self.row.action == "export" and kind in _EXPORTS:
            return _EXPORTS[kind]
        return self.row.target

    def local_times(self, text: str) -> str:
        """Free text with each ISO 8601 moment in it shown in the clinic's zone."""
        return _ISO_MOMENT.sub(lambda found: self.moment(found[0]), text)

    def moment(self, iso: str) -> str:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        return f"{timezones.local_text(moment, self._tz_name)} ({self._tz_name})"

    def ended(self, key: str = "sessions_ended") -> str:
        count = self.fields.get(key)
        return f" {count} open session(s) ended." if count else ""


def _parsed(detail: str) -> Any:
    if detail.startswith(("{", "[")):
        try:
            return json.loads(detail)
        except ValueError:
            pass
    return detail


def _listed(value: Any) -> str:
    """A detail value in words: a mapping as "key: value" pairs, a list comma-separated, empty ones left out."""
    if isinstance(value, dict):
        return "; ".join(f"{str(key).replace('_', ' ')}: {_listed(item)}" for key, item in value.items()
                         if item not in (None, "", [], {}))
    if isinstance(value, list):
        return ", ".join(_listed(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _day(iso_day: str) -> str:
    return date.fromisoformat(iso_day).strftime("%d %b %Y")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?")) else text + "."


# ---- one builder per action ---------------------------------------------------------------------------------------


def _fallback(w: _Words) -> str:
    listed = w.text if isinstance(w.detail, str) else w.local_times(_listed(w.detail))
    return _sentence(f"{action_label(w.row.action)}: {listed}" if listed else action_label(w.row.action))


def _sign_in(w: _Words) -> str:
    return "Signed in." + (f" {_sentence(w.text.capitalize())}" if w.text else "")


def _sign_in_failed(w: _Words) -> str:
    kind, _, fingerprint = w.row.target.partition(":")
    if kind == "username":  # the typed text is never stored, only a keyed fingerprint that shows repeated tries
        return _sentence(f"Sign-in refused: {w.text or 'unknown username'}; its fingerprint is {fingerprint}")
    return _sentence(f"Sign-in refused for {w.about()}: {w.text or 'wrong password'}")


def _sign_in_refused_paused(w: _Words) -> str:
    return _sentence(f"Sign-in refused for {w.about()}: the account is {w.text or 'paused'}")


def _sign_in_refused_inactive(w: _Words) -> str:
    return f"Sign-in refused for {w.about()}: the account is deactivated."


def _address_throttled(w: _Words) -> str:
    return _sentence(f"Sign-ins from {w.about()} paused: {w.text}")


def _account_locked(w: _Words) -> str:
    return _sentence(f"Sign-in for {w.about()} paused after repeated wrong passwords, {w.text}")


def _user_created(w: _Words) -> str:
    role, location, via = w.fields.get("role"), w.fields.get("location"), w.fields.get("via")
    text = f"Created the account of {w.about()}"
    text += f" as a {role}" if role else ""
    text += f" at {location}" if location else ""
    via_words = "a CSV import" if via == "csv import" else via
    return _sentence(text + (f", by {via_words}" if via else ""))


def _user_activated(w: _Words) -> str:
    return f"Reactivated the account of {w.about()}."


def _user_deactivated(w: _Words) -> str:
    return f"Deactivated the account of {w.about()}; their records are kept.{w.ended()}"


def _role_changed(w: _Words) -> str:
    return f"Changed the role of {w.about()} to {w.fields['role']}."


def _location_changed(w: _Words) -> str:
    location = w.fields.get("location")
    return f"Moved {w.about()} to {location}." if location else f"Cleared the location of {w.about()}."


def _email_changed(w: _Words) -> str:
    email = w.fields.get("email")
    if w.row.actor_id is not None and w.row.target == f"user:{w.row.actor_id}":
        return f"{w.about()} set their own e-mail address to {email}." if email else \
            f"{w.about()} cleared their own e-mail address."
    return f"Set the e-mail address of {w.about()} to {email}." if email else \
        f"Cleared the e-mail address of {w.about()}."


def _password_changed(w: _Words) -> str:
    own = w.row.actor_id is not None and w.row.target == f"user:{w.row.actor_id}"
    if own:
        text = f"{w.about()} changed their own password."
    elif w.fields.get("must_change_password"):
        text = f"Reset the password of {w.about()} to a one-time password, to be changed at the next sign-in."
    else:
        text = f"Set a new password for {w.about()}."
    return text + w.ended()


def _sessions_ended(w: _Words) -> str:
    count, reason = w.fields.get("sessions", 0), str(w.fields.get("reason", ""))
    if reason == "signed_out":
        return f"{w.about()} signed out ({count} session(s) ended)."
    return _sentence(f"Ended {count} session(s) of {w.about()}: {_SESSION_REASONS.get(reason, reason)}")


def _clinic_setting_changed(w: _Words) -> str:
    return f'Set {w.about()} to "{w.fields["value"]}".'


def _certificate_issued(w: _Words) -> str:
    attempt = w.fields.get("attempt_id")
    text = f"Issued {w.about()} to {w.account(w.fields['user_id'])}"
    return _sentence(text + (f" for exam attempt {attempt}" if attempt is not None else ""))


def _certificate_revoked(w: _Words) -> str:
    certificate = w.about() + w.of_holder()
    return _sentence(f"Revoked {certificate}. Reason: {w.text}" if w.text else f"Revoked {certificate}")


def _certificate_repaired(w: _Words) -> str:
    return f"Issued the missing certificate of the passed {w.about()}."


def _export(w: _Words) -> str:
    what, _, form = w.row.target.partition(":")
    if what == "certificates":
        return f"Exported {w.fields['certificates']} certificate PDF(s) as a {form.upper()} file."
    if what == "one-time-passwords":
        return f"Downloaded a one-time password sheet ({form.upper()}) for {w.fields['accounts']} account(s)."
    filters = _listed(w.fields.get("filters") or {})
    text = f"Exported {w.about()} as {form.upper()}: {w.fields['rows']} row(s)"
    return _sentence(text + (f" (filters: {filters})" if filters else ""))


def _practical(outcome: str) -> Callable[[_Words], str]:
    def build(w: _Words) -> str:
        return (f"Recorded a practical treatment of {w.about()} on {_day(w.fields['treated_on'])} as {outcome} "
                f"(sign-off {w.fields['signoff_id']}).")
    return build


def _signoff_refused(w: _Words) -> str:
    reason = w.fields.get("reason") or w.text or "refused"
    return f"Practical sign-off of {w.about()} refused: {reason}. Nothing was recorded."


def _import_rejected(w: _Words) -> str:
    reason = str(w.fields.get("reason") or w.text or "the file was rejected").rstrip(".")
    rows = w.fields.get("rows")
    text = f"Account import refused: {reason}."
    return text + (f" The file had {rows} row(s);" if rows is not None else "") + " nothing was imported."


def _last_manager_refused(w: _Words) -> str:
    tried = w.fields.get("refused")
    if tried == "role_changed":
        change = f"change the role of {w.about()} to {w.fields.get('role')}"
    elif tried == "user_deactivated":
        change = f"deactivate {w.about()}"
    else:
        change = f"change {w.about()} ({action_label(str(tried)).lower()})"
    return f"Refused to {change}: they are the last active manager. Nothing was changed."


def _reminder_sent(w: _Words) -> str:
    holder, days, to = w.fields.get("user_id"), w.fields.get("window_days"), w.fields.get("to")
    text = f"Sent the expiry reminder for {w.about()}"
    text += f" of {w.account(holder)}" if holder is not None else ""
    text += f" (expires within {days} days)" if days is not None else ""
    if to == "holder":  # the person's own reminder, to the address their account had then
        address = w.fields.get("address")
        return _sentence(text + " to them" + (f" at {address}" if address else ""))
    return _sentence(text + (f" to the {to}" if to else ""))


def _sealed(w: _Words) -> str:
    digest = str(w.fields.get("digest", ""))
    return f"Sealed {w.about()} into the log's chain" + (f" (digest {digest[:12]}...)." if digest else ".")


_BUILDERS: dict[str, Callable[[_Words], str]] = {
    "sign_in": _sign_in,
    "sign_in_failed": _sign_in_failed,
    "sign_in_refused_paused": _sign_in_refused_paused,
    "sign_in_refused_inactive": _sign_in_refused_inactive,
    "sign_in_address_throttled": _address_throttled,
    "account_locked": _account_locked,
    "user_created": _user_created,
    "user_activated": _user_activated,
    "user_deactivated": _user_deactivated,
    "role_changed": _role_changed,
    "location_changed": _location_changed,
    "email_changed": _email_changed,
    "password_changed": _password_changed,
    "sessions_ended": _sessions_ended,
    "clinic_setting_changed": _clinic_setting_changed,
    "certificate_issued": _certificate_issued,
    "certificate_revoked": _certificate_revoked,
    "certificate_repaired": _certificate_repaired,
    "export": _export,
    "practical_signed_off": _practical("competent"),
    "practical_not_yet_competent": _practical("not yet competent"),
    "signoff_refused": _signoff_refused,
    "import_rejected": _import_rejected,
    "last_manager_refused": _last_manager_refused,
    "reminder_sent": _reminder_sent,
    "sealed": _sealed,
}

WORDED_ACTIONS = frozenset(_BUILDERS)  # every action with its own sentence; any other reads as a "key: value" list
