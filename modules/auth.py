"""Accounts: password hashing and rules, throttled sign-in, the first manager, password changes.

Passwords are hashed with argon2id (argon2-cffi defaults: 64 MiB each), at most HASHING_SLOTS at a time, so a
crowd of sign-ins waits for a slot instead of exhausting memory; one that waits longer than HASHING_WAIT is refused.

Sign-in answers every refusal with one sentence (wrong password, unknown username, deactivated account,
throttled, no hashing slot) and spends the same hashing work on an unknown username as on a wrong password, so
neither the words nor the timing tell an outsider which usernames exist. Throttling follows OWASP's
authentication guidance, hard by client address and soft by account, so that nobody can lock the owner out:
- an address (an IPv6 one by its /64 network) with ADDRESS_LIMIT failures within ADDRESS_WINDOW is refused,
  without any hashing, until its oldest failure ages out. Kept in this process's memory, per store;
- MAX_FAILURES failures in a row pause an account for ACCOUNT_PAUSE (kept in the store's sign-in counters, so a
  restart does not lift it). During a pause even the right password is refused from an address with
  TRUSTED_BELOW or more recent failures, while one from an address that has not been failing still gets in.
Every outcome goes to the audit log; text typed as an unknown username is kept only as a keyed digest and its
length, since people do type their password into the username box.

Open sessions live in the store (`modules.sessions`); a password change or a deactivation ends them there.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import unicodedata
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from modules import settings
from modules.core.clock import Clock
from modules.core.errors import AuthError
from modules.core.records import AccountDraft, Actor, User, require_manager
from modules.core.types import Role, UserId, normal_username
from modules.store import Store

MIN_LENGTH = 8  # characters other than spaces
MAX_LENGTH = 256  # generous (NIST asks for >= 64) while keeping one hash cheap enough
MAX_TEXT = 200  # a full name or a location, as the schema declares them
EMAIL_MAX = 254  # the longest address SMTP carries, as the schema declares it
EMAIL_HINT = "Write it as name@clinic.example: one @, and a dot in the part after it."
CONTEXT_WORDS = ("microdermabrasion", "cytopen", "password")  # plus the clinic's name, from the settings
USERNAME_IN_PASSWORD_FROM = 4  # a username this long may not appear inside the password (any one may not equal it)

MAX_FAILURES = 5
ACCOUNT_PAUSE = timedelta(seconds=30)
ADDRESS_LIMIT = 10
ADDRESS_WINDOW = timedelta(minutes=15)
TRUSTED_BELOW = 3
TRACKED_ADDRESSES = 10_000  # memory bound: beyond it the stalest addresses are forgotten
HASHING_SLOTS = 4
HASHING_WAIT = 3.0  # seconds a sign-in waits for a hashing slot
PASSWORD_HINT = (f"At least {MIN_LENGTH} characters besides spaces, not a common password, and not containing "
                 "your username, the clinic's name or words such as 'password' or 'microdermabrasion'. "
                 "A long phrase is easier to remember and harder to guess.")
GENERIC_REFUSAL = "Wrong username or password, or too many tries: wait a minute and try again."

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
_hasher = PasswordHasher()
_hashing_slots = threading.BoundedSemaphore(HASHING_SLOTS)
_AUDIT_KEY = secrets.token_bytes(32)  # per process: digests of typed usernames cannot be reversed offline
_CONTROL = {"Cc", "Cs"}
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class HashingBusy(AuthError):
    """Every hashing slot stayed taken for HASHING_WAIT seconds."""

    def __init__(self) -> None:
        super().__init__("The server is busy checking passwords; please try again in a moment.")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    # "# " starts a comment; entries such as "#1pimp" start with "#" alone.
    return frozenset(line.strip().lower() for line in lines
                     if line.strip() and not line.startswith("# ") and line != "#")


def _squeezed(text: str) -> str:
    return "".join(text.lower().split())


def context_words() -> tuple[str, ...]:
    """Words about this service that a password must not contain: its subject, its product, the clinic's name."""
    clinic = _squeezed(settings.get("TRAINING_CLINIC_NAME"))
    return CONTEXT_WORDS + ((clinic,) if len(clinic) >= USERNAME_IN_PASSWORD_FROM else ())


