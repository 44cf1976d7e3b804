"""Study-side records: practice answers and the spaced-review cards that every answer feeds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from fsrs import Rating

from modules import review
from modules.core.records import ResponseRecord
from modules.core.types import AttemptId, UserId
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
