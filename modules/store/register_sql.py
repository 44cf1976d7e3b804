"""The SQL behind the manager's workspace that the store's own API does not cover.

Grouped reads for the certification register (sign-off counts, latest exam score per person), the
attempts export, the audit log filtered by who/action/date, and the all-or-nothing write of an imported
batch of accounts. SQLAlchemy Core only; reads never write, and the batch write goes through the store's
own transaction and audit chain so the hash links stay intact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import func, insert, select

from modules.core.types import Role, UserId
from modules.core.errors import AuthError
from modules.store import Store, _plain_errors
from modules.core.records import AuditRow
from modules.store.schema import (
    attempt_results,
    attempts,
    audit_log,
    practical_signoffs,
    users,
)


@dataclass(frozen=True)
class NewUserRow:
    """One account to create: the password is already hashed (hashing is slow, so it is done first)."""

    username: str
    full_name: str
    role: Role
    location: str | None
    password_hash: str


def _rows(store: Store, query) -> list:
    with _plain_errors(), store.engine.connect() as conn, conn.begin():
        return conn.execute(query).all()


def signoff_counts(store: Store) -> dict[UserId, int]:
    query = (select(practical_signoffs.c.technician_id, func.count())
             .group_by(practical_signoffs.c.technician_id))
    return {UserId(user_id): count for user_id, count in _rows(store, query)}


def latest_exam_scores(store: Store) -> dict[UserId, float]:
    """Each person's most recent finished exam score (a fraction), for those without a live certificate."""
    latest = (select(attempts.c.user_id, func.max(attempt_results.c.finished_at).label("finished_at"))
              .join(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
              .where(attempts.c.kind == "exam").group_by(attempts.c.user_id).subquery())
    query = (select(attempts.c.user_id, attempt_results.c.score)
             .join(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
             .join(latest, (latest.c.user_id == attempts.c.user_id)
                   & (latest.c.finished_at == attempt_results.c.finished_at))
             .where(attempts.c.kind == "exam"))
    return {UserId(user_id): score for user_id, score in _rows(store, query)}


ATTEMPT_COLUMNS = ["attempt_id", "username", "full_name", "location", "kind", "module_id", "started_at",
                   "finished_at", "score", "passed", "closed_by"]


def attempt_rows(store: Store, location: str | None = None, kinds: Iterable[str] | None = None) -> list[tuple]:
    """Every attempt with its result (if finished) and who made it, oldest first, in ATTEMPT_COLUMNS order."""
    query = (select(attempts.c.id, users.c.username, users.c.full_name, users.c.location, attempts.c.kind,
                    attempts.c.module_id, attempts.c.started_at, attempt_results.c.finished_at,
                    attempt_results.c.score, attempt_results.c.passed, attempt_results.c.closed_by)
             .join(users, users.c.id == attempts.c.user_id)
             .outerjoin(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
             .order_by(attempts.c.started_at, attempts.c.id))
    if location is not None:
        query = query.where(users.c.location == location)
    if kinds is not None:
        query = query.where(attempts.c.kind.in_(list(kinds)))
    return [tuple(row) for row in _rows(store, query)]


def audit_entries(store: Store, who: str | None = None, action: str | None = None,
                  since: datetime | None = None, until: datetime | None = None,
                  limit: int | None = 2000) -> list[AuditRow]:
    """Newest first. `who` is the username recorded on the row (also covers failed sign-ins and 'system')."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if who is not None:
        query = query.where(audit_log.c.actor_username == who)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if until is not None:
        query = query.where(audit_log.c.at < until)
    return [AuditRow(r.id, r.at, r.actor_id, r.actor_username, r.action, r.target, r.detail, r.prev_hash, r.hash)
            for r in _rows(store, query)]


def audit_choices(store: Store) -> tuple[list[str], list[str]]:
    """The distinct usernames and actions in the log, for the audit page's filters."""
    names = [r[0] for r in _rows(store, select(audit_log.c.actor_username).distinct()
                                 .order_by(audit_log.c.actor_username))]
    actions = [r[0] for r in _rows(store, select(audit_log.c.action).distinct().order_by(audit_log.c.action))]
    return names, actions


def create_users(store: Store, new_users: list[NewUserRow], actor, detail: str) -> list[UserId]:
    """Every account in ONE transaction, each audited: a clash found inside it leaves nothing behind."""
    made: list[UserId] = []
    with store._write(serialised=True) as conn:
        wanted = [row.username for row in new_users]
        taken = {r[0] for r in conn.execute(select(users.c.username).where(users.c.username.in_(wanted)))}
        if taken:
            raise AuthError("These usernames were taken meanwhile; nothing was imported: "
                            + ", ".join(sorted(taken)) + ".")
        now = store.clock()
        for row in new_users:
            user_id = conn.execute(insert(users).values(
                username=row.username, full_name=row.full_name, role=row.role.value, location=row.location,
                password_hash=row.password_hash, active=True, must_change_password=True,
                created_at=now)).inserted_primary_key[0]
            store._append_audit(conn, actor, "user_created", f"user:{user_id}",
                                {"username": row.username, "role": row.role.value, "location": row.location,
                                 "via": detail})
            made.append(UserId(user_id))
    return made
