"""The record store keeps history intact on SQLite and PostgreSQL: what is written stays written, whole."""

from __future__ import annotations

import random
import threading
from dataclasses import replace
from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.exc import DBAPIError

from modules import auth, settings
from modules.banks import load_banks
from modules.core.errors import AuthError, PermissionDenied, StoreError
from modules.core.records import Actor, AttemptResult
from modules.core.types import AttemptKind, ClosedBy, Role
from modules.grading import response_record, show
from modules.store import Store, database
from modules.store.schema import APPEND_ONLY_TABLES, attempt_results, attempts, dumps, metadata, responses
from tests.helpers import FIXTURE_BANKS, record_attempt, stored_answer

PASSWORD = "a long clinic passphrase"


def make_user(store: Store, username: str, role: Role = Role.TECHNICIAN) -> Actor:
    return Actor(auth.create_user(store, username, username.title(), role, PASSWORD), role)


def row_counts(raw_db: Engine) -> tuple[int, int, int]:
    with raw_db.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (attempts, responses, attempt_results))


def drop_audit_guard(raw_db: Engine) -> None:
    """Remove the audit log's triggers the way someone with direct database access could, to tamper with it."""
    with raw_db.begin() as conn:
        if raw_db.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))


def test_reopening_keeps_the_schema_at_its_revision(db_url, clock, raw_db):
    first = Store.open(db_url, clock=clock, audit_key=settings.audit_key())
    revision = first.revision()
    first.close()
    again = Store.open(db_url, clock=clock, audit_key=settings.audit_key())
    try:
        assert revision is not None and again.revision() == revision
        with raw_db.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM alembic_version")).scalar_one() == 1
    finally:
        again.close()


def test_times_read_back_are_utc_aware(store, clock):
    tech = make_user(store, "tina")
    attempt_id = store.attempts.start(tech.user_id, AttemptKind.EXAM, deadline=clock.now + timedelta(minutes=30))
    attempt = store.attempts.get(tech, attempt_id)
    assert attempt.started_at == clock.now and attempt.started_at.tzinfo == UTC
    assert attempt.deadline == clock.now + timedelta(minutes=30)


def test_attempt_round_trips_snapshot_answers_and_result(store):
    tech = make_user(store, "tina")
    given = [stored_answer(0), stored_answer(1, score=0.0), stored_answer(2, score=0.5)]
    attempt_id = record_attempt(store, tech.user_id, AttemptKind.QUIZ, "skin-science", given,
                                      AttemptResult(0.5, False, detail={"pass_mark": 0.8}),
                                      questions=["skin-00", "skin-01", "skin-02"], policy={"size": 3})
    (attempt,) = store.attempts.for_user(tech, tech.user_id, kind=AttemptKind.QUIZ)
    assert attempt.id == attempt_id and attempt.questions == ["skin-00", "skin-01", "skin-02"]
    result = attempt.result
    assert result is not None and (result.score, result.passed, result.detail) == (0.5, False, {"pass_mark": 0.8})
    stored = store.attempts.responses(tech, attempt_id)
    assert [(r.question_id, r.snapshot, r.answer, r.score, r.correct) for r in stored] == [
        (g.question_id, g.snapshot, g.answer, g.score, g.correct) for g in given]


def test_one_wording_is_stored_once_however_it_was_shuffled_and_an_edited_one_again(store, raw_db):
    tech = make_user(store, "tina")
    question = load_banks(FIXTURE_BANKS).question("skin-001")
    shuffles = [show(question, random.Random(seed)) for seed in range(6)]
    assert len({shown.options for shown in shuffles}) > 1  # really shown in different orders
    edited = show(replace(question, prompt=f"{question.prompt} (reworded)", content_hash="edited"), random.Random(0))
    quiz = store.attempts.start(tech.user_id, AttemptKind.QUIZ, "skin-science",
                                questions=[shown.to_snapshot() for shown in shuffles[:2]])
    for position, shown in enumerate([*shuffles, edited]):
        store.attempts.record_response(quiz, response_record(position, shown, shown.key))
    with raw_db.connect() as conn:
        stored_as = conn.execute(text("SELECT version_id FROM responses ORDER BY id")).scalars().all()
        assert conn.execute(text("SELECT COUNT(*) FROM question_versions")).scalar_one() == 2
    assert len(set(stored_as[:-1])) == 1 and stored_as[-1] != stored_as[0]
    # Each answer still replays exactly as it was shown, and so do the questions the quiz drew.
    assert [r.snapshot for r in store.attempts.responses(tech, quiz)] == [s.to_snapshot() for s in [*shuffles, edited]]
    assert store.attempts.get(tech, quiz).questions == [shown.to_snapshot() for shown in shuffles[:2]]


