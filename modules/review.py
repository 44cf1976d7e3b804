"""Spaced review of missed questions: one FSRS card per (technician, question), scheduled in whole days.

Pure scheduling layer over py-fsrs. It takes and returns values; the store keeps them (the `review_cards`
table: user_id, question_id, card_json, due_at, append-only, the latest row per pair is the current card).

- A card is born the first time a question is missed (practice or a graded quiz) and is reviewed with Again.
- Wrong is Again, right is Good; the review page may send Hard or Easy after a correct answer.
- Cards are keyed by question id only, so editing a question's text keeps its card; a question removed from
  its bank drops out of the queue without deleting anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from fsrs import Card, Rating, Scheduler

from modules.core.clock import require_utc

# A technician recertifies every 12 months, so no card may sleep through a whole certification cycle.
MAXIMUM_INTERVAL_DAYS = 365
TRAINER_FLAG_THRESHOLD = 4

# The store's table has no column for it, so the miss count travels inside card_json beside the FSRS fields;
# fsrs' Card.from_dict reads only its own keys, so the JSON stays a valid FSRS card.
_MISSES_KEY = "misses"
_CORRECT_RATINGS = (Rating.Hard, Rating.Good, Rating.Easy)


def _utc(moment: datetime) -> datetime:
    """Refuse naive times; fsrs insists on the `timezone.utc` object itself, not just a zero offset."""
    return require_utc(moment).astimezone(timezone.utc)


def make_scheduler(*, enable_fuzzing: bool = False) -> Scheduler:
    """The clinic's scheduler: whole-day intervals only, and reproducible.

    With empty learning/relearning steps fsrs moves a new or lapsed card straight to the Review state with an
    interval of at least one day, so a missed question comes back the next day, never in ten minutes.
    Fuzzing stays off so rebuilding cards from history reproduces the stored ones exactly.
    """
    return Scheduler(
        learning_steps=(),
        relearning_steps=(),
        maximum_interval=MAXIMUM_INTERVAL_DAYS,
        enable_fuzzing=enable_fuzzing,
    )


_SCHEDULER = make_scheduler()


@dataclass(frozen=True)
class ReviewCard:
    """The current review state of one question for one technician, as stored."""

    user_id: int
    question_id: str
    card_json: str
    due_at: datetime
    misses: int

    def __post_init__(self) -> None:
        require_utc(self.due_at)

    @classmethod
    def from_card(cls, user_id: int, question_id: str, card: Card, misses: int) -> ReviewCard:
        payload = {**card.to_dict(), _MISSES_KEY: misses}
        return cls(int(user_id), str(question_id), json.dumps(payload), _utc(card.due), misses)

    @classmethod
    def from_stored(cls, user_id: int, question_id: str, card_json: str) -> ReviewCard:
        """Rebuild from a stored row; the due time comes from the card itself (the column is for indexing)."""
        payload = json.loads(card_json)
        card = Card.from_dict(payload)
        misses = int(payload.get(_MISSES_KEY, 0))
        return cls(int(user_id), str(question_id), card_json, _utc(card.due), misses)

    def to_card(self) -> Card:
        return Card.from_json(self.card_json)


def _rating_for(correct: bool, rating: Rating | None) -> Rating:
    if not correct:
        if rating not in (None, Rating.Again):
            raise ValueError(f"a wrong answer is always rated Again, not {rating!r}")
        return Rating.Again
    if rating is None:
        return Rating.Good
    if rating not in _CORRECT_RATINGS:
        raise ValueError(f"a correct answer is rated Hard, Good or Easy, not {rating!r}")
    return Rating(rating)


def on_answer(
    existing: ReviewCard | None,
    user_id: int,
    question_id: str,
    correct: bool,
    now: datetime,
    rating: Rating | None = None,
    *,
    scheduler: Scheduler | None = None,
) -> ReviewCard | None:
    """The card to store after one answer, or None when there is nothing to store.

    Practice, graded and review answers all come through here. A correct answer to a question that was never
    missed creates nothing.
    """
    now = _utc(now)
    chosen = _rating_for(correct, rating)
    scheduler = scheduler or _SCHEDULER
    if existing is None:
        if correct:
            return None
        # fsrs' own default id reads the wall clock and sleeps 1 ms; the injected time keeps it reproducible.
        card = Card(card_id=int(now.timestamp() * 1000), due=now)
        misses = 0
    else:
        if (existing.user_id, existing.question_id) != (int(user_id), str(question_id)):
            raise ValueError(
                f"card belongs to ({existing.user_id}, {existing.question_id!r}), "
                f"not ({user_id}, {question_id!r})"
            )
        card = existing.to_card()
        misses = existing.misses
    reviewed, _log = scheduler.review_card(card, chosen, review_datetime=now)
    return ReviewCard.from_card(user_id, question_id, reviewed, misses + (0 if correct else 1))


def end_of_local_day(now: datetime, tz_name: str = "UTC") -> datetime:
    """The UTC instant at which today ends in the clinic's zone."""
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz_name!r}") from exc
    local_today = _utc(now).astimezone(zone).date()
    return datetime.combine(local_today + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)


