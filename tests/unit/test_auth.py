"""Accounts: strong hashing, sensible password rules, lockout, and sign-in that tells an outsider nothing."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import text

from modules import auth
from modules.auth import AccountLocked, check_password_rules, sign_in
from modules.core.errors import AuthError, PermissionDenied
from modules.core.types import Role
from modules.store import Store

PASSWORD = "a long clinic passphrase"


def test_hash_is_argon2id_and_verifies():
    hashed = auth.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert auth.verify_password(hashed, PASSWORD) and not auth.verify_password(hashed, PASSWORD + "!")
    assert not auth.needs_rehash(hashed)
    assert auth.needs_rehash(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD))



def test_production_hashes_at_full_argon2id_cost(cheap_password_hashing):
    # The suite hashes cheaply (tests/conftest.py); `auth` itself must default to argon2id's RFC 9106 cost.
    production = cheap_password_hashing
    assert (production.type, production.time_cost, production.memory_cost, production.parallelism) == (
        Type.ID, 3, 65536, 4)
    cheap = auth.hash_password(PASSWORD)
    previous = auth.use_hasher(production)
    try:
        hashed = auth.hash_password(PASSWORD)
        assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert auth.verify_password(hashed, PASSWORD) and not auth.needs_rehash(hashed)
        assert auth.needs_rehash(cheap)  # a test-cost hash would be upgraded at the next sign-in
    finally:
        auth.use_hasher(previous)

@pytest.mark.parametrize("password", ["short7!", "password123", "PassWord123", "qwertyuiop", "Iloveyou1"])
def test_weak_passwords_are_refused(password):
    assert check_password_rules(password)


@pytest.mark.parametrize("password", ["pinkflamingo", "12345 lemons", "correct horse battery staple", "ALLCAPSOK"])
def test_length_not_composition_makes_a_password_acceptable(password):
    assert check_password_rules(password) == []


def test_too_long_password_is_refused():
    assert check_password_rules("x" * (auth.MAX_LENGTH + 1))


def test_common_list_ships_and_is_lowercase():
    common = auth.common_passwords()
    assert len(common) >= 200 and all(word == word.lower() for word in common)


def test_account_with_weak_password_is_refused(store):
    with pytest.raises(AuthError, match="at least 8"):
        auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, "short")
    assert store.accounts.count() == 0


def test_first_manager_only_on_an_empty_database(store):
    assert auth.needs_first_manager(store)
    with pytest.raises(AuthError, match="do not match"):
        auth.create_first_manager(store, "Mia Manager", "mia", PASSWORD, PASSWORD + "x")
    user_id = auth.create_first_manager(store, "Mia Manager", "mia", PASSWORD, PASSWORD)
    assert store.accounts.get(user_id).role == Role.MANAGER
    assert not auth.needs_first_manager(store)
    with pytest.raises(AuthError, match="already exists"):
        auth.create_first_manager(store, "Eve", "eve", PASSWORD, PASSWORD)
    with pytest.raises(AuthError, match="already exists"):  # the store re-checks inside its transaction
        auth.create_user(store, "eve", "Eve", Role.MANAGER, PASSWORD, only_if_no_users=True)
    assert store.accounts.count() == 1


def test_sign_in_returns_the_user_and_is_audited(store):
    user_id = auth.create_user(store, "Tina", "Tina Tech", Role.TECHNICIAN, PASSWORD)
    user = sign_in(store, " tina ", PASSWORD)
    assert (user.id, user.username, user.role) == (user_id, "tina", Role.TECHNICIAN)
    manager = store.accounts.get(auth.create_user(store, "mia", "Mia", Role.MANAGER, PASSWORD)).actor
    assert [row.action for row in store.audit.rows(manager, target=f"user:{user_id}")] == ["sign_in", "user_created"]


def test_unknown_user_and_wrong_password_look_the_same(store, monkeypatch):
    auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    verified = []
    real_verify = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: verified.append(h) or real_verify(h, p))
    with pytest.raises(AuthError) as unknown:
        sign_in(store, "nobody", PASSWORD)
    with pytest.raises(AuthError) as wrong:
        sign_in(store, "tina", "not the password")
    assert type(unknown.value) is type(wrong.value) is AuthError
    assert str(unknown.value) == str(wrong.value) == "Wrong username or password."
    # the same argon2 work is done for both, so the answer time does not tell which usernames exist
    assert len(verified) == 2 and all(h.startswith("$argon2id$") for h in verified)


def test_deactivated_user_gets_the_generic_message(store):
    manager = store.accounts.get(auth.create_user(store, "mia", "Mia", Role.MANAGER, PASSWORD)).actor
    tina = auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    store.accounts.set_active(tina, False, manager)
    with pytest.raises(AuthError, match="^Wrong username or password.$"):
        sign_in(store, "tina", PASSWORD)
    assert store.audit.rows(manager, action="sign_in_refused_inactive")


def test_five_failures_lock_for_fifteen_minutes(store, clock):
    manager = store.accounts.get(auth.create_user(store, "mia", "Mia", Role.MANAGER, PASSWORD)).actor
    tina = auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    for _ in range(4):
        with pytest.raises(AuthError, match="Wrong username"):
            sign_in(store, "tina", "not the password")
    with pytest.raises(AccountLocked):
        sign_in(store, "tina", "not the password")
    clock.advance(minutes=1)
    with pytest.raises(AccountLocked, match="14 minutes") as locked:
        sign_in(store, "tina", PASSWORD)  # the right password does not open a locked account
    assert locked.value.minutes == 14
    clock.advance(minutes=13, seconds=30)
    with pytest.raises(AccountLocked, match="1 minute"):
        sign_in(store, "tina", PASSWORD)
    clock.advance(seconds=31)
    assert sign_in(store, "tina", PASSWORD).id == tina
    actions = [row.action for row in store.audit.rows(manager, target=f"user:{tina}")]
    assert actions.count("sign_in_failed") == 5 and actions.count("account_locked") == 1
    assert actions.count("sign_in_refused_locked") == 2 and actions[0] == "sign_in"


def test_success_resets_the_failure_count(store):
    auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    for _ in range(4):
        with pytest.raises(AuthError):
            sign_in(store, "tina", "not the password")
    sign_in(store, "tina", PASSWORD)
    for _ in range(4):
        with pytest.raises(AuthError, match="Wrong username"):
            sign_in(store, "tina", "not the password")


def test_lockout_survives_a_restart(db_url, clock):
    first = Store.open(db_url, clock=clock)
    auth.create_user(first, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    for _ in range(5):
        with pytest.raises(AuthError):
            sign_in(first, "tina", "not the password")
    first.close()
    again = Store.open(db_url, clock=clock)
    try:
        with pytest.raises(AccountLocked):
            sign_in(again, "tina", PASSWORD)
    finally:
        again.close()


def test_old_hash_is_upgraded_on_sign_in(store, raw_db):
    tina = auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with raw_db.begin() as conn:  # users is not history: an old deployment's hash is simply there
        conn.execute(text("UPDATE users SET password_hash = :h WHERE id = :id"), {"h": weak, "id": tina})
    sign_in(store, "tina", PASSWORD)
    _, stored = store.accounts.credentials("tina")
    assert stored != weak and not auth.needs_rehash(stored) and auth.verify_password(stored, PASSWORD)


def test_change_password(store):
    tina = auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD, must_change_password=True)
    assert store.accounts.get(tina).must_change_password
    with pytest.raises(AuthError, match="current password is wrong"):
        auth.change_password(store, tina, "wrong guess", "a brand new phrase", "a brand new phrase")
    with pytest.raises(AuthError, match="do not match"):
        auth.change_password(store, tina, PASSWORD, "a brand new phrase", "a brand new phrasE")
    with pytest.raises(AuthError, match="common"):
        auth.change_password(store, tina, PASSWORD, "password123", "password123")
    auth.change_password(store, tina, PASSWORD, "a brand new phrase", "a brand new phrase")
    assert not store.accounts.get(tina).must_change_password
    assert sign_in(store, "tina", "a brand new phrase").id == tina
    with pytest.raises(AuthError, match="Wrong username"):
        sign_in(store, "tina", PASSWORD)


def test_manager_reset_forces_a_change_and_others_may_not_reset(store):
    manager = store.accounts.get(auth.create_user(store, "mia", "Mia", Role.MANAGER, PASSWORD)).actor
    tina = store.accounts.get(auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)).actor
    tom = auth.create_user(store, "tom", "Tom", Role.TECHNICIAN, PASSWORD)
    with pytest.raises(PermissionDenied):
        auth.set_password(store, tom, "someone elses phrase", actor=tina)
    auth.set_password(store, tom, "temporary phrase 42", actor=manager, must_change_password=True)
    assert sign_in(store, "tom", "temporary phrase 42").must_change_password
    assert store.audit.rows(manager, action="password_changed")[0].actor_username == "mia"
