"""The record store keeps history intact on SQLite and PostgreSQL: what is written stays written, whole."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, timedelta, timezone

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

import modules.store as store_module
from modules.core.types import AttemptKind, Role
from modules.core.errors import AuthError, PermissionDenied, StoreError
from modules.store import Actor, AttemptResult, ResponseRecord, Store
from modules.store.schema import APPEND_ONLY_TABLES, SCHEMA_VERSION, attempt_results, attempts, metadata, responses

PASSWORD = "a long clinic passphrase"


def make_user(store: Store, username: str, role: Role = Role.TECHNICIAN) -> Actor:
    return Actor(store.create_user(username, username.title(), role, PASSWORD), role)


def answer(position: int, question_id: str | None = None, score: float = 1.0) -> ResponseRecord:
    qid = question_id or f"skin-{position:02d}"
    return ResponseRecord(
        position=position, question_id=qid, module_id="skin-science", content_hash=f"sha-{qid}",
        snapshot={"prompt": f"Question {qid}?", "type": "single", "options": ["a", "b"], "key": ["a"],
                  "explanation": "because", "source": "clinic-material 2.1"},
        answer=["a"] if score else ["b"], score=score, correct=score == 1.0, seconds_taken=4.5,
    )


def row_counts(store: Store) -> tuple[int, int, int]:
    with store.engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (attempts, responses, attempt_results))


def drop_audit_guard(store: Store) -> None:
    """Remove the audit log's triggers the way someone with direct database access could, to tamper with it."""
    with store.engine.begin() as conn:
        if store.engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))


def test_schema_version_is_recorded_once(db_url, clock):
    first = Store.open(db_url, clock=clock)
    first.close()
    again = Store.open(db_url, clock=clock)
    try:
        assert again.schema_version() == SCHEMA_VERSION
        with again.engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM schema_version")).scalar_one() == 1
    finally:
        again.close()


def test_times_read_back_are_utc_aware(store, clock):
    tech = make_user(store, "tina")
    attempt_id = store.start_attempt(tech.user_id, AttemptKind.EXAM, deadline=clock.now + timedelta(minutes=30))
    attempt = store.get_attempt(tech, attempt_id)
    assert attempt.started_at == clock.now and attempt.started_at.tzinfo == timezone.utc
    assert attempt.deadline == clock.now + timedelta(minutes=30)


def test_attempt_round_trips_snapshot_answers_and_result(store):
    tech = make_user(store, "tina")
    given = [answer(0), answer(1, score=0.0), answer(2, score=0.5)]
    attempt_id = store.record_attempt(tech.user_id, AttemptKind.QUIZ, "skin-science", given,
                                      AttemptResult(0.5, False, detail={"pass_mark": 0.8}),
                                      questions=["skin-00", "skin-01", "skin-02"], policy={"size": 3})
    (attempt,) = store.attempts_for(tech, tech.user_id, kind=AttemptKind.QUIZ)
    assert attempt.id == attempt_id and attempt.questions == ["skin-00", "skin-01", "skin-02"]
    assert attempt.result.score == 0.5 and attempt.result.passed is False and attempt.result.detail == {"pass_mark": 0.8}
    stored = store.responses_for_attempt(tech, attempt_id)
    assert [(r.question_id, r.snapshot, r.answer, r.score, r.correct) for r in stored] == [
        (g.question_id, g.snapshot, g.answer, g.score, g.correct) for g in given]


def test_history_tables_refuse_update_and_delete_in_the_database(store, clock):
    manager, tech = make_user(store, "mia", Role.MANAGER), make_user(store, "tina")
    attempt_id = store.record_attempt(tech.user_id, AttemptKind.EXAM, None, [answer(0)], AttemptResult(1.0, True))
    cert = store.issue_certificate(tech.user_id, attempt_id, "Certified", 1.0, clock.now + timedelta(days=365))
    store.revoke_certificate(cert.id, manager, "issued in error")
    store.record_signoff(tech.user_id, manager, date(2025, 3, 1), {"prep": True}, "fine")
    store.mark_lesson_read(tech.user_id, "skin-science")
    store.save_review_card(tech.user_id, "skin-00", {"state": 1}, clock.now)
    refused = []
    for table in APPEND_ONLY_TABLES:
        column = next(iter(metadata.tables[table].columns)).name
        for statement in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):
            try:
                with store.engine.begin() as conn:
                    conn.execute(text(statement))
            except DBAPIError as error:
                assert "append-only" in str(error.orig)
                refused.append(statement)
    assert len(refused) == 2 * len(APPEND_ONLY_TABLES)
    assert row_counts(store) == (1, 1, 1)


