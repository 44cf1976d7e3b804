"""Accounts: password hashing and rules, sign-in with lockout, the first manager, password changes.

Passwords are hashed with argon2id (argon2-cffi defaults). Sign-in gives one message for an unknown
username and a wrong password, and spends the same hashing work on both, so neither the words nor the
timing tell an outsider which usernames exist. Failures are counted in the database, so a restart does
not reset a lockout. Every outcome goes to the audit log.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from modules.core.clock import Clock
from modules.core.errors import AuthError
from modules.core.records import AccountDraft, Actor, User, require_manager
from modules.core.types import Role, UserId, normal_username
from modules.store import Store

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


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Hash and verify with `hasher` from now on; returns the one it replaces. Tests install a cheap one."""
    global _hasher
    previous, _hasher = _hasher, hasher
    _dummy_hash.cache_clear()  # the unknown-username answer must cost what a wrong password costs
    return previous


def _minutes_left(locked_until: datetime, now: datetime) -> int:
    return max(1, -(-int((locked_until - now).total_seconds()) // 60))


def sign_in(store: Store, username: str, password: str, clock: Clock | None = None) -> User:
    """The signed-in user, or AuthError: one generic message, or AccountLocked while locked."""
    now = (clock or store.clock)()
    found = store.accounts.credentials(username)
    if found is None:
        verify_password(_dummy_hash(), password)
        store.audit.record(None, "sign_in_failed", f"username:{username.strip().lower()[:80]}",
                    "unknown username", actor_username=username.strip()[:80])
        raise AuthError(WRONG_CREDENTIALS)
    user, password_hash = found
    password_ok = verify_password(password_hash, password)
    locked_until = store.accounts.locked_until(user.id)
    if locked_until is not None and locked_until > now:
        store.audit.record(user.actor, "sign_in_refused_locked", f"user:{user.id}",
                           f"locked until {locked_until.isoformat()}")
        raise AccountLocked(_minutes_left(locked_until, now))
    if not password_ok:
        locked_until = store.accounts.register_failed_sign_in(user.id, limit=MAX_FAILURES, lock_for=LOCK_FOR)
        if locked_until is not None:
            raise AccountLocked(_minutes_left(locked_until, now))
        raise AuthError(WRONG_CREDENTIALS)
    if not user.active:
        store.audit.record(user.actor, "sign_in_refused_inactive", f"user:{user.id}", "account deactivated")
        raise AuthError(WRONG_CREDENTIALS)
    new_hash = hash_password(password) if needs_rehash(password_hash) else None
    store.accounts.record_sign_in(user.id, new_hash=new_hash)
    return store.accounts.get(user.id) or user


def checked_password(password: str) -> str:
    """The password's hash, or AuthError listing every rule it breaks. Hashing is slow on purpose, so it is
    done here, before the store takes its write lock."""
    problems = check_password_rules(password)
    if problems:
        raise AuthError(" ".join(problems))
    return hash_password(password)


def new_account(username: str, full_name: str, role: Role | str, password_hash: str, location: str | None = None,
                must_change_password: bool = False) -> AccountDraft:
    """An account that passes the account rules (username, name), ready for the store."""
    if not full_name.strip():
        raise AuthError("Please give the person's full name.")
    return AccountDraft(normal_username(username), full_name.strip(), Role(role), location or None, password_hash,
                      must_change_password)


def create_user(store: Store, username: str, full_name: str, role: Role | str, password: str,
                location: str | None = None, actor: Actor | None = None, must_change_password: bool = False, *,
                only_if_no_users: bool = False) -> UserId:
    """A new account checked against every rule; actor None means the system (first run, seeding, the CLI)."""
    require_manager(actor, "create accounts")  # before the slow hash
    account = new_account(username, full_name, role, "", location, must_change_password)
    account = replace(account, password_hash=checked_password(password))
    return store.accounts.create(account, actor, only_if_no_users=only_if_no_users)


def set_password(store: Store, user_id: UserId, password: str, actor: Actor | None,
                 must_change_password: bool = False) -> None:
    """Own change (actor is the user) or a manager's reset (usually with must_change_password)."""
    if actor is not None and actor.user_id != user_id:
        require_manager(actor, "set another person's password")
    store.accounts.set_password_hash(user_id, checked_password(password), actor, must_change_password)


def needs_first_manager(store: Store) -> bool:
    """True on first run: no account exists yet, so the app asks for the first manager."""
    return store.accounts.count() == 0


def create_first_manager(store: Store, full_name: str, username: str, password: str, confirm: str) -> UserId:
    """Create the first manager; refused once any account exists (checked inside the write transaction)."""
    if not needs_first_manager(store):
        raise AuthError("An account already exists; sign in instead.")
    if password != confirm:
        raise AuthError("The two passwords do not match.")
    return create_user(store, username, full_name, Role.MANAGER, password, only_if_no_users=True)


def change_password(store: Store, user_id: UserId, current: str, new: str, confirm: str) -> None:
    """A user changes their own password: the current one must be right, the new one must pass the rules."""
    user = store.accounts.get(user_id)
    found = store.accounts.credentials(user.username) if user else None
    if found is None or not verify_password(found[1], current):
        raise AuthError("The current password is wrong.")
    if new != confirm:
        raise AuthError("The two new passwords do not match.")
    if new == current:
        raise AuthError("The new password must differ from the current one.")
    set_password(store, user_id, new, actor=found[0].actor)
