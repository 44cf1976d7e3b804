"""Signed-in sessions kept in the store, so a reload, a bookmark or a second app instance finds the same sign-in.

- Sign-in (an HTTP POST, `modules.web_sessions`) begins a session and hands the browser a random token in an
  HttpOnly cookie. The store keeps only the token's sha256, so a copy of the database signs nobody in.
- Every run of a page resolves the cookie's token here and re-reads the account: a session that has ended, sat idle
  past its limit (30 minutes by default) or reached its absolute lifetime (12 hours) signs nobody in.
- Sign-out, a password change, deactivation and a manager's "end this person's sessions" end every session of the
  person, in every tab and on every instance, at its next action.
- The sign-out form's CSRF proof is an HMAC of the session token: only a page holding the session can make it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from modules import settings
from modules.core.records import Actor, User
from modules.core.types import SessionEnd, SessionId, UserId
from modules.store import Store

COOKIE = "training_session"
# The heartbeat is written at most this often, so an active page costs one read per run, not a write.
SEEN_EVERY = timedelta(minutes=1)

ENDED_MESSAGES = {
    SessionEnd.SIGNED_OUT: "You signed out.",
    SessionEnd.IDLE: "You were signed out after {idle} minutes without activity.",
    SessionEnd.EXPIRED: "You were signed out because your sign-in is {hours} hours old.",
    SessionEnd.PASSWORD_CHANGED: "You were signed out because the account's password was changed.",
    SessionEnd.DEACTIVATED: "You were signed out because the account was deactivated.",
    SessionEnd.ENDED_BY_MANAGER: "You were signed out by a manager.",
}


@dataclass(frozen=True)
class Signed:
    """A live session and its account as it is now."""

    session_id: SessionId
    user: User


@dataclass(frozen=True)
class Ended:
    """A token that signs nobody in; `reason` is None when no session ever had it."""

    reason: SessionEnd | None

    @property
    def message(self) -> str:
        return ended_message(self.reason)


def idle_limit() -> timedelta:
    return timedelta(minutes=settings.current().session_idle_minutes)


def lifetime() -> timedelta:
    return timedelta(hours=settings.current().session_hours)


def ended_message(reason: SessionEnd | None) -> str:
    if reason is None:
        return "Please sign in."
    return ENDED_MESSAGES[reason].format(idle=settings.current().session_idle_minutes,
                                         hours=settings.current().session_hours)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def begin(store: Store, user: User, now: datetime) -> str:
    """A new session for `user`; returns the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    store.sessions.begin(user.id, token_hash(token), now, idle_limit(), lifetime())
    return token


def resolve(store: Store, token: str | None, now: datetime) -> Signed | Ended:
    """Who `token` signs in at `now`, re-read from the store; an expiry found here is recorded with its reason."""
    if not token:
        return Ended(None)
    found = store.sessions.find(token_hash(token))
    if found is None:
        return Ended(None)
    if found.ended_at is not None:
        return Ended(found.end_reason)
    if not found.user.active:  # deactivation ends sessions; this covers one begun in the same instant
        return Ended(SessionEnd.DEACTIVATED)
    for reason, limit in ((SessionEnd.EXPIRED, found.expires_at), (SessionEnd.IDLE, found.idle_expires_at)):
        if now >= limit:
            store.sessions.expire(found.id, reason, limit)
            return Ended(reason)
    if now - found.last_seen_at >= SEEN_EVERY:
        store.sessions.seen(found.id, now, idle_limit())
    return Signed(found.id, found.user)


def sign_out(store: Store, token: str | None, now: datetime) -> User | None:
    """End every session of the person `token` signs in (all tabs, all instances); returns who signed out."""
    signed = resolve(store, token, now)
    if not isinstance(signed, Signed):
        return None
    store.sessions.end_all(signed.user.id, SessionEnd.SIGNED_OUT, signed.user.actor, now)
    return signed.user


def open_count(store: Store, user_id: UserId, now: datetime) -> int:
    return store.sessions.open_count(user_id, now)


def end_for(store: Store, user_id: UserId, actor: Actor | None, now: datetime) -> int:
    """A manager's "end this person's sessions"; returns how many were open."""
    return store.sessions.end_all(user_id, SessionEnd.ENDED_BY_MANAGER, actor, now)


def sign_out_proof(token: str) -> str:
    """The sign-out form's CSRF field: derived from the session token, which no other site can read."""
    return hmac.new(token.encode("utf-8", "surrogatepass"), b"sign-out", hashlib.sha256).hexdigest()


def proof_matches(token: str | None, proof: str | None) -> bool:
    return bool(token and proof) and hmac.compare_digest(sign_out_proof(token or ""), proof or "")
