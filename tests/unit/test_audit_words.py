"""The audit log in words: a sentence per action, names for ids, and nothing left as raw JSON."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from modules import audit_words, auth, sessions
from modules.audit_words import account_names, action_label, in_words
from modules.core.errors import LastManagerError, PermissionDenied
from modules.core.records import AuditRow, User
from modules.core.types import Role, UserId

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
MAYA, TESS, OLD = UserId(1), UserId(2), UserId(3)
NAMES = account_names([
    User(MAYA, "maya", "Maya Manager", Role.MANAGER, "North", True, False, AT),
    User(TESS, "tess", "Tess Technician", Role.TECHNICIAN, "North", True, False, AT),
    User(OLD, "olga", "Olga Left", Role.TECHNICIAN, None, False, False, AT),
])


def row(action: str, target: str, detail: object = "", actor_id: UserId | None = MAYA,
        actor_username: str = "maya") -> AuditRow:
    text = detail if isinstance(detail, str) else json.dumps(detail)
    return AuditRow(7, AT, actor_id, actor_username, action, target, text)


def words(action: str, target: str, detail: object = "", **actor: object) -> audit_words.AuditLine:
    return in_words(row(action, target, detail, **actor), NAMES, "Europe/London")  # type: ignore[arg-type]


SENTENCES = [
    ("sign_in", "user:1", "", "Signed in."),
    ("sign_in", "user:1", "password rehashed with current parameters",
     "Signed in. Password rehashed with current parameters."),
    ("sign_in_failed", "user:2", "wrong password (3 in a row)",
     "Sign-in refused for Tess Technician (tess): wrong password (3 in a row)."),
    ("sign_in_failed", "username:#ab12cd", "unknown username (5 characters)",
     "Sign-in refused: unknown username (5 characters); its fingerprint is #ab12cd."),
    ("account_locked", "user:2", "until 2026-03-02T09:45:00+00:00",
     "Sign-in for Tess Technician (tess) paused after repeated wrong passwords, until 02 Mar 2026 09:45 "
     "(Europe/London)."),
    ("sign_in_refused_paused", "user:2", "paused until 2026-07-01T10:00:00+00:00; 4 recent failures from local",
     "Sign-in refused for Tess Technician (tess): the account is paused until 01 Jul 2026 11:00 (Europe/London); "
     "4 recent failures from local."),
    ("sign_in_refused_inactive", "user:3", "account deactivated",
     "Sign-in refused for Olga Left (olga, deactivated): the account is deactivated."),
    ("sign_in_address_throttled", "address:10.0.0.9", "20 failed sign-ins within 0:15:00",
     "Sign-ins from address 10.0.0.9 paused: 20 failed sign-ins within 0:15:00."),
    ("user_created", "user:2", {"username": "tess", "role": "technician", "location": "North"},
     "Created the account of Tess Technician (tess) as a technician at North."),
    ("user_created", "user:2", {"username": "tess", "role": "technician", "location": None, "via": "csv import"},
     "Created the account of Tess Technician (tess) as a technician, by a CSV import."),
    ("user_activated", "user:3", {"active": True}, "Reactivated the account of Olga Left (olga, deactivated)."),
    ("user_deactivated", "user:3", {"active": False, "sessions_ended": 2},
     "Deactivated the account of Olga Left (olga, deactivated); their records are kept. 2 open session(s) ended."),
    ("role_changed", "user:2", {"role": "trainer"}, "Changed the role of Tess Technician (tess) to trainer."),
    ("location_changed", "user:2", {"location": "South"}, "Moved Tess Technician (tess) to South."),
    ("location_changed", "user:2", {"location": None}, "Cleared the location of Tess Technician (tess)."),
    ("email_changed", "user:2", {"email": "tess@clinic.example"},
     "Set the e-mail address of Tess Technician (tess) to tess@clinic.example."),
    ("email_changed", "user:2", {"email": None}, "Cleared the e-mail address of Tess Technician (tess)."),
    ("password_changed", "user:2", {"must_change_password": True, "sessions_ended": 1},
     "Reset the password of Tess Technician (tess) to a one-time password, to be changed at the next sign-in. "
     "1 open session(s) ended."),
    ("sessions_ended", "user:2", {"reason": "ended_by_manager", "sessions": 2},
     "Ended 2 session(s) of Tess Technician (tess): ended by a manager."),
    ("clinic_setting_changed", "clinic:clinic_name", {"value": "Glow Skin"},
     'Set the clinic\'s name to "Glow Skin".'),
    ("certificate_issued", "certificate:MDA-7K2Q", {"user_id": 2, "attempt_id": 15},
     "Issued certificate MDA-7K2Q to Tess Technician (tess) for exam attempt 15."),
    ("certificate_revoked", "certificate:MDA-7K2Q", "issued in error",
     "Revoked certificate MDA-7K2Q. Reason: issued in error."),
    ("certificate_repaired", "attempt:15", "issued for a passed exam that had none",
     "Issued the missing certificate of the passed exam attempt 15."),
    ("export", "register:csv", {"rows": 12, "filters": {"location": "North", "status": ""}},
     "Exported the certification register as CSV: 12 row(s) (filters: location: North)."),
    ("export", "certificates:zip", {"certificates": 3, "codes": ["A", "B", "C"]},
     "Exported 3 certificate PDF(s) as a ZIP file."),
    ("export", "one-time-passwords:pdf", {"accounts": 4},
     "Downloaded a one-time password sheet (PDF) for 4 account(s)."),
    ("practical_signed_off", "user:2", {"signoff_id": 4, "treated_on": "2026-02-27"},
     "Recorded a practical treatment of Tess Technician (tess) on 27 Feb 2026 as competent (sign-off 4)."),
    ("practical_not_yet_competent", "user:2", {"signoff_id": 5, "treated_on": "2026-02-28"},
     "Recorded a practical treatment of Tess Technician (tess) on 28 Feb 2026 as not yet competent (sign-off 5)."),
    ("signoff_refused", "user:2", {"reason": "wrong password"},
     "Practical sign-off of Tess Technician (tess) refused: wrong password. Nothing was recorded."),
    ("import_rejected", "accounts", {"reason": "line 3: unknown role 'chef'", "rows": 40},
     "Account import refused: line 3: unknown role 'chef'. The file had 40 row(s); nothing was imported."),
    ("last_manager_refused", "user:1", {"refused": "user_deactivated", "active": False},
     "Refused to deactivate Maya Manager (maya): they are the last active manager. Nothing was changed."),
    ("last_manager_refused", "user:1", {"refused": "role_changed", "role": "trainer"},
     "Refused to change the role of Maya Manager (maya) to trainer: they are the last active manager. "
     "Nothing was changed."),
    ("reminder_sent", "certificate:MDA-7K2Q", {"window_days": 30, "user_id": 2, "to": "manager"},
     "Sent the expiry reminder for certificate MDA-7K2Q of Tess Technician (tess) (expires within 30 days) "
     "to the manager."),
    ("reminder_sent", "certificate:MDA-7K2Q",
     {"window_days": 30, "user_id": 2, "to": "holder", "address": "tess@clinic.example"},
     "Sent the expiry reminder for certificate MDA-7K2Q of Tess Technician (tess) (expires within 30 days) "
     "to them at tess@clinic.example."),
    ("sealed", "attempt_results:15", {"digest": "0123456789abcdef0123"},
     "Sealed the result of attempt 15 into the log's chain (digest 0123456789ab...)."),
]


@pytest.mark.parametrize(("action", "target", "detail", "sentence"), SENTENCES)
def test_each_action_reads_as_a_sentence(action, target, detail, sentence):
    line = words(action, target, detail)
    assert line.sentence == sentence
    assert "{" not in line.sentence and "user:" not in line.sentence


def test_a_password_changed_by_its_owner_says_so():
    line = words("password_changed", "user:2", {"must_change_password": False, "sessions_ended": 1},
                 actor_id=TESS, actor_username="tess")
    assert line.sentence == "Tess Technician (tess) changed their own password. 1 open session(s) ended."
    assert line.who == "Tess Technician (tess)"


def test_a_sign_out_says_who_signed_out():
    line = words("sessions_ended", "user:2", {"reason": "signed_out", "sessions": 1}, actor_id=TESS)
    assert line.sentence == "Tess Technician (tess) signed out (1 session(s) ended)."


def test_names_replace_ids_for_the_actor_and_the_target_deactivated_accounts_included():
    line = words("role_changed", "user:3", {"role": "trainer"})
    assert (line.who, line.about) == ("Maya Manager (maya)", "Olga Left (olga, deactivated)")


def test_a_certificate_is_named_with_its_holder_once_the_holder_is_known():
    holders = {"MDA-7K2Q": TESS}
    revoked = in_words(row("certificate_revoked", "certificate:MDA-7K2Q", "issued in error"), NAMES, "UTC", holders)
    assert revoked.sentence == "Revoked certificate MDA-7K2Q of Tess Technician (tess). Reason: issued in error."
    assert revoked.about == "certificate MDA-7K2Q"  # the column stays narrow enough for the sentence beside it
    # A sentence that already names the holder does not name them twice.
    issued = in_words(row("certificate_issued", "certificate:MDA-7K2Q", {"user_id": 2, "attempt_id": 15}), NAMES,
                      "UTC", holders)
    assert issued.sentence == "Issued certificate MDA-7K2Q to Tess Technician (tess) for exam attempt 15."
    # A code with no known holder reads as before.
    unknown = in_words(row("certificate_revoked", "certificate:ZZZ-0000", "typo"), NAMES, "UTC", holders)
    assert unknown.sentence == "Revoked certificate ZZZ-0000. Reason: typo."


def test_the_store_finds_each_certificates_holder_in_any_number_of_codes(store):
    mia = store.accounts.get(auth.create_user(store, "mia", "Mia Manager", Role.MANAGER, "correct horse battery"))
    tess = store.accounts.get(auth.create_user(store, "tess", "Tess T", Role.TECHNICIAN, "correct horse battery"))
    until = store.clock() + timedelta(days=365)
    first = store.certificates.issue(tess.id, None, "Technician", 0.9, until).code
    second = store.certificates.issue(mia.id, None, "Technician", 0.9, until).code
    unknown = [f"NO-{n:05d}" for n in range(1_200)]  # more codes than one read takes, as in a chain's export
    rows = [AuditRow(n, AT, mia.id, "mia", "certificate_revoked", f"certificate:{code}", "")
            for n, code in enumerate([*unknown, first, second])]
    assert store.certificates.holders(mia.actor, audit_words.certificate_codes(rows)) == {first: tess.id,
                                                                                         second: mia.id}
    with pytest.raises(PermissionDenied):
        store.certificates.holders(tess.actor, [first])


def test_an_id_with_no_account_reads_as_account_n():
    line = words("certificate_issued", "certificate:X1", {"user_id": 42, "attempt_id": None},
                 actor_id=UserId(41), actor_username="gone")
    assert line.who == "account 41"
    assert line.sentence == "Issued certificate X1 to account 42."
    assert words("role_changed", "user:99", {"role": "manager"}).about == "account 99"


@pytest.mark.parametrize(("username", "who"), [
    ("system", "the system"), ("command-line", "the command line"),
    ("unknown #ab12cd", "someone typing an unknown username (#ab12cd)")])
def test_rows_without_an_account_say_who_in_words(username, who):
    assert words("export", "register:csv", {"rows": 1, "filters": {}}, actor_id=None,
                 actor_username=username).who == who


def test_an_unknown_action_falls_back_to_a_key_value_list():
    line = words("badge_printed", "user:2", {"copies": 2, "printer_name": "Front desk", "note": ""})
    assert line.action == "Badge printed"
    assert line.sentence == "Badge printed: copies: 2; printer name: Front desk."
    assert words("badge_printed", "user:2", "two copies").sentence == "Badge printed: two copies."


def test_details_in_an_unexpected_shape_still_read_instead_of_failing():
    assert words("role_changed", "user:2", "").sentence == "Role changed."
    assert words("certificate_issued", "certificate:X", {"attempt_id": 3}).sentence == \
        "Certificate issued: attempt id: 3."


def test_refused_actions_are_marked_and_labelled():
    for action in ("import_rejected", "signoff_refused", "last_manager_refused", "sign_in_failed"):
        assert words(action, "user:2", {}).refused, action
    assert not words("role_changed", "user:2", {"role": "trainer"}).refused
    assert action_label("last_manager_refused") == "Last manager change refused"


def _audited_actions() -> set[str]:
    """Every action name written to the audit log by modules/: the literal (or the constant or `a if x else b`
    it names) passed as the action of `audit.record`, `audit.append` and `Accounts._change`."""
    found: set[str] = set()
    for path in (ROOT / "modules").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            receiver, method = ast.unparse(node.func.value), node.func.attr
            if method == "record" and "audit" in receiver:
                position = 1
            elif (method == "append" and "audit" in receiver) or (method == "_change" and receiver == "self"):
                position = 2
            else:
                continue
            if len(node.args) > position:
                found |= _strings(node.args[position], assigned)
    return found


def _strings(expr: ast.expr, assigned: dict[str, list[ast.expr]]) -> set[str]:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        return _strings(expr.body, assigned) | _strings(expr.orelse, assigned)
    if isinstance(expr, ast.Name):
        return {text for value in assigned.get(expr.id, []) for text in _strings(value, assigned)}
    return set()


def test_every_action_the_code_writes_has_its_own_sentence():
    written = _audited_actions()
    assert {"user_created", "user_deactivated", "role_changed", "practical_signed_off", "export"} <= written
    assert written - audit_words.WORDED_ACTIONS == set()


# ---- refused changes as the store records them ---------------------------------------------------------------------


def _account_rows(raw_db) -> list[tuple]:
    """The whole users table, read behind the store, to prove nothing in it changed."""
    with raw_db.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM users ORDER BY id"))]


@pytest.mark.parametrize(("change", "refused", "detail"), [
    (lambda store, mia: store.accounts.set_active(mia.user_id, False, mia), "user_deactivated", {"active": False}),
    (lambda store, mia: store.accounts.set_role(mia.user_id, Role.TRAINER, mia), "role_changed", {"role": "trainer"}),
])
def test_a_last_manager_refusal_is_recorded_and_changes_nothing_else(store, raw_db, change, refused, detail):
    mia = store.accounts.get(auth.create_user(store, "mia", "Mia Manager", Role.MANAGER, "correct horse battery"))
    sessions.begin(store, mia, store.clock())
    accounts_before, audit_before = _account_rows(raw_db), store.audit.rows(mia.actor, limit=None)
    with pytest.raises(LastManagerError):
        change(store, mia.actor)
    assert _account_rows(raw_db) == accounts_before
    assert sessions.open_count(store, mia.id, store.clock()) == 1  # a deactivation would have ended it
    after = store.audit.rows(mia.actor, limit=None)
    assert after[1:] == audit_before  # exactly one new row
    assert (after[0].action, after[0].actor_id, after[0].target) == ("last_manager_refused", mia.id, f"user:{mia.id}")
    assert json.loads(after[0].detail) == {"refused": refused, **detail}
    assert store.audit.verify_chain() is None
    line = in_words(after[0], account_names(store.accounts.list_users()), "UTC")
    assert line.refused and line.sentence.endswith("they are the last active manager. Nothing was changed.")
    assert "Mia Manager (mia)" in line.sentence


def test_a_refused_action_filter_reads_only_refused_rows(store):
    mia = store.accounts.get(auth.create_user(store, "mia", "Mia Manager", Role.MANAGER, "correct horse battery"))
    with pytest.raises(LastManagerError):
        store.accounts.set_active(mia.id, False, mia.actor)
    store.accounts.set_location(mia.id, "South", mia.actor)
    refused = store.audit.rows(mia.actor, actions=audit_words.REFUSED_ACTIONS)
    assert [r.action for r in refused] == ["last_manager_refused"]
