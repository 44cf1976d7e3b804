"""Accounts: password hashing and rules, sign-in with lockout, the first manager, password changes.

Passwords are hashed with argon2id (argon2-cffi defaults). Sign-in gives one message for an unknown
username and a wrong password, and spends the same hashing work on both, so neither the words nor the
timing tell an outsider which usernames exist. Failures are counted in the database, so a restart does
not reset a lockout. Every outcome goes to the audit log.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from modules.core.clock import Clock
from modules.core.types import Role, UserId
from modules.core.errors import AuthError

if TYPE_CHECKING:  # store imports this module for hashing; the types are only needed for annotations
    from modules.store import Store, User

MIN_LENGTH = 8
MAX_LENGTH = 256  # generous (NIST asks for >= 64) while keeping one hash cheap enough
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
WRONG_CREDENTIALS = "Wrong username or password."

_hasher = PasswordHasher()
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


class AccountLocked(AuthError):
    """Too many wrong passwords in a row; `minutes` says how long until the next try is allowed."""

    def __init__(self, minutes: int):
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"This account is locked after too many failed sign-ins. Try again in {minutes} {unit}.")
        self.minutes = minutes


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password_rules(password: str) -> list[str]:
    """Every reason the password is refused; empty when it is acceptable. Length matters, not composition."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"The password must be at least {MIN_LENGTH} characters long.")
    if len(password) > MAX_LENGTH:
        problems.append(f"The password must be at most {MAX_LENGTH} characters long.")
    if password.strip().lower() in common_passwords():
        problems.append("This password is one of the most common ones; choose something less guessable.")
    return problems


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so that answer costs the same time as a wrong password.
    return hash_password(secrets.token_urlsafe(16))


def _minutes_left(locked_until, now) -> int:
    return max(1, -(-int((locked_until - now).total_seconds()) // 60))


def sign_in(store: Store, username: str, password: str, clock: Clock | None = None) -> User:
    """The signed-in user, or AuthError: one generic message, or AccountLocked while locked."""
    now = (clock or store.clock)()
    found = store.credentials(username)
    if found is None:
        verify_password(_dummy_hash(), password)
        store.audit(None, "sign_in_failed", f"username:{username.strip().lower()[:80]}",
                    "unknown username", actor_username=username.strip()[:80])
        raise AuthError(WRONG_CREDENTIALS)
    user, password_hash = found
    password_ok = verify_password(password_hash, password)
    locked_until = store.locked_until(user.id)
    if locked_until is not None and locked_until > now:
        store.audit(user.actor, "sign_in_refused_locked", f"user:{user.id}", f"locked until {locked_until.isoformat()}")
        raise AccountLocked(_minutes_left(locked_until, now))
    if not password_ok:
        locked_until = store.register_failed_sign_in(user.id, limit=MAX_FAILURES, lock_for=LOCK_FOR)
        if locked_until is not None:
            raise AccountLocked(_minutes_left(locked_until, now))
        raise AuthError(WRONG_CREDENTIALS)
    if not user.active:
        store.audit(user.actor, "sign_in_refused_inactive", f"user:{user.id}", "account deactivated")
        raise AuthError(WRONG_CREDENTIALS)
    new_hash = hash_password(password) if needs_rehash(password_hash) else None
    store.record_sign_in(user.id, new_hash=new_hash)
    return store.get_user(user.id) or user


def needs_first_manager(store: Store) -> bool:
    """True on first run: no account exists yet, so the app asks for the first manager."""
    return store.count_users() == 0


def create_first_manager(store: Store, full_name: str, username: str, password: str, confirm: str) -> UserId:
    """Create the first manager; refused once any account exists (checked inside the write transaction)."""
    if not needs_first_manager(store):
        raise AuthError("An account already exists; sign in instead.")
    if password != confirm:
        raise AuthError("The two passwords do not match.")
    return store.create_user(username, full_name, Role.MANAGER, password, only_if_no_users=True)


def change_password(store: Store, user_id: UserId, current: str, new: str, confirm: str) -> None:
    """A user changes their own password: the current one must be right, the new one must pass the rules."""
    user = store.get_user(user_id)
    found = store.credentials(user.username) if user else None
    if found is None or not verify_password(found[1], current):
        raise AuthError("The current password is wrong.")
    if new != confirm:
        raise AuthError("The two new passwords do not match.")
    if new == current:
        raise AuthError("The new password must differ from the current one.")
    store.set_password(user_id, new, actor=found[0].actor)
