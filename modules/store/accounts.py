"""Accounts as stored: create, read, change role, location, e-mail address, status and password hash, and the
sign-in counters.

The account rules (password strength, hashing, the sign-in policy) live in `modules.auth`; this part stores what
that decides. Every change is audited in the same transaction, and the last active manager can never be removed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from modules.core.errors import AuthError, LastManagerError, StoreError
from modules.core.records import AccountDraft, Actor, User, require_manager
from modules.core.types import Role, SessionEnd, UserId
from modules.store.audit import AuditLog
from modules.store.database import Database, inserted_id
from modules.store.schema import sign_in_failures, users
from modules.store.sessions import end_open_sessions


def _user(row: Row[Any]) -> User:
    return User(UserId(row.id), row.username, row.full_name, Role(row.role), row.location, bool(row.active),
                bool(row.must_change_password), row.created_at, row.email)


class Accounts:
    def __init__(self, db: Database, audit: AuditLog):
        self._db = db
        self._audit = audit

    # ---- create and read ----------------------------------------------------------------------

    def create(self, account: AccountDraft, actor: Actor | None = None, *, only_if_no_users: bool = False) -> UserId:
        """A new account; actor None means the system (first run, seeding). Refuses a taken username."""
        return self.create_many([account], actor, only_if_no_users=only_if_no_users)[0]

    def create_many(self, accounts: list[AccountDraft], actor: Actor | None, via: str | None = None, *,
                    only_if_no_users: bool = False) -> list[UserId]:
        """Every account in ONE transaction, each audited: a clash found inside it leaves nothing behind."""
        require_manager(actor, "create accounts")
        made: list[UserId] = []
        with self._db.write(serialised=True) as conn:
            if only_if_no_users and conn.execute(select(func.count()).select_from(users)).scalar():
                raise AuthError("An account already exists; sign in instead.")
            wanted = [account.username for account in accounts]
            taken = sorted(conn.execute(select(users.c.username).where(users.c.username.in_(wanted))).scalars())
            if taken and len(accounts) == 1:
                raise AuthError(f"The username {taken[0]!r} is already taken.")
            if taken:
                raise AuthError("These usernames were taken meanwhile; nothing was imported: " + ", ".join(taken) + ".")
            now = self._db.clock()
            for account in accounts:
                user_id = UserId(inserted_id(conn.execute(insert(users).values(
                    username=account.username, full_name=account.full_name, role=account.role.value,
                    location=account.location, password_hash=account.password_hash, active=True,
                    must_change_password=account.must_change_password, created_at=now, email=account.email))))
                detail: dict[str, Any] = {"username": account.username, "role": account.role.value,
                                          "location": account.location}
                if via is not None:
                    detail["via"] = via
                self._audit.append(conn, actor, "user_created", f"user:{user_id}", detail)
                made.append(user_id)
        return made

    def get(self, user_id: UserId) -> User | None:
        with self._db.read() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
        return _user(row) if row else None

    def find(self, username: str) -> User | None:
        found = self.credentials(username)
        return found[0] if found else None

    def credentials(self, username: str) -> tuple[User, str] | None:
        """The user and their password hash, for sign-in only."""
        with self._db.read() as conn:
            row = conn.execute(select(users).where(users.c.username == username.strip().lower())).first()
        return (_user(row), row.password_hash) if row else None

    def list_users(self, role: Role | None = None, active_only: bool = False) -> list[User]:
        query = select(users).order_by(users.c.full_name, users.c.id)
        if role is not None:
            query = query.where(users.c.role == Role(role).value)
        if active_only:
            query = query.where(users.c.active.is_(True))
        with self._db.read() as conn:
            return [_user(row) for row in conn.execute(query)]

    def count(self) -> int:
        with self._db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(users)).scalar_one())

    def usernames(self) -> set[str]:
        with self._db.read() as conn:
            return set(conn.execute(select(users.c.username)).scalars())

    # ---- changes --------------------------------------------------------------------------------

    def _change(self, user_id: UserId, actor: Actor | None, action: str, values: dict[str, Any],
                detail: dict[str, Any], end_sessions: SessionEnd | None = None) -> None:
        """One audited change of an account; `end_sessions` also ends its open sessions in the same transaction.

        A change that would leave no active manager is refused (LastManagerError); the refusal is recorded as
        `last_manager_refused` in a transaction of its own, after the refused one has rolled back."""
        try:
            with self._db.write(serialised=True) as conn:
                before = conn.execute(select(users).where(users.c.id == user_id)).first()
                if before is None:
                    raise StoreError("There is no such account.")
                conn.execute(update(users).where(users.c.id == user_id).values(**values))
                managers = select(func.count()).select_from(users).where(
                    users.c.role == Role.MANAGER.value, users.c.active.is_(True))
                if before.role == Role.MANAGER.value and before.active and not conn.execute(managers).scalar():
                    raise LastManagerError(f"{before.full_name} is the last active manager; "
                                           "make someone else a manager first.")
                if end_sessions is not None:
                    ended = end_open_sessions(conn, user_id, end_sessions, actor.user_id if actor else None,
                                              self._db.clock())
                    detail = {**detail, "sessions_ended": ended}
                self._audit.append(conn, actor, action, f"user:{user_id}", detail)
        except LastManagerError:
            self._audit.record(actor, "last_manager_refused", f"user:{user_id}", {"refused": action, **detail})
            raise

    def set_active(self, user_id: UserId, active: bool, actor: Actor | None) -> None:
        require_manager(actor, "activate or deactivate accounts")
        self._change(user_id, actor, "user_activated" if active else "user_deactivated",
                     {"active": active}, {"active": active}, None if active else SessionEnd.DEACTIVATED)

    def set_role(self, user_id: UserId, role: Role, actor: Actor | None) -> None:
        require_manager(actor, "change roles")
        self._change(user_id, actor, "role_changed", {"role": Role(role).value}, {"role": Role(role).value})

    def set_location(self, user_id: UserId, location: str | None, actor: Actor | None) -> None:
        require_manager(actor, "change locations")
        self._change(user_id, actor, "location_changed", {"location": location}, {"location": location})

    def set_email(self, user_id: UserId, email: str | None, actor: Actor | None) -> None:
        """Own change (actor is the user) or a manager's; None clears it. `modules.auth.set_email` checks it first."""
        if actor is not None and actor.user_id != user_id:
            require_manager(actor, "change another person's e-mail address")
        self._change(user_id, actor, "email_changed", {"email": email}, {"email": email})

    def set_password_hash(self, user_id: UserId, password_hash: str, actor: Actor | None,
                          must_change_password: bool = False) -> None:
        """Own change (actor is the user) or a manager's reset (usually with must_change_password)."""
        if actor is not None and actor.user_id != user_id:
            require_manager(actor, "set another person's password")
        self._change(user_id, actor, "password_changed",
                     {"password_hash": password_hash, "must_change_password": must_change_password},
                     {"must_change_password": must_change_password}, SessionEnd.PASSWORD_CHANGED)

    # ---- sign-in bookkeeping (the policy lives in modules.auth) ---------------------------------

    def locked_until(self, user_id: UserId) -> datetime | None:
        with self._db.read() as conn:
            locked: datetime | None = conn.execute(select(sign_in_failures.c.locked_until)
                                                   .where(sign_in_failures.c.user_id == user_id)).scalar()
        return locked

    def register_failed_sign_in(self, user_id: UserId, limit: int, lock_for: timedelta) -> datetime | None:
        """Count one more consecutive failure; lock when it reaches `limit`. Returns the lock's end, if locked."""
        now = self._db.clock()
        with self._db.write(serialised=True) as conn:
            row = conn.execute(select(sign_in_failures).where(sign_in_failures.c.user_id == user_id)).first()
            expired = row is not None and row.locked_until is not None and row.locked_until <= now
            count = 1 if row is None or expired else row.consecutive + 1
            locked = now + lock_for if count >= limit else None
            values = {"consecutive": count, "locked_until": locked, "last_failure_at": now}
            if row is None:
                conn.execute(insert(sign_in_failures).values(user_id=user_id, **values))
            else:
                conn.execute(update(sign_in_failures).where(sign_in_failures.c.user_id == user_id).values(**values))
            actor = self._actor(conn, user_id)
            self._audit.append(conn, actor, "sign_in_failed", f"user:{user_id}", f"wrong password ({count} in a row)")
            if locked is not None:
                self._audit.append(conn, actor, "account_locked", f"user:{user_id}", f"until {locked.isoformat()}")
        return locked

    def record_sign_in(self, user_id: UserId, new_hash: str | None = None) -> None:
        """A successful sign-in: clear the failure count, store a rehashed password if given, audit it."""
        with self._db.write(serialised=True) as conn:
            conn.execute(sign_in_failures.delete().where(sign_in_failures.c.user_id == user_id))
            if new_hash is not None:
                conn.execute(update(users).where(users.c.id == user_id).values(password_hash=new_hash))
            detail = "password rehashed with current parameters" if new_hash else ""
            self._audit.append(conn, self._actor(conn, user_id), "sign_in", f"user:{user_id}", detail)

    @staticmethod
    def _actor(conn: Connection, user_id: UserId) -> Actor:
        role = conn.execute(select(users.c.role).where(users.c.id == user_id)).scalar_one()
        return Actor(user_id, Role(role))

