"""What resolving the session from the store costs on every run, as a ratio to a run that does not do it.

- A page rerun: the real app.py under AppTest on a fresh SQLite database, signed in as a technician with a session
  token, on the Practice page after "Start practice". Median rerun with the session resolved from the store (as the
  app does, several times a run), against the same AppTest with `common.current_user` handing back the user without
  touching the store. The two conditions alternate in blocks, so a noisy machine slows both alike.
- One `sessions.resolve` call, against the bare query it stands on: one SELECT of the session and its account by
  token hash through raw sqlite3 on the same file, and (with TEST_PG_URL set) through a plain psycopg connection on
  PostgreSQL, in a schema of its own that is dropped afterwards.

Prints figures and records them in bench/results.json; asserts nothing.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_pages import page_started  # noqa: E402
from results import Figure, record  # noqa: E402
from scratch import postgres_schema  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from modules import auth, sessions, settings  # noqa: E402
from modules.core.types import Role  # noqa: E402
from modules.pages import common  # noqa: E402
from modules.store import Store  # noqa: E402

RERUNS = 30  # per condition
BLOCK = 5  # reruns in a row before switching condition
CALLS = 3000  # per condition, for one resolve against the bare SELECT
CALL_BLOCK = 100
PASSWORD = "quiet harbour lantern 47"

# The read `store.sessions.find` makes: the session and its account, by the token's hash (unique index).
BARE_SELECT = """
SELECT s.id, s.token_hash, s.user_id, s.created_at, s.last_seen_at, s.idle_expires_at, s.expires_at, s.ended_at,
       s.end_reason, s.ended_by, u.username, u.full_name, u.role, u.location, u.active, u.must_change_password,
       u.created_at
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = {mark}
"""


def alternating(first: Callable[[], None], second: Callable[[], None], count: int, block: int
                ) -> tuple[float, float]:
    """Median seconds of `first` and of `second`, `count` timings each, taken `block` at a time in turn."""
    times: tuple[list[float], list[float]] = ([], [])
    while len(times[1]) < count:
        for action, into in ((first, times[0]), (second, times[1])):
            for _ in range(block):
                start = time.perf_counter()
                action()
                into.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def resolves_per_run(at) -> int:
    """How many times one rerun resolves the session."""
    calls = 0
    real = sessions.resolve

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    sessions.resolve = counting
    try:
        at.run()
    finally:
        sessions.resolve = real
    return calls


def page_reruns(store: Store, user) -> list[Figure]:
    at = page_started(store, user, "practice.py", "Start practice")
    if at.exception or not at.session_state["practice"]["round"]:
        raise SystemExit(f"the practice page did not start: {at.exception}")
    per_run = resolves_per_run(at)
    real = common.current_user

    def resolved() -> None:
        at.run()

    def not_resolved() -> None:
        common.current_user = lambda: user
        try:
            at.run()
        finally:
            common.current_user = real

    with_sessions, without = alternating(resolved, not_resolved, RERUNS, BLOCK)
    if at.exception:
        raise SystemExit(f"the practice page failed: {at.exception}")
    print(f"practice page rerun (AppTest, median of {RERUNS} each, in blocks of {BLOCK}; "
          f"session resolves per rerun: {per_run})")
    print(f"  session resolved : {with_sessions * 1000:7.2f} ms   without : {without * 1000:7.2f} ms   "
          f"ratio {with_sessions / without:.3f}x (goal < 1.1x)")
    return [Figure("practice page rerun, session resolved", with_sessions * 1000, "ms", "< 1.1x without",
                   with_sessions / without),
            Figure("practice page rerun, session not resolved", without * 1000, "ms")]


def micro(label: str, store: Store, user, bare_select: Callable[[str], object]) -> list[Figure]:
    """One resolve against one bare SELECT of the same row. `now` is the moment of sign-in, so only the read is
    timed: no heartbeat is written (the app writes one at most once a minute per session)."""
    now = datetime.now(UTC)
    token = sessions.begin(store, user, now)
    digest = sessions.token_hash(token)
    if not isinstance(sessions.resolve(store, token, now), sessions.Signed) or bare_select(digest) is None:
        raise SystemExit(f"{label}: the session does not resolve")
    resolved, bare = alternating(lambda: sessions.resolve(store, token, now), lambda: bare_select(digest),
                                 CALLS, CALL_BLOCK)
    print(f"  {label:<10} resolve : {resolved * 1e6:7.1f} us   bare SELECT : {bare * 1e6:7.1f} us   "
          f"ratio {resolved / bare:.2f}x")
    return [Figure(f"{label} one session resolve", resolved * 1000, "ms", None, resolved / bare),
            Figure(f"{label} bare SELECT of the session and account", bare * 1000, "ms")]


def sqlite_micro(store: Store, user, file: Path) -> list[Figure]:
    with closing(sqlite3.connect(file)) as conn:
        query = BARE_SELECT.format(mark="?")
        return micro("sqlite", store, user, lambda digest: conn.execute(query, (digest,)).fetchone())


def postgres_micro(server: str, key: bytes) -> list[Figure]:
    import psycopg

    with postgres_schema(server, "bench_sessions") as db_url:
        store = Store.open(db_url, audit_key=key)
        try:
            user = store.accounts.get(auth.create_user(store, "tess", "Bench Tech", Role.TECHNICIAN, PASSWORD))
            plain = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(plain, autocommit=True) as conn:
                query = BARE_SELECT.format(mark="%s")
                return micro("postgresql", store, user, lambda digest: conn.execute(query, (digest,)).fetchone())
        finally:
            store.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "bench.db"
        url = f"sqlite:///{file}"
        os.environ["TRAINING_DB_URL"] = url  # before anything opens the store, the app's included
        os.environ["TRAINING_AUDIT_KEY_FILE"] = str(Path(folder) / "audit.key")
        key = settings.audit_key()
        store = Store.open(url, audit_key=key)
        try:
            user = store.accounts.get(auth.create_user(store, "tess", "Bench Tech", Role.TECHNICIAN, PASSWORD))
            figures = page_reruns(store, user)
            print(f"one session resolve (median of {CALLS} calls each, in blocks of {CALL_BLOCK})")
            figures += sqlite_micro(store, user, file)
        finally:
            store.close()
            common.store().close()  # the app's own store, cached by Streamlit in this process
        server = os.environ.get("TEST_PG_URL")
        if server:
            figures += postgres_micro(server, key)
        else:
            print("  postgresql: not run (set TEST_PG_URL, e.g. eval \"$(bash .ci/postgres.sh start)\")")
        record("bench_sessions", figures)


if __name__ == "__main__":
    main()
