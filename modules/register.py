"""The manager's workspace as plain functions: the certification register, exports, public verification,
and accounts (add, import from CSV, reset a password). Deactivating and changing roles are the store's own
(`store.accounts`), where the last-manager rule is kept.

Records come from the store; the register's rows from one read (`store.registry`), which applies the status
rules of `modules.certificates` in the database. Every export and every account change is written to the audit
log. Nothing here imports streamlit.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain
from typing import Any

import pandas as pd
from argon2 import PasswordHasher

from modules import auth
from modules.certificates import (
    STATUS_LABELS,
    certificate_filename,
    certificate_pdf,
    certificates_zip,
    normalise_code,
    verify_url,
)
from modules.core import timezones
from modules.core.errors import AuthError, ImportRejected, TrainingError
from modules.core.records import Actor, Certificate, require_manager
from modules.core.timezones import local_day
from modules.core.types import USERNAME_MAX, CertificateStatus, Role, UserId, normal_username
from modules.exports import csv_chunks, to_csv_bytes, to_xlsx_bytes, xlsx_bytes
from modules.store import ATTEMPT_COLUMNS, RegisterRow, Store

CURRENT = frozenset({CertificateStatus.CERTIFIED, CertificateStatus.EXPIRING})
FORMATS = ("csv", "xlsx")
IMPORT_COLUMNS = ("username", "full_name", "role", "location")
OPTIONAL_IMPORT_COLUMNS = ("email",)  # a file without them imports as before
MAX_IMPORT_ROWS = 2_000
MAX_IMPORT_BYTES = 1_000_000  # 2,000 accounts fit in a fifth of this; refused before the file is read
MAX_PROBLEMS_SHOWN = 50  # a list of 100,000 problems froze the manager's browser tab
REJECTED_REASON_MAX = 200  # the audit row keeps the first problem, cut short
# Imported one-time passwords are hashed at argon2id's lowest useful cost (time, memory in KiB, lanes): each is 15
# random symbols (about 74 bits), so guessing one from its hash is out of reach at any cost, and it must be changed
# at first sign-in. At auth's full cost a 2,000-row import took 199 s. The cost differs from auth's, so
# auth.needs_rehash is true for these hashes and the first sign-in stores a full-cost one.
ONE_TIME_HASH_COST = (1, 8_192, 1)
_one_time_hasher = PasswordHasher(time_cost=ONE_TIME_HASH_COST[0], memory_cost=ONE_TIME_HASH_COST[1],
                                  parallelism=ONE_TIME_HASH_COST[2])
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # nothing to confuse when read off a screen


# The command line runs with the database's own credentials, so it reads as a manager would; its writes
# are audited as actor None ("system") under the name it gives.
COMMAND_LINE = Actor(UserId(0), Role.MANAGER)



def parse_status(text: str) -> CertificateStatus:
    """A status as typed on the command line: 'expiring', 'not certified', 'not-certified', ..."""
    wanted = text.strip().lower().replace("-", " ").replace("_", " ")
    for status in CertificateStatus:
        if wanted in (status.value, STATUS_LABELS[status]):
            return status
    names = ", ".join(s.value.replace(" ", "-") for s in CertificateStatus)
    raise TrainingError(f"Unknown status {text!r}; use one of: {names}.")


# ------------------------------------------------------------------------------------------- register


@dataclass(frozen=True)
class RegisterFilter:
    """Empty sets mean "all". The date range (clinic-local calendar days, inclusive) applies to `date_field`;
    `name_contains` matches the name or username, ignoring case."""

    locations: frozenset[str] = frozenset()
    statuses: frozenset[CertificateStatus] = frozenset()
    date_field: str = "expires"
    date_from: date | None = None
    date_to: date | None = None
    include_inactive: bool = True
    roles: frozenset[Role] = frozenset()
    name_contains: str = ""


REGISTER_COLUMNS = ("Name", "Username", "Location", "Role", "Active", "Certificate code", "Certificate", "Issued",
                    "Expires", "Status", "Exam score (%)", "Practical sign-offs", "Revoked on", "Revoked by",
                    "Revocation reason")
DATE_COLUMNS = ("Issued", "Expires", "Revoked on")
HISTORY_COLUMNS = ("Certificate code", "Certificate", "Issued", "Expires", "Status", "Exam score (%)", "Revoked on",
                   "Revoked by", "Revocation reason")


def register_rows(store: Store, actor: Actor, now: datetime) -> list[RegisterRow]:
    """One row per account (deactivated ones too), by name, with its status at `now`: one read of the store."""
    require_manager(actor, "read the certification register")
    return store.registry.rows(actor, now)


def register_status(row: RegisterRow) -> CertificateStatus | None:
    """The status the register shows and counts: None for a trainer or manager who holds no certificate, since
    only technicians need one (they are not "not certified")."""
    if row.status is CertificateStatus.NOT_CERTIFIED and row.role is not Role.TECHNICIAN:
        return None
    return row.status


def filter_rows(rows: Iterable[RegisterRow], wanted: RegisterFilter, tz_name: str = "UTC") -> list[RegisterRow]:
    needle = wanted.name_contains.strip().casefold()
    out = []
    for row in rows:
        if wanted.locations and (row.location or "") not in wanted.locations:
            continue
        if wanted.statuses and register_status(row) not in wanted.statuses:
            continue
        if wanted.roles and row.role not in wanted.roles:
            continue
        if not wanted.include_inactive and not row.active:
            continue
        if needle and needle not in row.full_name.casefold() and needle not in row.username.casefold():
            continue
        if wanted.date_from or wanted.date_to:
            if row.deciding is None:
                continue
            moment = row.deciding.issued_at if wanted.date_field == "issued" else row.deciding.expires_at
            day = local_day(moment, tz_name)
            if (wanted.date_from and day < wanted.date_from) or (wanted.date_to and day > wanted.date_to):
                continue
        out.append(row)
    return out


def status_counts(rows: Iterable[RegisterRow]) -> dict[CertificateStatus, int]:
    """How many people show each status; trainers and managers without a certificate are not counted."""
    counts = {status: 0 for status in CertificateStatus}
    for row in rows:
        status = register_status(row)
        if status is not None:
            counts[status] += 1
    return counts


def register_records(rows: Iterable[RegisterRow], tz_name: str = "UTC") -> Iterator[tuple[Any, ...]]:
    """Each row as the register's columns (REGISTER_COLUMNS); dates are the clinic-local calendar days printed
    on the certificate."""
    zone = timezones.zone(tz_name)
    for row in rows:
        cert, score, status = row.deciding, row.exam_score, register_status(row)
        revoked = cert if cert is not None and cert.revoked_at is not None else None
        yield (row.full_name, row.username, row.location or "", row.role.value, "yes" if row.active else "no",
               cert.code if cert else "", cert.title if cert else "",
               cert.issued_at.astimezone(zone).date() if cert else None,
               cert.expires_at.astimezone(zone).date() if cert else None,
               "" if status is None else STATUS_LABELS[status], None if score is None else round(score * 100, 1),
               row.signoffs, revoked.revoked_at.astimezone(zone).date() if revoked and revoked.revoked_at else None,
               (revoked.revoked_by_name or "") if revoked else "", (revoked.revoked_reason or "") if revoked else "")


def register_frame(rows: Iterable[RegisterRow], tz_name: str = "UTC") -> pd.DataFrame:
    """The register as a table, for the command line's export (the page's files are written from the rows)."""
    return pd.DataFrame(list(register_records(rows, tz_name)), columns=list(REGISTER_COLUMNS))


def register_table(rows: Iterable[RegisterRow], tz_name: str = "UTC") -> pd.DataFrame:
    """The register as the page shows it: dates as YYYY-MM-DD text (it sorts in date order) and blank when there
    is none, where a table would print "None"."""
    return _blank_dates(register_frame(rows, tz_name))


def _blank_dates(frame: pd.DataFrame) -> pd.DataFrame:
    for column in DATE_COLUMNS:
        frame[column] = ["" if day is None else day.isoformat() for day in frame[column]]
    return frame


def certificate_history(store: Store, actor: Actor, user_id: UserId, now: datetime,
                        tz_name: str = "UTC") -> pd.DataFrame:
    """Every certificate the person ever held, newest first (HISTORY_COLUMNS): its dates, its status at `now`,
    and when, why and by whom it was revoked; blank where there is nothing to say."""
    require_manager(actor, "read the certification register")
    return history_frame(store.registry.history(actor, user_id), now, tz_name)


def history_frame(entries: Iterable[tuple[Certificate, str | None]], now: datetime,
                  tz_name: str = "UTC") -> pd.DataFrame:
    zone = timezones.zone(tz_name)
    records = [(cert.code, cert.title, cert.issued_at.astimezone(zone).date(),
                cert.expires_at.astimezone(zone).date(), STATUS_LABELS[cert.status(now)], round(cert.score * 100, 1),
                None if cert.revoked_at is None else cert.revoked_at.astimezone(zone).date(),
                (revoked_by or "") if cert.revoked else "", (cert.revoked_reason or "") if cert.revoked else "")
               for cert, revoked_by in entries]
    return _blank_dates(pd.DataFrame(records, columns=list(HISTORY_COLUMNS)))


def revocation_question(holder_name: str, code: str, reason: str) -> str:
    """What the manager confirms before a certificate is revoked: who, which certificate and why."""
    return f"Revoke {holder_name}'s certificate {code} because '{reason.strip()}'?"


def attempts_frame(store: Store, actor: Actor, location: str | None = None) -> pd.DataFrame:
    require_manager(actor, "export attempts")
    rows = store.reports.attempt_rows(actor, location)
    frame = pd.DataFrame(rows, columns=ATTEMPT_COLUMNS)
    for column in ("started_at", "finished_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["score"] = (pd.to_numeric(frame["score"]) * 100).round(1)
    return frame.rename(columns={"score": "score_percent"})


def file_bytes(frame: pd.DataFrame, fmt: str, tz_name: str, sheet: str, anchor: str | None = None) -> bytes:
    """The export file; with `anchor`, the audit chain's head travels in it (a last `# Audit anchor` line in CSV,
    an "Audit anchor" sheet in Excel), so the copy a manager keeps can later prove what the records held."""
    if fmt == "csv":
        data = to_csv_bytes(frame, tz_name)
        return data + _csv_anchor(anchor)
    if fmt == "xlsx":
        return to_xlsx_bytes(frame, sheet, tz_name, anchor)
    raise TrainingError(f"Unknown export format {fmt!r}; use csv or xlsx.")


def register_file(rows: Sequence[RegisterRow], fmt: str, tz_name: str, anchor: str | None = None) -> bytes:
    """The register file written straight from its rows (no table in between): CSV a few thousand rows at a
    time, Excel row by row; `anchor` as in `file_bytes`."""
    records = register_records(rows, tz_name)
    if fmt == "csv":
        return b"".join(chain(csv_chunks(REGISTER_COLUMNS, records, tz_name), [_csv_anchor(anchor)]))
    if fmt == "xlsx":
        return xlsx_bytes(REGISTER_COLUMNS, records, "Register", tz_name, anchor)
    raise TrainingError(f"Unknown export format {fmt!r}; use csv or xlsx.")


def _csv_anchor(anchor: str | None) -> bytes:
    return f"# Audit anchor {anchor}\r\n".encode() if anchor else b""


def export(store: Store, actor: Actor | None, what: str, fmt: str, frame: pd.DataFrame, tz_name: str,
           filters: dict[str, Any] | None = None, actor_username: str | None = None) -> bytes:
    """The file, generated now and recorded in the audit log (who exported what, how many rows, which filters)."""
    anchor = _audited_export(store, actor, what, fmt, len(frame), filters, actor_username)
    return file_bytes(frame, fmt, tz_name, "Register" if what == "register" else "Attempts", anchor)


def export_register(store: Store, actor: Actor | None, fmt: str, rows: Sequence[RegisterRow], tz_name: str,
                    filters: dict[str, Any] | None = None, actor_username: str | None = None) -> bytes:
    """The register file of `rows`, generated now and audited as `export` does."""
    anchor = _audited_export(store, actor, "register", fmt, len(rows), filters, actor_username)
    return register_file(rows, fmt, tz_name, anchor)


def _audited_export(store: Store, actor: Actor | None, what: str, fmt: str, count: int,
                    filters: dict[str, Any] | None, actor_username: str | None) -> str:
    """Record the export in the audit log; the chain's head after that row, which the file then carries."""
    require_manager(actor, "export records")
    if fmt not in FORMATS:
        raise TrainingError(f"Unknown export format {fmt!r}; use csv or xlsx.")
    actor = None if actor == COMMAND_LINE else actor
    store.audit.record(actor, "export", f"{what}:{fmt}", {"rows": count, "filters": filters or {}},
                       actor_username=actor_username)
    return store.audit.head()


