"""The store's connection to its database: engines, transactions and the one error translator.

Every part of the store (`accounts`, `attempts`, ...) reads and writes through one `Database`. Writes are short
all-or-nothing transactions; on SQLite they start with BEGIN IMMEDIATE so concurrent writers queue on the busy
timeout instead of failing halfway, and `serialised=True` also takes a PostgreSQL advisory lock, for rules that
count and then insert (the audit chain, the last manager, one certificate per code).
"""

from __future__ import annotations

import gc
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, CursorResult, Engine, TypeDecorator, create_engine, event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from modules.core.clock import Clock
from modules.core.errors import StoreError

BUSY_TIMEOUT_MS = 10_000
PG_WRITE_LOCK = 748_201  # pg_advisory_xact_lock key: serialises writers that extend the audit chain
PG_PERSON_LOCK = 748_203  # with a user id: serialises one person's limit checks (daily quizzes, one open exam)
UNREACHABLE = "The record store could not be reached or stayed busy too long; nothing was saved. Please try again."
REFUSED = "The record store refused the change; nothing was saved."
UNREADABLE = "The record store could not be read just now. Please try again in a moment."
DISK_FULL = "The record store's disk is full, so nothing was saved. Free some space and try again."


def as_store_error(error: BaseException, unreachable: str = UNREACHABLE) -> BaseException:
    """A database failure as StoreError with a sentence a user can read; anything else unchanged."""
    if isinstance(error, exc.OperationalError) and "disk is full" in str(error.orig).lower():
        translated = StoreError(DISK_FULL)  # SQLITE_FULL; PostgreSQL says "No space left on device" (below)
    elif isinstance(error, exc.DBAPIError) and "no space left" in str(error.orig).lower():
        translated = StoreError(DISK_FULL)
    elif isinstance(error, exc.TimeoutError) or (
        isinstance(error, exc.DBAPIError)
        and (isinstance(error, (exc.OperationalError, exc.InterfaceError)) or error.connection_invalidated)
    ):
        translated = StoreError(unreachable)
    elif isinstance(error, exc.DBAPIError):
        translated = StoreError(REFUSED)
    else:
        return error
    translated.__cause__ = error
    return translated


@contextmanager
def plain_errors(unreachable: str = UNREACHABLE) -> Iterator[None]:
    """The one place a database exception becomes a sentence for the user."""
    try:
        yield
    except (exc.DBAPIError, exc.TimeoutError) as error:
        raise as_store_error(error, unreachable) from error


def _sqlite_engine(url: URL) -> Engine:
    memory = url.database in (None, "", ":memory:")
    if memory:
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=10, max_overflow=20)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # sqlite3 must not issue its own BEGIN; the "begin" hook below does, as IMMEDIATE for writes.
        dbapi_connection.isolation_level = None
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", f"busy_timeout={BUSY_TIMEOUT_MS}"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Straight to the driver: SQLAlchemy's full execute path for a bare BEGIN cost more than the BEGIN itself.
        begin = "BEGIN IMMEDIATE" if conn.get_execution_options().get("store_write") else "BEGIN"
        try:
            conn.connection.driver_connection.execute(begin)  # type: ignore[union-attr]
        except sqlite3.Error as error:  # as SQLAlchemy would have wrapped it, so plain_errors can word it
            raise exc.OperationalError(begin, None, error) from error

    return engine


def _postgres_engine(url: URL) -> Engine:
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                           connect_args={"connect_timeout": 10})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.commit()

    return engine


_Built = tuple[str, tuple[str, ...] | None, dict[str, Any]]  # SQL, positional names, conversions


