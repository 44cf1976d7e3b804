"""The Team page's groups: every technician in exactly one, by a fixed precedence, on an injected clock."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pandas as pd
import pytest

from modules import auth, team_progress
from modules.banks import load_banks
from modules.core.records import AttemptResult, ResponseRecord
from modules.core.types import AttemptKind, CertificateStatus, Role
from modules.grading import answer_key, show
from modules.policy import Policy
from modules.quiz import score_responses
from modules.team_progress import Group
from tests.helpers import FIXTURE_BANKS, record_attempt

BANKS = load_banks(FIXTURE_BANKS)
MODULES = len(BANKS.modules)
POLICY = Policy(signoffs_required=2)  # behind_after_days stays at its default, 14


def row(**changes) -> dict:
    """A technician studying: active yesterday, one module passed, no exam, no certificate, no sign-off."""
    return {"certification": CertificateStatus.NOT_CERTIFIED.value, "exam_passed": None, "days_inactive": 1.0,
            "modules_passed": 1, "signoffs": 0, "last_activity": pd.Timestamp("2025-03-02", tz="UTC"), **changes}


def group_of(policy: Policy = POLICY, **changes) -> str:
    return team_progress.team_groups(pd.DataFrame([row(**changes)]), MODULES, policy).iloc[0]


NEVER = {"last_activity": pd.NaT}
READY = {"modules_passed": MODULES, "signoffs": 2}
IDLE = {"days_inactive": 30.0}


@pytest.mark.parametrize(("changes", "expected"), [
    (NEVER | {"days_inactive": 3.0}, Group.NOT_STARTED),
    ({}, Group.STUDYING),
    (IDLE, Group.BEHIND),
    (READY, Group.READY),
    ({"exam_passed": False}, Group.FAILED),
    ({"certification": "certified", "exam_passed": True}, Group.CERTIFIED),
    ({"certification": "expiring", "exam_passed": True}, Group.EXPIRING),
    ({"certification": "expired", "exam_passed": True}, Group.EXPIRED),
])
def test_each_group_on_its_own(changes, expected):
    assert group_of(**changes) == expected.value


@pytest.mark.parametrize(("changes", "expected", "why"), [
    ({"certification": "expiring", "exam_passed": False} | IDLE, Group.EXPIRING, "a live certificate beats all"),
    ({"certification": "certified", "exam_passed": False} | IDLE, Group.CERTIFIED, "an early resit failed"),
    ({"certification": "expired", "exam_passed": False}, Group.FAILED, "failed the resit after it lapsed"),
    ({"exam_passed": False} | IDLE | READY, Group.FAILED, "a failed exam beats going quiet"),
    ({"certification": "expired", "exam_passed": True} | IDLE, Group.EXPIRED, "lapsed beats going quiet"),
    (IDLE | READY, Group.BEHIND, "ready but quiet for weeks"),
    (NEVER | IDLE, Group.BEHIND, "never started, account weeks old"),
    (READY | {"signoffs": 1}, Group.STUDYING, "a sign-off short of the exam"),
    (READY | {"modules_passed": MODULES - 1}, Group.STUDYING, "a module short of the exam"),
])
def test_the_first_group_in_the_precedence_wins(changes, expected, why):
    assert group_of(**changes) == expected.value, why


def test_a_revoked_certificate_counts_as_none():
    revoked = {"certification": CertificateStatus.REVOKED.value, "exam_passed": True}
    assert group_of(**revoked) == Group.STUDYING.value
    assert group_of(**revoked | READY) == Group.READY.value  # may sit the exam again
    assert group_of(**revoked | IDLE) == Group.BEHIND.value


def test_behind_follows_the_policy_days():
    assert group_of(days_inactive=13.9) == Group.STUDYING.value
    assert group_of(days_inactive=14.0) == Group.BEHIND.value
    week = Policy(behind_after_days=7)
    assert group_of(week, days_inactive=6.9) == Group.STUDYING.value
    assert group_of(week, days_inactive=7.0) == Group.BEHIND.value


def test_counts_list_every_group_and_filtering_keeps_one():
    table = pd.DataFrame([row(), row(**IDLE), row(**IDLE), row(**READY)]).assign(
        name=["Ann", "Bob", "Cy", "Dee"], location="North", inactive=False)
    table["group"] = team_progress.team_groups(table, MODULES, POLICY)
    counts = team_progress.group_counts(table)
    assert list(counts) == list(Group)
    assert counts == {**dict.fromkeys(Group, 0), Group.STUDYING: 1, Group.BEHIND: 2, Group.READY: 1}
    assert list(team_progress.filter_team(table, group=Group.BEHIND.value)["name"]) == ["Bob", "Cy"]
    assert list(team_progress.filter_team(table, group=None)["name"]) == ["Ann", "Bob", "Cy", "Dee"]
    assert team_progress.filter_team(table, group=Group.EXPIRED.value).empty


# ---- from the store, on an injected clock -------------------------------------------------------------------


def pass_every_module(store, user_id, when):
    for module in BANKS.modules:
        questions = module.questions[:5]
        shown = [show(q, random.Random(i)) for i, q in enumerate(questions)]
        records, score, _ = score_responses(shown, {i: answer_key(q) for i, q in enumerate(questions)})
        records = [ResponseRecord(**{**r.__dict__, "answered_at": when}) for r in records]
        record_attempt(store, user_id, AttemptKind.QUIZ, module.id, records,
                       AttemptResult(score, True, finished_at=when), started_at=when)


def test_load_team_groups_people_from_their_records(store, clock):
    trainer = store.accounts.get(auth.create_user(store, "trent", "Trent", Role.TRAINER, "correct horse battery"))
    manager = store.accounts.get(auth.create_user(store, "mona", "Mona", Role.MANAGER, "correct horse battery"))
    start = clock()
    made = {name: auth.create_user(store, name.lower(), name, Role.TECHNICIAN, "correct horse battery")
            for name in ("Old", "Ready", "Quiet", "Revoked", "Expiring")}
    clock.advance(days=30)
    now = clock()
    pass_every_module(store, made["Ready"], now - timedelta(days=2))
    pass_every_module(store, made["Quiet"], now - timedelta(days=20))  # ready, but 20 days without activity
    for name in ("Ready", "Quiet"):
        for _ in range(POLICY.signoffs_required):
            store.signoffs.record(made[name], trainer.actor, date(2025, 3, 1), {"Gloves": True})
    pass_every_module(store, made["Revoked"], now - timedelta(days=1))
    revoked = store.certificates.issue(made["Revoked"], None, "Certificate", 1.0, expires_at=now + timedelta(days=300))
    store.certificates.revoke(revoked.id, manager.actor, "issued in error")
    store.certificates.issue(made["Expiring"], None, "Certificate", 1.0, expires_at=now + timedelta(days=10),
                             issued_at=start)
    auth.create_user(store, "newest", "Newest", Role.TECHNICIAN, "correct horse battery")  # joined today

    table = team_progress.load_team(store, trainer.actor, BANKS, now, policy=POLICY).set_index("name")
    assert table["group"].to_dict() == {
        "Expiring": Group.EXPIRING.value, "Newest": Group.NOT_STARTED.value,
        "Old": Group.BEHIND.value, "Quiet": Group.BEHIND.value,  # Old: an account 30 days old, never used
        "Ready": Group.READY.value, "Revoked": Group.STUDYING.value}  # revoked counts as none; no sign-off yet
    assert table.loc["Ready", "signoffs"] == 2 and table.loc["Revoked", "certification"] == "revoked"
    assert table.loc["Expiring", "certificate_expires"] == pd.Timestamp(now + timedelta(days=10))
    assert pd.isna(table.loc["Old", "certificate_expires"])
    # A longer policy clock brings the quiet ones back to their stage.
    longer = team_progress.load_team(store, trainer.actor, BANKS, now, policy=Policy(behind_after_days=60,
                                                                                    signoffs_required=2))
    assert longer.set_index("name")["group"].to_dict()["Quiet"] == Group.READY.value
    assert longer.set_index("name")["group"].to_dict()["Old"] == Group.NOT_STARTED.value