def due_queue(
    cards: Iterable[ReviewCard],
    now: datetime,
    valid_question_ids: set[str],
    tz_name: str = "UTC",
) -> list[ReviewCard]:
    """Current cards due by the end of today in the clinic's zone, most overdue first.

    Only questions still in a bank are offered: a removed question's card stays stored but leaves the queue.
    """
    cutoff = end_of_local_day(now, tz_name)
    due = [c for c in cards if c.due_at < cutoff and c.question_id in valid_question_ids]
    due.sort(key=lambda c: (c.due_at, c.question_id))
    return due


def due_count(
    cards: Iterable[ReviewCard],
    now: datetime,
    valid_question_ids: set[str],
    tz_name: str = "UTC",
) -> int:
    return len(due_queue(cards, now, valid_question_ids, tz_name))


_ANSWER_COLUMNS = ["user_id", "question_id", "correct"]


def _answers_frame(answers: pd.DataFrame | Iterable[tuple[int, str, bool]]) -> pd.DataFrame:
    if isinstance(answers, pd.DataFrame):
        missing = [c for c in _ANSWER_COLUMNS if c not in answers.columns]
        if missing:
            raise ValueError(f"answers lack the column(s) {', '.join(missing)}")
        return answers
    return pd.DataFrame([tuple(a)[:3] for a in answers], columns=_ANSWER_COLUMNS)


def miss_counts(answers: pd.DataFrame | Iterable[tuple[int, str, bool]]) -> dict[tuple[int, str], int]:
    """How many times each technician missed each question: {(user_id, question_id): misses}, misses > 0."""
    frame = _answers_frame(answers)
    wrong = frame.loc[~frame["correct"].astype(bool), ["user_id", "question_id"]]
    counts = wrong.groupby(["user_id", "question_id"], sort=True).size()
    return {(int(u), str(q)): int(n) for (u, q), n in counts.items()}


def flagged_for_trainer(
    answers: pd.DataFrame | Iterable[tuple[int, str, bool]],
    threshold: int = TRAINER_FLAG_THRESHOLD,
    valid_question_ids: set[str] | None = None,
) -> list[tuple[int, str, int]]:
    """(user_id, question_id, misses) for every question a technician missed `threshold` times or more.

    Most-missed first. Pass `valid_question_ids` to leave out questions no longer in any bank.
    """
    flagged = [
        (user, question, misses)
        for (user, question), misses in miss_counts(answers).items()
        if misses >= threshold and (valid_question_ids is None or question in valid_question_ids)
    ]
    flagged.sort(key=lambda row: (-row[2], row[0], row[1]))
    return flagged


def _utc_column(column: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(column)
    if parsed.dt.tz is None:
        raise ValueError("answered_at must be timezone-aware UTC, got naive times")
    # Python datetimes hold microseconds; flooring here avoids pandas' warning about dropped nanoseconds.
    return parsed.dt.tz_convert("UTC").dt.floor("us")


def rebuild_cards(
    history: pd.DataFrame, *, scheduler: Scheduler | None = None
) -> list[ReviewCard]:
    """Every current card, replayed from the answer history in time order.

    `history` has columns user_id, question_id, correct, answered_at (UTC-aware) and optionally `rating`
    (Hard/Easy given on the review page; missing or empty means the default for the answer). Gives exactly
    what answering one by one through `on_answer` would have stored.
    """
    missing = [c for c in _ANSWER_COLUMNS + ["answered_at"] if c not in history.columns]
    if missing:
        raise ValueError(f"history lacks the column(s) {', '.join(missing)}")
    if history.empty:
        return []
    plain = history.reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "user_id": plain["user_id"].astype("int64"),
            "question_id": plain["question_id"].astype(str),
            "correct": plain["correct"].astype(bool),
            "answered_at": _utc_column(plain["answered_at"]),
            "rating": plain["rating"].astype(object) if "rating" in plain.columns else None,
            "order": range(len(plain)),
        }
    )
    # Input order breaks ties between answers given in the same instant.
    frame = frame.sort_values(["user_id", "question_id", "answered_at", "order"], kind="stable")
    # Answers before a pair's first miss never touch a card, so drop them before the Python loop.
    keys = [frame["user_id"], frame["question_id"]]
    frame = frame.loc[(~frame["correct"]).groupby(keys).cummax()]
    answered = [moment.to_pydatetime() for moment in frame["answered_at"]]

    cards: list[ReviewCard] = []
    current: ReviewCard | None = None
    for (user, question, correct, rating), when in zip(
        frame[["user_id", "question_id", "correct", "rating"]].itertuples(index=False, name=None), answered
    ):
        if current is not None and (current.user_id, current.question_id) != (user, question):
            cards.append(current)
            current = None
        chosen = None if rating is None or pd.isna(rating) else Rating(int(rating))
        current = on_answer(current, int(user), question, bool(correct), when, chosen, scheduler=scheduler)
    if current is not None:
        cards.append(current)
    return cards