def test_any_snapshot_comes_back_as_it_was_stored(store):
    """Older apps stored other shapes; a list may repeat an item or run past ten; a snapshot may not be a dict."""
    twelve_steps = [f"step {n}" for n in (11, 3, 0, 7, 1, 10, 5, 2, 9, 4, 8, 6)]
    odd = [{"id": "skin-001", "options": ["Stratum corneum", "Dermis", "Subcutis"], "answer": "Dermis"},
           {"question_id": "q-long", "type": "ordering", "options": twelve_steps},
           {"question_id": "q-twice", "options": ["Yes", "No", "Yes"], "lefts": ["b", "a"], "rights": ["z", "y"]},
           {"question_id": "q-odd", "options": None, "lefts": [], "rights": ["2", 1, {"x": None}]},
           "skin-07", None, ["a", ["nested"]]]
    tech = make_user(store, "tina")
    attempt_id = record_attempt(store, tech.user_id, AttemptKind.EXAM, None,
                                [replace(stored_answer(n), snapshot=snapshot) for n, snapshot in enumerate(odd)],
                                AttemptResult(1.0, True), questions=odd)
    assert [dumps(r.snapshot) for r in store.attempts.responses(tech, attempt_id)] == [dumps(s) for s in odd]
    assert dumps(store.attempts.get(tech, attempt_id).questions) == dumps(odd)


def test_history_tables_refuse_update_and_delete_in_the_database(store, clock, raw_db):
    manager, tech = make_user(store, "mia", Role.MANAGER), make_user(store, "tina")
    attempt_id = record_attempt(store, tech.user_id, AttemptKind.EXAM, None, [stored_answer(0)],
                                AttemptResult(1.0, True))
    cert = store.certificates.issue(tech.user_id, attempt_id, "Certified", 1.0, clock.now + timedelta(days=365))
    store.certificates.revoke(cert.id, manager, "issued in error")
    store.signoffs.record(tech.user_id, manager, date(2025, 3, 1), {"prep": True}, "fine")
    store.lessons.mark_read(tech.user_id, "skin-science")
    store.review_cards.save(tech.user_id, "skin-00", '{"state": 1}', clock.now)
    store.clinic.set("clinic_name", "Riverside Clinic", manager)
    refused = []
    for table in APPEND_ONLY_TABLES:
        column = next(iter(metadata.tables[table].columns)).name
        for statement in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):
            try:
                with raw_db.begin() as conn:
                    conn.execute(text(statement))
            except DBAPIError as error:
                assert "append-only" in str(error.orig)
                refused.append(statement)
    assert len(refused) == 2 * len(APPEND_ONLY_TABLES)
    assert row_counts(raw_db) == (1, 1, 1)


def test_submission_is_all_or_nothing_when_the_connection_dies_midway(store, raw_db):
    """A power cut after the answers are written but before the result: nothing of the submission stays."""
    tech = make_user(store, "tina")
    attempt_id = store.attempts.start(tech.user_id, AttemptKind.QUIZ, "skin-science")
    seen: list[str] = []

    def cut_power(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement.split()[2] if statement.startswith("INSERT INTO") else statement.split()[0])
        if statement.startswith("INSERT INTO attempt_results"):
            raise RuntimeError("power cut")

    event.listen(Engine, "before_cursor_execute", cut_power)
    try:
        with pytest.raises(RuntimeError):
            store.attempts.submit(attempt_id, [stored_answer(i) for i in range(10)], AttemptResult(1.0, True))
    finally:
        event.remove(Engine, "before_cursor_execute", cut_power)
    assert "responses" in seen and "attempt_results" in seen  # the answers were written before the cut
    assert row_counts(raw_db) == (1, 0, 0)
    assert store.attempts.open_one(tech.user_id, AttemptKind.QUIZ).id == attempt_id  # still open, can resume


