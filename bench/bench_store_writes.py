"""How many graded quizzes per second the store takes from 8 technicians at once, as the quiz page writes them.

Each attempt goes through the functions modules/pages/quiz.py calls: `certification.start_quiz` (the daily-limit
check and the attempt, one serialised transaction), `certification.save_quiz_answer` for each of the 25 answers as
the technician gives it (each saved before the call returns, so a reload loses nothing; answers arriving together
share a commit), then `certification.finish_quiz` (the result sealed in the audit chain, then spaced review fed
with the misses). 8 threads, each its own technicians;
every technician sits each module's quiz once, so the daily limit (3 a module) never refuses one. The technician
gets 21 of 25 right (84%, the pass mark): 4 misses, each a review card.

The baseline, in the same run: the statements the store issued for one attempt made alone (so each answer its own
transaction: the raw side commits more often than the store does under load, and the store's commits per attempt
are printed beside it), captured from SQLAlchemy
(`before_cursor_execute` and `commit` on every engine), replayed by 8 threads through raw sqlite3 (and plain psycopg
on PostgreSQL) with the same transactions: the same BEGIN IMMEDIATE/COMMIT boundaries, the same pragmas, the same
in-process queue for SQLite writers the store keeps, a fresh attempt id and technician per attempt, the audit row
chained to the real last row and its HMAC computed. What the store adds on top is SQLAlchemy, building the records,
grading and the domain's reads. SQLite runs on a temporary file; PostgreSQL when TEST_PG_URL names a server (each
side in a schema of its own, dropped afterwards).

Goals (issue #15): >= 300 attempts/s and >= 0.8x raw. Rounds alternate store and raw, and medians are compared, so
a slow spell of the disk hits both alike. Each round also prints the cores this process used and those every other
process on the machine used meanwhile (a busy machine slows the store, which needs the CPU, more than raw, which
waits on the disk); the CPU per attempt is the steadier figure. Figures go to bench/results.json.

Run: .venv/bin/python bench/bench_store_writes.py [--attempts N] [--rounds N] [--profile]
(--profile: one thread of store attempts under cProfile, the functions that take the time.)
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from argon2 import PasswordHasher
from results import Figure, record
from scratch import postgres_schema
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from modules import auth, certification, settings
from modules.banks import BankSet, load_banks
from modules.core.records import User
from modules.core.types import QuestionType, Role
from modules.grading import ShownQuestion
from modules.policy import Policy, load_policy
from modules.store import Store
from modules.store.database import Prebuilt
from modules.store.schema import audit_hash

THREADS = 8
ATTEMPTS_PER_THREAD = 32  # each technician sits each of the 8 modules' quizzes once: 4 technicians a thread
ROUNDS = 3
MISSED = frozenset({3, 9, 15, 21})  # positions answered wrongly: 21 of 25 right
PASSWORD = "quiet harbour lantern 47"
GOAL_RATE = 300
GOAL_RATIO = 0.8
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=10000")  # the store's


# ---------------------------------------------------------------------------------------------- the technicians


def given(shown: ShownQuestion, position: int) -> Any:
    """The technician's answer: the key, except at the MISSED positions, where it scores as a miss."""
    key = shown.key
    if position not in MISSED:
        return key
    if shown.type is QuestionType.SINGLE:
        return next(option for option in shown.options if option != key)
    if shown.type is QuestionType.TRUE_FALSE:
        return not key
    if shown.type is QuestionType.MULTIPLE:
        return [next(option for option in shown.options if option not in key)]
    if shown.type is QuestionType.ORDERING:
        return list(key[1:]) + list(key[:1])
    rights = list(key.values())
    return dict(zip(key, rights[1:] + rights[:1]))


def one_attempt(store: Store, user: User, banks: BankSet, policy: Policy, module_id: str,
                rng: random.Random) -> int:
    """A graded quiz as the quiz page runs it: start, each answer as given, submit. Returns the attempt id."""
    sitting = certification.start_quiz(store, user, banks, policy, module_id, datetime.now(UTC), "UTC", rng)
    for position, shown in enumerate(sitting.shown):
        certification.save_quiz_answer(store, user, sitting, position, given(shown, position), datetime.now(UTC))
    outcome = certification.finish_quiz(store, user, sitting, policy, datetime.now(UTC))
    if outcome.passed is not True:
        raise SystemExit(f"attempt {sitting.attempt.id} scored {outcome.score:.0%}: the answers are not as planned")
    return int(sitting.attempt.id)


