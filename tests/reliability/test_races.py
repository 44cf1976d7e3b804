"""Count-then-insert rules hold under concurrent clicks, and a passed exam always has exactly one certificate."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from modules import auth, certification
from modules.banks import load_banks
from modules.core.errors import QuizError, StoreError
from modules.core.records import AttemptResult
from modules.core.types import AttemptKind, Role
from modules.grading import answer_key
from modules.policy import Policy
from tests.helpers import FIXTURE_BANKS, stored_answer

BANKS = load_banks(FIXTURE_BANKS)
POLICY = Policy(quiz_questions=10, signoffs_required=0,
                exam_blueprint=(("skin-science", 2), ("mechanics", 2), ("safety", 2)))
PASSWORD = "a long clinic passphrase"


def at_once(count: int, work) -> list[object]:
    """Run `work(n)` in `count` threads released together; each outcome or the error it raised."""
    start, outcomes = threading.Barrier(count), [None] * count

    def run(n: int) -> None:
        start.wait()
        try:
            outcomes[n] = work(n)
        except Exception as error:  # collected: the assertions look at every outcome
            outcomes[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def technician(store):
    return store.accounts.get(auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD))


def take_quiz(store, user, now, passed: bool, module_id: str = "safety"):
    sitting = certification.start_quiz(store, user, BANKS, POLICY, module_id, now, "UTC", random.Random(1))
    answers = {i: answer_key(BANKS.question(s.question_id)) if passed else None for i, s in enumerate(sitting.shown)}
    certification.submit_quiz(store, user, sitting, answers, POLICY, now)


def test_simultaneous_quiz_starts_never_beat_the_daily_limit(store, clock):
    user = technician(store)
    for _ in range(POLICY.quiz_attempts_per_day - 1):
        take_quiz(store, user, clock(), passed=False)
    outcomes = at_once(6, lambda n: certification.start_quiz(store, user, BANKS, POLICY, "safety", clock(), "UTC",
                                                             random.Random(n)).attempt.id)
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert len(set(outcomes)) == 1  # one new attempt; the other clicks resumed it
    quizzes = store.attempts.for_user(user.actor, user.id, AttemptKind.QUIZ)
    assert len(quizzes) == POLICY.quiz_attempts_per_day
    # With the day's attempts used up, six more simultaneous clicks are all refused.
    sitting = certification.start_quiz(store, user, BANKS, POLICY, "safety", clock(), "UTC")
    certification.submit_quiz(store, user, sitting, {}, POLICY, clock())
    outcomes = at_once(6, lambda n: certification.start_quiz(store, user, BANKS, POLICY, "safety", clock(), "UTC"))
    assert all(isinstance(o, QuizError) for o in outcomes)
    assert len(store.attempts.for_user(user.actor, user.id, AttemptKind.QUIZ)) == POLICY.quiz_attempts_per_day


def test_simultaneous_exam_starts_open_one_exam(store, clock):
    user = technician(store)
    for module in BANKS.modules:
        take_quiz(store, user, clock(), passed=True, module_id=module.id)
    outcomes = at_once(6, lambda n: certification.start_or_resume_exam(store, user, BANKS, POLICY, clock(),
                                                                       random.Random(n)).attempt.id)
    assert len(set(outcomes)) == 1 and not isinstance(outcomes[0], Exception)
    exams = store.attempts.for_user(user.actor, user.id, AttemptKind.EXAM)
    assert [e.id for e in exams] == [outcomes[0]]


def test_a_crash_between_result_and_certificate_leaves_neither(store, clock):
    user = technician(store)
    for module in BANKS.modules:
        take_quiz(store, user, clock(), passed=True, module_id=module.id)
    sitting = certification.start_or_resume_exam(store, user, BANKS, POLICY, clock(), random.Random(3))
    for position, shown in enumerate(sitting.shown):
        certification.save_exam_answer(store, user, sitting, position, answer_key(BANKS.question(shown.question_id)),
                                       POLICY, clock())

    def power_cut(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("INSERT INTO certificates"):
            raise StoreError("The record store could not be reached")  # as a full disk or a kill would

    event.listen(Engine, "before_cursor_execute", power_cut)
    try:
        with pytest.raises(StoreError):
            certification.finish_exam(store, user, sitting, POLICY, clock())
    finally:
        event.remove(Engine, "before_cursor_execute", power_cut)
    exam = store.attempts.get(user.actor, sitting.attempt.id)
    assert exam.result is None and store.certificates.for_user(user.actor, user.id) == []
    outcome = certification.finish_exam(store, user, sitting, POLICY, clock())  # the resubmit works
    assert outcome.passed and [c.code for c in store.certificates.for_user(user.actor, user.id)] == [
        outcome.certificate_code]


def test_one_certificate_per_exam_is_enforced_by_the_database(store, raw_db, clock):
    user = technician(store)
    exam = store.attempts.start(user.id, AttemptKind.EXAM)
    store.exams.finish(exam, AttemptResult(1.0, True), "Certificate", clock() + timedelta(days=365))
    with pytest.raises(Exception, match="(?i)unique|append-only"), raw_db.begin() as conn:
        conn.execute(text("INSERT INTO certificates (code, user_id, attempt_id, title, issued_at, expires_at, score) "
                          "VALUES ('X-1', :u, :a, 'Again', :t, :t, 1.0)"),
                     {"u": user.id, "a": exam, "t": "2025-03-03 09:00:00.000000"
                      if raw_db.dialect.name == "sqlite" else "2025-03-03"})


def test_repair_issues_the_certificate_a_passed_exam_lost(store, raw_db, clock):
    """A pass recorded before result and certificate were one write, with its certificate never written."""
    user = technician(store)
    exam = store.attempts.start(user.id, AttemptKind.EXAM)
    store.attempts.finish(exam, AttemptResult(0.9, True))  # the old two-step path, interrupted after step one
    assert store.exams.passed_without_certificate() == [(exam, user.id, 0.9, clock())]
    codes = certification.repair_missing_certificates(store, POLICY)
    (cert,) = store.certificates.for_user(user.actor, user.id)
    assert codes == [cert.code] and cert.attempt_id == exam and cert.issued_at == clock()
    assert cert.expires_at == clock().replace(year=clock().year + 1)
    assert store.exams.passed_without_certificate() == []
    assert certification.repair_missing_certificates(store, POLICY) == []  # running it again changes nothing
    assert store.audit.verify().intact


def test_a_full_disk_is_named_and_leaves_no_half_submission(tmp_path, clock):
    """SQLite's max_page_count stands in for a full disk: the database cannot grow past its size now."""
    from modules import settings
    from modules.store import Store
    from tests.helpers import record_attempt

    url = f"sqlite:///{tmp_path / 'full.db'}"
    store = Store.open(url, clock=clock, audit_key=settings.audit_key())
    user = technician(store)
    store.close()

    def cap(dbapi_connection, _record) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

    event.listen(Engine, "connect", cap)
    try:
        store = Store.open(url, clock=clock, audit_key=settings.audit_key())
        with pytest.raises(StoreError, match="disk is full, so nothing was saved"):
            for _ in range(200):
                record_attempt(store, user.id, AttemptKind.QUIZ, "safety", [stored_answer(i) for i in range(10)],
                               AttemptResult(1.0, True))
    finally:
        event.remove(Engine, "connect", cap)
    store.close()
    store = Store.open(url, clock=clock, audit_key=settings.audit_key())
    for attempt in store.attempts.for_user(user.actor, user.id, AttemptKind.QUIZ):
        given = store.attempts.responses(user.actor, attempt.id)
        assert (attempt.result is None and given == []) or (attempt.result is not None and len(given) == 10)
    assert store.integrity_problems() == [] and store.audit.verify().intact
    store.close()


def test_the_repair_command_names_the_database_and_what_it_issued(tmp_path, capsys, monkeypatch):
    from modules import settings
    from modules.__main__ import main
    from modules.store import Store

    monkeypatch.setenv("TRAINING_BANKS_DIR", str(FIXTURE_BANKS))
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    store = Store.open(url, audit_key=settings.audit_key())
    user = technician(store)
    exam = store.attempts.start(user.id, AttemptKind.EXAM)
    store.attempts.finish(exam, AttemptResult(0.9, True))
    store.close()
    assert main(["repair", "--db", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Database: {url}") and "Issued certificate" in out
    assert main(["repair", "--db", url]) == 0
    assert "nothing to repair" in capsys.readouterr().out
    assert main(["audit-verify", "--db", url]) == 0
