"""Soak: SIGKILL a writer 200+ times at random moments and check the store after every kill.

The same writer and checks as tests/reliability/test_kills.py (quizzes, exams and certificates through the code the
pages run), for longer: 200 kills on SQLite, and on PostgreSQL when TEST_PG_URL names a server (e.g. after
`eval "$(bash .ci/postgres.sh start)"`). Prints figures and records them in bench/results.json; asserts nothing
beyond the per-kill checks, which stop the run at the first record found broken. It takes 10 minutes or more, so
`make bench` skips it unless asked (`make bench ALL=1`). Run: .venv/bin/python bench/bench_soak.py [kills]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from results import Figure, record
from scratch import postgres_schema
from sqlalchemy.engine import make_url

from modules import auth, settings
from tests.reliability.test_kills import kill_again_and_again


def soak(url: str, kills: int, key: bytes) -> list[Figure]:
    started = time.perf_counter()
    acknowledged = kill_again_and_again(url, key, kills)
    elapsed = time.perf_counter() - started
    exams = sum(1 for a in acknowledged if a[0] == "exam")
    backend = make_url(url).get_backend_name()
    print(f"  {backend:<10} {kills} kills in {elapsed:.0f} s: "
          f"{len(acknowledged)} acknowledged attempts ({exams} exams with certificates), all present and "
          "complete after every kill; integrity, seals and chain intact")
    return [Figure(f"{backend} soak, {kills} kills, every record checked after each", elapsed, "s"),
            Figure(f"{backend} soak, seconds per kill (writer start, kill, checks)", elapsed / kills, "s"),
            Figure(f"{backend} soak, acknowledged attempts per second", len(acknowledged) / elapsed, "per_s")]


def main() -> None:
    kills = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    from argon2 import PasswordHasher

    auth.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))  # seeding, not the subject
    with tempfile.TemporaryDirectory() as folder:
        key_file = Path(folder) / "audit.key"
        key_file.write_text("11" * 32)
        os.environ["TRAINING_AUDIT_KEY_FILE"] = str(key_file)
        settings.reload()
        key = settings.audit_key()
        print(f"soak: a writer SIGKILLed {kills} times at random moments")
        figures = soak(f"sqlite:///{Path(folder) / 'soak.db'}", kills, key)
        server = os.environ.get("TEST_PG_URL")
        if not server:
            print("  postgresql: not run (set TEST_PG_URL, e.g. eval \"$(bash .ci/postgres.sh start)\")")
            record("bench_soak", figures)
            return
        with postgres_schema(server, "soak") as db_url:
            figures += soak(db_url, kills, key)
        record("bench_soak", figures)


if __name__ == "__main__":
    main()