@dataclass(frozen=True)
class Clinic:
    """One database seeded with the same technicians in the same order (so both sides get the same user ids)."""

    url: str
    capture_user: User
    technicians: list[list[User]]  # per thread


def seed(url: str, key: bytes, modules: int, attempts: int) -> Clinic:
    store = Store.open(url, audit_key=key)
    try:
        def make(name: str) -> User:
            user = store.accounts.get(auth.create_user(store, name, f"Bench {name}", Role.TECHNICIAN, PASSWORD))
            assert user is not None
            return user

        capture = make("capture")
        per_thread = -(-attempts // modules)
        technicians = [[make(f"tech{n}x{k}") for k in range(per_thread)] for n in range(THREADS)]
    finally:
        store.close()
    return Clinic(url, capture, technicians)


def plan(clinic: Clinic, module_ids: list[str], thread: int, attempts: int) -> list[tuple[User, str]]:
    """Thread `thread`'s attempts in order: each of its technicians through every module, then the next one."""
    return [(clinic.technicians[thread][k // len(module_ids)], module_ids[k % len(module_ids)])
            for k in range(attempts)]


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds
    cpu: float  # this process's CPU seconds, every thread's (the database server's are not in it)
    others: float  # CPU seconds every other process on the machine used meanwhile (PostgreSQL's server included)


def machine_busy() -> float:
    """Seconds of CPU the whole machine has spent busy, from /proc/stat (every core counted)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def run_threads(work: Callable[[int], None]) -> Timing:
    """From the moment all THREADS threads are ready until the last one finishes; re-raises a failure."""
    ready = threading.Barrier(THREADS + 1)
    errors: list[BaseException] = []

    def body(n: int) -> None:
        ready.wait()
        try:
            work(n)
        except BaseException as error:  # reported below: a lost write must not pass silently
            errors.append(error)

    threads = [threading.Thread(target=body, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    ready.wait()
    started, cpu, busy = time.perf_counter(), time.process_time(), machine_busy()
    for thread in threads:
        thread.join()
    cpu = time.process_time() - cpu
    timing = Timing(time.perf_counter() - started, cpu, max(0.0, machine_busy() - busy - cpu))
    if errors:
        raise errors[0]
    return timing


# ------------------------------------------------------------------------------------------ capture and replay


@dataclass(frozen=True)
class Step:
    """One thing the store did on its connection: a statement (with its parameters' names) or a commit/rollback."""

    kind: str  # "sql", "commit" or "rollback"
    sql: str = ""
    parameters: Any = None  # as handed to the driver: a tuple (sqlite3), a dict (psycopg), or a list of them
    names: tuple[str, ...] = ()  # the parameters' names, in order (positional drivers)
    many: bool = False


@dataclass
class Capture:
    """Every statement, commit and rollback the store issues from the capturing thread while inside `with`."""

    steps: list[Step] = field(default_factory=list)
    thread: int = 0

    def _sql(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if threading.get_ident() == self.thread:
            names = (getattr(getattr(context, "compiled", None), "positiontup", None)
                     or Prebuilt.parameter_names(statement))
            self.steps.append(Step("sql", statement, parameters, tuple(names), executemany))

    def _begin(self, conn) -> None:
        # The store sends SQLite's BEGIN straight to the driver (no cursor event): recorded here as it issues it.
        if threading.get_ident() == self.thread and conn.dialect.name == "sqlite":
            write = conn.get_execution_options().get("store_write")
            self.steps.append(Step("sql", "BEGIN IMMEDIATE" if write else "BEGIN", ()))

    def _commit(self, conn) -> None:
        if threading.get_ident() == self.thread:
            self.steps.append(Step("commit"))

    def _rollback(self, conn) -> None:
        if threading.get_ident() == self.thread:
            self.steps.append(Step("rollback"))

    def __enter__(self) -> Capture:
        self.thread = threading.get_ident()
        event.listen(Engine, "before_cursor_execute", self._sql)
        event.listen(Engine, "begin", self._begin)
        event.listen(Engine, "commit", self._commit)
        event.listen(Engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc_info: object) -> None:
        event.remove(Engine, "before_cursor_execute", self._sql)
        event.remove(Engine, "begin", self._begin)
        event.remove(Engine, "commit", self._commit)
        event.remove(Engine, "rollback", self._rollback)


@dataclass(frozen=True)
class Replayed:
    """A captured statement made ready to replay: which of its parameters take this attempt's own values."""

    kind: str
    sql: str = ""
    parameters: Any = None
    many: bool = False
    user_slots: tuple[Any, ...] = ()  # indexes (tuple parameters) or keys (dict parameters)
    attempt_slots: tuple[Any, ...] = ()
    role: str = ""  # "attempt": gives the attempt id; "audit-last": the chain's head; "audit": the audit row
    slots: dict[str, Any] = field(default_factory=dict)  # name -> index or key, for the audit row
    audit_at: datetime | None = None


ATTEMPT_NAMES = {"attempt_id", "attempt_id_1", "id_1"}
USER_NAMES = {"user_id", "user_id_1"}


def _slot_names(step: Step) -> list[tuple[str, Any]]:
    """Each parameter's name and where it sits (a name used twice in a statement sits in two places)."""
    sample = step.parameters[0] if step.many else step.parameters
    if isinstance(sample, dict):
        return [(name, name) for name in sample]
    return [(name, index) for index, name in enumerate(step.names)]


def replayable(steps: list[Step], user_id: int, attempt_id: int) -> list[Replayed]:
    """The captured attempt with the slots that hold its technician's and its attempt's ids marked."""
    out = []
    for step in steps:
        if step.kind != "sql":
            out.append(Replayed(step.kind))
            continue
        named = _slot_names(step)
        slots = dict(named)
        sample = step.parameters[0] if step.many else step.parameters
        user = tuple(slot for name, slot in named if name in USER_NAMES and sample[slot] == user_id)
        attempt = tuple(slot for name, slot in named if name in ATTEMPT_NAMES and sample[slot] == attempt_id)
        head = " ".join(step.sql.split()).upper()
        role, audit_at = "", None
        if head.startswith("INSERT INTO ATTEMPTS "):
            role = "attempt"
        elif head.startswith("SELECT AUDIT_LOG.ID, AUDIT_LOG.HASH"):
            role = "audit-last"
        elif head.startswith("INSERT INTO AUDIT_LOG "):
            role = "audit"
            at = sample[slots["at"]]
            audit_at = at if isinstance(at, datetime) else datetime.fromisoformat(at).replace(tzinfo=UTC)
        out.append(Replayed("sql", step.sql, step.parameters, step.many, user, attempt, role, slots, audit_at))
    return out


@dataclass
class ReplayState:
    user_id: int
    attempt_id: int | None = None
    last_audit: tuple[int, str] | None = None


def bound(step: Replayed, state: ReplayState, key: bytes) -> Any:
    """The step's parameters with this attempt's technician, attempt id and audit chain position."""
    def one(parameters: Any) -> Any:
        values: Any = dict(parameters) if isinstance(parameters, dict) else list(parameters)
        for slot in step.user_slots:
            values[slot] = state.user_id
        for slot in step.attempt_slots:
            values[slot] = state.attempt_id
        if step.role == "audit":
            slots = step.slots
            last_id, prev_hash = state.last_audit or (0, "0" * 64)
            values[slots["id"]] = last_id + 1
            values[slots["prev_hash"]] = prev_hash
            values[slots["target"]] = f"attempt_results:{state.attempt_id}"
            row = {"id": last_id + 1, "at": step.audit_at, "actor_id": values[slots["actor_id"]],
                   "actor_username": values[slots["actor_username"]], "action": values[slots["action"]],
                   "target": values[slots["target"]], "detail": values[slots["detail"]]}
            values[slots["hash"]] = audit_hash(prev_hash, row, key)
        return values if isinstance(values, dict) else tuple(values)

    return [one(p) for p in step.parameters] if step.many else one(step.parameters)


def replay(cursor: Any, steps: list[Replayed], state: ReplayState, key: bytes, on_begin_write: Callable[[], None],
           on_end: Callable[[str], None]) -> None:
    """One attempt's statements on a raw cursor; `on_end("commit")` or `on_end("rollback")` ends a transaction."""
    for step in steps:
        if step.kind != "sql":
            on_end(step.kind)
            continue
        if step.sql == "BEGIN IMMEDIATE":
            on_begin_write()
        parameters = bound(step, state, key)
        if step.many:
            cursor.executemany(step.sql, parameters)
        else:
            cursor.execute(step.sql, parameters)
        if step.role == "attempt":
            state.attempt_id = cursor.fetchone()[0] if "RETURNING" in step.sql.upper() else cursor.lastrowid
        elif step.role == "audit-last":
            row = cursor.fetchone()
            state.last_audit = (int(row[0]), str(row[1])) if row else None
        elif cursor.description is not None:
            cursor.fetchall()


def raw_sqlite_work(path: Path, clinic: Clinic, steps: list[Replayed], key: bytes, attempts: int,
                    module_ids: list[str]) -> Callable[[int], None]:
    write_lock = threading.Lock()  # the store queues its writers on one lock too (modules/store/database.py)

    def work(n: int) -> None:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in SQLITE_PRAGMAS:
            conn.execute(f"PRAGMA {pragma}")
        cursor = conn.cursor()
        holding = False

        def begin_write() -> None:
            nonlocal holding
            write_lock.acquire()
            holding = True

        def end(kind: str) -> None:
            nonlocal holding
            conn.commit() if kind == "commit" else conn.rollback()
            if holding:
                holding = False
                write_lock.release()

        try:
            for user, _module in plan(clinic, module_ids, n, attempts):
                replay(cursor, steps, ReplayState(int(user.id)), key, begin_write, end)
        finally:
            if holding:  # a failed statement must not leave the other threads waiting for ever
                write_lock.release()
            conn.close()

    return work


def raw_postgres_work(url: str, clinic: Clinic, steps: list[Replayed], key: bytes, attempts: int,
                      module_ids: list[str]) -> Callable[[int], None]:
    import psycopg

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    def work(n: int) -> None:
        with psycopg.connect(plain, connect_timeout=10) as conn:
            with conn.cursor() as setup:  # the store's session settings (modules/store/database.py)
                setup.execute("SET lock_timeout = 10000")
                setup.execute("SET TIME ZONE 'UTC'")
            conn.commit()
            cursor = conn.cursor()
            for user, _module in plan(clinic, module_ids, n, attempts):
                replay(cursor, steps, ReplayState(int(user.id)), key, lambda: None,
                       lambda kind: conn.commit() if kind == "commit" else conn.rollback())

    return work


# -------------------------------------------------------------------------------------------------- the rounds


def count_rows(url: str) -> dict[str, int]:
    """What both sides must have written alike (the capture attempt and the seeding included)."""
    counts = {table: f"SELECT COUNT(*) FROM {table}"
              for table in ("attempts", "responses", "attempt_results", "review_cards", "audit_log")}
    counts["attempts answered"] = "SELECT COUNT(DISTINCT attempt_id) FROM responses"
    counts["technicians with cards"] = "SELECT COUNT(DISTINCT user_id) FROM review_cards"
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return {name: conn.execute(text(query)).scalar_one() for name, query in counts.items()}
    finally:
        engine.dispose()


@dataclass
class Backend:
    """Where a round's two databases live: temporary SQLite files, or PostgreSQL schemas."""

    name: str
    new_database: Callable[[str], Any]  # a context manager giving a URL
    raw_work: Callable[..., Callable[[int], None]]


@contextmanager
def sqlite_database(folder: Path, label: str) -> Iterator[str]:
    yield f"sqlite:///{folder / f'{label}-{uuid.uuid4().hex[:6]}.db'}"


@dataclass
class Workload:
    banks: BankSet
    policy: Policy
    key: bytes
    attempts: int

    @property
    def module_ids(self) -> list[str]:
        return [m.id for m in self.banks.modules]


class Commits:
    """Every commit on every engine and thread while inside `with`."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def _commit(self, conn) -> None:
        with self._lock:
            self.count += 1

    def __enter__(self) -> Commits:
        event.listen(Engine, "commit", self._commit)
        return self

    def __exit__(self, *exc_info: object) -> None:
        event.remove(Engine, "commit", self._commit)


def store_round(url: str, load: Workload) -> tuple[Timing, list[Replayed], dict[str, int], int]:
    """The store's run: one captured attempt first (the template for raw), then 8 threads of attempts."""
    clinic = seed(url, load.key, len(load.module_ids), load.attempts)
    store = Store.open(url, audit_key=load.key)
    try:
        with Capture() as capture:
            attempt_id = one_attempt(store, clinic.capture_user, load.banks, load.policy, load.module_ids[0],
                                     random.Random(0))
        steps = replayable(capture.steps, int(clinic.capture_user.id), attempt_id)

        def work(n: int) -> None:
            rng = random.Random(n)
            for user, module_id in plan(clinic, load.module_ids, n, load.attempts):
                one_attempt(store, user, load.banks, load.policy, module_id, rng)

        commits = Commits()
        with commits:
            timing = run_threads(work)
    finally:
        store.close()
    return timing, steps, count_rows(url), commits.count


def raw_round(url: str, backend: Backend, steps: list[Replayed], load: Workload) -> tuple[Timing, dict[str, int]]:
    clinic = seed(url, load.key, len(load.module_ids), load.attempts)
    # The capture attempt too, so that both databases end with the same rows.
    capture_plan = Clinic(url, clinic.capture_user, [[clinic.capture_user]] * THREADS)
    one = backend.raw_work(_database_target(url, backend), capture_plan, steps, load.key, 1, load.module_ids[:1])
    one(0)
    work = backend.raw_work(_database_target(url, backend), clinic, steps, load.key, load.attempts, load.module_ids)
    timing = run_threads(work)
    return timing, count_rows(url)


def _database_target(url: str, backend: Backend) -> Any:
    return Path(str(make_url(url).database)) if backend.name == "sqlite" else url


@dataclass(frozen=True)
class Measured:
    store_rate: float  # attempts/s, median of the rounds
    raw_rate: float
    store_cpu_ms: float  # this process's CPU milliseconds per attempt, median
    raw_cpu_ms: float
    store_commits: float  # commits per attempt the store made under load, median
    steps: list[Replayed]


def measure(backend: Backend, load: Workload, rounds: int) -> Measured:
    """Medians of the store and of raw over `rounds` alternating rounds; checks that every row arrived."""
    total = THREADS * load.attempts
    store_runs: list[Timing] = []
    raw_runs: list[Timing] = []
    store_commits: list[float] = []
    steps: list[Replayed] = []
    for round_no in range(1, rounds + 1):
        with backend.new_database("store") as store_url:
            store_timing, steps, store_rows, commits = store_round(store_url, load)
            store_commits.append(commits / total)
        with backend.new_database("raw") as raw_url:
            raw_timing, raw_rows = raw_round(raw_url, backend, steps, load)
        expected_attempts = total + 1  # and the captured one
        if store_rows != raw_rows or not (store_rows["attempt_results"] == store_rows["attempts answered"]
                                          == expected_attempts):
            raise SystemExit(f"{backend.name} round {round_no}: the rows differ or are missing: store {store_rows}, "
                             f"raw {raw_rows} (expected {expected_attempts} attempts with results)")
        store_runs.append(store_timing)
        raw_runs.append(raw_timing)
        def cores(timing: Timing) -> str:
            return f"{timing.cpu / timing.wall:.2f} cores; other processes {timing.others / timing.wall:.2f}"

        print(f"  round {round_no}: store {total / store_timing.wall:6.1f} attempts/s ({cores(store_timing)}), "
              f"raw {total / raw_timing.wall:6.1f} attempts/s ({cores(raw_timing)}); rows identical on both: "
              f"{store_rows}", flush=True)
    return Measured(statistics.median(total / t.wall for t in store_runs),
                    statistics.median(total / t.wall for t in raw_runs),
                    statistics.median(t.cpu / total * 1000 for t in store_runs),
                    statistics.median(t.cpu / total * 1000 for t in raw_runs), statistics.median(store_commits),
                    steps)


def describe(steps: list[Replayed]) -> str:
    statements = sum(1 for s in steps if s.kind == "sql" and not s.sql.startswith("BEGIN"))
    writes = sum(1 for s in steps if s.kind == "sql" and s.sql == "BEGIN IMMEDIATE")
    commits = sum(1 for s in steps if s.kind == "commit")
    return (f"{statements} statements and {commits} transactions per attempt"
            + (f" ({writes} of them writes)" if writes else ""))


def profile(load: Workload, folder: Path, attempts: int) -> None:
    """One thread of store attempts on SQLite under cProfile: where a single writer's time goes."""
    url = f"sqlite:///{folder / 'profile.db'}"
    clinic = seed(url, load.key, len(load.module_ids), attempts)
    store = Store.open(url, audit_key=load.key)
    profiler = cProfile.Profile()
    rng = random.Random(0)
    started = time.perf_counter()
    profiler.enable()
    for user, module_id in plan(clinic, load.module_ids, 0, attempts):
        one_attempt(store, user, load.banks, load.policy, module_id, rng)
    profiler.disable()
    elapsed = time.perf_counter() - started
    store.close()
    print(f"profile: {attempts} attempts by one thread on SQLite in {elapsed:.2f} s "
          f"({attempts / elapsed:.1f} attempts/s, under the profiler)")
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=ATTEMPTS_PER_THREAD, help="attempts per thread")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--profile", action="store_true", help="profile one thread of store attempts instead")
    options = parser.parse_args()

    auth.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))  # seeding, not the subject
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["TRAINING_AUDIT_KEY_FILE"] = str(folder / "audit.key")
        settings.reload()
        banks = load_banks(settings.get("TRAINING_BANKS_DIR"))
        policy, _ = load_policy(settings.get("TRAINING_BANKS_DIR"), banks)
        load = Workload(banks, policy, settings.audit_key(), options.attempts)
        if options.profile:
            profile(load, folder, options.attempts)
            return

        backends = [Backend("sqlite", lambda label: sqlite_database(folder, label), raw_sqlite_work)]
        server = os.environ.get("TEST_PG_URL")
        if server:
            backends.append(Backend("postgresql", lambda label: postgres_schema(server, f"bench_writes_{label}"),
                                    raw_postgres_work))
        total = THREADS * options.attempts
        print(f"{THREADS} threads x {options.attempts} graded quizzes ({policy.quiz_questions} answers each, each "
              f"saved as given; {len(MISSED)} missed) = {total} attempts a round, {options.rounds} rounds")
        figures = []
        for backend in backends:
            print(f"{backend.name}:", flush=True)
            found = measure(backend, load, options.rounds)
            store_rate, raw_rate = found.store_rate, found.raw_rate
            ratio = store_rate / raw_rate
            print(f"  store (start_quiz, save_quiz_answer x{policy.quiz_questions}, finish_quiz): "
                  f"{store_rate:6.1f} attempts/s median (goal >= {GOAL_RATE}: "
                  f"{'met' if store_rate >= GOAL_RATE else 'NOT met'})")
            print(f"  raw {'sqlite3' if backend.name == 'sqlite' else 'psycopg'}, the same statements and "
                  f"transactions: {raw_rate:6.1f} attempts/s median ({describe(found.steps)}, as one attempt alone "
                  f"makes them; the store under load made {found.store_commits:.1f} commits per attempt)")
            met = "met" if ratio >= GOAL_RATIO else "NOT met"
            print(f"  ratio store/raw: {ratio:.2f} (goal >= {GOAL_RATIO}: {met})")
            print(f"  this process's CPU per attempt: store {found.store_cpu_ms:.1f} ms, raw {found.raw_cpu_ms:.1f} "
                  "ms (Python runs one thread at a time: this is what bounds the store)")
            name = backend.name
            figures += [
                Figure(f"{name} store attempts/s (8 writers)", store_rate, "per_s", f">= {GOAL_RATE}", ratio),
                Figure(f"{name} raw replay attempts/s (8 writers)", raw_rate, "per_s"),
                Figure(f"{name} store/raw", ratio, "x", f">= {GOAL_RATIO}"),
                Figure(f"{name} store CPU per attempt", found.store_cpu_ms, "ms", None,
                       found.store_cpu_ms / found.raw_cpu_ms),
                Figure(f"{name} raw CPU per attempt", found.raw_cpu_ms, "ms"),
                Figure(f"{name} store commits per attempt (8 writers)", found.store_commits, "x"),
            ]
        if not server:
            print("postgresql: not run (set TEST_PG_URL, e.g. eval \"$(bash .ci/postgres.sh start)\")")
        record("bench_store_writes", figures)


if __name__ == "__main__":
    main()
