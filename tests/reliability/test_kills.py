"""A writer killed at any moment leaves no half record: SIGKILL it mid-quiz, mid-exam and mid-certificate, again
and again, and after every kill check the store is whole and everything it acknowledged is there.

The writer is a forked child running the same code the quiz and exam pages run (certification.*). It reports each
attempt the store acknowledged (the call returned) on a pipe; the parent kills it after a random moment, then opens
the store and checks: the database's integrity, every acknowledged attempt present and complete, every passed exam
with exactly one certificate, and the audit chain with every seal.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time

from modules import auth, certification, settings
from modules.banks import load_banks
from modules.core.types import AttemptKind, Role
from modules.grading import answer_key
from modules.policy import Policy
from modules.store import Store
from tests.helpers import FIXTURE_BANKS

BANKS = load_banks(FIXTURE_BANKS)
POLICY = Policy(quiz_questions=10, signoffs_required=0,
                exam_blueprint=(("skin-science", 2), ("mechanics", 2), ("safety", 2)))
PEOPLE = 60
KILLS = {"sqlite": 50, "postgresql": 12}


def writer(url: str, key: bytes, pipe: int, seed: int) -> None:
    """Takes quizzes and exams for whoever still needs them, reporting each acknowledged attempt."""
    rng = random.Random(seed)
    store = Store.open(url, audit_key=key)
    while True:
        for user in rng.sample(store.accounts.list_users(Role.TECHNICIAN), 5):
            actor = user.actor
            passed = {a.module_id for a in store.attempts.for_user(actor, user.id, AttemptKind.QUIZ)
                      if a.result and a.result.passed}
            now = store.clock()
            for module in BANKS.modules:
                if module.id in passed:
                    continue
                sitting = certification.start_quiz(store, user, BANKS, POLICY, module.id, now, "UTC", rng)
                answers = {i: answer_key(BANKS.question(s.question_id)) for i, s in enumerate(sitting.shown)}
                certification.submit_quiz(store, user, sitting, answers, POLICY, now)
                os.write(pipe, f"quiz {sitting.attempt.id} {len(sitting.shown)}\n".encode())
            sitting = certification.start_or_resume_exam(store, user, BANKS, POLICY, now, rng)
            for position, shown in enumerate(sitting.shown):
                certification.save_exam_answer(store, user, sitting, position,
                                               answer_key(BANKS.question(shown.question_id)), POLICY, now)
            outcome = certification.finish_exam(store, user, sitting, POLICY, now)
            os.write(pipe, f"exam {sitting.attempt.id} {outcome.certificate_code}\n".encode())


def _run_and_kill(url: str, key: bytes, seed: int) -> list[list[str]]:
    reading, writing = os.pipe()
    child = multiprocessing.get_context("fork").Process(target=writer, args=(url, key, writing, seed), daemon=True)
    child.start()
    os.close(writing)
    time.sleep(random.Random(seed).uniform(0.05, 0.6))  # a random moment: mid-quiz, mid-exam, mid-certificate
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    with os.fdopen(reading, "rb") as acks:
        return [line.split() for line in acks.read().decode().splitlines() if line.strip()]


def _check(store: Store, acknowledged: list[list[str]]) -> None:
    assert store.integrity_problems() == []
    manager = store.accounts.find("mia")
    assert manager is not None
    for kind, attempt_id, extra in acknowledged:
        attempt = store.attempts.get(manager.actor, int(attempt_id))
        assert attempt.result is not None, f"acknowledged {kind} {attempt_id} has no result"
        answers = store.attempts.current_responses(manager.actor, attempt.id)
        if kind == "quiz":
            assert len(answers) == int(extra), f"quiz {attempt_id} is missing answers"
        else:
            certificate = store.certificates.find(extra)
            assert certificate is not None and certificate.attempt_id == attempt.id
    assert store.exams.passed_without_certificate() == []
    report = store.audit.verify()
    assert report.intact, report


def kill_again_and_again(url: str, key: bytes, kills: int) -> list[list[str]]:
    """A manager and PEOPLE technicians, then `kills` runs of the writer, each killed and then checked."""
    store = Store.open(url, audit_key=key)
    auth.create_user(store, "mia", "Mia", Role.MANAGER, "a long clinic passphrase")
    for n in range(PEOPLE):
        auth.create_user(store, f"tech{n}", f"Tech {n}", Role.TECHNICIAN, "a long clinic passphrase")
    store.close()
    acknowledged: list[list[str]] = []
    for seed in range(kills):
        acknowledged += _run_and_kill(url, key, seed)
        store = Store.open(url, audit_key=key)
        try:
            _check(store, acknowledged)
        finally:
            store.close()
    return acknowledged


def test_a_writer_killed_at_random_moments_leaves_every_record_whole(db_url):
    kills = KILLS["sqlite" if db_url.startswith("sqlite") else "postgresql"]
    acknowledged = kill_again_and_again(db_url, settings.audit_key(), kills)
    exams = [a for a in acknowledged if a[0] == "exam"]
    assert len(acknowledged) > kills and exams, "the writer should get some work done between kills"
    print(f"{kills} kills, {len(acknowledged)} acknowledged attempts, {len(exams)} exams with certificates")