def test_attempt_is_all_or_nothing_when_failing_between_responses(store):
    tech = make_user(store, "tina")
    reached = []

    def fail_at_sixth(index: int) -> None:
        reached.append(index)
        if index == 5:
            raise RuntimeError("power cut")

    store._before_each_response = fail_at_sixth
    with pytest.raises(RuntimeError):
        store.record_attempt(tech.user_id, AttemptKind.QUIZ, "skin-science", [answer(i) for i in range(10)],
                             AttemptResult(1.0, True))
    assert reached == [0, 1, 2, 3, 4, 5]
    assert row_counts(store) == (0, 0, 0)


def test_attempt_is_all_or_nothing_when_the_database_refuses_a_response(store):
    tech = make_user(store, "tina")
    bad = replace(answer(4), question_id=None)  # passes Python, refused by the database's NOT NULL
    with pytest.raises(StoreError, match="nothing was saved"):
        store.record_attempt(tech.user_id, AttemptKind.QUIZ, "skin-science",
                             [answer(0), answer(1), answer(2), answer(3), bad], AttemptResult(1.0, True))
    assert row_counts(store) == (0, 0, 0)


def test_exam_answers_append_and_the_latest_counts(store):
    tech = make_user(store, "tina")
    exam = store.start_attempt(tech.user_id, AttemptKind.EXAM, questions=["q1", "q2"])
    assert store.open_attempt(tech.user_id, AttemptKind.EXAM).id == exam
    store.record_response(exam, answer(0, "q1", score=0.0))
    store.record_response(exam, answer(1, "q2"))
    store.record_response(exam, answer(0, "q1", score=1.0))
    assert len(store.responses_for_attempt(tech, exam)) == 3
    assert [(r.question_id, r.score) for r in store.current_responses(tech, exam)] == [("q1", 1.0), ("q2", 1.0)]
    store.finish_attempt(exam, 1.0, True, "deadline")
    assert store.open_attempt(tech.user_id, AttemptKind.EXAM) is None
    with pytest.raises(StoreError, match="already has a result"):
        store.finish_attempt(exam, 0.0, False)
    with pytest.raises(StoreError, match="already finished"):
        store.record_response(exam, answer(1, "q2", score=0.0))
    assert store.get_attempt(tech, exam).result.closed_by == "deadline"


def test_technician_reads_only_their_own_records(store, clock):
    tina, tom = make_user(store, "tina"), make_user(store, "tom")
    trainer = make_user(store, "trey", Role.TRAINER)
    attempt_id = store.record_attempt(tom.user_id, AttemptKind.QUIZ, "skin-science", [answer(0)],
                                      AttemptResult(1.0, True))
    store.issue_certificate(tom.user_id, attempt_id, "Certified", 1.0, clock.now + timedelta(days=365))
    for read in (lambda: store.attempts_for(tina, tom.user_id), lambda: store.get_attempt(tina, attempt_id),
                 lambda: store.responses_for_attempt(tina, attempt_id),
                 lambda: store.certificates_for(tina, tom.user_id), lambda: store.all_certificates(tina)):
        with pytest.raises(PermissionDenied):
            read()
    assert len(store.attempts_for(tom, tom.user_id)) == 1
    assert len(store.responses_for_attempt(trainer, attempt_id)) == 1
    assert len(store.certificates_for(trainer, tom.user_id)) == 1


def test_revocation_is_a_new_attributed_row(store, clock):
    manager, tech = make_user(store, "mia", Role.MANAGER), make_user(store, "tina")
    cert = store.issue_certificate(tech.user_id, None, "Certified", 0.9, clock.now + timedelta(days=365))
    assert store.find_certificate(cert.code.lower()).full_name == "Tina"
    with pytest.raises(PermissionDenied):
        store.revoke_certificate(cert.id, tech, "no")
    clock.advance(days=2)
    store.revoke_certificate(cert.id, manager, "exam taken by someone else")
    found = store.find_certificate(cert.code)
    assert found.revoked and found.revoked_at == clock.now and found.revoked_reason == "exam taken by someone else"
    assert found.issued_at == cert.issued_at
    with pytest.raises(StoreError, match="already revoked"):
        store.revoke_certificate(cert.id, manager, "again")
    assert store.audit_rows(manager, action="certificate_revoked")[0].actor_username == "mia"
    assert store.find_certificate("MDA-NOPE-NOPE") is None


def test_review_cards_lessons_and_signoffs(store, clock):
    trainer, tech = make_user(store, "trey", Role.TRAINER), make_user(store, "tina")
    store.save_review_card(tech.user_id, "q1", {"step": 1}, clock.now + timedelta(days=1))
    clock.advance(days=1)
    store.save_review_card(tech.user_id, "q1", {"step": 2}, clock.now + timedelta(days=4))
    store.save_review_card(tech.user_id, "q2", '{"step": 1}', clock.now + timedelta(days=2))
    assert [(c.question_id, c.card) for c in store.current_review_cards(tech.user_id)] == [
        ("q2", {"step": 1}), ("q1", {"step": 2})]
    store.mark_lesson_read(tech.user_id, "skin-science")
    first = clock.now
    clock.advance(days=1)
    store.mark_lesson_read(tech.user_id, "skin-science")
    assert store.lessons_read(tech.user_id) == {"skin-science": first}
    with pytest.raises(PermissionDenied):
        store.record_signoff(tech.user_id, tech, date(2025, 3, 1), {"prep": True})
    store.record_signoff(tech.user_id, trainer, date(2025, 3, 1), {"prep": True}, "steady hand")
    (signoff,) = store.signoffs_for(tech.user_id)
    assert (signoff.trainer_id, signoff.treated_on, signoff.checklist) == (trainer.user_id, date(2025, 3, 1),
                                                                          {"prep": True})