def check_password_rules(password: str, username: str = "") -> list[str]:
    """Every reason the password is refused; empty when it is acceptable. Length matters, not composition;
    spaces do not count towards the length, and case does not matter."""
    problems = []
    squeezed, name = _squeezed(password), _squeezed(username)
    if len(squeezed) < MIN_LENGTH:
        problems.append(f"The password must have at least {MIN_LENGTH} characters besides spaces.")
    if len(password) > MAX_LENGTH:
        problems.append(f"The password must be at most {MAX_LENGTH} characters long.")
    if password.strip().lower() in common_passwords():
        problems.append("This password is one of the most common ones; choose something less guessable.")
    if name and (squeezed == name or (len(name) >= USERNAME_IN_PASSWORD_FROM and name in squeezed)):
        problems.append("The password must not contain the username.")
    if any(word in squeezed for word in context_words()):
        problems.append("The password must not contain words about this service, such as its subject, "
                        "the clinic's name or the word 'password'.")
    return problems


@contextmanager
def _hashing_slot() -> Iterator[None]:
    if not _hashing_slots.acquire(timeout=HASHING_WAIT):
        raise HashingBusy()
    try:
        yield
    finally:
        _hashing_slots.release()


def hash_password(password: str) -> str:
    with _hashing_slot():
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    with _hashing_slot():
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