def current_views(rows: Iterable[RegisterRow], now: datetime) -> list[Certificate]:
    """The certificates in `rows` that are current (certified or expiring) at `now`."""
    return [cert for row in rows if (cert := row.certificate) is not None and cert.status(now) in CURRENT]


def certificates_zip_export(store: Store, actor: Actor | None, views: Iterable[Certificate], clinic_name: str,
                            base_url: str, tz_name: str) -> bytes:
    """One ZIP of the PDFs of `views`, recorded in the audit log with the codes it holds."""
    require_manager(actor, "export certificates")
    views = list(views)
    store.audit.record(None if actor == COMMAND_LINE else actor, "export", "certificates:zip",
                       {"certificates": len(views), "codes": [v.code for v in views][:1000]})
    anchor = store.audit.head()
    return certificates_zip((certificate_filename(v), certificate_pdf(v, clinic_name, verify_url(base_url, v.code),
                                                                      tz_name, anchor=anchor)) for v in views)


# ------------------------------------------------------------------------------------ verification


@dataclass(frozen=True)
class PublicRecord:
    """All the verify page may say about a certificate: nothing about the person beyond the name."""

    code: str
    holder_name: str
    title: str
    issued_at: datetime
    expires_at: datetime
    status: CertificateStatus

    @property
    def verdict(self) -> str:
        if self.status in CURRENT:
            return "valid"
        return "revoked" if self.status is CertificateStatus.REVOKED else "expired"


