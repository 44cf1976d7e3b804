"""Answers as given share commits when many arrive at once, and each one is saved, whole, before its save returns.

The quiz and exam pages save every answer as it is given (`Attempts.record_response`); under load the store commits
the answers waiting at that moment together (`Database.grouped_write`). What a technician relies on: when the save
returns the answer is in the database; an answer refused (its attempt finished) or broken fails alone; nobody
else's answer is lost with it.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from sqlalchemy import Engine, event, func, select

from modules import auth
from modules.core.errors import StoreError
from modules.core.records import Actor, AttemptResult
from modules.core.types import AttemptId, AttemptKind, Role
from modules.store import Store, database
from modules.store.database import Database
from modules.store.schema import question_versions, responses
from tests.helpers import stored_answer

WRITERS = 8
ANSWERS_EACH = 12


def answers_in_database(raw_db: Engine, attempt_id: AttemptId) -> int:
    with raw_db.connect() as conn:
        return conn.execute(select(func.count()).select_from(responses)
                            .where(responses.c.attempt_id == attempt_id)).scalar_one()


def open_quizzes(store: Store, count: int) -> list[AttemptId]:
    opened = []
    for n in range(count):
        user_id = auth.create_user(store, f"tech{n}", f"Tech {n}", Role.TECHNICIAN, "a long clinic passphrase")
        opened.append(store.attempts.start(user_id, AttemptKind.QUIZ, "skin-science"))
    return opened


class SlowCommits:
    """Counts commits, and makes each one slow, as a disk flush is, so that answers queue behind it."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, conn) -> None:
        self.count += 1
        threading.Event().wait(0.02)

    def __enter__(self) -> SlowCommits:
        event.listen(Engine, "commit", self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        event.remove(Engine, "commit", self)


def save_from_threads(save) -> list[BaseException]:
    """`save(writer, n)` for each writer's answers, the writers all at once; the errors they met."""
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        start.wait()
        for n in range(ANSWERS_EACH):
            try:
                save(number, n)
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_each_answer_is_in_the_database_when_its_save_returns(store, raw_db):
    (quiz,) = open_quizzes(store, 1)
    for n in range(3):
        store.attempts.record_response(quiz, stored_answer(n))
        assert answers_in_database(raw_db, quiz) == n + 1  # seen by another connection: committed


def test_answers_given_at_once_share_commits_and_all_are_saved(store, raw_db):
    quizzes = open_quizzes(store, WRITERS)
    with SlowCommits() as commits:
        errors = save_from_threads(lambda w, n: store.attempts.record_response(quizzes[w], stored_answer(n)))
    assert errors == []
    assert [answers_in_database(raw_db, quiz) for quiz in quizzes] == [ANSWERS_EACH] * WRITERS
    saved = WRITERS * ANSWERS_EACH
    assert commits.count < saved / 2, f"{commits.count} commits for {saved} answers: they were not grouped"
    trainer = Actor(auth.create_user(store, "trina", "Trina", Role.TRAINER, "a long clinic passphrase"), Role.TRAINER)
    for quiz in quizzes:  # each writer's answers in the order it gave them
        positions = [r.position for r in store.attempts.responses(trainer, quiz)]
        assert positions == list(range(ANSWERS_EACH))


def test_an_answer_to_a_finished_attempt_is_refused_alone(store, raw_db):
    quizzes = open_quizzes(store, WRITERS)
    store.attempts.finish(quizzes[0], AttemptResult(0.0, False))

    with SlowCommits():
        errors = save_from_threads(lambda w, n: store.attempts.record_response(quizzes[w], stored_answer(n)))
    assert len(errors) == ANSWERS_EACH
    assert all(isinstance(e, StoreError) and "already finished" in str(e) for e in errors)
    assert [answers_in_database(raw_db, quiz) for quiz in quizzes] == [0] + [ANSWERS_EACH] * (WRITERS - 1)


def test_an_answer_the_database_refuses_costs_no_one_else_theirs(store, raw_db):
    quizzes = open_quizzes(store, WRITERS)
    broken = replace(stored_answer(0), question_id=None)  # passes Python, refused by the database's NOT NULL

    def save(writer: int, n: int) -> None:
        store.attempts.record_response(quizzes[writer], broken if writer == 0 and n % 3 == 0 else stored_answer(n))

    with SlowCommits():
        errors = save_from_threads(save)
    assert len(errors) == ANSWERS_EACH // 3
    assert all(isinstance(e, StoreError) and "nothing was saved" in str(e) for e in errors)
    assert answers_in_database(raw_db, quizzes[0]) == ANSWERS_EACH - ANSWERS_EACH // 3
    assert [answers_in_database(raw_db, quiz) for quiz in quizzes[1:]] == [ANSWERS_EACH] * (WRITERS - 1)


def test_a_task_that_fails_outside_the_database_fails_alone_and_the_queue_goes_on(db_url, clock, store, raw_db):
    """A bug in one task (not a database refusal) reaches its own caller; the group's other writes still land."""
    quizzes = open_quizzes(store, WRITERS)
    db = Database(database.connect(db_url), clock)
    insert_answer = responses.insert()
    row = {"position": 0, "question_id": "q", "module_id": "skin-science", "content_hash": "h", "version_id": None,
           "shown_order": "", "answer_json": "[]", "score": 1.0, "correct": True, "answered_at": clock.now}

    def save(writer: int, n: int) -> None:
        def task(conn) -> None:
            if writer == 0 and n % 4 == 0:
                raise RuntimeError("a bug in the caller")
            conn.execute(insert_answer, {**row, "attempt_id": quizzes[writer], "position": n,
                                         "version_id": version_id})
        db.grouped_write(task)

    with raw_db.begin() as conn:
        version_id = conn.execute(question_versions.insert().values(hash="0" * 64, content_json="{}")
                                  .returning(question_versions.c.id)).scalar_one()
    try:
        with SlowCommits():
            errors = save_from_threads(save)
    finally:
        db.close()
    assert len(errors) == ANSWERS_EACH // 4 and all(isinstance(e, RuntimeError) for e in errors)
    assert answers_in_database(raw_db, quizzes[0]) == ANSWERS_EACH - ANSWERS_EACH // 4
    assert [answers_in_database(raw_db, quiz) for quiz in quizzes[1:]] == [ANSWERS_EACH] * (WRITERS - 1)