class _AddressFailures:
    """Recent sign-in failures by client address, newest last, at most ADDRESS_LIMIT kept per address."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[str, deque[datetime]] = {}

    def count(self, address: str, now: datetime) -> int:
        with self._lock:
            times = self._times.get(address)
            while times and now - times[0] >= ADDRESS_WINDOW:
                times.popleft()
            if times is not None and not times:
                del self._times[address]
            return len(times or ())

    def add(self, address: str, now: datetime) -> int:
        with self._lock:
            if address not in self._times and len(self._times) >= TRACKED_ADDRESSES:
                self._forget_stalest(now)
            times = self._times.setdefault(address, deque(maxlen=ADDRESS_LIMIT))
            times.append(now)
            return len(times)

    def _forget_stalest(self, now: datetime) -> None:
        for address in [a for a, times in self._times.items() if now - times[-1] >= ADDRESS_WINDOW]:
            del self._times[address]
        if len(self._times) >= TRACKED_ADDRESSES:
            del self._times[min(self._times, key=lambda a: self._times[a][-1])]


_failures_lock = threading.Lock()
_failures_by_store: weakref.WeakKeyDictionary[Store, _AddressFailures] = weakref.WeakKeyDictionary()


def _address_failures(store: Store) -> _AddressFailures:
    # One record per store: the app has one per process; each test its own, so tests never share a throttle.
    with _failures_lock:
        return _failures_by_store.setdefault(store, _AddressFailures())


def _address_key(address: str | None) -> str:
    """The unit an address is throttled by: an IPv4 address, an IPv6 /64 network (one subscriber's), or
    "local" when there is none (a connection from this machine)."""
    if not address or not address.strip():
        return "local"
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _typed_username(username: str) -> tuple[str, int]:
    """A short keyed digest of text typed as a username, and its length: repeated tries show, the text never."""
    text = username.strip()
    return hmac.new(_AUDIT_KEY, text.lower().encode("utf-8"), hashlib.sha256).hexdigest()[:12], len(text)


def _count_failure(store: Store, failures: _AddressFailures, where: str, now: datetime) -> None:
    if failures.add(where, now) == ADDRESS_LIMIT:  # audited once, when the address starts being refused
        store.audit.record(None, "sign_in_address_throttled", f"address:{where}",
                           f"{ADDRESS_LIMIT} failed sign-ins within {ADDRESS_WINDOW}")


def sign_in(store: Store, username: str, password: str, clock: Clock | None = None,
            address: str | None = None) -> User:
    """The signed-in user, or AuthError with GENERIC_REFUSAL whatever the reason. `address` is the client's
    network address (None for a connection from this machine)."""
    now = (clock or store.clock)()
    failures, where = _address_failures(store), _address_key(address)
    recent = failures.count(where, now)
    if recent >= ADDRESS_LIMIT:
        raise AuthError(GENERIC_REFUSAL)  # no hashing: a failing address costs the server nothing more
    found = store.accounts.credentials(username)
    try:
        password_ok = verify_password(found[1] if found else _dummy_hash(), password)
    except HashingBusy:
        raise AuthError(GENERIC_REFUSAL) from None
    if found is None or not password_ok:
        _count_failure(store, failures, where, now)
    if found is None:
        digest, length = _typed_username(username)
        store.audit.record(None, "sign_in_failed", f"username:#{digest}", f"unknown username ({length} characters)",
                           actor_username=f"unknown #{digest}")
        raise AuthError(GENERIC_REFUSAL)
    user, password_hash = found
    if not password_ok:
        store.accounts.register_failed_sign_in(user.id, limit=MAX_FAILURES, lock_for=ACCOUNT_PAUSE)
        raise AuthError(GENERIC_REFUSAL)
    paused_until = store.accounts.locked_until(user.id)
    if paused_until is not None and paused_until > now and recent >= TRUSTED_BELOW:
        store.audit.record(user.actor, "sign_in_refused_paused", f"user:{user.id}",
                           f"paused until {paused_until.isoformat()}; {recent} recent failures from {where}")
        raise AuthError(GENERIC_REFUSAL)
    if not user.active:
        store.audit.record(user.actor, "sign_in_refused_inactive", f"user:{user.id}", "account deactivated")
        raise AuthError(GENERIC_REFUSAL)
    try:
        new_hash = hash_password(password) if needs_rehash(password_hash) else None
    except HashingBusy:
        new_hash = None  # upgrade the hash at a quieter sign-in
    store.accounts.record_sign_in(user.id, new_hash=new_hash)
    return store.accounts.get(user.id) or user


def checked_password(password: str, username: str = "") -> str:
    """The password's hash, or AuthError listing every rule it breaks. Hashing is slow on purpose, so it is
    done here, before the store takes its write lock."""
    problems = check_password_rules(password, username)
    if problems:
        raise AuthError(" ".join(problems))
    return hash_password(password)


def _plain_text(value: str, what: str) -> str:
    """`value` trimmed, or AuthError when it is longer than the schema's 200 or holds control characters (NUL
    among them: PostgreSQL refuses it, SQLite would keep it) or direction overrides."""
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise AuthError(f"The {what} must be at most {MAX_TEXT} characters long.")
    if any(unicodedata.category(ch) in _CONTROL or ch in _BIDI_CONTROLS for ch in text):
        raise AuthError(f"The {what} must not contain control characters (such as line breaks or tabs).")
    return text


def checked_email(text: str | None) -> str | None:
    """An optional e-mail address, trimmed and lower-cased; blank means none. AuthError unless it is one plain
    address (no display name, no spaces) with a dot in the domain: a typo is caught, not a reminder lost."""
    address = (text or "").strip()
    if not address:
        return None
    local, _, domain = address.partition("@")
    labels = domain.split(".")
    plain_address = parseaddr(address)[1] == address and not any(ch.isspace() for ch in address)
    if len(address) > EMAIL_MAX:
        raise AuthError(f"The e-mail address must be at most {EMAIL_MAX} characters long.")
    if (not plain_address or not local or "@" in domain or len(labels) < 2 or not all(labels)
            or any(unicodedata.category(ch) in _CONTROL or ch in _BIDI_CONTROLS for ch in address)):
        raise AuthError(f"{address[:60]!r} is not an e-mail address. {EMAIL_HINT}")
    return address.lower()


def new_account(username: str, full_name: str, role: Role | str, password_hash: str, location: str | None = None,
                must_change_password: bool = False, email: str | None = None) -> AccountDraft:
    """An account that passes the account rules (username, name, location, e-mail address), ready for the store."""
    name = _plain_text(full_name, "full name")
    if not name:
        raise AuthError("Please give the person's full name.")
    place = _plain_text(location or "", "location")
    return AccountDraft(normal_username(username), name, Role(role), place or None, password_hash,
                        must_change_password, checked_email(email))


def create_user(store: Store, username: str, full_name: str, role: Role | str, password: str,
                location: str | None = None, actor: Actor | None = None, must_change_password: bool = False, *,
                only_if_no_users: bool = False, email: str | None = None) -> UserId:
    """A new account checked against every rule; actor None means the system (first run, seeding, the CLI)."""
    require_manager(actor, "create accounts")  # before the slow hash
    account = new_account(username, full_name, role, "", location, must_change_password, email)
    account = replace(account, password_hash=checked_password(password, account.username))
    return store.accounts.create(account, actor, only_if_no_users=only_if_no_users)


def set_email(store: Store, user_id: UserId, email: str | None, actor: Actor | None) -> str | None:
    """Set (or, when blank, clear) an account's e-mail address: the person themself or a manager. Returns the
    address as stored."""
    address = checked_email(email)
    store.accounts.set_email(user_id, address, actor)
    return address


def set_password(store: Store, user_id: UserId, password: str, actor: Actor | None,
                 must_change_password: bool = False) -> None:
    """Own change (actor is the user) or a manager's reset (usually with must_change_password)."""
    if actor is not None and actor.user_id != user_id:
        require_manager(actor, "set another person's password")
    user = store.accounts.get(user_id)
    password_hash = checked_password(password, user.username if user else "")
    store.accounts.set_password_hash(user_id, password_hash, actor, must_change_password)


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
