"""Server-side sessions on the injected clock: lifetimes, what ends every session of a person, and two instances
on one database. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from modules import auth, sessions, settings
from modules.core.errors import PermissionDenied
from modules.core.types import Role, SessionEnd
from modules.store import Store

PASSWORD = "correct horse battery"


@pytest.fixture
def people(store):
    def make(username: str, role: Role):
        return store.accounts.get(auth.create_user(store, username, username.title(), role, PASSWORD))

    return {"manager": make("maya", Role.MANAGER), "technician": make("tess", Role.TECHNICIAN),
            "other": make("otto", Role.TECHNICIAN)}


def test_a_token_signs_its_person_in_and_the_store_keeps_only_its_hash(store, people, raw_db):
    token = sessions.begin(store, people["technician"], store.clock())
    signed = sessions.resolve(store, token, store.clock())
    assert isinstance(signed, sessions.Signed) and signed.user.username == "tess"
    with raw_db.connect() as conn:
        kept = conn.execute(text("SELECT token_hash FROM sessions")).scalars().all()
    assert kept == [sessions.token_hash(token)] and token not in kept[0]
    assert sessions.resolve(store, token + "x", store.clock()) == sessions.Ended(None)
    assert sessions.resolve(store, None, store.clock()) == sessions.Ended(None)


def test_activity_keeps_a_session_open_and_30_idle_minutes_end_it(store, people, clock):
    token = sessions.begin(store, people["technician"], clock())
    for _ in range(9):  # three hours of a click every 20 minutes
        clock.advance(minutes=20)
        assert isinstance(sessions.resolve(store, token, clock()), sessions.Signed)
    clock.advance(minutes=29)
    assert isinstance(sessions.resolve(store, token, clock()), sessions.Signed)
    clock.advance(minutes=30)
    assert sessions.resolve(store, token, clock()) == sessions.Ended(SessionEnd.IDLE)
    clock.advance(minutes=1)  # and it stays ended, with its reason, for every later look
    ended = store.sessions.find(sessions.token_hash(token))
    assert ended.end_reason is SessionEnd.IDLE and ended.ended_at == ended.idle_expires_at
    assert sessions.resolve(store, token, clock()).message == "You were signed out after 30 minutes without activity."


def test_a_session_ends_12_hours_after_sign_in_however_active(store, people, clock):
    start = clock()
    token = sessions.begin(store, people["technician"], start)
    while clock() < start + timedelta(hours=12) - timedelta(minutes=10):
        clock.advance(minutes=10)
        assert isinstance(sessions.resolve(store, token, clock()), sessions.Signed)
    clock.advance(minutes=10)
    assert sessions.resolve(store, token, clock()) == sessions.Ended(SessionEnd.EXPIRED)


def test_the_lifetimes_come_from_the_settings(store, people, clock, monkeypatch):
    monkeypatch.setenv("TRAINING_SESSION_IDLE_MINUTES", "5")
    settings.reload()
    try:
        token = sessions.begin(store, people["technician"], clock())
        clock.advance(minutes=5)
        assert sessions.resolve(store, token, clock()).message == \
            "You were signed out after 5 minutes without activity."
    finally:
        monkeypatch.delenv("TRAINING_SESSION_IDLE_MINUTES")
        settings.reload()


def test_sign_out_ends_every_session_of_that_person_only(store, people, clock):
    tess, otto = people["technician"], people["other"]
    phone, desk, others = (sessions.begin(store, person, clock()) for person in (tess, tess, otto))
    assert sessions.sign_out(store, desk, clock()) == tess
    assert sessions.resolve(store, phone, clock()) == sessions.Ended(SessionEnd.SIGNED_OUT)
    assert sessions.resolve(store, desk, clock()) == sessions.Ended(SessionEnd.SIGNED_OUT)
    assert isinstance(sessions.resolve(store, others, clock()), sessions.Signed)
    assert sessions.sign_out(store, desk, clock()) is None  # signing out twice is harmless
    entry = store.audit.rows(people["manager"].actor, action="sessions_ended")[0]
    assert entry.actor_username == "tess" and entry.detail == '{"reason":"signed_out","sessions":2}'


@pytest.mark.parametrize("change, reason", [
    ("password reset", SessionEnd.PASSWORD_CHANGED),
    ("own password change", SessionEnd.PASSWORD_CHANGED),
    ("deactivation", SessionEnd.DEACTIVATED),
    ("manager ends them", SessionEnd.ENDED_BY_MANAGER),
])
def test_these_changes_end_every_session_of_the_person(store, people, clock, change, reason):
    tess, maya = people["technician"], people["manager"]
    tokens = [sessions.begin(store, tess, clock()) for _ in range(2)]
    managers = sessions.begin(store, maya, clock())
    if change == "password reset":
        auth.set_password(store, tess.id, "a fresh temporary phrase", maya.actor, must_change_password=True)
    elif change == "own password change":
        auth.change_password(store, tess.id, PASSWORD, "my own new phrase", "my own new phrase")
    elif change == "deactivation":
        store.accounts.set_active(tess.id, False, maya.actor)
    else:
        assert sessions.end_for(store, tess.id, maya.actor, clock()) == 2
    assert [sessions.resolve(store, token, clock()) for token in tokens] == [sessions.Ended(reason)] * 2
    assert isinstance(sessions.resolve(store, managers, clock()), sessions.Signed)
    assert sessions.open_count(store, tess.id, clock()) == 0


def test_a_role_change_keeps_the_session_and_shows_at_once(store, people, clock):
    token = sessions.begin(store, people["technician"], clock())
    store.accounts.set_role(people["technician"].id, Role.TRAINER, people["manager"].actor)
    assert sessions.resolve(store, token, clock()).user.role is Role.TRAINER


def test_only_a_manager_ends_someone_elses_sessions(store, people, clock):
    sessions.begin(store, people["other"], clock())
    with pytest.raises(PermissionDenied):
        sessions.end_for(store, people["other"].id, people["technician"].actor, clock())
    assert sessions.open_count(store, people["other"].id, clock()) == 1


def test_the_sign_out_proof_belongs_to_one_session(store, people, clock):
    first, second = (sessions.begin(store, people["technician"], clock()) for _ in range(2))
    assert sessions.proof_matches(first, sessions.sign_out_proof(first))
    assert not sessions.proof_matches(first, sessions.sign_out_proof(second))
    assert not sessions.proof_matches(first, "") and not sessions.proof_matches(None, sessions.sign_out_proof(first))


def test_two_instances_on_one_database_share_every_session(db_url, store, people, clock):
    other_instance = Store.open(db_url, clock=clock, audit_key=settings.audit_key())
    try:
        token = sessions.begin(store, people["technician"], clock())
        assert sessions.resolve(other_instance, token, clock()).user.username == "tess"
        sessions.sign_out(other_instance, token, clock())
        assert sessions.resolve(store, token, clock()) == sessions.Ended(SessionEnd.SIGNED_OUT)
    finally:
        other_instance.close()
