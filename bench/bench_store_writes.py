"""How many submitted attempts per second the store takes on SQLite from 8 concurrent writers.

Each attempt is written the way the quiz page writes it: `store.attempts.start` opens it (one transaction), then
`store.attempts.submit` writes 10 answers with their snapshots and the result (a second, BEGIN IMMEDIATE
transaction; WAL, synchronous=FULL). The same rows are then written with raw sqlite3, the same pragmas and the
same two transactions per attempt, in the same run. With synchronous=FULL every commit waits for the disk, so the
raw figure is about the disk's sync rate, and the ratio is what SQLAlchemy and the store cost on top.
Goal: >= 1,000 attempts/s and >= 1/3 of raw. Run: .venv/bin/python bench/bench_store_writes.py
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modules import auth
from modules.core.records import AttemptResult, ResponseRecord
from modules.core.types import AttemptKind, Role
from modules.store import Store
from modules.store.schema import dumps

THREADS = 8
ATTEMPTS_PER_THREAD = 400
ROUNDS = 3
RESPONSES = 10


def answers() -> list[ResponseRecord]:
    return [
        ResponseRecord(
            position=i, question_id=f"skin-{i:02d}", module_id="skin-science", content_hash="ab" * 32,
            snapshot={"prompt": f"Which layer renews itself every few weeks? ({i})", "scenario": None,
                      "type": "single", "options": ["Stratum corneum", "Dermis", "Hypodermis", "Muscle"],
                      "key": ["Stratum corneum"], "explanation": "The outer layer sheds and renews.",
                      "source": "clinic-material 1.2"},
            answer=["Stratum corneum"], score=1.0, correct=True, seconds_taken=7.5,
        )
        for i in range(RESPONSES)
    ]


def run_threads(work) -> float:
    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def count_rows(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as check:
        attempts, responses = (check.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                               for t in ("attempt_results", "responses"))
    return attempts, responses


def bench_store(folder: Path) -> tuple[float, int, int]:
    store = Store.open(f"sqlite:///{folder / 'store.db'}")
    user_ids = [auth.create_user(store, f"tech{n}", f"Tech {n}", Role.TECHNICIAN, "bench passphrase")
                for n in range(THREADS)]
    given, errors = answers(), []

    def work(n: int) -> None:
        try:
            for _ in range(ATTEMPTS_PER_THREAD):
                attempt_id = store.attempts.start(user_ids[n], AttemptKind.QUIZ, "skin-science")
                store.attempts.submit(attempt_id, given, AttemptResult(1.0, True, detail={"pass_mark": 0.8}))
        except Exception as error:  # reported below: a lost write must not pass silently
            errors.append(error)

    elapsed = run_threads(work)
    store.close()
    attempts, responses = count_rows(folder / "store.db")
    if errors:
        raise SystemExit(f"store writes failed: {errors[0]!r}")
    return elapsed, attempts, responses


def bench_raw(folder: Path) -> tuple[float, int, int]:
    path = folder / "raw.db"
    Store.open(f"sqlite:///{path}").close()  # identical schema, indexes and triggers
    setup = sqlite3.connect(path)
    setup.executemany("INSERT INTO users (username, full_name, role, password_hash, active, must_change_password,"
                      " created_at) VALUES (?, ?, 'technician', 'x', 1, 0, '2025-01-01 00:00:00.000000')",
                      [(f"tech{n}", f"Tech {n}") for n in range(THREADS)])
    setup.commit()
    setup.close()
    given = answers()

    def work(n: int) -> None:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=10000"):
            conn.execute(f"PRAGMA {pragma}")
        for _ in range(ATTEMPTS_PER_THREAD):
            now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
            conn.execute("BEGIN IMMEDIATE")
            attempt_id = conn.execute("INSERT INTO attempts (user_id, kind, module_id, started_at) "
                                      "VALUES (?, 'quiz', 'skin-science', ?)", (n + 1, now)).lastrowid
            conn.execute("COMMIT")
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("SELECT attempt_id FROM attempt_results WHERE attempt_id = ?", (attempt_id,)).fetchall()
            conn.executemany(
                "INSERT INTO responses (attempt_id, position, question_id, module_id, content_hash, snapshot_json,"
                " answer_json, score, correct, answered_at, seconds_taken) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(attempt_id, r.position, r.question_id, r.module_id, r.content_hash, dumps(r.snapshot),
                  dumps(r.answer), r.score, r.correct, now, r.seconds_taken) for r in given])
            conn.execute("INSERT INTO attempt_results (attempt_id, finished_at, score, passed, closed_by, detail_json)"
                         " VALUES (?, ?, 1.0, 1, 'submitted', ?)", (attempt_id, now, dumps({"pass_mark": 0.8})))
            conn.execute("COMMIT")
        conn.close()

    elapsed = run_threads(work)
    attempts, responses = count_rows(path)
    return elapsed, attempts, responses


def main() -> None:
    expected = THREADS * ATTEMPTS_PER_THREAD
    store_rates, raw_rates = [], []
    # Rounds alternate so that a slow spell of the disk (fsync time varies a lot on shared machines)
    # hits both sides alike; the medians are compared.
    for round_no in range(1, ROUNDS + 1):
        with tempfile.TemporaryDirectory() as tmp:
            store_s, store_a, store_r = bench_store(Path(tmp))
            raw_s, raw_a, raw_r = bench_raw(Path(tmp))
        for label, attempts, responses in (("store", store_a, store_r), ("raw", raw_a, raw_r)):
            if (attempts, responses) != (expected, expected * RESPONSES):
                raise SystemExit(f"round {round_no}: {label} LOST ROWS: {attempts} attempts, {responses} responses "
                                 f"(expected {expected}, {expected * RESPONSES})")
        store_rates.append(store_a / store_s)
        raw_rates.append(raw_a / raw_s)
        print(f"round {round_no}: store {store_rates[-1]:6.0f} attempts/s, raw {raw_rates[-1]:6.0f} attempts/s, "
              f"rows complete on both ({expected} attempts, {expected * RESPONSES} responses each)")
    store_rate, raw_rate = statistics.median(store_rates), statistics.median(raw_rates)
    print(f"store (start + submit, as the quiz page): {store_rate:6.0f} attempts/s median "
          f"({THREADS} threads, {RESPONSES} answers each, WAL, synchronous=FULL)")
    print(f"raw sqlite3, the same two transactions:  {raw_rate:6.0f} attempts/s median (same rows and pragmas)")
    ratio_met = "met" if store_rate >= raw_rate / 3 else "NOT met"
    print(f"ratio store/raw: {store_rate / raw_rate:.2f} (goal >= 0.33: {ratio_met}); "
          f"goal >= 1000 attempts/s: {'met' if store_rate >= 1000 else 'NOT met'}")


if __name__ == "__main__":
    main()
