"""The audit log: a keyed hash chain over sign-ins, account changes, exports and every record of history.

Every other part of the store appends to it inside its own transaction (`append`), so an action and its audit
row are written together or not at all. Each row's hash covers the previous row's hash and its own fields, keyed
with the clinic's secret (an HMAC; the key lives outside the database), so an edited or deleted row breaks the chain
and nobody without the key can rebuild it. Results, certificates, revocations and sign-offs are sealed too: when one
is written, a `sealed` row carries the digest of its content, so a record changed, moved or slipped in behind the
app's back no longer matches its seal. The head of the chain (`head()`) is printed on exports and certificates;
`verify_chain(anchor=...)` checks that a saved head is still in the chain.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, insert, select

from modules.core.records import Actor, AuditRow, require_manager
from modules.core.types import UserId
from modules.store.database import Database
from modules.store.schema import (
    GENESIS_HASH,
    SEALED_TABLES,
    audit_hash,
    audit_log,
    dumps,
    metadata,
    record_digest,
    users,
)

_PAGE = 1000
SEALED = "sealed"


@dataclass(frozen=True)
class ChainReport:
    """What `verify` found: the first chain row that does not hold, and every record that does not match."""

    broken_at: int | None
    records: tuple[str, ...]
    anchor_found: bool | None = None  # None when no anchor was given

    @property
    def intact(self) -> bool:
        return self.broken_at is None and not self.records and self.anchor_found is not False


class AuditLog:
    def __init__(self, db: Database, key: bytes | None = None):
        self._db = db
        self._key = key

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
            "detail": detail if isinstance(detail, str) else dumps(detail), "keyed": self._key is not None}
        row["prev_hash"] = last.hash if last else GENESIS_HASH
        row["hash"] = audit_hash(row["prev_hash"], row, self._key)
        conn.execute(insert(audit_log), row)

    def seal(self, conn: Connection, table: str, name: object) -> None:
        """Seal the history row `name` of `table` just written in this transaction: its digest joins the chain."""
        source = metadata.tables[table]
        row = conn.execute(select(source).where(source.c[SEALED_TABLES[table]] == name)).mappings().one()
        self.append(conn, None, SEALED, f"{table}:{name}", {"digest": record_digest(dict(row))})

    def seal_unsealed(self, conn: Connection) -> int:
        """Seal every history row that has no seal yet (rows written before sealing existed); returns how many."""
        sealed = {target for (target,) in conn.execute(select(audit_log.c.target)
                                                       .where(audit_log.c.action == SEALED))}
        count = 0
        for table, column in SEALED_TABLES.items():
            for (name,) in conn.execute(select(metadata.tables[table].c[column])).all():
                if f"{table}:{name}" not in sealed:
                    self.seal(conn, table, name)
                    count += 1
        return count

    def record(self, actor: Actor | None, action: str, target: str, detail: str | dict[str, Any] = "", *,
               actor_username: str | None = None) -> None:
        """An event that changes nothing else (a sign-in refused, an export)."""
        with self._db.write(serialised=True) as conn:
            self.append(conn, actor, action, target, detail, actor_username)

    def head(self) -> str:
        """The chain's newest row as `id:hash`: printed on exports and certificates, so that a copy kept
        elsewhere proves later what the chain held (`audit-verify --anchor`)."""
        with self._db.read() as conn:
            last = conn.execute(select(audit_log.c.id, audit_log.c.hash)
                                .order_by(audit_log.c.id.desc()).limit(1)).first()
        return f"{last.id}:{last.hash}" if last else f"0:{GENESIS_HASH}"

    def rows(self, actor: Actor, *, who: str | None = None, action: str | None = None, actor_id: UserId | None = None,
             target: str | None = None, since: datetime | None = None, until: datetime | None = None,
             limit: int | None = 1000, actions: Collection[str] | None = None) -> list[AuditRow]:
        """Newest first, managers only. `who` is the username recorded on the row (covers 'system' and failed
        sign-ins with unknown usernames); `actor_id` the account; `actions` keeps rows whose action is one of them
        (the refused actions, say)."""
        require_manager(actor, "read the audit log")
        query: Select[Any] = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if actions is not None:
            query = query.where(audit_log.c.action.in_(list(actions)))
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
        return self.verify().broken_at

    def verify(self, anchor: str | None = None) -> ChainReport:
        """The whole chain, every sealed record against its seal, and (optionally) a saved head `id:hash`."""
        seals: dict[str, str] = {}
        anchor_found = None if anchor is None else False
        prev_hash, last_id, keyed_seen = GENESIS_HASH, None, False
        with self._db.read() as conn:
            while True:  # pages by id, so a long log is never held in memory at once
                query = select(audit_log).order_by(audit_log.c.id).limit(_PAGE)
                page = conn.execute(query if last_id is None else query.where(audit_log.c.id > last_id)).all()
                if not page:
                    break
                for row in page:
                    keyed = bool(row.keyed)
                    # Once the chain is keyed it stays keyed: an unkeyed row after a keyed one is a forgery.
                    key = self._key if keyed else None
                    if (row.prev_hash != prev_hash or (keyed and self._key is None) or (keyed_seen and not keyed)
                            or audit_hash(prev_hash, row._asdict(), key) != row.hash):
                        return ChainReport(int(row.id), (), anchor_found)
                    keyed_seen = keyed_seen or keyed
                    if row.action == SEALED:
                        seals[row.target] = json.loads(row.detail)["digest"]
                    if anchor is not None and anchor == f"{row.id}:{row.hash}":
                        anchor_found = True
                    prev_hash = row.hash
                last_id = page[-1].id
            problems = self._unmatched_records(conn, seals)
        return ChainReport(None, tuple(problems), anchor_found)

    @staticmethod
    def _unmatched_records(conn: Connection, seals: dict[str, str]) -> list[str]:
        problems: list[str] = []
        present: set[str] = set()
        for table, column in SEALED_TABLES.items():
            for row in conn.execute(select(metadata.tables[table])).mappings():
                target = f"{table}:{row[column]}"
                present.add(target)
                if target not in seals:
                    problems.append(f"{target} has no seal in the audit chain (written behind the app's back)")
                elif seals[target] != record_digest(dict(row)):
                    problems.append(f"{target} no longer matches its seal (changed after it was written)")
        problems += [f"{target} is sealed in the audit chain but gone from its table" for target in seals
                     if target not in present]
        return problems
