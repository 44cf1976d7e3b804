"""How `clinic.db` was made: run once at commit f24d5ad (schema version 1, before Alembic), never by the tests.

A small clinic's history written through that version's own store API, so the migration test upgrades data
exactly as an installed clinic holds it: accounts, a failed and a passed quiz, a passed exam with its
certificate and a revocation, a practical sign-off, a lesson read, review cards and the audit chain.
"""
import sqlite3
from datetime import date, datetime, timezone
from pathlib import Path

from modules import review
from modules.clock import FixedClock
from modules.domain import AttemptKind, Role
from modules.store import Store
from modules.store_schema import AttemptResult, ResponseRecord

OUT = Path(__file__).with_name("clinic.db")
clock = FixedClock(datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc))
OUT.unlink(missing_ok=True)
store = Store.open(f"sqlite:///{OUT}", clock=clock)
manager = store.create_user("mara", "Mara Manager", Role.MANAGER, "clinic-phrase-one")
mara = store.get_user(manager).actor
trainer = store.create_user("tom", "Tom Trainer", Role.TRAINER, "clinic-phrase-two", "Riverside", actor=mara)
tech = store.create_user("sam", "Sam Lee", Role.TECHNICIAN, "clinic-phrase-three", "Riverside", actor=mara)
snapshot = {"id": "skin-001", "type": "single", "prompt": "Which layer is removed?", "scenario": None,
            "options": ["Stratum corneum", "Dermis", "Subcutis"], "answer": "Stratum corneum",
            "explanation": "Only the outermost dead cells.", "source": "clinic-material: Skin", "module_id": "skin-science"}


def record(position, correct):
    return ResponseRecord(position, "skin-001", "skin-science", "hash-skin-001-v1", snapshot,
                          "Stratum corneum" if correct else "Dermis", 1.0 if correct else 0.0, correct,
                          clock(), 12.5)


store.record_attempt(tech, AttemptKind.QUIZ, "skin-science", [record(0, False)],
                     AttemptResult(0.0, False, "submitted", {"skin-science": 0.0}), questions=[snapshot],
                     policy={"pass_mark_percent": 80})
clock.advance(hours=1)
store.record_attempt(tech, AttemptKind.QUIZ, "skin-science", [record(0, True)],
                     AttemptResult(1.0, True, "submitted", {"skin-science": 1.0}), questions=[snapshot],
                     policy={"pass_mark_percent": 80})
store.mark_lesson_read(tech, "skin-science")
card = review.on_answer(None, tech, "skin-001", False, clock())  # a real FSRS card, as a miss creates one
store.save_review_card(tech, "skin-001", card.card_json, card.due_at)
store.record_signoff(tech, store.get_user(trainer).actor, date(2025, 3, 3), {"consultation": True}, "Calm and careful")
clock.advance(days=1)
exam = store.start_attempt(tech, AttemptKind.EXAM, None, deadline=clock.advance(minutes=30),
                           questions=[snapshot], policy={"pass_mark_percent": 85})
store.record_response(exam, record(0, False))
store.record_response(exam, record(0, True))
store.finish_attempt(exam, 1.0, True, "submitted", {"skin-science": 1.0})
cert = store.issue_certificate(tech, exam, "Microdermabrasion technician", 1.0,
                               datetime(2026, 3, 4, 9, 0, tzinfo=timezone.utc))
clock.advance(days=2)
store.revoke_certificate(cert.id, mara, "Issued in error: retake supervised")
store.close()
with sqlite3.connect(OUT) as conn:
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
