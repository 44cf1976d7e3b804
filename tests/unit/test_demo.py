"""The demo clinic: every stage present, deterministic per seed, believable records, never the real database."""

from collections import Counter
from datetime import UTC, datetime

import pandas as pd
import pytest

from modules import demo, settings
from modules.__main__ import main
from modules.auth import verify_password
from modules.certificates import current_status
from modules.core.errors import StoreError
from modules.core.records import Actor
from modules.core.types import AttemptKind, CertificateStatus, Role
from modules.grading import ShownQuestion, grade
from modules.policy import load_policy
from modules.store import Store
from tests.helpers import FIXTURE_BANKS

NOW = datetime(2026, 5, 4, tzinfo=UTC)
SEED = 11
EXPECTED_STATUS = {
    demo.Stage.NEW: CertificateStatus.NOT_CERTIFIED,
    demo.Stage.STUDYING: CertificateStatus.NOT_CERTIFIED,
    demo.Stage.CERTIFIED: CertificateStatus.CERTIFIED,
    demo.Stage.EXPIRING: CertificateStatus.EXPIRING,
    demo.Stage.EXPIRED: CertificateStatus.EXPIRED,
    demo.Stage.REVOKED: CertificateStatus.REVOKED,
}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    summary = demo.seed_demo(url, SEED, NOW, FIXTURE_BANKS)
    store = Store.open(url, audit_key=settings.audit_key())
    try:
        yield store, summary
    finally:
        store.close()


def manager_of(store: Store) -> Actor:
    return store.accounts.find("manager").actor


def history(store: Store) -> tuple[list, list]:
    """Who exists and every attempt with its score: what must not change between two seedings."""
    manager = manager_of(store)
    users = [(u.username, u.full_name, u.role, u.location) for u in store.accounts.list_users()]
    attempts = [(u.username, a.kind, a.module_id, a.started_at, a.result and (a.result.score, a.result.passed))
                for u in store.accounts.list_users() for a in store.attempts.for_user(manager, u.id)]
    return users, attempts


def test_every_stage_is_present_with_the_status_the_register_computes(seeded):
    store, summary = seeded
    manager = manager_of(store)
    technicians = [a for a in summary.accounts if a.role is Role.TECHNICIAN]
    assert len(technicians) == 40
    assert {a.stage for a in technicians} == set(demo.Stage)
    roles = Counter(u.role for u in store.accounts.list_users())
    assert roles == {Role.TECHNICIAN: 40, Role.TRAINER: 3, Role.MANAGER: 1}
    assert {u.location for u in store.accounts.list_users(Role.TECHNICIAN)} == set(demo.LOCATIONS)
    for account in technicians:
        user = store.accounts.find(account.username)
        held = store.certificates.for_user(manager, user.id)
        assert current_status(held, NOW) is EXPECTED_STATUS[account.stage], account
        done = store.attempts.for_user(manager, user.id)
        if account.stage is demo.Stage.NEW:
            assert not done and not store.lessons.read_by(user.id)
        elif account.stage is demo.Stage.STUDYING:
            assert done and store.lessons.read_by(user.id)


def test_studying_technicians_have_passed_and_failed_module_quizzes(seeded):
    store, summary = seeded
    manager = manager_of(store)
    outcomes = Counter()
    for account in summary.accounts:
        if account.stage is demo.Stage.STUDYING:
            user = store.accounts.find(account.username)
            outcomes.update(a.result.passed for a in store.attempts.for_user(manager, user.id, AttemptKind.QUIZ))
    assert outcomes[True] > 0 and outcomes[False] > 0


def test_the_revocation_is_the_managers_with_a_reason(seeded):
    store, _ = seeded
    revoked = [c for c in store.certificates.every(manager_of(store)) if c.revoked]
    assert len(revoked) == 1 and revoked[0].revoked_reason
    rows = store.audit.rows(manager_of(store), action="certificate_revoked")
    assert [r.actor_username for r in rows] == ["manager"]


def test_practical_signoffs_are_by_the_technicians_own_trainer(seeded):
    store, summary = seeded
    trainers = {u.id: u.location for u in store.accounts.list_users(Role.TRAINER)}
    signoffs = [(s, store.accounts.find(a.username).location) for a in summary.accounts
                if a.role is Role.TECHNICIAN for s in store.signoffs.for_user(store.accounts.find(a.username).id)]
    assert len(signoffs) >= 3
    assert all(trainers[s.trainer_id] == location for s, location in signoffs)