def test_attempt_is_all_or_nothing_when_the_database_refuses_a_response(store, raw_db):
    tech = make_user(store, "tina")
    bad = replace(stored_answer(4), question_id=None)  # passes Python, refused by the database's NOT NULL
    with pytest.raises(StoreError, match="nothing was saved"):
        record_attempt(store, tech.user_id, AttemptKind.QUIZ, "skin-science",
                       [stored_answer(0), stored_answer(1), stored_answer(2), stored_answer(3), bad],
                       AttemptResult(1.0, True))
    assert row_counts(raw_db) == (1, 0, 0)  # the attempt was opened; none of the submission stayed


def test_exam_answers_append_and_the_latest_counts(store):
    tech = make_user(store, "tina")
    exam = store.attempts.start(tech.user_id, AttemptKind.EXAM, questions=["q1", "q2"])
    assert store.attempts.open_one(tech.user_id, AttemptKind.EXAM).id == exam
    store.attempts.record_response(exam, stored_answer(0, "q1", score=0.0))
    store.attempts.record_response(exam, stored_answer(1, "q2"))
    store.attempts.record_response(exam, stored_answer(0, "q1", score=1.0))
    assert len(store.attempts.responses(tech, exam)) == 3
    current = store.attempts.current_responses(tech, exam)
    assert [(r.question_id, r.score) for r in current] == [("q1", 1.0), ("q2", 1.0)]
    store.attempts.finish(exam, AttemptResult(1.0, True, ClosedBy.DEADLINE))
    assert store.attempts.open_one(tech.user_id, AttemptKind.EXAM) is None
    with pytest.raises(StoreError, match="already has a result"):
        store.attempts.finish(exam, AttemptResult(0.0, False))
    with pytest.raises(StoreError, match="already finished"):
        store.attempts.record_response(exam, stored_answer(1, "q2", score=0.0))
    assert store.attempts.get(tech, exam).result.closed_by == "deadline"


def test_technician_reads_only_their_own_records(store, clock):
    tina, tom = make_user(store, "tina"), make_user(store, "tom")
    trainer = make_user(store, "trey", Role.TRAINER)
    attempt_id = record_attempt(store, tom.user_id, AttemptKind.QUIZ, "skin-science", [stored_answer(0)],
                                      AttemptResult(1.0, True))
    store.certificates.issue(tom.user_id, attempt_id, "Certified", 1.0, clock.now + timedelta(days=365))
    for read in (lambda: store.attempts.for_user(tina, tom.user_id), lambda: store.attempts.get(tina, attempt_id),
                 lambda: store.attempts.responses(tina, attempt_id),
                 lambda: store.certificates.for_user(tina, tom.user_id), lambda: store.certificates.every(tina)):
        with pytest.raises(PermissionDenied):
            read()
    assert len(store.attempts.for_user(tom, tom.user_id)) == 1
    assert len(store.attempts.responses(trainer, attempt_id)) == 1
    assert len(store.certificates.for_user(trainer, tom.user_id)) == 1


def test_revocation_is_a_new_attributed_row(store, clock):
    manager, tech = make_user(store, "mia", Role.MANAGER), make_user(store, "tina")
    cert = store.certificates.issue(tech.user_id, None, "Certified", 0.9, clock.now + timedelta(days=365))
    assert store.certificates.find(cert.code.lower()).full_name == "Tina"
    with pytest.raises(PermissionDenied):
        store.certificates.revoke(cert.id, tech, "no")
    clock.advance(days=2)
    store.certificates.revoke(cert.id, manager, "exam taken by someone else")
    found = store.certificates.find(cert.code)
    assert found.revoked and found.revoked_at == clock.now and found.revoked_reason == "exam taken by someone else"
    assert found.issued_at == cert.issued_at
    with pytest.raises(StoreError, match="already revoked"):
        store.certificates.revoke(cert.id, manager, "again")
    assert store.audit.rows(manager, action="certificate_revoked")[0].actor_username == "mia"
    assert store.certificates.find("MDA-NOPE-NOPE") is None


