"""Study records as stored: practical sign-offs, lessons opened and spaced-review cards (all append-only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select

from modules.core.clock import require_utc
from modules.core.records import Actor, Signoff, require_staff
from modules.core.types import ModuleId, PracticalOutcome, QuestionId, SignoffId, UserId
from modules.store.audit import AuditLog
from modules.store.database import Database, inserted_id
from modules.store.schema import dumps, lesson_reads, loads, practical_signoffs, review_cards


class Signoffs:
    """Supervised practical treatments that a trainer signed off."""

    def __init__(self, db: Database, audit: AuditLog):
        self._db = db
        self._audit = audit

    def record(self, technician_id: UserId, trainer: Actor, treated_on: date, checklist: dict[str, Any],
               comment: str = "", outcome: PracticalOutcome = PracticalOutcome.COMPETENT,
               missed: tuple[str, ...] = ()) -> SignoffId:
        require_staff(trainer, "sign off a practical treatment")
        outcome = PracticalOutcome(outcome)
        with self._db.write(serialised=True) as conn:
            signoff_id = SignoffId(inserted_id(conn.execute(insert(practical_signoffs).values(
                technician_id=technician_id, trainer_id=trainer.user_id, treated_on=treated_on,
                checklist_json=dumps(checklist), comment=comment, signed_at=self._db.clock(),
                outcome=outcome.value, missed_json=dumps(list(missed)) if missed else None))))
            self._audit.seal(conn, "practical_signoffs", signoff_id)
            action = "practical_signed_off" if outcome is PracticalOutcome.COMPETENT else "practical_not_yet_competent"
            self._audit.append(conn, trainer, action, f"user:{technician_id}",
                               {"signoff_id": signoff_id, "treated_on": treated_on.isoformat()})
        return signoff_id

    def for_user(self, user_id: UserId) -> list[Signoff]:
        query = (select(practical_signoffs).where(practical_signoffs.c.technician_id == user_id)
                 .order_by(practical_signoffs.c.treated_on, practical_signoffs.c.id))
        with self._db.read() as conn:
            return [Signoff(SignoffId(r.id), UserId(r.technician_id), UserId(r.trainer_id), r.treated_on,
                            loads(r.checklist_json), r.comment, r.signed_at, PracticalOutcome(r.outcome),
                            tuple(loads(r.missed_json) or ())) for r in conn.execute(query)]


class Lessons:
    """Which lessons each person has opened."""

    def __init__(self, db: Database):
        self._db = db

    def mark_read(self, user_id: UserId, module_id: str) -> None:
        with self._db.write() as conn:
            conn.execute(insert(lesson_reads).values(user_id=user_id, module_id=module_id, read_at=self._db.clock()))

    def read_by(self, user_id: UserId) -> dict[ModuleId, datetime]:
        """Each module's lesson the user has opened, with the first time they did."""
        query = (select(lesson_reads.c.module_id, func.min(lesson_reads.c.read_at).label("first"))
                 .where(lesson_reads.c.user_id == user_id).group_by(lesson_reads.c.module_id))
        with self._db.read() as conn:
            return {ModuleId(r.module_id): r.first for r in conn.execute(query)}


class ReviewCards:
    """Spaced-review cards: each change is a new row, the latest row per (user, question) is the current card."""

    def __init__(self, db: Database):
        self._db = db

    def save(self, user_id: UserId, question_id: str, card_json: str, due_at: datetime) -> None:
        self.save_many(user_id, [(question_id, card_json, due_at)])

    def save_many(self, user_id: UserId, cards: list[tuple[str, str, datetime]]) -> None:
        """Several cards (question id, card JSON, due) in one transaction: a quiz's misses cost one commit."""
        if not cards:
            return
        now = self._db.clock()
        with self._db.write() as conn:
            conn.execute(insert(review_cards), [
                {"user_id": user_id, "question_id": question_id, "card_json": card_json,
                 "due_at": require_utc(due_at), "updated_at": now} for question_id, card_json, due_at in cards])

    def current(self, user_id: UserId) -> dict[QuestionId, str]:
        """The current card's JSON per question (the domain's `review.ReviewCard` reads it)."""
        latest = (select(func.max(review_cards.c.id)).where(review_cards.c.user_id == user_id)
                  .group_by(review_cards.c.question_id))
        query = (select(review_cards.c.question_id, review_cards.c.card_json)
                 .where(review_cards.c.id.in_(latest)).order_by(review_cards.c.due_at))
        with self._db.read() as conn:
            return {QuestionId(r.question_id): r.card_json for r in conn.execute(query)}