def test_graded_records_replay_to_their_scores_and_keep_to_the_rules(seeded):
    store, _ = seeded
    policy, _ = load_policy(FIXTURE_BANKS)
    manager = manager_of(store)
    per_day = Counter()
    for user in store.accounts.list_users(Role.TECHNICIAN):
        for attempt in store.attempts.for_user(manager, user.id):
            answers = store.attempts.current_responses(manager, attempt.id)
            assert attempt.started_at < NOW
            assert all(grade(ShownQuestion.from_snapshot(r.snapshot), r.answer) == r.score for r in answers)
            if attempt.kind is AttemptKind.PRACTICE:
                continue
            assert attempt.result.score == pytest.approx(sum(r.score for r in answers) / len(answers))
            assert attempt.result.finished_at < NOW
            if attempt.kind is AttemptKind.QUIZ:
                assert len(answers) == policy.quiz_questions
                per_day[(user.id, attempt.module_id, attempt.started_at.date())] += 1
            else:
                assert all(r.answered_at <= attempt.deadline for r in answers)
    assert max(per_day.values()) <= policy.quiz_attempts_per_day


def test_item_analysis_has_varied_figures(seeded):
    store, _ = seeded
    manager = manager_of(store)
    module_ids, first_tries = set(), []
    for user in store.accounts.list_users(Role.TECHNICIAN):
        quizzes = store.attempts.for_user(manager, user.id, AttemptKind.QUIZ)
        theirs = {a.module_id for a in quizzes}
        module_ids |= theirs
        first_tries += [next(a for a in quizzes if a.module_id == m).result.passed for m in theirs]
    # Each technician's first try at each quiz, as the trainer's item analysis reads it.
    firsts = pd.concat([store.reports.item_responses(AttemptKind.QUIZ, m, first_only=True) for m in sorted(module_ids)])
    facility = firsts.groupby("question_id")["score"].mean()
    assert facility.min() < 0.6 and facility.max() > 0.95
    assert 0.3 < sum(first_tries) / len(first_tries) < 0.9


def test_every_demo_account_uses_the_demo_password(seeded):
    store, summary = seeded
    for username in ("manager", "trainer2", "tech25"):
        assert verify_password(store.accounts.credentials(username)[1], demo.PASSWORD)
    assert len(summary.accounts) == 44


def test_the_same_seed_seeds_the_same_clinic(seeded, tmp_path):
    store, summary = seeded
    url = f"sqlite:///{tmp_path / 'again.db'}"
    again = demo.seed_demo(url, SEED, NOW, FIXTURE_BANKS)
    assert again.accounts == summary.accounts
    second = Store.open(url, audit_key=settings.audit_key())
    try:
        users, attempts = history(second)
    finally:
        second.close()
    assert (users, attempts) == history(store)
    assert len({score for *_, score in attempts}) > 20


def test_the_command_refuses_the_real_database(monkeypatch, tmp_path, capsys):
    def must_not_seed(*args, **kwargs):
        raise AssertionError("seed_demo was called for the real database")

    monkeypatch.setattr(demo, "seed_demo", must_not_seed)
    assert main(["demo", "--db", str(demo.REAL_DATABASE), "--seed", "1"]) == 1
    assert "real database" in capsys.readouterr().err
    configured = tmp_path / "clinic.db"
    configured.write_bytes(b"the clinic's records")
    monkeypatch.setenv("TRAINING_DB_URL", f"sqlite:///{configured}")
    assert main(["demo", "--db", str(configured), "--seed", "1", "--force"]) == 1
    assert "real database" in capsys.readouterr().err
    assert configured.read_bytes() == b"the clinic's records"


def test_seed_demo_itself_refuses_the_real_database(monkeypatch):
    monkeypatch.setattr(demo.Store, "open", lambda *args, **kwargs: pytest.fail("the real database was opened"))
    with pytest.raises(StoreError, match="real database"):
        demo.seed_demo(f"sqlite:///{demo.REAL_DATABASE}", 1, NOW)


def test_the_command_keeps_a_file_with_data_unless_forced(monkeypatch, tmp_path, capsys):
    target = tmp_path / "someone.db"
    target.write_bytes(b"precious")
    calls = []

    def fake_seed(url, seed, now):
        calls.append((url, seed, now, target.exists()))
        return demo.DemoSummary(seed, now, demo.PASSWORD, (), 0, 0, 0)

    monkeypatch.setattr(demo, "seed_demo", fake_seed)
    assert main(["demo", "--db", str(target), "--seed", "3"]) == 1
    assert target.read_bytes() == b"precious" and not calls
    assert "--force" in capsys.readouterr().err
    assert main(["demo", "--db", str(target), "--seed", "3", "--today", "2026-05-04", "--force"]) == 0
    assert calls == [(f"sqlite:///{target.resolve()}", 3, NOW, False)]
    assert "demo-clinic-2026" in capsys.readouterr().out
