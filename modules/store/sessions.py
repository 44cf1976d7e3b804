"""Signed-in sessions as stored: begun, seen, looked up by token hash, and ended, each end with its reason.

The rules (token, lifetimes, what ends a session) live in `modules.sessions`; this part stores what they decide.
Any instance on the same database resolves any session, so a chain of clinics needs no sticky sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, select, update

from modules.core.records import Actor, User, require_manager
from modules.core.types import Role, SessionEnd, SessionId, UserId
from modules.store.audit import AuditLog
from modules.store.database import Database, inserted_id
from modules.store.schema import sessions, users


@dataclass(frozen=True)
class StoredSession:
    id: SessionId
    user: User
    created_at: datetime
    last_seen_at: datetime
    idle_expires_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    end_reason: SessionEnd | None


def _session(row: Row[Any]) -> StoredSession:
    user = User(UserId(row.user_id), row.username, row.full_name, Role(row.role), row.location, bool(row.active),
                bool(row.must_change_password), row.user_created_at, row.email)
    return StoredSession(SessionId(row.id), user, row.created_at, row.last_seen_at, row.idle_expires_at,
                         row.expires_at, row.ended_at, SessionEnd(row.end_reason) if row.end_reason else None)


# Built once: every run of every page makes this read, and building the statement cost more than running it.
_FIND = select(sessions, users.c.username, users.c.full_name, users.c.role, users.c.location, users.c.active,
               users.c.must_change_password, users.c.created_at.label("user_created_at"), users.c.email
               ).join(users, users.c.id == sessions.c.user_id).where(sessions.c.token_hash == bindparam("token_hash"))


def end_open_sessions(conn: Connection, user_id: UserId, reason: SessionEnd, by: UserId | None,
                      at: datetime) -> int:
    """End every open session of `user_id` inside the caller's transaction; returns how many ended."""
    result = conn.execute(update(sessions).where(sessions.c.user_id == user_id, sessions.c.ended_at.is_(None))
                          .values(ended_at=at, end_reason=reason.value, ended_by=by))
    return result.rowcount


class Sessions:
    def __init__(self, db: Database, audit: AuditLog):
        self._db = db
        self._audit = audit

    def begin(self, user_id: UserId, token_hash: str, now: datetime, idle: timedelta,
              lifetime: timedelta) -> SessionId:
        with self._db.write() as conn:
            result = conn.execute(insert(sessions).values(
                token_hash=token_hash, user_id=user_id, created_at=now, last_seen_at=now,
                idle_expires_at=now + idle, expires_at=now + lifetime))
            return SessionId(inserted_id(result))

    def find(self, token_hash: str) -> StoredSession | None:
        """The session and its account as they are now (one indexed read, on every run of a page)."""
        with self._db.lookup() as conn:
            row = conn.execute(_FIND, {"token_hash": token_hash}).first()
        return _session(row) if row is not None else None

    def seen(self, session_id: SessionId, now: datetime, idle: timedelta) -> None:
        """The heartbeat: the session was used at `now`, so its idle expiry moves on (an ended one stays ended)."""
        with self._db.write() as conn:
            conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.ended_at.is_(None))
                         .values(last_seen_at=now, idle_expires_at=now + idle))

    def expire(self, session_id: SessionId, reason: SessionEnd, at: datetime) -> None:
        """Record that a session ran out (idle or at its absolute limit) when that was found."""
        with self._db.write() as conn:
            conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.ended_at.is_(None))
                         .values(ended_at=at, end_reason=reason.value))

    def end_all(self, user_id: UserId, reason: SessionEnd, actor: Actor | None, now: datetime) -> int:
        """End every open session of a person (sign-out, or a manager's "end this person's sessions"), audited."""
        if actor is None or actor.user_id != user_id:
            require_manager(actor, "end another person's sessions")
        with self._db.write(serialised=True) as conn:
            ended = end_open_sessions(conn, user_id, reason, actor.user_id if actor else None, now)
            self._audit.append(conn, actor, "sessions_ended", f"user:{user_id}",
                               {"reason": reason.value, "sessions": ended})
        return ended

    def open_count(self, user_id: UserId, now: datetime) -> int:
        """How many of a person's sessions are open (not ended, not past either expiry) at `now`."""
        with self._db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(sessions).where(
                sessions.c.user_id == user_id, sessions.c.ended_at.is_(None),
                sessions.c.idle_expires_at > now, sessions.c.expires_at > now)).scalar_one())
