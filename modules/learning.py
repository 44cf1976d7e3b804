"""Study-side records: practice answers and the spaced-review cards that every answer feeds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from fsrs import Rating

from modules import review
from modules.core.records import Actor, ResponseRecord
from modules.core.timezones import local_day_start
from modules.core.types import AttemptId, AttemptKind, UserId
from modules.store import Store


def review_cards(store: Store, user_id: UserId) -> dict[str, review.ReviewCard]:
    """The technician's current cards by question id."""
    return {question_id: review.ReviewCard.from_stored(user_id, question_id, card_json)
            for question_id, card_json in store.review_cards.current(user_id).items()}


def feed_review(store: Store, user_id: UserId, answers: Iterable[tuple[str, bool]], now: datetime,
                rating: Rating | None = None) -> None:
    """A miss creates or lapses a card; a right answer moves an existing card on. Nothing else is stored."""
    given = list(answers)
    if not given:
        return
    cards = review_cards(store, user_id)
    changed: dict[str, review.ReviewCard] = {}
    for question_id, correct in given:
        updated = review.on_answer(cards.get(question_id), user_id, question_id, correct, now,
                                   rating if correct else None)
        if updated is not None:
            cards[question_id] = changed[question_id] = updated
    store.review_cards.save_many(user_id, [(q, card.card_json, card.due_at) for q, card in changed.items()])


def record_practice_answer(store: Store, user_id: UserId, attempt_id: AttemptId, record: ResponseRecord,
                           now: datetime) -> None:
    store.attempts.record_response(attempt_id, record)
    feed_review(store, user_id, [(record.question_id, record.correct)], now)


def due_cards(store: Store, user_id: UserId, valid_question_ids: set[str], now: datetime,
              tz_name: str) -> list[review.ReviewCard]:
    return review.due_queue(review_cards(store, user_id).values(), now, valid_question_ids, tz_name)


def reviewed_today(store: Store, actor: Actor, user_id: UserId, now: datetime, tz_name: str) -> int:
    """How many different questions the technician has answered on the Review page today (in the clinic's zone)."""
    start = local_day_start(now, tz_name)
    sittings = [a for a in store.attempts.for_user(actor, user_id, AttemptKind.REVIEW) if a.started_at >= start]
    return len({r.question_id for a in sittings for r in store.attempts.responses(actor, a.id)})


def plan_review(store: Store, actor: Actor, user_id: UserId, valid_question_ids: set[str], now: datetime,
                tz_name: str, daily_cap: int) -> review.ReviewPlan:
    """Today's review for one technician: what is being relearnt, and the due questions the daily cap allows."""
    return review.plan_day(review_cards(store, user_id).values(), now, valid_question_ids, daily_cap,
                           reviewed_today(store, actor, user_id, now, tz_name), tz_name)


def next_intervals(store: Store, user_id: UserId, question_id: str, now: datetime) -> dict[Rating, timedelta]:
    """After a right answer: how long until the question comes back for each rating; empty if it has no card."""
    card = review_cards(store, user_id).get(question_id)
    return {} if card is None else review.next_intervals(card, now)
