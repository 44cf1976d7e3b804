"""The record store: every read and write of accounts, attempts, certificates and the audit log.

One `Store` over SQLAlchemy Core, on SQLite (default, a file under progress/) or PostgreSQL (a chain of
clinics). All SQL of the platform lives here and in `store_schema`. Writes are short transactions; on
SQLite they start with BEGIN IMMEDIATE so concurrent writers queue on the busy timeout instead of failing
halfway. History (attempts, answers, results, certificates, revocations, sign-offs, audit) is append-only:
there is no method to change it and the database refuses an UPDATE or DELETE. Read methods that return
someone's records take the acting user and refuse a technician who asks for another person's.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import Connection, Engine, create_engine, event, exc, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from modules import settings
from modules.auth import check_password_rules, hash_password
from modules.core.clock import Clock, system_clock
from modules.core.types import AttemptKind, ModuleId, QuestionId, Role, UserId
from modules.core.errors import AuthError, PermissionDenied, StoreError
from modules.store.records import _PG_WRITE_LOCK, RecordsMixin
from modules.core.records import Actor, Attempt, AttemptResult, AuditRow, Certificate, ResponseRecord, ReviewCard, Signoff, User
from modules.store.schema import (
    SCHEMA_VERSION,
    append_only_ddl,
    attempt_results,
    attempts,
    dumps,
    loads,
    metadata,
    responses,
    schema_version,
    sign_in_failures,
    users,
)

__all__ = ["Store", "Actor", "User", "Attempt", "AttemptResult", "ResponseRecord", "Certificate", "Signoff",
           "ReviewCard", "AuditRow", "verify_audit_chain"]

BUSY_TIMEOUT_MS = 10_000
_UNREACHABLE = "The record store could not be reached or stayed busy too long; nothing was saved. Please try again."
_REFUSED = "The record store refused the change; nothing was saved."
# Built once: the attempt-writing statements are the hot path (see bench/bench_store_writes.py).
_INSERT_ATTEMPT, _INSERT_RESPONSE, _INSERT_RESULT = insert(attempts), insert(responses), insert(attempt_results)
_INSERT_ATTEMPTS = _INSERT_ATTEMPT.returning(attempts.c.id, sort_by_parameter_order=True)


def _as_store_error(error: BaseException) -> BaseException:
    """A database failure as StoreError with a sentence a user can read; anything else unchanged."""
    if isinstance(error, exc.TimeoutError) or (
        isinstance(error, exc.DBAPIError)
        and (isinstance(error, (exc.OperationalError, exc.InterfaceError)) or error.connection_invalidated)
    ):
        translated = StoreError(_UNREACHABLE)
    elif isinstance(error, exc.DBAPIError):
        translated = StoreError(_REFUSED)
    else:
        return error
    translated.__cause__ = error
    return translated


@contextmanager
def _plain_errors() -> Iterator[None]:
    try:
        yield
    except (exc.DBAPIError, exc.TimeoutError) as error:
        raise _as_store_error(error) from error


def _sqlite_engine(url) -> Engine:
    memory = url.database in (None, "", ":memory:")
    if memory:
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=10, max_overflow=20)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # sqlite3 must not issue its own BEGIN; the "begin" hook below does, as IMMEDIATE for writes.
        dbapi_connection.isolation_level = None
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", f"busy_timeout={BUSY_TIMEOUT_MS}"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("store_write") else "BEGIN")

    return engine


def _postgres_engine(url) -> Engine:
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                           connect_args={"connect_timeout": 10})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.commit()

    return engine


def _require_manager(actor: Actor | None, doing: str) -> None:
    if actor is not None and Role(actor.role) != Role.MANAGER:
        raise PermissionDenied(f"Only a manager may {doing}.")


def _normal_username(username: str) -> str:
    name = username.strip().lower()
    if not name or len(name) > 80 or any(ch.isspace() for ch in name):
        raise AuthError("A username needs 1 to 80 characters and no spaces.")
    return name


def _user(row) -> User:
    return User(UserId(row.id), row.username, row.full_name, Role(row.role), row.location, bool(row.active),
                bool(row.must_change_password), row.created_at)


def _attempt(row) -> Attempt:
    result = None
    if row.finished_at is not None:
        result = AttemptResult(row.score, None if row.passed is None else bool(row.passed), row.closed_by,
                               loads(row.detail_json), row.finished_at)
    return Attempt(row.id, UserId(row.user_id), AttemptKind(row.kind), row.module_id, row.started_at, row.deadline,
                   loads(row.questions_json), loads(row.policy_json), result)


def _response(row) -> ResponseRecord:
    return ResponseRecord(row.position, QuestionId(row.question_id), ModuleId(row.module_id), row.content_hash,
                          loads(row.snapshot_json), loads(row.answer_json), row.score, bool(row.correct),
                          row.answered_at, row.seconds_taken, row.id, row.attempt_id)


@dataclass(eq=False)
class _PendingAttempt:
    """An attempt encoded and waiting for its turn in a group commit."""

    header: dict[str, Any]
    rows: list[dict[str, Any]]
    result: dict[str, Any]
    attempt_id: int | None = None
    error: BaseException | None = None
    done: bool = False


class Store(RecordsMixin):
    """The one front object over the database. Build it with `Store.open()`."""

    def __init__(self, engine: Engine, clock: Clock = system_clock):
        self.engine = engine
        self.clock = clock
        # SQLite allows one writer at a time. Queueing this process's writers on a lock hands the write over
        # at once, where SQLite's busy handler would make them sleep and poll; other processes still queue
        # on busy_timeout.
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._batch_turn = threading.Condition()
        self._batch_leader = False
        self._pending: list[_PendingAttempt] = []
        # Test seam: called with the index before each response row of record_attempt is written.
        self._before_each_response: Callable[[int], None] | None = None

    @classmethod
    def open(cls, url: str | None = None, clock: Clock = system_clock) -> Store:
        """Connect (URL argument, else setting/env TRAINING_DB_URL) and create the schema on first start."""
        parsed = make_url(url or settings.get("TRAINING_DB_URL"))
        if parsed.get_backend_name() == "sqlite":
            engine = _sqlite_engine(parsed)
        elif parsed.get_backend_name() == "postgresql":
            engine = _postgres_engine(parsed)
        else:
            raise StoreError("The database URL must point to SQLite or PostgreSQL.")
        store = cls(engine, clock)
        try:
            store._ensure_schema()
        except BaseException:
            engine.dispose()
            raise
        return store

    def close(self) -> None:
        self.engine.dispose()

    # ---- transactions -------------------------------------------------------------------------

    @property
    def _postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def _writer_slot(self) -> Iterator[None]:
        """On SQLite, this process's turn to write."""
        lock = self._write_lock
        if lock is not None and not lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise StoreError(_UNREACHABLE)
        try:
            yield
        finally:
            if lock is not None:
                lock.release()

    @contextmanager
    def _transaction(self, serialised: bool = False) -> Iterator[Connection]:
        """One all-or-nothing write transaction (BEGIN IMMEDIATE on SQLite)."""
        with _plain_errors(), self.engine.connect() as conn:
            conn.execution_options(store_write=True)
            with conn.begin():
                if serialised and self._postgres:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_WRITE_LOCK})
                yield conn

    @contextmanager
    def _write(self, serialised: bool = False) -> Iterator[Connection]:
        with self._writer_slot(), self._transaction(serialised) as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with _plain_errors(), self.engine.connect() as conn, conn.begin():
            yield conn

    def _ensure_schema(self) -> None:
        with self._write(serialised=True) as conn:
            metadata.create_all(conn)
            version = conn.execute(select(func.max(schema_version.c.version))).scalar()
            if version is None:
                for statement in append_only_ddl(self.engine.dialect.name):
                    conn.exec_driver_sql(statement)
                conn.execute(insert(schema_version), {"version": SCHEMA_VERSION, "applied_at": self.clock()})
            elif version > SCHEMA_VERSION:
                raise StoreError("The database was written by a newer version of this app; update the app first.")

    def schema_version(self) -> int | None:
        with self._read() as conn:
            return conn.execute(select(func.max(schema_version.c.version))).scalar()

    # ---- accounts -----------------------------------------------------------------------------

    def create_user(self, username: str, full_name: str, role: Role, password: str, location: str | None = None,
                    actor: Actor | None = None, must_change_password: bool = False, *,
                    only_if_no_users: bool = False) -> UserId:
        """A new account; actor None means the system (first run, seeding). Refuses a taken username."""
        _require_manager(actor, "create accounts")
        name, role = _normal_username(username), Role(role)
        if not full_name.strip():
            raise AuthError("Please give the person's full name.")
        problems = check_password_rules(password)
        if problems:
            raise AuthError(" ".join(problems))
        password_hash = hash_password(password)  # slow on purpose, so done before the write lock is taken
        with self._write(serialised=True) as conn:
            if only_if_no_users and conn.execute(select(func.count()).select_from(users)).scalar():
                raise AuthError("An account already exists; sign in instead.")
            if conn.execute(select(users.c.id).where(users.c.username == name)).first():
                raise AuthError(f"The username {name!r} is already taken.")
            user_id = conn.execute(insert(users).values(
                username=name, full_name=full_name.strip(), role=role.value, location=location or None,
                password_hash=password_hash, active=True, must_change_password=must_change_password,
                created_at=self.clock())).inserted_primary_key[0]
            self._append_audit(conn, actor, "user_created", f"user:{user_id}",
                               {"username": name, "role": role.value, "location": location})
        return UserId(user_id)

    def get_user(self, user_id: int) -> User | None:
        with self._read() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
        return _user(row) if row else None

    def find_user(self, username: str) -> User | None:
        found = self.credentials(username)
        return found[0] if found else None

    def credentials(self, username: str) -> tuple[User, str] | None:
        """The user and their password hash, for sign-in only."""
        with self._read() as conn:
            row = conn.execute(select(users).where(users.c.username == username.strip().lower())).first()
        return (_user(row), row.password_hash) if row else None

    def list_users(self, role: Role | None = None, active_only: bool = False) -> list[User]:
        query = select(users).order_by(users.c.full_name, users.c.id)
        if role is not None:
            query = query.where(users.c.role == Role(role).value)
        if active_only:
            query = query.where(users.c.active.is_(True))
        with self._read() as conn:
            return [_user(row) for row in conn.execute(query)]

    def count_users(self) -> int:
        with self._read() as conn:
            return conn.execute(select(func.count()).select_from(users)).scalar_one()

    def _change_user(self, user_id: int, actor: Actor | None, action: str, values: dict[str, Any],
                     detail: dict[str, Any]) -> None:
        with self._write(serialised=True) as conn:
            before = conn.execute(select(users).where(users.c.id == user_id)).first()
            if before is None:
                raise StoreError("There is no such account.")
            conn.execute(update(users).where(users.c.id == user_id).values(**values))
            managers = select(func.count()).select_from(users).where(
                users.c.role == Role.MANAGER.value, users.c.active.is_(True))
            if before.role == Role.MANAGER.value and before.active and not conn.execute(managers).scalar():
                raise AuthError("At least one active manager must remain.")
            self._append_audit(conn, actor, action, f"user:{user_id}", detail)

    def set_active(self, user_id: int, active: bool, actor: Actor | None) -> None:
        _require_manager(actor, "activate or deactivate accounts")
        self._change_user(user_id, actor, "user_activated" if active else "user_deactivated",
                          {"active": active}, {"active": active})

    def set_role(self, user_id: int, role: Role, actor: Actor | None) -> None:
        _require_manager(actor, "change roles")
        self._change_user(user_id, actor, "role_changed", {"role": Role(role).value}, {"role": Role(role).value})

    def set_location(self, user_id: int, location: str | None, actor: Actor | None) -> None:
        _require_manager(actor, "change locations")
        self._change_user(user_id, actor, "location_changed", {"location": location}, {"location": location})

    def set_password(self, user_id: int, password: str, actor: Actor | None,
                     must_change_password: bool = False) -> None:
        """Own change (actor is the user) or a manager's reset (usually with must_change_password)."""
        if actor is not None and actor.user_id != user_id:
            _require_manager(actor, "set another person's password")
        problems = check_password_rules(password)
        if problems:
            raise AuthError(" ".join(problems))
        self._change_user(user_id, actor, "password_changed",
                          {"password_hash": hash_password(password), "must_change_password": must_change_password},
                          {"must_change_password": must_change_password})

    # ---- sign-in bookkeeping (policy lives in modules.auth) -----------------------------------

    def locked_until(self, user_id: int) -> datetime | None:
        with self._read() as conn:
            return conn.execute(select(sign_in_failures.c.locked_until)
                                .where(sign_in_failures.c.user_id == user_id)).scalar()

    def register_failed_sign_in(self, user_id: int, limit: int, lock_for: timedelta) -> datetime | None:
        """Count one more consecutive failure; lock when it reaches `limit`. Returns the lock's end, if locked."""
        now = self.clock()
        with self._write(serialised=True) as conn:
            row = conn.execute(select(sign_in_failures).where(sign_in_failures.c.user_id == user_id)).first()
            expired = row is not None and row.locked_until is not None and row.locked_until <= now
            count = 1 if row is None or expired else row.consecutive + 1
            locked = now + lock_for if count >= limit else None
            values = {"consecutive": count, "locked_until": locked, "last_failure_at": now}
            if row is None:
                conn.execute(insert(sign_in_failures).values(user_id=user_id, **values))
            else:
                conn.execute(update(sign_in_failures).where(sign_in_failures.c.user_id == user_id).values(**values))
            actor = self._actor_row(conn, user_id)
            self._append_audit(conn, actor, "sign_in_failed", f"user:{user_id}", f"wrong password ({count} in a row)")
            if locked is not None:
                self._append_audit(conn, actor, "account_locked", f"user:{user_id}", f"until {locked.isoformat()}")
        return locked

    def record_sign_in(self, user_id: int, new_hash: str | None = None) -> None:
        """A successful sign-in: clear the failure count, store a rehashed password if given, audit it."""
        with self._write(serialised=True) as conn:
            conn.execute(sign_in_failures.delete().where(sign_in_failures.c.user_id == user_id))
            if new_hash is not None:
                conn.execute(update(users).where(users.c.id == user_id).values(password_hash=new_hash))
            detail = "password rehashed with current parameters" if new_hash else ""
            self._append_audit(conn, self._actor_row(conn, user_id), "sign_in", f"user:{user_id}", detail)

    @staticmethod
    def _actor_row(conn: Connection, user_id: int) -> Actor:
        role = conn.execute(select(users.c.role).where(users.c.id == user_id)).scalar_one()
        return Actor(UserId(user_id), Role(role))

    # ---- attempts and answers ------------------------------------------------------------------

    @staticmethod
    def _attempt_header(user_id: int, kind: AttemptKind, module_id: str | None, started_at: datetime,
                        deadline: datetime | None, questions: list[str] | None,
                        policy: dict[str, Any] | None) -> dict[str, Any]:
        return {"user_id": user_id, "kind": AttemptKind(kind).value, "module_id": module_id, "started_at": started_at,
                "deadline": deadline, "questions_json": None if questions is None else dumps(list(questions)),
                "policy_json": None if policy is None else dumps(policy)}

    @staticmethod
    def _response_row(attempt_id: int, record: ResponseRecord, now: datetime) -> dict[str, Any]:
        return {"attempt_id": attempt_id, "position": record.position, "question_id": record.question_id,
                "module_id": record.module_id, "content_hash": record.content_hash,
                "snapshot_json": dumps(record.snapshot), "answer_json": dumps(record.answer),
                "score": float(record.score), "correct": bool(record.correct),
                "answered_at": record.answered_at or now, "seconds_taken": record.seconds_taken}

    @staticmethod
    def _result_row(attempt_id: int, result: AttemptResult, now: datetime) -> dict[str, Any]:
        return {"attempt_id": attempt_id, "finished_at": result.finished_at or now, "score": float(result.score),
                "passed": result.passed, "closed_by": result.closed_by,
                "detail_json": None if result.detail is None else dumps(result.detail)}

    def start_attempt(self, user_id: int, kind: AttemptKind, module_id: str | None = None,
                      deadline: datetime | None = None, questions: list[str] | None = None,
                      policy: dict[str, Any] | None = None, started_at: datetime | None = None) -> int:
        """Open an attempt whose answers arrive one by one (exams); it is closed by finish_attempt."""
        with self._write() as conn:
            header = self._attempt_header(user_id, kind, module_id, started_at or self.clock(), deadline, questions,
                                          policy)
            return conn.execute(_INSERT_ATTEMPT, header).inserted_primary_key[0]

    def record_response(self, attempt_id: int, record: ResponseRecord) -> int:
        """Append one answer as given; refused once the attempt has a result."""
        with self._write() as conn:
            if conn.execute(select(attempt_results.c.attempt_id)
                            .where(attempt_results.c.attempt_id == attempt_id)).first():
                raise StoreError("This attempt is already finished; the answer was not recorded.")
            return conn.execute(_INSERT_RESPONSE,
                                self._response_row(attempt_id, record, self.clock())).inserted_primary_key[0]

    def submit_attempt(self, attempt_id: int, responses_given: list[ResponseRecord], result: AttemptResult) -> None:
        """Every answer and the result of an attempt opened by start_attempt, in ONE transaction."""
        now = self.clock()
        rows = [self._response_row(attempt_id, record, now) for record in responses_given]
        with self._write() as conn:
            if conn.execute(select(attempt_results.c.attempt_id)
                            .where(attempt_results.c.attempt_id == attempt_id)).first():
                raise StoreError("This attempt was already submitted; it cannot be submitted twice.")
            for index, row in enumerate(rows):
                if self._before_each_response is not None:
                    self._before_each_response(index)
                conn.execute(_INSERT_RESPONSE, row)
            conn.execute(insert(attempt_results), self._result_row(attempt_id, result, now))

    def record_attempt(self, user_id: int, kind: AttemptKind, module_id: str | None,
                       responses_given: list[ResponseRecord], result: AttemptResult, *,
                       started_at: datetime | None = None, deadline: datetime | None = None,
                       questions: list[str] | None = None, policy: dict[str, Any] | None = None) -> int:
        """Header, every answer and the result in ONE transaction: all of it is stored or none of it."""
        now = self.clock()
        # Everything is encoded before the write turn is taken, to keep the transaction short.
        job = _PendingAttempt(
            self._attempt_header(user_id, kind, module_id, started_at or now, deadline, questions, policy),
            [self._response_row(0, record, now) for record in responses_given], self._result_row(0, result, now))
        if self._write_lock is None:  # PostgreSQL groups concurrent commits itself
            with self._write() as conn:
                return self._write_attempts(conn, [job])[0]
        # Group commit: one waiting caller leads and writes everything queued meanwhile; the others sleep
        # until the leader has committed their attempts too.
        leader_batch: list[_PendingAttempt] = []
        with self._batch_turn:
            self._pending.append(job)
            while not job.done and self._batch_leader:
                self._batch_turn.wait()
            if not job.done:
                self._batch_leader = True
                leader_batch, self._pending = self._pending, []
        if leader_batch:
            try:
                self._write_batch(leader_batch)
            finally:
                with self._batch_turn:
                    self._batch_leader = False
                    self._batch_turn.notify_all()
        if job.error is not None:
            raise job.error
        return job.attempt_id

    def _write_batch(self, batch: list[_PendingAttempt]) -> None:
        """All queued attempts in one transaction, so a busy clinic pays one disk sync for several
        submissions. If that fails, each is retried alone so one bad attempt spoils no other;
        a database that cannot be reached fails them all."""
        try:
            with self._writer_slot():
                if len(batch) > 1:
                    try:
                        with self._transaction() as conn:
                            ids = self._write_attempts(conn, batch)
                        for job, attempt_id in zip(batch, ids):
                            job.attempt_id = attempt_id
                        return
                    except StoreError as error:
                        if str(error) == _UNREACHABLE:
                            raise
                    except Exception:  # noqa: BLE001 - one of them is at fault: found below, one by one
                        pass
                for job in batch:
                    try:
                        with self._transaction() as conn:
                            job.attempt_id = self._write_attempts(conn, [job])[0]
                    except Exception as error:  # noqa: BLE001 - raised to the caller that submitted it
                        job.error = error
        except BaseException as error:
            for job in batch:
                job.attempt_id, job.error = None, StoreError(str(error) if isinstance(error, StoreError)
                                                             else _UNREACHABLE)
                job.error.__cause__ = error
            if not isinstance(error, Exception):
                raise
        finally:
            for job in batch:
                job.done = True

    def _write_attempts(self, conn: Connection, jobs: list[_PendingAttempt]) -> list[int]:
        ids = conn.execute(_INSERT_ATTEMPTS, [job.header for job in jobs]).scalars().all()
        rows, results = [], []
        for job, attempt_id in zip(jobs, ids):
            rows.extend({**row, "attempt_id": attempt_id} for row in job.rows)
            results.append({**job.result, "attempt_id": attempt_id})
        hook = self._before_each_response
        if hook is None:
            if rows:
                conn.execute(_INSERT_RESPONSE, rows)
        else:
            for index, row in enumerate(rows):
                hook(index)
                conn.execute(_INSERT_RESPONSE, row)
        conn.execute(_INSERT_RESULT, results)
        return ids

    def finish_attempt(self, attempt_id: int, score: float, passed: bool | None, closed_by: str = "submitted",
                       detail: dict[str, Any] | None = None, finished_at: datetime | None = None) -> None:
        """Close an open attempt with its result; a second result for the same attempt is refused."""
        result = AttemptResult(score, passed, closed_by, detail, finished_at)
        with self._write() as conn:
            if conn.execute(select(attempts.c.id).where(attempts.c.id == attempt_id)).first() is None:
                raise StoreError("There is no such attempt.")
            if conn.execute(select(attempt_results.c.attempt_id)
                            .where(attempt_results.c.attempt_id == attempt_id)).first():
                raise StoreError("This attempt already has a result; it cannot be recorded twice.")
            conn.execute(_INSERT_RESULT, self._result_row(attempt_id, result, self.clock()))

    def _attempt_query(self):
        return (select(attempts, attempt_results.c.finished_at, attempt_results.c.score, attempt_results.c.passed,
                       attempt_results.c.closed_by, attempt_results.c.detail_json)
                .outerjoin(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
                .order_by(attempts.c.started_at, attempts.c.id))

    def attempts_for(self, actor: Actor, user_id: int, kind: AttemptKind | None = None,
                     module_id: str | None = None) -> list[Attempt]:
        if not actor.may_read(user_id):
            raise PermissionDenied("You can only see your own attempts.")
        query = self._attempt_query().where(attempts.c.user_id == user_id)
        if kind is not None:
            query = query.where(attempts.c.kind == AttemptKind(kind).value)
        if module_id is not None:
            query = query.where(attempts.c.module_id == module_id)
        with self._read() as conn:
            return [_attempt(row) for row in conn.execute(query)]

    def get_attempt(self, actor: Actor, attempt_id: int) -> Attempt:
        with self._read() as conn:
            row = conn.execute(self._attempt_query().where(attempts.c.id == attempt_id)).first()
        if row is None:
            raise StoreError("There is no such attempt.")
        if not actor.may_read(row.user_id):
            raise PermissionDenied("You can only see your own attempts.")
        return _attempt(row)

    def open_attempt(self, user_id: int, kind: AttemptKind) -> Attempt | None:
        """The latest attempt of this kind that has no result yet (an exam still running), if any."""
        query = (self._attempt_query().where(attempts.c.user_id == user_id, attempts.c.kind == AttemptKind(kind).value,
                                             attempt_results.c.attempt_id.is_(None)))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return _attempt(rows[-1]) if rows else None

    def responses_for_attempt(self, actor: Actor, attempt_id: int) -> list[ResponseRecord]:
        """Every answer row as given, oldest first (for exams, a changed answer appears more than once)."""
        self.get_attempt(actor, attempt_id)
        with self._read() as conn:
            rows = conn.execute(select(responses).where(responses.c.attempt_id == attempt_id)
                                .order_by(responses.c.id))
            return [_response(row) for row in rows]

    def current_responses(self, actor: Actor, attempt_id: int) -> list[ResponseRecord]:
        """The answer that counts for each question (the latest row), in the order shown."""
        latest: dict[str, ResponseRecord] = {}
        for record in self.responses_for_attempt(actor, attempt_id):
            latest[record.question_id] = record
        return sorted(latest.values(), key=lambda record: (record.position, record.id))


def verify_audit_chain(store: Store) -> int | None:
    return store.verify_audit_chain()