def test_review_cards_lessons_and_signoffs(store, clock):
    trainer, tech = make_user(store, "trey", Role.TRAINER), make_user(store, "tina")
    store.review_cards.save(tech.user_id, "q1", '{"step": 1}', clock.now + timedelta(days=1))
    clock.advance(days=1)
    store.review_cards.save(tech.user_id, "q1", '{"step": 2}', clock.now + timedelta(days=4))
    store.review_cards.save(tech.user_id, "q2", '{"step": 1}', clock.now + timedelta(days=2))
    assert list(store.review_cards.current(tech.user_id).items()) == [("q2", '{"step": 1}'), ("q1", '{"step": 2}')]
    store.lessons.mark_read(tech.user_id, "skin-science")
    first = clock.now
    clock.advance(days=1)
    store.lessons.mark_read(tech.user_id, "skin-science")
    assert store.lessons.read_by(tech.user_id) == {"skin-science": first}
    with pytest.raises(PermissionDenied):
        store.signoffs.record(tech.user_id, tech, date(2025, 3, 1), {"prep": True})
    store.signoffs.record(tech.user_id, trainer, date(2025, 3, 1), {"prep": True}, "steady hand")
    (signoff,) = store.signoffs.for_user(tech.user_id)
    assert (signoff.trainer_id, signoff.treated_on, signoff.checklist) == (trainer.user_id, date(2025, 3, 1),
                                                                          {"prep": True})


def test_account_changes_are_checked_and_audited(store):
    manager, tech = make_user(store, "mia", Role.MANAGER), make_user(store, "tina")
    with pytest.raises(AuthError, match="taken"):
        auth.create_user(store, "TINA", "Other Tina", Role.TECHNICIAN, PASSWORD)
    with pytest.raises(PermissionDenied):
        auth.create_user(store, "tom", "Tom", Role.TECHNICIAN, PASSWORD, actor=tech)
    with pytest.raises(PermissionDenied):
        store.accounts.set_role(tech.user_id, Role.MANAGER, tech)
    store.accounts.set_role(tech.user_id, Role.TRAINER, manager)
    store.accounts.set_active(tech.user_id, False, manager)
    with pytest.raises(AuthError, match="active manager"):
        store.accounts.set_active(manager.user_id, False, manager)
    assert store.accounts.get(tech.user_id).role == Role.TRAINER and not store.accounts.get(tech.user_id).active
    assert store.accounts.get(manager.user_id).active
    actions = [row.action for row in store.audit.rows(manager, target=f"user:{tech.user_id}")]
    assert actions == ["user_deactivated", "role_changed", "user_created"]
    with pytest.raises(PermissionDenied):
        store.audit.rows(tech)


def test_audit_chain_detects_an_edited_row(store, raw_db):
    manager = make_user(store, "mia", Role.MANAGER)
    for n in range(4):
        store.audit.record(manager, "export", f"report:{n}", "csv")
    assert store.audit.verify_chain() is None
    drop_audit_guard(raw_db)
    with raw_db.begin() as conn:
        conn.execute(text("UPDATE audit_log SET detail = 'pdf' WHERE id = 3"))
    assert store.audit.verify_chain() == 3


def test_audit_chain_detects_a_deleted_row(store, raw_db):
    manager = make_user(store, "mia", Role.MANAGER)
    for n in range(4):
        store.audit.record(manager, "export", f"report:{n}", "csv")
    drop_audit_guard(raw_db)
    with raw_db.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = 2"))
    assert store.audit.verify_chain() == 3