def verify_code(store: Store, text: str, now: datetime) -> PublicRecord | None:
    """The public record for a typed or scanned code; None for unknown and malformed codes alike."""
    if not isinstance(text, str) or not text.strip() or len(text) > 64:
        return None
    # normalise_code knows the current format (and forgives look-alikes); the raw text covers older codes.
    candidates = [c for c in (normalise_code(text), text.strip().upper()) if c]
    for candidate in dict.fromkeys(candidates):
        found = store.certificates.find(candidate)
        if found is not None:
            return PublicRecord(found.code, found.holder_name, found.title, found.issued_at, found.expires_at,
                                found.status(now))
    return None


# ---------------------------------------------------------------------------------------- accounts


@dataclass(frozen=True)
class NewAccount:
    user_id: UserId
    username: str
    full_name: str
    role: Role
    location: str | None
    one_time_password: str = field(repr=False)
    email: str | None = None


def one_time_password() -> str:
    """15 random symbols in three groups (about 74 bits), shown once and changed at first sign-in."""
    symbols = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(15))
    return "-".join(symbols[i:i + 5] for i in range(0, 15, 5))


def hash_one_time_password(password: str) -> str:
    """A hash of a generated one-time password, at the lower cost of ONE_TIME_HASH_COST; never for a password a
    person chose (auth.hash_password is for those)."""
    return _one_time_hasher.hash(password)