class Prebuilt:
    """A Core statement compiled once per database kind and run with plain driver parameters.

    For the few statements run hundreds of times a minute (an answer as given, a finished quiz's sums): there
    SQLAlchemy's work per call and per row cost more than the database's. The columns' own conversions (UTC times)
    still apply.
    """

    _names_by_sql: dict[str, tuple[str, ...]] = {}  # every positional one built, for bench_store_writes' replay

    def __init__(self, statement: Any):
        self._statement = statement
        self._built: dict[str, _Built] = {}

    def _for(self, conn: Connection) -> _Built:
        found = self._built.get(conn.dialect.name)
        if found is not None:
            return found
        compiled = self._statement.compile(dialect=conn.dialect)
        # Only our own column types convert (UTC times); the drivers take ints, floats, bools and text as they are.
        convert = {name: processor for name, bind in compiled.binds.items()
                   if isinstance(bind.type, TypeDecorator)
                   and (processor := bind.type.bind_processor(conn.dialect)) is not None}
        names = tuple(compiled.positiontup) if compiled.positiontup else None
        built: _Built = (str(compiled), names, convert)
        self._built[conn.dialect.name] = built
        if names is not None:
            Prebuilt._names_by_sql[built[0]] = names
        return built

    @classmethod
    def parameter_names(cls, sql: str) -> tuple[str, ...]:
        """The names of a built positional statement's parameters, in order (() for any other SQL)."""
        return cls._names_by_sql.get(sql, ())

    def execute(self, conn: Connection, rows: dict[str, Any] | list[dict[str, Any]]) -> CursorResult[Any]:
        """One row (a dict), or many in one executemany (a list of dicts with the same keys)."""
        sql, names, convert = self._for(conn)

        def driver(row: dict[str, Any]) -> Any:
            if convert:
                row = {name: convert[name](value) if name in convert else value for name, value in row.items()}
            return row if names is None else tuple(row[name] for name in names)

        if isinstance(rows, dict):
            return conn.exec_driver_sql(sql, driver(rows))
        return conn.exec_driver_sql(sql, [driver(row) for row in rows])


_gc_pauses = 0
_gc_paused_by_us = False
_gc_lock = threading.Lock()


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Around a read that builds tens of thousands of row tuples at once (the register): the cyclic garbage
    collector would stop again and again to scan them, though rows hold no cycles. That was a third of the
    register's read. Threads may overlap; the collector runs again when the last of them is done."""
    global _gc_pauses, _gc_paused_by_us
    with _gc_lock:
        if _gc_pauses == 0 and gc.isenabled():
            gc.disable()
            _gc_paused_by_us = True
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_paused_by_us:
                _gc_paused_by_us = False
                gc.enable()


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key the database gave the row just inserted."""
    key = result.inserted_primary_key
    if key is None:
        raise StoreError(REFUSED)
    return int(key[0])


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names, or None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(str(parsed.database))
    return None


def same_database(first: str, second: str) -> bool:
    """Whether two URLs name the same database (the same SQLite file, or the same server URL)."""
    def place(url: str) -> Path | str:
        file = sqlite_file(url)
        return file.resolve() if file is not None else make_url(url).render_as_string(hide_password=False)

    return place(first) == place(second)


def connect(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL, with the store's connection settings."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError as error:
        raise StoreError(f"The database URL {url!r} cannot be read.") from error
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql":
        return _postgres_engine(parsed)
    raise StoreError("The database URL must point to SQLite or PostgreSQL.")


T = TypeVar("T")


@dataclass
class _Queued(Generic[T]):
    """One thread's part of a grouped write: its task, then its answer once a commit holding it is done."""

    task: Callable[[Connection], T]
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to commit the queue rather than with an answer
    value: Any = None
    error: BaseException | None = None