def test_concurrent_writers_lose_nothing_and_keep_the_chain(store, raw_db):
    manager, tech = make_user(store, "mia", Role.MANAGER), make_user(store, "tina")
    errors = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                record_attempt(store, tech.user_id, AttemptKind.PRACTICE, "skin-science",
                                     [stored_answer(p) for p in range(3)], AttemptResult(1.0, None))
                store.audit.record(manager, "export", f"thread:{n}:{i}")
        except Exception as error:  # collected so the main thread reports it
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert row_counts(raw_db) == (40, 120, 40)
    ids = [row.id for row in store.audit.rows(manager, limit=None)]
    assert sorted(ids) == list(range(1, len(ids) + 1)) and store.audit.verify_chain() is None


def test_a_bad_attempt_among_concurrent_ones_spoils_no_other(store, raw_db):
    tech = make_user(store, "tina")
    start, outcomes = threading.Barrier(6), []

    def submit(n: int) -> None:
        given = [stored_answer(0), replace(stored_answer(1), question_id=None) if n == 0 else stored_answer(1)]
        start.wait()  # all at once, so the writers queue on each other
        try:
            outcomes.append(("saved", record_attempt(store, tech.user_id, AttemptKind.QUIZ, "skin-science", given,
                                                           AttemptResult(1.0, True))))
        except StoreError:
            outcomes.append(("refused", n))

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(kind for kind, _ in outcomes) == ["refused"] + ["saved"] * 5
    saved = {value for kind, value in outcomes if kind == "saved"}
    assert {a.id for a in store.attempts.for_user(tech, tech.user_id) if a.finished} == saved
    assert row_counts(raw_db) == (6, 10, 5)  # the refused one stays an open attempt with no answers


def test_busy_database_raises_a_plain_store_error(db_url, clock, monkeypatch):
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    store = Store.open(db_url, clock=clock, audit_key=settings.audit_key())  # its connections get the short timeout
    tech = make_user(store, "tina")
    blocker = create_engine(db_url)
    with blocker.connect() as conn:
        if store.backend == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.begin()
            conn.exec_driver_sql("LOCK TABLE lesson_reads IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(StoreError, match="could not be reached or stayed busy"):
            store.lessons.mark_read(tech.user_id, "skin-science")
        conn.exec_driver_sql("ROLLBACK") if store.backend == "sqlite" else conn.rollback()
    blocker.dispose()
    store.lessons.mark_read(tech.user_id, "skin-science")
    assert list(store.lessons.read_by(tech.user_id)) == ["skin-science"]
    store.close()


def test_unreachable_database_raises_a_plain_store_error(tmp_path):
    with pytest.raises(StoreError, match="could not be reached"):
        Store.open("postgresql+psycopg://nobody@127.0.0.1:1/none")
    (tmp_path / "a-folder.db").mkdir()
    with pytest.raises(StoreError, match="could not be reached"):
        Store.open(f"sqlite:///{tmp_path / 'a-folder.db'}")


def test_clinic_settings_are_an_attributed_history_and_only_managers_change_them(store, clock):
    manager, tech = make_user(store, "mia", Role.MANAGER), make_user(store, "tina")
    assert store.clinic.current() == {}
    store.clinic.set("public_address", "http://127.0.0.1:8501", None)  # the first-run page, before any account
    clock.advance(days=1)
    store.clinic.set("public_address", "https://training.clinic.example", manager)
    store.clinic.set("clinic_name", "Riverside Clinic", manager)
    assert store.clinic.current() == {"public_address": "https://training.clinic.example",
                                      "clinic_name": "Riverside Clinic"}
    with pytest.raises(PermissionDenied):
        store.clinic.set("clinic_name", "Mine now", tech)
    with pytest.raises(ValueError):
        store.clinic.set("database_url", "x", manager)
    changes = store.audit.rows(manager, action="clinic_setting_changed")
    assert [(c.actor_username, c.target) for c in changes] == [
        ("mia", "clinic:clinic_name"), ("mia", "clinic:public_address"), ("system", "clinic:public_address")]
