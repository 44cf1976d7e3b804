"""Accounts' optional e-mail address (issue #16): checked and lower-cased when given, set by the person or a manager
and audited, and imported from the optional `email` column of an accounts file, where a bad one rejects the file."""

from __future__ import annotations

import json

import pytest

from modules import audit_words, auth, register
from modules.core.errors import AuthError, ImportRejected, PermissionDenied
from modules.core.types import Role

PASSWORD = "correct horse battery"


def person(store, username, name, role=Role.TECHNICIAN, email=None):
    return store.accounts.get(auth.create_user(store, username, name, role, PASSWORD, "North", email=email))


@pytest.fixture
def manager(store):
    return person(store, "mia", "Mia Manager", Role.MANAGER)


@pytest.mark.parametrize(("typed", "stored"), [
    ("Tess.Ten@Clinic.Example", "tess.ten@clinic.example"),
    ("  tess+training@mail.clinic.example ", "tess+training@mail.clinic.example"),
    ("", None),
    ("   ", None),
    (None, None),
])
def test_an_address_is_trimmed_and_lower_cased_and_blank_means_none(typed, stored):
    assert auth.checked_email(typed) == stored


@pytest.mark.parametrize("typed", [
    "tess", "tess@clinic", "@clinic.example", "tess@@clinic.example", "tess@clinic..example", "tess@.clinic.example",
    "tess@clinic.example.", "Tess Ten <tess@clinic.example>", "tess ten@clinic.example",
    "tess@clinic.example, boss@clinic.example", "tess@clinic.example\nBcc: everyone@clinic.example",
])
def test_a_bad_address_is_refused_with_a_clear_message(typed):
    with pytest.raises(AuthError, match="is not an e-mail address. Write it as name@clinic.example"):
        auth.checked_email(typed)


def test_an_address_longer_than_smtp_carries_is_refused():
    with pytest.raises(AuthError, match="at most 254 characters"):
        auth.checked_email("t" * 250 + "@clinic.example")


def test_a_new_account_keeps_its_address_and_a_bad_one_creates_nothing(store, manager):
    tess = person(store, "tess", "Tess Ten", email="Tess@Clinic.Example")
    assert store.accounts.get(tess.id).email == "tess@clinic.example"
    assert person(store, "sam", "Sam Lee").email is None
    with pytest.raises(AuthError, match="is not an e-mail address"):
        auth.create_user(store, "bad", "Bad Address", Role.TECHNICIAN, PASSWORD, email="bad@", actor=manager.actor)
    assert store.accounts.find("bad") is None


def test_a_person_sets_their_own_address_and_a_manager_anyones_each_audited(store, manager):
    tess = person(store, "tess", "Tess Ten")
    assert auth.set_email(store, tess.id, "Tess@Clinic.Example", tess.actor) == "tess@clinic.example"
    auth.set_email(store, tess.id, "tess.ten@clinic.example", manager.actor)
    assert store.accounts.get(tess.id).email == "tess.ten@clinic.example"
    auth.set_email(store, tess.id, "  ", tess.actor)
    assert store.accounts.get(tess.id).email is None

    rows = sorted(store.audit.rows(manager.actor, action="email_changed"), key=lambda row: row.id)
    assert [(row.actor_id, row.target, json.loads(row.detail)) for row in rows] == [
        (tess.id, f"user:{tess.id}", {"email": "tess@clinic.example"}),
        (manager.id, f"user:{tess.id}", {"email": "tess.ten@clinic.example"}),
        (tess.id, f"user:{tess.id}", {"email": None}),
    ]
    names = audit_words.account_names(store.accounts.list_users())
    assert [audit_words.in_words(row, names, "UTC").sentence for row in rows] == [
        "Tess Ten (tess) set their own e-mail address to tess@clinic.example.",
        "Set the e-mail address of Tess Ten (tess) to tess.ten@clinic.example.",
        "Tess Ten (tess) cleared their own e-mail address.",
    ]


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.TRAINER])
def test_nobody_but_a_manager_changes_another_person_s_address(store, manager, role):
    tess = person(store, "tess", "Tess Ten", email="tess@clinic.example")
    other = person(store, "other", "Other Person", role)
    with pytest.raises(PermissionDenied, match="Only a manager may change another person's e-mail address"):
        auth.set_email(store, tess.id, "other@clinic.example", other.actor)
    assert store.accounts.get(tess.id).email == "tess@clinic.example"
    assert store.audit.rows(manager.actor, action="email_changed") == []


def test_a_bad_address_changes_nothing(store, manager):
    tess = person(store, "tess", "Tess Ten", email="tess@clinic.example")
    with pytest.raises(AuthError, match="is not an e-mail address"):
        auth.set_email(store, tess.id, "tess at clinic", tess.actor)
    assert store.accounts.get(tess.id).email == "tess@clinic.example"


# ---- the accounts file's optional email column ---------------------------------------------------------------


def test_an_import_with_an_email_column_keeps_each_address(store, manager):
    data = (b"username,full_name,role,location,email\nann,Ann Able,technician,North,Ann@Clinic.Example\n"
            b"bob,Bob Brown,technician,South,\n")
    made = register.import_users(store, manager.actor, data)
    assert [(account.username, account.email) for account in made] == [("ann", "ann@clinic.example"), ("bob", None)]
    assert store.accounts.find("ann").email == "ann@clinic.example" and store.accounts.find("bob").email is None


def test_an_import_without_an_email_column_still_works(store, manager):
    made = register.import_users(store, manager.actor, b"username,full_name,role,location\nann,Ann,technician,\n")
    assert [(account.username, account.email) for account in made] == [("ann", None)]


def test_a_bad_address_rejects_the_whole_import_with_its_line(store, manager):
    data = (b"email,username,full_name,role,location\nann@clinic.example,ann,Ann Able,technician,North\n"
            b"bob at clinic,bob,Bob Brown,technician,South\n")
    with pytest.raises(ImportRejected) as rejected:
        register.import_users(store, manager.actor, data)
    assert rejected.value.problems == [
        "line 3: 'bob at clinic' is not an e-mail address. Write it as name@clinic.example: one @, and a dot in the "
        "part after it."]
    assert store.accounts.find("ann") is None and store.accounts.find("bob") is None
    [entry] = store.audit.rows(manager.actor, action="import_rejected")
    assert "line 3" in entry.detail
