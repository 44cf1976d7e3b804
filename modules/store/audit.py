"""The audit log: a hash-chained, append-only record of sign-ins, account changes, exports and certificates.

Every other part of the store appends to it inside its own transaction (`append`), so an action and its audit
row are written together or not at all. Each row's hash covers the previous row's hash and its own fields, so an
edited or deleted row breaks the chain at that row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, insert, select

from modules.core.records import Actor, AuditRow, require_manager
from modules.core.types import UserId
from modules.store.database import Database
from modules.store.schema import GENESIS_HASH, audit_hash, audit_log, dumps, users

_PAGE = 1000


class AuditLog:
    def __init__(self, db: Database):
        self._db = db

    def append(self, conn: Connection, actor: Actor | None, action: str, target: str,
               detail: str | dict[str, Any], actor_username: str | None = None) -> None:
        """Add one row to the chain inside the caller's write transaction."""
        self._db.lock_writers(conn)
        if actor_username is None:
            actor_username = "system" if actor is None else conn.execute(
                select(users.c.username).where(users.c.id == actor.user_id)).scalar_one()
        last = conn.execute(select(audit_log.c.id, audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).first()
        row: dict[str, Any] = {
            "id": last.id + 1 if last else 1, "at": self._db.clock(), "actor_id": actor.user_id if actor else None,
            "actor_username": actor_username, "action": action, "target": target[:200],
            "detail": detail if isinstance(detail, str) else dumps(detail)}
        row["prev_hash"] = last.hash if last else GENESIS_HASH
        row["hash"] = audit_hash(row["prev_hash"], row)
        conn.execute(insert(audit_log), row)

    def record(self, actor: Actor | None, action: str, target: str, detail: str | dict[str, Any] = "", *,
               actor_username: str | None = None) -> None:
        """An event that changes nothing else (a sign-in refused, an export)."""
        with self._db.write(serialised=True) as conn:
            self.append(conn, actor, action, target, detail, actor_username)

    def rows(self, actor: Actor, *, who: str | None = None, action: str | None = None, actor_id: UserId | None = None,
             target: str | None = None, since: datetime | None = None, until: datetime | None = None,
             limit: int | None = 1000) -> list[AuditRow]:
        """Newest first, managers only. `who` is the username recorded on the row (covers 'system' and failed
        sign-ins with unknown usernames); `actor_id` the account."""
        require_manager(actor, "read the audit log")
        query: Select[Any] = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        for column, value in ((audit_log.c.actor_username, who), (audit_log.c.action, action),
                              (audit_log.c.actor_id, actor_id), (audit_log.c.target, target)):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(audit_log.c.at >= since)
        if until is not None:
            query = query.where(audit_log.c.at < until)
        with self._db.read() as conn:
            return [AuditRow(r.id, r.at, r.actor_id, r.actor_username, r.action, r.target, r.detail, r.prev_hash,
                             r.hash) for r in conn.execute(query)]

    def choices(self, actor: Actor) -> tuple[list[str], list[str]]:
        """The distinct usernames and actions in the log, for the audit page's filters."""
        require_manager(actor, "read the audit log")
        with self._db.read() as conn:
            names = list(conn.execute(select(audit_log.c.actor_username).distinct()
                                      .order_by(audit_log.c.actor_username)).scalars())
            actions = list(conn.execute(select(audit_log.c.action).distinct().order_by(audit_log.c.action)).scalars())
        return names, actions

    def verify_chain(self) -> int | None:
        """The id of the first row whose hash or link does not match (edited, or a row before it deleted)."""
        prev_hash, last_id = GENESIS_HASH, None
        with self._db.read() as conn:
            while True:  # pages by id, so a long log is never held in memory at once
                query = select(audit_log).order_by(audit_log.c.id).limit(_PAGE)
                page = conn.execute(query if last_id is None else query.where(audit_log.c.id > last_id)).all()
                if not page:
                    return None
                for row in page:
                    if row.prev_hash != prev_hash or audit_hash(prev_hash, row._asdict()) != row.hash:
                        return int(row.id)
                    prev_hash = row.hash
                last_id = page[-1].id