def test_account_changes_are_checked_and_audited(store):
    manager, tech = make_user(store, "mia", Role.MANAGER), make_user(store, "tina")
    with pytest.raises(AuthError, match="taken"):
        store.create_user("TINA", "Other Tina", Role.TECHNICIAN, PASSWORD)
    with pytest.raises(PermissionDenied):
        store.create_user("tom", "Tom", Role.TECHNICIAN, PASSWORD, actor=tech)
    with pytest.raises(PermissionDenied):
        store.set_role(tech.user_id, Role.MANAGER, tech)
    store.set_role(tech.user_id, Role.TRAINER, manager)
    store.set_active(tech.user_id, False, manager)
    with pytest.raises(AuthError, match="active manager"):
        store.set_active(manager.user_id, False, manager)
    assert store.get_user(tech.user_id).role == Role.TRAINER and not store.get_user(tech.user_id).active
    assert store.get_user(manager.user_id).active
    actions = [row.action for row in store.audit_rows(manager, target=f"user:{tech.user_id}")]
    assert actions == ["user_deactivated", "role_changed", "user_created"]
    with pytest.raises(PermissionDenied):
        store.audit_rows(tech)


def test_audit_chain_detects_an_edited_row(store):
    manager = make_user(store, "mia", Role.MANAGER)
    for n in range(4):
        store.audit(manager, "export", f"report:{n}", "csv")
    assert store.verify_audit_chain() is None
    drop_audit_guard(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET detail = 'pdf' WHERE id = 3"))
    assert store_module.verify_audit_chain(store) == 3


def test_audit_chain_detects_a_deleted_row(store):
    manager = make_user(store, "mia", Role.MANAGER)
    for n in range(4):
        store.audit(manager, "export", f"report:{n}", "csv")
    drop_audit_guard(store)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = 2"))
    assert store.verify_audit_chain() == 3


def test_concurrent_writers_lose_nothing_and_keep_the_chain(store):
    manager, tech = make_user(store, "mia", Role.MANAGER), make_user(store, "tina")
    errors = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                store.record_attempt(tech.user_id, AttemptKind.PRACTICE, "skin-science",
                                     [answer(p) for p in range(3)], AttemptResult(1.0, None))
                store.audit(manager, "export", f"thread:{n}:{i}")
        except Exception as error:  # collected so the main thread reports it
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert row_counts(store) == (40, 120, 40)
    ids = [row.id for row in store.audit_rows(manager, limit=None)]
    assert sorted(ids) == list(range(1, len(ids) + 1)) and store.verify_audit_chain() is None


def test_a_bad_attempt_among_concurrent_ones_spoils_no_other(store):
    tech = make_user(store, "tina")
    start, outcomes = threading.Barrier(6), []

    def submit(n: int) -> None:
        given = [answer(0), replace(answer(1), question_id=None) if n == 0 else answer(1)]
        start.wait()  # all at once, so the store's group commit puts several in one transaction
        try:
            outcomes.append(("saved", store.record_attempt(tech.user_id, AttemptKind.QUIZ, "skin-science", given,
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
    assert {a.id for a in store.attempts_for(tech, tech.user_id)} == saved
    assert row_counts(store) == (5, 10, 5)


def test_busy_database_raises_a_plain_store_error(store, monkeypatch):
    tech = make_user(store, "tina")
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 200)
    store.engine.dispose()  # new connections pick up the short timeout
    blocker = create_engine(store.engine.url)
    with blocker.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.begin()
            conn.exec_driver_sql("LOCK TABLE lesson_reads IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(StoreError, match="could not be reached or stayed busy"):
            store.mark_lesson_read(tech.user_id, "skin-science")
        conn.exec_driver_sql("ROLLBACK") if store.engine.dialect.name == "sqlite" else conn.rollback()
    blocker.dispose()
    store.mark_lesson_read(tech.user_id, "skin-science")
    assert list(store.lessons_read(tech.user_id)) == ["skin-science"]


def test_unreachable_database_raises_a_plain_store_error(tmp_path):
    with pytest.raises(StoreError, match="could not be reached"):
        Store.open("postgresql+psycopg://nobody@127.0.0.1:1/none")
    (tmp_path / "a-folder.db").mkdir()
    with pytest.raises(StoreError, match="could not be reached"):
        Store.open(f"sqlite:///{tmp_path / 'a-folder.db'}")
