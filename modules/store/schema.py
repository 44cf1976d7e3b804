"""The record store's tables and the rules the database itself enforces.

Only the store's parts use them. Everything here is portable across SQLite and PostgreSQL:
JSON lives in Text columns, times in `UTCDateTime` (aware UTC in, aware UTC out, on both databases),
and the append-only tables carry triggers so that not even a raw UPDATE or DELETE gets through.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine, UserDefinedType

from modules.core.clock import require_utc

GENESIS_HASH = "0" * 64

# Rows of these tables are history: the store has no update/delete for them and the database refuses one.
APPEND_ONLY_TABLES = (
    "attempts",
    "responses",
    "attempt_results",
    "certificates",
    "certificate_revocations",
    "practical_signoffs",
    "lesson_reads",
    "review_cards",
    "audit_log",
    "clinic_settings",
    "question_versions",
)


class _SQLiteUTCText(UserDefinedType[str]):
    """SQLite's side of UTCDateTime: naive UTC text, converted in C (isoformat/fromisoformat) because
    SQLAlchemy's own SQLite DATETIME formats every value in Python, which shows in write throughput."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "DATETIME"


def utc_from_driver(value: Any) -> datetime | None:
    """A time as the driver gave it (SQLite's naive UTC text, PostgreSQL's timestamptz) as aware UTC: for the reads
    that take the driver's rows as they are, 50,000 at a time (the register)."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")  # 3x faster than .replace(tzinfo=UTC) after parsing
    moment: datetime = value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and on the way out.

    SQLite has no time zone type, so it stores naive UTC text ("2025-03-03 09:00:00.000000", the same
    format SQLAlchemy uses there, so text comparison is time order); PostgreSQL stores timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(_SQLiteUTCText() if dialect.name == "sqlite" else DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = require_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)


users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(80), nullable=False, unique=True),
    Column("full_name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("location", String(200)),
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("must_change_password", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("email", String(254)),  # optional, for expiry reminders (254: the longest address SMTP carries)
    CheckConstraint("role IN ('technician', 'trainer', 'manager')", name="role"),
    Index(None, "full_name", "id"),  # the register's order: read in order instead of sorted on every read
)

# Mutable on purpose: a counter, not history. Every change to it is also written to audit_log.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True, autoincrement=False),
    Column("consecutive", Integer, nullable=False),
    Column("locked_until", UTCDateTime),
    Column("last_failure_at", UTCDateTime, nullable=False),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("module_id", String(100)),
    Column("started_at", UTCDateTime, nullable=False),
    Column("deadline", UTCDateTime),
    # Per question drawn, in the order drawn: [question id, version id, order shown] (see question_versions.py).
    Column("questions_json", Text),
    Column("policy_json", Text),
    CheckConstraint("kind IN ('practice', 'quiz', 'exam', 'review')", name="kind"),
    Index(None, "user_id", "kind", "module_id"),
)

# Each question's content as shown (its shuffled lists sorted), stored once and found by the sha256 of its canonical
# JSON: responses and drawn questions name it by id and keep only the order shown (modules/store/question_versions.py).
question_versions = Table(
    "question_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("hash", String(64), nullable=False, unique=True),
    Column("content_json", Text, nullable=False),
)

responses = Table(
    "responses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("attempt_id", Integer, ForeignKey("attempts.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("question_id", String(100), nullable=False),
    Column("module_id", String(100), nullable=False),
    # The bank's fingerprint of the question's wording (item statistics group by it), not the version hash.
    Column("content_hash", String(128), nullable=False),
    # What was shown: the version, and for each shuffled list the place in the sorted list of each item shown.
    Column("version_id", Integer, ForeignKey("question_versions.id"), nullable=False),
    Column("shown_order", Text, nullable=False),
    Column("answer_json", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("answered_at", UTCDateTime, nullable=False),
    Column("seconds_taken", Float),
    CheckConstraint("score >= 0 AND score <= 1", name="score"),
    Index(None, "attempt_id", "question_id", "id"),
    Index(None, "question_id"),
    # Item analysis reads the rows themselves: without snapshots they are about as narrow as the index that covered
    # it was (revision 0007 dropped it: a second copy of every answer's text, 140 of the 380 bytes a response took).
)

attempt_results = Table(
    "attempt_results",
    metadata,
    Column("attempt_id", Integer, ForeignKey("attempts.id"), primary_key=True, autoincrement=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("score", Float, nullable=False),
    Column("passed", Boolean),
    Column("closed_by", String(10), nullable=False),
    Column("detail_json", Text),
    CheckConstraint("score >= 0 AND score <= 1", name="score"),
    CheckConstraint("closed_by IN ('submitted', 'deadline')", name="closed_by"),
)

certificates = Table(
    "certificates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("attempt_id", Integer, ForeignKey("attempts.id")),
    Column("title", String(200), nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("score", Float, nullable=False),
    Index("uq_certificates_attempt_id", "attempt_id", unique=True),  # one certificate per passed exam
)

certificate_revocations = Table(
    "certificate_revocations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("certificate_id", Integer, ForeignKey("certificates.id"), nullable=False, index=True),
    Column("revoked_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("revoked_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
)

practical_signoffs = Table(
    "practical_signoffs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("technician_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("trainer_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("treated_on", Date, nullable=False),
    Column("checklist_json", Text, nullable=False),
    Column("comment", Text, nullable=False),
    Column("signed_at", UTCDateTime, nullable=False),
    # "competent" or "not_yet_competent" (PracticalOutcome); missed_json lists the checklist items not met.
    Column("outcome", String(20), nullable=False, server_default="competent"),
    Column("missed_json", Text),
)

lesson_reads = Table(
    "lesson_reads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("module_id", String(100), nullable=False),
    Column("read_at", UTCDateTime, nullable=False),
)

review_cards = Table(
    "review_cards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("question_id", String(100), nullable=False),
    Column("card_json", Text, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "user_id", "question_id", "id"),
)

# Signed-in sessions, resolved by any instance from the hash of the cookie's token (the token itself is never kept).
# Only the heartbeat (last_seen_at, idle_expires_at) and, once, the ending (ended_at, end_reason, ended_by) change;
# the database refuses any other change and any change to an ended session.
sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("idle_expires_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    Column("end_reason", String(40)),
    Column("ended_by", Integer, ForeignKey("users.id")),
    Index(None, "user_id", "ended_at"),
)

# Item analysis's running sums (modules/store/item_sums.py): derived from the finished attempts, added to in the
# transaction that finishes one, rebuilt by `python -m modules rebuild-sums`. Keyed by the quiz: its kind, its module
# ("" for the exam) and whether they are the sums of first attempts only.
def _sum_scope() -> list[Column[Any]]:
    return [Column("kind", String(10), primary_key=True), Column("module_id", String(100), primary_key=True),
            Column("first_only", Boolean, primary_key=True)]


item_sum_items = Table(
    "item_sum_items",
    metadata,
    *_sum_scope(),
    Column("question_id", String(100), primary_key=True),
    Column("n", Integer, nullable=False),
    *(Column(name, Float, nullable=False) for name in ("sum_x", "sum_x2", "sum_o", "sum_o2", "sum_xo", "max_mark")),
)

item_sum_values = Table(  # how often each value of x (a mark), O (the rest of the total) and T (the total) occurred
    "item_sum_values",
    metadata,
    *_sum_scope(),
    Column("question_id", String(100), primary_key=True),
    Column("axis", String(1), primary_key=True),
    Column("value", Float, primary_key=True),
    Column("count", Integer, nullable=False),
)

item_sum_totals = Table(
    "item_sum_totals",
    metadata,
    *_sum_scope(),
    Column("total", Float, primary_key=True),
    Column("count", Integer, nullable=False),
)

item_sum_slots = Table(
    "item_sum_slots",
    metadata,
    *_sum_scope(),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("n", Integer, nullable=False),
    Column("sum_x", Float, nullable=False),
    Column("sum_x2", Float, nullable=False),
)

item_sum_options = Table(
    "item_sum_options",
    metadata,
    *_sum_scope(),
    Column("question_id", String(100), primary_key=True),
    Column("option", Text, primary_key=True),
    Column("is_key", Boolean, nullable=False),
    Column("shown", Integer, nullable=False),
    Column("chosen", Integer, nullable=False),
)

# The clinic's own settings (its name, its public address): the newest row per key is in force.
clinic_settings = Table(
    "clinic_settings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(40), nullable=False),
    Column("value", Text, nullable=False),
    Column("set_by", Integer, ForeignKey("users.id")),
    Column("set_at", UTCDateTime, nullable=False),
    Index(None, "key", "id"),
)

# ids are assigned by the store under the write lock, so each row's hash can cover its own id.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", Integer, ForeignKey("users.id")),
    Column("actor_username", String(80), nullable=False),
    Column("action", String(60), nullable=False),
    Column("target", String(200), nullable=False),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # True: the hash is an HMAC with the clinic's secret key; false only for rows written before keys existed.
    Column("keyed", Boolean, nullable=False, server_default=false()),
    Index(None, "action"),
)


# Built once: json.dumps with options builds a new encoder on every call, which shows in write throughput.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def dumps(value: Any) -> str:
    """Canonical JSON: the same value always gives the same text (it is hashed for the audit chain)."""
    return _CANONICAL.encode(value)


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def audit_hash(prev_hash: str, row: dict[str, Any], key: bytes | None = None) -> str:
    """The previous row's hash and the canonical JSON of this row's own fields, hashed: an HMAC-SHA256 with the
    clinic's secret key (rows written since revision 0004), or plain sha256 (older rows, `key` None)."""
    fields = {
        "id": row["id"],
        "at": require_utc(row["at"]).isoformat(timespec="microseconds"),
        "actor_id": row["actor_id"],
        "actor_username": row["actor_username"],
        "action": row["action"],
        "target": row["target"],
        "detail": row["detail"],
    }
    payload = (prev_hash + dumps(fields)).encode("utf-8")
    if key is not None:
        return hmac.new(key, payload, hashlib.sha256).hexdigest()
    return hashlib.sha256(payload).hexdigest()


def record_digest(row: dict[str, Any]) -> str:
    """sha256 of a history row's canonical JSON: sealed in the audit chain when the row is written."""
    values = {name: require_utc(value).isoformat(timespec="microseconds") if isinstance(value, datetime) else value
              for name, value in row.items()}
    return hashlib.sha256(dumps(values).encode("utf-8")).hexdigest()


# The history the audit chain seals, row by row: table and the column that names a row.
SEALED_TABLES = {"attempt_results": "attempt_id", "certificates": "id", "certificate_revocations": "id",
                 "practical_signoffs": "id"}