class Database:
    """One engine, the clock, and the transactions every part of the store uses."""

    def __init__(self, engine: Engine, clock: Clock):
        self.engine = engine
        self.clock = clock
        # SQLite allows one writer at a time. Queueing this process's writers on a lock hands the write over at
        # once, where SQLite's busy handler would make them sleep and poll; other processes still queue on
        # busy_timeout.
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._queue: list[_Queued[Any]] = []
        self._queue_lock = threading.Lock()
        self._leading = False

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def write(self, serialised: bool = False) -> Iterator[Connection]:
        """One all-or-nothing write transaction (BEGIN IMMEDIATE on SQLite)."""
        lock = self._write_lock
        if lock is not None and not lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise StoreError(UNREACHABLE)
        try:
            with plain_errors(), self.engine.connect() as conn:
                conn.execution_options(store_write=True)
                with conn.begin():
                    if serialised and self.postgres:
                        self.lock_writers(conn)
                    yield conn
        finally:
            if lock is not None:
                lock.release()

    def grouped_write(self, task: Callable[[Connection], T]) -> T:
        """Run `task` in a write transaction it may share with the tasks other threads queued meanwhile: one commit
        for all (group commit), returning only once the commit holding it is done, so what returns is saved.

        For small independent appends made many times a minute (an answer as given): each commit is a disk flush,
        and queued tasks ride on the one in progress instead of each waiting for its own. A task that raises
        StoreError wrote nothing and fails alone; any other failure rolls the group back and every task in it is
        run again in a transaction of its own, so one bad task never costs another its write.
        """
        queued: _Queued[T] = _Queued(task)
        with self._queue_lock:
            self._queue.append(queued)
            leading = not self._leading
            self._leading = True
        if not leading:
            queued.done.wait()
            if not queued.lead:
                return self._answer(queued)
        self._commit_queue()
        return self._answer(queued)

    @staticmethod
    def _answer(queued: _Queued[T]) -> T:
        if queued.error is not None:
            raise queued.error
        return queued.value  # type: ignore[no-any-return]

    def _commit_queue(self) -> None:
        """As the leader: commit everything queued so far, answer those tasks, then hand the lead on."""
        with self._queue_lock:
            group, self._queue = self._queue, []
        try:
            self._run_group(group)
        finally:
            for queued in group:
                queued.done.set()
            with self._queue_lock:
                waiting = self._queue[0] if self._queue else None
                if waiting is None:
                    self._leading = False
                else:
                    waiting.lead = True
                    waiting.done.set()

    def _run_group(self, group: list[_Queued[Any]]) -> None:
        try:
            with self.write() as conn:
                for queued in group:
                    try:
                        queued.value = queued.task(conn)
                    except StoreError as error:  # refused before writing: the others still commit
                        queued.error = error
        except BaseException as error:
            if len(group) == 1:
                group[0].value, group[0].error = None, as_store_error(error)
                return
            for queued in group:  # each alone: a failure is then its own
                queued.value, queued.error = None, None
                try:
                    with self.write() as conn:
                        queued.value = queued.task(conn)
                except BaseException as alone:
                    queued.error = as_store_error(alone)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with plain_errors(UNREADABLE), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def lookup(self) -> Iterator[Connection]:
        """For one SELECT that needs no snapshot shared with another: on PostgreSQL it runs in autocommit, which
        spares the BEGIN and ROLLBACK round trips (every page run makes one, to resolve its session)."""
        with plain_errors(UNREADABLE), self.engine.connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT") if self.postgres else conn

    def lock_writers(self, conn: Connection) -> None:
        """On PostgreSQL, wait for every other serialised writer (a no-op when this transaction holds it)."""
        if self.postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_WRITE_LOCK})

    def lock_person(self, conn: Connection, user_id: int) -> None:
        """On PostgreSQL, serialise this person's count-then-insert rules (SQLite's BEGIN IMMEDIATE already does)."""
        if self.postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key, :user_id)"),
                         {"key": PG_PERSON_LOCK, "user_id": user_id})

    def copy_sqlite_to(self, file: Path) -> None:
        """A consistent copy of a SQLite database into `file` through SQLite's online backup API."""
        if self.dialect != "sqlite":
            raise StoreError("Only a SQLite database can be copied to a file; use pg_dump for PostgreSQL.")
        file.parent.mkdir(parents=True, exist_ok=True)
        with plain_errors():
            source = self.engine.raw_connection()
            try:
                with closing(sqlite3.connect(file)) as copy:
                    source.driver_connection.backup(copy)  # type: ignore[union-attr]
            finally:
                source.close()

    def integrity_problems(self) -> list[str]:
        """SQLite's own integrity check ('ok' means none); PostgreSQL checks its pages itself, so none here."""
        if self.dialect != "sqlite":
            return []
        with self.read() as conn:
            found = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA integrity_check")]
        return [] if found == ["ok"] else found

    def close(self) -> None:
        self.engine.dispose()
