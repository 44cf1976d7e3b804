"""Attempts as stored: practice rounds, graded quizzes, exams and review sessions, their answers and results.

An attempt is opened with `start`, answers arrive one by one (`record_response`, for practice and exams) or all
together with the result (`submit`, one transaction), and `finish` closes it. Nothing is ever changed: an exam's
changed answer is a new row, and the answer that counts is the latest one per question. What each question showed is
kept as its version (stored once, in the same transaction) and the order shown: see question_versions.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, exists, insert, select

from modules.core.errors import PermissionDenied, StoreError
from modules.core.records import Actor, Attempt, AttemptResult, QuestionSnapshot, ResponseRecord
from modules.core.types import AttemptId, AttemptKind, ClosedBy, ResponseId, UserId
from modules.store import item_sums
from modules.store import question_versions as versions
from modules.store.answers import response_record
from modules.store.audit import AuditLog
from modules.store.database import Database, Prebuilt, inserted_id
from modules.store.schema import attempt_results, attempts, dumps, loads, question_versions, responses

# Built once: the attempt-writing statements are the hot path (see bench/bench_store_writes.py).
_INSERT_ATTEMPT, _INSERT_RESPONSE, _INSERT_RESULT = insert(attempts), insert(responses), insert(attempt_results)
_RESPONSE_COLUMNS = [column.name for column in responses.c if column.name != "id"]
# An answer as given, unless the attempt has its result: the check and the insert are one statement.
_INSERT_RESPONSE_IF_OPEN = Prebuilt(insert(responses).from_select(
    _RESPONSE_COLUMNS,
    select(*(bindparam(name, type_=responses.c[name].type) for name in _RESPONSE_COLUMNS))
    .where(~exists().where(attempt_results.c.attempt_id == bindparam("attempt_id")))).returning(responses.c.id))


def _attempts(conn: Connection, rows: Sequence[Row[Any]]) -> list[Attempt]:
    """Attempts with their drawn questions rebuilt from the versions they name (read in one go)."""
    stored = versions.contents(conn, (key for row in rows for key in versions.drawn_version_ids(row.questions_json)))
    return [_attempt(row, versions.rebuild_drawn(row.questions_json, stored)) for row in rows]


def _attempt(row: Row[Any], questions: list[QuestionSnapshot] | None) -> Attempt:
    result = None
    if row.finished_at is not None:
        result = AttemptResult(row.score, None if row.passed is None else bool(row.passed), ClosedBy(row.closed_by),
                               loads(row.detail_json), row.finished_at)
    return Attempt(AttemptId(row.id), UserId(row.user_id), AttemptKind(row.kind), row.module_id, row.started_at,
                   row.deadline, questions, loads(row.policy_json), result,
                   tuple(versions.drawn_versions(row.questions_json)))


def _response_rows(conn: Connection, attempt_id: AttemptId, records: list[ResponseRecord],
                   now: datetime) -> list[dict[str, Any]]:
    """The rows of `records`, storing the versions they showed that are not stored yet (in the caller's write)."""
    shown = [versions.split(record.snapshot) for record in records]
    ids = versions.stored_ids(conn, shown)
    return [_response_row(attempt_id, record, (ids[version.hash], version.order), now)
            for record, version in zip(records, shown)]


def _response_row(attempt_id: AttemptId, record: ResponseRecord, version: tuple[int, str],
                  now: datetime) -> dict[str, Any]:
    version_id, order = version
    return {"attempt_id": attempt_id, "position": record.position, "question_id": record.question_id,
            "module_id": record.module_id, "content_hash": record.content_hash, "version_id": version_id,
            "shown_order": order, "answer_json": dumps(record.answer), "score": float(record.score),
            "correct": bool(record.correct), "answered_at": record.answered_at or now,
            "seconds_taken": record.seconds_taken}


def _insert_attempt(conn: Connection, user_id: UserId, kind: AttemptKind, module_id: str | None,
                    deadline: datetime | None, questions: list[QuestionSnapshot] | None,
                    policy: dict[str, Any] | None, started_at: datetime) -> AttemptId:
    """Insert an attempt, storing the versions of the questions it drew that are not stored yet."""
    questions_json = None
    if questions is not None:
        drawn = [versions.split(snapshot) for snapshot in questions]
        questions_json = versions.drawn_json(list(questions), drawn, versions.stored_ids(conn, drawn))
    return AttemptId(inserted_id(conn.execute(_INSERT_ATTEMPT, {
        "user_id": user_id, "kind": AttemptKind(kind).value, "module_id": module_id, "started_at": started_at,
        "deadline": deadline, "questions_json": questions_json,
        "policy_json": None if policy is None else dumps(policy)})))


def result_row(attempt_id: AttemptId, result: AttemptResult, now: datetime) -> dict[str, Any]:
    return {"attempt_id": attempt_id, "finished_at": result.finished_at or now, "score": float(result.score),
            "passed": result.passed, "closed_by": ClosedBy(result.closed_by).value,
            "detail_json": None if result.detail is None else dumps(result.detail)}


_HAS_RESULT = select(attempt_results.c.attempt_id).where(attempt_results.c.attempt_id == bindparam("attempt_id"))


_OWNER = select(attempts.c.user_id).where(attempts.c.id == bindparam("attempt_id"))
_GIVEN = (select(responses.c.position, responses.c.answer_json, responses.c.answered_at)
          .where(responses.c.attempt_id == bindparam("attempt_id")).order_by(responses.c.id))  # the latest wins


def _has_result(conn: Connection, attempt_id: AttemptId) -> bool:
    return conn.execute(_HAS_RESULT, {"attempt_id": attempt_id}).first() is not None


def _attempt_query() -> Select[Any]:
    return (select(attempts, attempt_results.c.finished_at, attempt_results.c.score, attempt_results.c.passed,
                   attempt_results.c.closed_by, attempt_results.c.detail_json)
            .outerjoin(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
            .order_by(attempts.c.started_at, attempts.c.id))


class Attempts:
    def __init__(self, db: Database, audit: AuditLog):
        self._db = db
        self._audit = audit

    # ---- writes -----------------------------------------------------------------------------------

    def start(self, user_id: UserId, kind: AttemptKind, module_id: str | None = None,
              deadline: datetime | None = None, questions: list[QuestionSnapshot] | None = None,
              policy: dict[str, Any] | None = None, started_at: datetime | None = None) -> AttemptId:
        """Open an attempt; it is closed by `submit` (all answers at once) or `finish`."""
        started_at = started_at or self._db.clock()
        with self._db.write() as conn:
            return _insert_attempt(conn, user_id, kind, module_id, deadline, questions, policy, started_at)

    def start_checked(self, user_id: UserId, kind: AttemptKind, decide: Callable[[list[Attempt]], Attempt | None],
                      module_id: str | None = None, deadline: datetime | None = None,
                      questions: list[QuestionSnapshot] | None = None, policy: dict[str, Any] | None = None,
                      started_at: datetime | None = None) -> AttemptId:
        """Count, then start, in ONE serialised transaction, so two clicks at once cannot both pass a limit.

        `decide` sees this person's attempts of `kind` as they stand inside the transaction, without their
        questions (None: the rules count attempts, and reading every question back would cost more than the start):
        it raises to refuse (a daily limit), returns an attempt to resume instead (one open exam), or returns None to
        start a new one.
        """
        started_at = started_at or self._db.clock()
        with self._db.write() as conn:
            self._db.lock_person(conn, user_id)
            existing = [_attempt(row, None) for row in conn.execute(
                _attempt_query().where(attempts.c.user_id == user_id, attempts.c.kind == AttemptKind(kind).value))]
            resumed = decide(existing)
            if resumed is not None:
                return resumed.id
            return _insert_attempt(conn, user_id, kind, module_id, deadline, questions, policy, started_at)

    def record_response(self, attempt_id: AttemptId, record: ResponseRecord,
                        version: tuple[int, str] | None = None) -> ResponseId:
        """Append one answer as given; refused once the attempt has a result. Returns once it is saved.

        `version` is the stored version and order of the question as the attempt drew it (`Attempt.versions`),
        which spares finding it again from the snapshot. Answers arrive many a minute from many people, so they
        share commits (`Database.grouped_write`).
        """
        now = self._db.clock()

        def append(conn: Connection) -> ResponseId:
            if version is None:
                (row,) = _response_rows(conn, attempt_id, [record], now)
            else:
                row = _response_row(attempt_id, record, version, now)
            saved = _INSERT_RESPONSE_IF_OPEN.execute(conn, row).first()
            if saved is None:
                raise StoreError("This attempt is already finished; the answer was not recorded.")
            return ResponseId(saved[0])

        return self._db.grouped_write(append)

    def submit(self, attempt_id: AttemptId, responses_given: list[ResponseRecord], result: AttemptResult) -> None:
        """Every answer and the result of an attempt opened by `start`, in ONE transaction."""
        now = self._db.clock()
        with self._db.write() as conn:
            if _has_result(conn, attempt_id):
                raise StoreError("This attempt was already submitted; it cannot be submitted twice.")
            if responses_given:
                conn.execute(_INSERT_RESPONSE, _response_rows(conn, attempt_id, responses_given, now))
            conn.execute(_INSERT_RESULT, result_row(attempt_id, result, now))
            self._audit.seal(conn, "attempt_results", attempt_id)
            item_sums.add_finished(self._db, conn, attempt_id)

    def finish(self, attempt_id: AttemptId, result: AttemptResult) -> None:
        """Close an open attempt whose answers are already stored; a second result is refused."""
        with self._db.write() as conn:
            if conn.execute(select(attempts.c.id).where(attempts.c.id == attempt_id)).first() is None:
                raise StoreError("There is no such attempt.")
            if _has_result(conn, attempt_id):
                raise StoreError("This attempt already has a result; it cannot be recorded twice.")
            conn.execute(_INSERT_RESULT, result_row(attempt_id, result, self._db.clock()))
            self._audit.seal(conn, "attempt_results", attempt_id)
            item_sums.add_finished(self._db, conn, attempt_id)

    # ---- reads ------------------------------------------------------------------------------------

    def for_user(self, actor: Actor, user_id: UserId, kind: AttemptKind | None = None,
                 module_id: str | None = None) -> list[Attempt]:
        """One person's attempts, oldest first; a technician may ask only for their own."""
        if not actor.may_read(user_id):
            raise PermissionDenied("You can only see your own attempts.")
        query = _attempt_query().where(attempts.c.user_id == user_id)
        if kind is not None:
            query = query.where(attempts.c.kind == AttemptKind(kind).value)
        if module_id is not None:
            query = query.where(attempts.c.module_id == module_id)
        with self._db.read() as conn:
            return _attempts(conn, conn.execute(query).all())

    def get(self, actor: Actor, attempt_id: AttemptId) -> Attempt:
        with self._db.read() as conn:
            row = conn.execute(_attempt_query().where(attempts.c.id == attempt_id)).first()
            if row is None:
                raise StoreError("There is no such attempt.")
            if not actor.may_read(row.user_id):
                raise PermissionDenied("You can only see your own attempts.")
            return _attempts(conn, [row])[0]

    def open_one(self, user_id: UserId, kind: AttemptKind) -> Attempt | None:
        """The latest attempt of this kind that has no result yet (an exam still running), if any."""
        query = _attempt_query().where(attempts.c.user_id == user_id, attempts.c.kind == AttemptKind(kind).value,
                                       attempt_results.c.attempt_id.is_(None))
        with self._db.read() as conn:
            rows = conn.execute(query).all()
            return _attempts(conn, rows[-1:])[0] if rows else None

    def responses(self, actor: Actor, attempt_id: AttemptId) -> list[ResponseRecord]:
        """Every answer row as given, oldest first (for exams, a changed answer appears more than once)."""
        self.get(actor, attempt_id)
        with self._db.read() as conn:
            rows = conn.execute(select(responses, question_versions.c.content_json)
                                .join(question_versions, question_versions.c.id == responses.c.version_id)
                                .where(responses.c.attempt_id == attempt_id).order_by(responses.c.id))
            return [response_record(row) for row in rows]

    def answers_given(self, actor: Actor, attempt_id: AttemptId) -> dict[int, tuple[Any, datetime]]:
        """The answer that counts at each position shown (the latest given) and when it was given: what the quiz
        and exam pages need on every run and to grade, without rebuilding what each question showed."""
        with self._db.read() as conn:
            owner = conn.execute(_OWNER, {"attempt_id": attempt_id}).first()
            if owner is None:
                raise StoreError("There is no such attempt.")
            if not actor.may_read(owner.user_id):
                raise PermissionDenied("You can only see your own attempts.")
            rows = conn.execute(_GIVEN, {"attempt_id": attempt_id}).all()
        return {row.position: (loads(row.answer_json), row.answered_at) for row in rows}

    def current_responses(self, actor: Actor, attempt_id: AttemptId) -> list[ResponseRecord]:
        """The answer that counts for each question (the latest row), in the order shown."""
        latest: dict[str, ResponseRecord] = {}
        for record in self.responses(actor, attempt_id):
            latest[record.question_id] = record
        return sorted(latest.values(), key=lambda record: (record.position, record.id or 0))