def add_user(store: Store, actor: Actor | None, username: str, full_name: str, role: Role | str,
             location: str | None = None, email: str | None = None) -> NewAccount:
    password = one_time_password()
    user_id = auth.create_user(store, username, full_name, Role(role), password, location or None, actor=actor,
                                must_change_password=True, email=email)
    user = store.accounts.get(user_id)
    if user is None:  # only a concurrent removal could get here: the account was created just above
        raise TrainingError("The new account could not be read back; look for it in the list and try again.")
    return NewAccount(user_id, user.username, user.full_name, user.role, user.location, password, user.email)


def _username_ok(text: str) -> bool:
    try:
        return normal_username(text) == text
    except AuthError:
        return False


ImportRow = tuple[str, str, Role, str | None, str | None]  # username, full name, role, location, e-mail address


def parse_user_csv(data: bytes, taken: Iterable[str]) -> list[ImportRow]:
    """Rows of (username, full_name, role, location, email), or ImportRejected listing the problems by line (the
    first MAX_PROBLEMS_SHOWN of them, then how many more). The email column is optional."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRejected(f"The file was not imported: it is larger than {MAX_IMPORT_BYTES // 1_000_000} MB. "
                             f"Split it into files of at most {MAX_IMPORT_ROWS} accounts.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRejected("The file was not imported: it is not UTF-8 text (save it as CSV UTF-8).") from error
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _parse_rows(reader, taken)
    except csv.Error as error:
        # The csv module refuses a field over 131,072 characters, among others; the whole file goes back.
        reason = "a field is too long" if "field limit" in str(error) else f"this is not valid CSV ({error})"
        raise ImportRejected("The file was not imported: it could not be read as CSV. Nothing was changed.",
                             [f"line {reader.line_num}: {reason}"]) from error


def _parse_rows(reader: Any, taken: Iterable[str]) -> list[ImportRow]:
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if missing:
        raise ImportRejected("The file was not imported.",
                             [f"line 1: the header lacks the column(s) {', '.join(missing)}"])
    where = {name: header.index(name) for name in (*IMPORT_COLUMNS, *OPTIONAL_IMPORT_COLUMNS) if name in header}
    existing = {name.lower() for name in taken}
    seen: dict[str, int] = {}
    rows: list[ImportRow] = []
    problems: list[str] = []
    read = 0
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        read += 1
        if read > MAX_IMPORT_ROWS:  # said at once: listing the problems of 100,000 rows helps nobody
            raise ImportRejected("The file was not imported. Nothing was changed.",
                                 [f"the file has more than {MAX_IMPORT_ROWS} rows; split it"])
        value = {name: cells[i].strip() if i < len(cells) else "" for name, i in where.items()}
        value.setdefault("email", "")
        found = _row_problems(value, existing, seen, line)
        problems.extend(f"line {line}: {problem}" for problem in found)
        if not found:
            rows.append((value["username"].lower(), value["full_name"], Role(value["role"].lower()),
                         value["location"] or None, auth.checked_email(value["email"])))
    if not rows and not problems:
        problems.append("line 2: the file has no accounts in it")
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            shown.append(f"… and {len(problems) - MAX_PROBLEMS_SHOWN} more")
        raise ImportRejected(f"The file was not imported: {len(problems)} problem(s). Nothing was changed.", shown)
    return rows


def _row_problems(value: dict[str, str], existing: set[str], seen: dict[str, int], line: int) -> list[str]:
    """What is wrong with one row; a new username is remembered in `seen`."""
    username, found = value["username"].lower(), []
    if not _username_ok(username):
        found.append(f"the username must be 1 to {USERNAME_MAX} characters with no spaces")
    elif username in existing:
        found.append(f"the username {username!r} already exists")
    elif username in seen:
        found.append(f"the username {username!r} is repeated (first on line {seen[username]})")
    else:
        seen[username] = line
    if not value["full_name"]:
        found.append("the full name is missing")
    role = value["role"]
    if role.lower() not in {r.value for r in Role}:
        found.append(f"unknown role {role[:40]!r} (use technician, trainer or manager)")
    try:
        auth.checked_email(value["email"])
    except AuthError as error:
        found.append(str(error))
    if not found:
        try:  # the account rules themselves (length, control characters), per line rather than failing the batch
            auth.new_account(username, value["full_name"], role.lower(), "", value["location"] or None)
        except AuthError as error:
            found.append(str(error))
    return found


def import_users(store: Store, actor: Actor, data: bytes) -> list[NewAccount]:
    """All accounts of the file, or none: any bad row rejects the whole file, and the refusal is audited."""
    require_manager(actor, "import accounts")
    try:
        parsed = parse_user_csv(data, (u.username for u in store.accounts.list_users()))
    except ImportRejected as rejected:
        # The file holds no passwords (they are made after it is read); the first problem says enough.
        reason = rejected.problems[0] if rejected.problems else str(rejected)
        store.audit.record(actor, "import_rejected", "accounts",
                           {"reason": reason[:REJECTED_REASON_MAX], "rows": _data_rows(data)})
        raise
    passwords = [one_time_password() for _ in parsed]
    batch = [auth.new_account(u, n, r, hash_one_time_password(p), loc, must_change_password=True, email=e)
             for (u, n, r, loc, e), p in zip(parsed, passwords)]
    ids = store.accounts.create_many(batch, actor, "csv import")
    return [NewAccount(i, u, n, r, loc, p, e) for i, (u, n, r, loc, e), p in zip(ids, parsed, passwords)]


def _data_rows(data: bytes) -> int:
    """How many non-blank lines follow the header: the size of a refused upload, even one that is not CSV."""
    return max(0, sum(1 for line in data.splitlines() if line.strip()) - 1)


def reset_password(store: Store, actor: Actor, user_id: UserId) -> str:
    """A new one-time password for someone else; they must change it at their next sign-in."""
    require_manager(actor, "reset passwords")
    password = one_time_password()
    auth.set_password(store, user_id, password, actor, must_change_password=True)
    return password
