"""The manager's exports end to end: a 50,000-person register read from the store and written as CSV and
Excel (audited), and one ZIP of 500 certificate PDFs. Prints figures and ratios; asserts nothing.

Run: .venv/bin/python bench/bench_register.py
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modules import register
from modules.auth import hash_password
from modules.certificates import new_certificate_code
from modules.core.clock import FixedClock
from modules.core.types import UserId
from modules.store import Store
from modules.store.schema import certificate_revocations, certificates, users

PEOPLE = 50_000
ZIP_CERTIFICATES = 500
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
LOCATIONS = ["North", "South", "East", "West", "Zoë's clinic", "=Central"]


def seed(url: str) -> None:
    """Bulk rows straight into the tables: creating 50,000 accounts one by one would time argon2, not exports."""
    rng = random.Random(2026)
    password_hash = hash_password("a shared bench password")
    people, certs, revoked = [], [], []
    for n in range(1, PEOPLE + 1):
        people.append({"id": n, "username": f"user{n:05d}", "full_name": f"Person {n} Ñúñez", "role": "technician",
                       "location": rng.choice(LOCATIONS), "password_hash": password_hash, "active": True,
                       "must_change_password": False, "created_at": NOW - timedelta(days=800)})
        if rng.random() < 0.8:  # four in five hold a certificate, spread over two years
            issued = NOW - timedelta(hours=rng.randint(0, 2 * 365 * 24))
            certs.append({"id": len(certs) + 1, "code": new_certificate_code(), "user_id": n, "attempt_id": None,
                          "title": "Microdermabrasion technician", "issued_at": issued,
                          "expires_at": issued + timedelta(days=365), "score": rng.uniform(0.85, 1.0)})
            if rng.random() < 0.02:
                revoked.append({"certificate_id": len(certs), "revoked_by": 1, "revoked_at": NOW, "reason": "bench"})
    people[0]["role"] = "manager"
    seeding = create_engine(url)
    with seeding.begin() as conn:
        conn.execute(insert(users), people)
        conn.execute(insert(certificates), certs)
        conn.execute(insert(certificate_revocations), revoked)
    seeding.dispose()


def timed(label: str, work):
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    print(f"{label:<46} {seconds:8.2f} s")
    return result, seconds


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        store = Store.open(url, clock=FixedClock(NOW))
        _, seed_s = timed(f"seed {PEOPLE:,} people (not part of any export)", lambda: seed(url))
        manager = store.accounts.get(UserId(1)).actor
        rows, read_s = timed("register rows from the store", lambda: register.register_rows(store, manager, NOW))
        frame, frame_s = timed("register table (pandas)", lambda: register.register_frame(rows, "Europe/London"))
        csv_bytes, csv_s = timed("CSV export (audited)", lambda: register.export(
            store, manager, "register", "csv", frame, "Europe/London"))
        xlsx_bytes, xlsx_s = timed("Excel export (audited)", lambda: register.export(
            store, manager, "register", "xlsx", frame, "Europe/London"))
        views = register.current_views(rows, NOW)[:ZIP_CERTIFICATES]
        zip_bytes, zip_s = timed(
            f"ZIP of {len(views)} certificate PDFs (audited)", lambda: register.certificates_zip_export(
                store, manager, views, "Bench Clinic", "https://clinic.example", "Europe/London"))
        store.close()
    counts = register.status_counts(rows)
    print()
    print(f"rows: {len(frame):,}; statuses: " + ", ".join(f"{s.value} {n:,}" for s, n in counts.items()))
    print(f"sizes: CSV {len(csv_bytes) / 1e6:.1f} MB, Excel {len(xlsx_bytes) / 1e6:.1f} MB, "
          f"ZIP {len(zip_bytes) / 1e6:.1f} MB")
    print(f"CSV export end to end (read + table + file): {read_s + frame_s + csv_s:.2f} s")
    print(f"Excel export end to end: {read_s + frame_s + xlsx_s:.2f} s; "
          f"Excel/CSV file-writing ratio {xlsx_s / csv_s:.1f}x")
    print(f"per certificate in the ZIP: {1000 * zip_s / max(1, len(views)):.1f} ms")
    print(f"(seeding took {seed_s:.1f} s and is excluded)")


if __name__ == "__main__":
    main()
