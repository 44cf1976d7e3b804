"""Accounts: strong hashing, sensible password rules, lockout, and sign-in that tells an outsider nothing."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import text

from modules import auth
from modules.auth import check_password_rules, sign_in
from modules.core.errors import AuthError, PermissionDenied
from modules.core.types import Role

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
    assert len(common) >= 10_000 and all(word == word.lower() for word in common)
    header = auth.COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").split("\n", 12)[:12]
    assert any("Source:" in line for line in header) and any("Licence:" in line for line in header)


@pytest.mark.parametrize("password", [" " * 12, "a b c d e f g", "\t\t\t\t\t\t\t\t\t"])
def test_spaces_do_not_count_towards_the_length(password):
    assert any("at least 8" in problem for problem in check_password_rules(password))


@pytest.mark.parametrize("password", ["Microdermabrasion", "my microdermabrasion notes", "CytoPen rocks 2026",
                                      "notmypassword!", "PASSWORD for work"])
def test_passwords_with_words_of_this_service_are_refused(password):
    assert any("about this" in problem for problem in check_password_rules(password))


def test_the_clinic_name_is_a_context_word(monkeypatch):
    monkeypatch.setenv("TRAINING_CLINIC_NAME", "Glow Skin Studio")
    assert check_password_rules("my glow skin studio login")
    assert check_password_rules("glowskinstudio2026")
    assert check_password_rules("pinkflamingo") == []


@pytest.mark.parametrize("password", ["tina.harper", "Tina.Harper", "I am tina.harper!"])
def test_a_password_equal_to_or_containing_the_username_is_refused(store, password):
    assert any("username" in problem for problem in check_password_rules(password, username="tina.harper"))
    with pytest.raises(AuthError, match="username"):
        auth.create_user(store, "tina.harper", "Tina Harper", Role.TECHNICIAN, password)
    tom = auth.create_user(store, "tom.reed", "Tom Reed", Role.TECHNICIAN, PASSWORD)
    with pytest.raises(AuthError, match="username"):
        auth.set_password(store, tom, f"tom.reed {password}", actor=None)


@pytest.mark.parametrize(("full_name", "location", "problem"), [
    ("x" * 201, None, "200"), ("Tina", "y" * 201, "200"), ("Tina\x00Harper", None, "control"),
    ("Tina", "North\x00", "control"), ("Tina\x1b[31m", None, "control"), ("Tina\nHarper", None, "control")])
def test_names_and_locations_are_bounded_and_printable(full_name, location, problem):
    with pytest.raises(AuthError, match=problem):
        auth.new_account("tina", full_name, Role.TECHNICIAN, "hash", location)


def test_names_of_200_characters_are_accepted():
    account = auth.new_account("tina", "x" * 200, Role.TECHNICIAN, "hash", "y" * 200)
    assert (len(account.full_name), len(account.location or "")) == (200, 200)


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
    assert str(unknown.value) == str(wrong.value) == auth.GENERIC_REFUSAL
    # the same argon2 work is done for both, so the answer time does not tell which usernames exist
    assert len(verified) == 2 and all(h.startswith("$argon2id$") for h in verified)


def test_deactivated_user_gets_the_generic_message(store):
    manager = store.accounts.get(auth.create_user(store, "mia", "Mia", Role.MANAGER, PASSWORD)).actor
    tina = auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    store.accounts.set_active(tina, False, manager)
    with pytest.raises(AuthError, match=f"^{auth.GENERIC_REFUSAL}$"):
        sign_in(store, "tina", PASSWORD)
    assert store.audit.rows(manager, action="sign_in_refused_inactive")


ATTACKER, USER_DESK = "203.0.113.9", "198.51.100.7"  # documentation addresses (RFC 5737)


def fail(store, username, times, address=ATTACKER, password="not the password"):
    for _ in range(times):
        with pytest.raises(AuthError, match=f"^{auth.GENERIC_REFUSAL}$"):
            sign_in(store, username, password, address=address)


def count_verifies(monkeypatch):
    verified = []
    real_verify = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: verified.append(h) or real_verify(h, p))
    return verified


def test_every_refusal_reads_the_same_for_real_and_unknown_accounts(store):
    auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    answers = set()
    for username in ("tina", "nobody"):
        for attempt in range(12):  # past the account's pause and the address's limit
            with pytest.raises(AuthError) as refused:
                sign_in(store, username, "not the password", address=f"192.0.2.{attempt}")
            answers.add((type(refused.value), str(refused.value)))
        for _ in range(12):
            with pytest.raises(AuthError) as refused:
                sign_in(store, username, "not the password", address=ATTACKER)
            answers.add((type(refused.value), str(refused.value)))
    assert answers == {(AuthError, auth.GENERIC_REFUSAL)}
    assert "locked" not in auth.GENERIC_REFUSAL


def test_a_failing_address_is_refused_without_hashing_for_a_while(store, clock, monkeypatch):
    tina = auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    fail(store, "nobody", auth.ADDRESS_LIMIT)
    verified = count_verifies(monkeypatch)
    with pytest.raises(AuthError, match=f"^{auth.GENERIC_REFUSAL}$"):
        sign_in(store, "tina", PASSWORD, address=ATTACKER)  # even the right password, and no argon2 work spent
    assert verified == []
    assert sign_in(store, "tina", PASSWORD, address=USER_DESK).id == tina  # other addresses are not affected
    clock.advance(minutes=auth.ADDRESS_WINDOW.total_seconds() / 60, seconds=1)
    assert sign_in(store, "tina", PASSWORD, address=ATTACKER).id == tina


def test_the_account_pause_is_short_and_refuses_only_failing_addresses(store, clock):
    tina = auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    fail(store, "tina", auth.MAX_FAILURES)
    assert store.accounts.locked_until(tina) == clock() + auth.ACCOUNT_PAUSE  # kept in the database
    with pytest.raises(AuthError, match=f"^{auth.GENERIC_REFUSAL}$"):
        sign_in(store, "tina", PASSWORD, address=ATTACKER)
    clock.advance(seconds=auth.ACCOUNT_PAUSE.total_seconds() + 1)
    assert sign_in(store, "tina", PASSWORD, address=ATTACKER).id == tina  # seconds, not 15 minutes


def test_an_attacker_cannot_keep_a_known_user_out(store, clock):
    manager = store.accounts.get(auth.create_user(store, "mia", "Mia", Role.MANAGER, PASSWORD)).actor
    for minute in range(60):  # an hour of guessing from one address, and from a new address each minute
        fail(store, "mia", 3, address=ATTACKER)
        fail(store, "mia", 2, address=f"192.0.2.{minute}")
        assert sign_in(store, "mia", PASSWORD, address=USER_DESK).id == manager.user_id
        clock.advance(minutes=1)
    assert "account_locked" in {row.action for row in store.audit.rows(manager, target=f"user:{manager.user_id}")}


def test_ipv6_addresses_are_throttled_by_their_64_bit_network(store):
    auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    for host in range(auth.ADDRESS_LIMIT):
        fail(store, "nobody", 1, address=f"2001:db8:1:2::{host + 1:x}")
    with pytest.raises(AuthError):
        sign_in(store, "tina", PASSWORD, address="2001:db8:1:2:ffff::1")
    assert sign_in(store, "tina", PASSWORD, address="2001:db8:1:3::1").username == "tina"


def test_success_resets_the_failure_count(store):
    auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    fail(store, "tina", auth.MAX_FAILURES - 1, address=USER_DESK)
    sign_in(store, "tina", PASSWORD, address=USER_DESK)
    assert store.accounts.locked_until(store.accounts.find("tina").id) is None


def test_concurrent_password_hashing_is_capped(store):
    auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    running, most = [0], [0]
    guard = threading.Lock()

    class SlowHasher(PasswordHasher):
        def verify(self, hash, password):
            with guard:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.05)
            with guard:
                running[0] -= 1
            return super().verify(hash, password)

    previous = auth.use_hasher(SlowHasher(time_cost=1, memory_cost=64, parallelism=1))
    try:
        def attempt(i):
            with contextlib.suppress(AuthError):
                sign_in(store, "tina" if i % 2 else f"nobody{i}", "not the password", address=f"192.0.2.{i}")
        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        auth.use_hasher(previous)
    assert 1 <= most[0] <= auth.HASHING_SLOTS


def test_a_sign_in_that_cannot_get_a_hashing_slot_gets_the_generic_refusal(store, monkeypatch):
    auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    monkeypatch.setattr(auth, "HASHING_WAIT", 0.01)
    taken = [auth._hashing_slots.acquire() for _ in range(auth.HASHING_SLOTS)]
    try:
        with pytest.raises(AuthError, match=f"^{auth.GENERIC_REFUSAL}$"):
            sign_in(store, "tina", PASSWORD, address=USER_DESK)
    finally:
        for _ in taken:
            auth._hashing_slots.release()
    assert sign_in(store, "tina", PASSWORD, address=USER_DESK).username == "tina"


def test_text_typed_as_an_unknown_username_is_never_stored(store):
    manager = store.accounts.get(auth.create_user(store, "mia", "Mia", Role.MANAGER, PASSWORD)).actor
    typed = "My Secret Passphrase 42"  # someone typed their password into the username box
    for _ in range(2):
        with pytest.raises(AuthError):
            sign_in(store, typed, "anything at all", address=USER_DESK)
    rows = store.audit.rows(manager, action="sign_in_failed")
    assert len(rows) == 2
    for row in rows:
        stored = f"{row.actor_username} {row.target} {row.detail}".lower()
        assert "secret" not in stored and "passphrase" not in stored
        assert f"{len(typed.strip())} characters" in row.detail
    assert rows[0].target == rows[1].target  # the same text gives the same digest, so repeated tries show


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
    with pytest.raises(AuthError, match="^Wrong username or password"):
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
