"""Spaced review of missed questions: one FSRS card per (technician, question), as Anki schedules them.

Pure scheduling layer over py-fsrs. It takes and returns values; the store keeps them (the `review_cards`
table: user_id, question_id, card_json, due_at, append-only, the latest row per pair is the current card).

- A card is born the first time a question is missed (practice or a graded quiz) and is reviewed with Again.
- Wrong is Again, right is Good; the review page may send Hard or Easy after a correct answer.
- A missed question comes back after a short relearning step (minutes, the same day); once answered right it
  moves on in whole days. A review day draws at most `daily_cap` cards that are due; relearning comes on top.
- Cards are keyed by question id only, so editing a question's text keeps its card; a question removed from
  its bank drops out of the queue without deleting anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import cast

import pandas as pd
from fsrs import Card, Rating, Scheduler, State

from modules.core.clock import require_utc
from modules.core.timezones import local_day_end as end_of_local_day  # the end of "today" for due cards
from modules.core.types import UserId

# A technician recertifies every 12 months, so no card may sleep through a whole certification cycle.
MAXIMUM_INTERVAL_DAYS = 365
TRAINER_FLAG_THRESHOLD = 4
# Anki's default step: a missed question is asked again ten minutes later, in the same sitting.
RELEARNING_STEP = timedelta(minutes=10)

# The store's table has no column for it, so the miss count travels inside card_json beside the FSRS fields;
# fsrs' Card.from_dict reads only its own keys, so the JSON stays a valid FSRS card.
_MISSES_KEY = "misses"
_CORRECT_RATINGS = (Rating.Hard, Rating.Good, Rating.Easy)


def _utc(moment: datetime) -> datetime:
    """Refuse naive times; fsrs insists on the `timezone.utc` object itself, not just a zero offset."""
    return require_utc(moment).astimezone(UTC)


def make_scheduler(*, enable_fuzzing: bool = False) -> Scheduler:
    """The clinic's scheduler: one relearning step of minutes, then whole days; reproducible.

    A new or lapsed card waits one step (ten minutes) in the Learning or Relearning state, so a question missed
    today is due today; a right answer then moves it to the Review state with an interval of days.
    Fuzzing stays off so replaying the same answers always gives the same cards.
    """
    return Scheduler(
        learning_steps=(RELEARNING_STEP,),
        relearning_steps=(RELEARNING_STEP,),
        maximum_interval=MAXIMUM_INTERVAL_DAYS,
        enable_fuzzing=enable_fuzzing,
    )


_SCHEDULER = make_scheduler()


@dataclass(frozen=True)
class ReviewCard:
    """The current review state of one question for one technician, as stored."""

    user_id: UserId
    question_id: str
    card_json: str
    due_at: datetime
    misses: int

    def __post_init__(self) -> None:
        require_utc(self.due_at)

    @classmethod
    def from_card(cls, user_id: UserId, question_id: str, card: Card, misses: int) -> ReviewCard:
        payload = {**card.to_dict(), _MISSES_KEY: misses}
        return cls(UserId(int(user_id)), str(question_id), json.dumps(payload), _utc(card.due), misses)

    @classmethod
    def from_stored(cls, user_id: UserId, question_id: str, card_json: str) -> ReviewCard:
        """Rebuild from a stored row; the due time comes from the card itself (the column is for indexing)."""
        payload = json.loads(card_json)
        card = Card.from_dict(payload)
        misses = int(payload.get(_MISSES_KEY, 0))
        return cls(UserId(int(user_id)), str(question_id), card_json, _utc(card.due), misses)

    def to_card(self) -> Card:
        return Card.from_json(self.card_json)

    @property
    def relearning(self) -> bool:
        """Missed and not yet answered right since: it comes back today, outside the daily cap."""
        return Card.from_json(self.card_json).state in (State.Learning, State.Relearning)


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
    user_id: UserId,
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


def next_intervals(card: ReviewCard, now: datetime, *, scheduler: Scheduler | None = None) -> dict[Rating, timedelta]:
    """How long until the card comes back after each rating of a right answer (what Anki shows on its buttons)."""
    now = _utc(now)
    scheduler = scheduler or _SCHEDULER
    current = card.to_card()
    return {rating: scheduler.review_card(current, rating, review_datetime=now)[0].due - now
            for rating in _CORRECT_RATINGS}


def interval_words(span: timedelta) -> str:
    """An interval as a person says it: "10 minutes", "1 hour", "3 days", "4 months" (months from 60 days on)."""
    minutes = max(1, round(span.total_seconds() / 60))
    days = round(minutes / (60 * 24))
    if minutes < 60:
        count, unit = minutes, "minute"
    elif minutes < 60 * 24:
        count, unit = round(minutes / 60), "hour"
    elif days < 60:
        count, unit = days, "day"
    else:
        count, unit = round(days / 30), "month"
    return f"{count} {unit}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class ReviewPlan:
    """What today's review offers: questions to relearn (always) and due questions up to the daily cap."""

    relearn: tuple[ReviewCard, ...]
    due: tuple[ReviewCard, ...]
    held_back: int  # due today but over the cap: they wait for another day
    cap_left: int   # due questions the cap still allows today

    @property
    def cards(self) -> list[ReviewCard]:
        """Every card of the plan, most overdue first."""
        return sorted((*self.relearn, *self.due), key=lambda c: (c.due_at, c.question_id))


def plan_day(
    cards: Iterable[ReviewCard],
    now: datetime,
    valid_question_ids: set[str],
    daily_cap: int,
    reviewed_today: int,
    tz_name: str = "UTC",
) -> ReviewPlan:
    """Today's review: every question being relearnt, plus the most overdue due ones while the cap allows.

    `reviewed_today` is how many questions were already reviewed today (an earlier sitting counts).
    """
    if daily_cap < 0 or reviewed_today < 0:
        raise ValueError("the daily cap and the count reviewed today cannot be negative")
    queue = due_queue(cards, now, valid_question_ids, tz_name)
    relearn = tuple(c for c in queue if c.relearning)
    due = [c for c in queue if not c.relearning]
    cap_left = max(0, daily_cap - reviewed_today)
    return ReviewPlan(relearn, tuple(due[:cap_left]), max(0, len(due) - cap_left), cap_left)


@dataclass(frozen=True)
class ReviewSession:
    """One sitting of review: the questions in the order asked, and each answer's outcome.

    A question answered wrong is asked again at the end of the sitting (its relearning step), until it is
    answered right or the technician stops for today.
    """

    steps: tuple[str, ...]
    results: tuple[bool, ...] = ()
    stopped: bool = False

    @classmethod
    def start(cls, plan: ReviewPlan) -> ReviewSession:
        return cls(tuple(c.question_id for c in plan.cards))

    @property
    def index(self) -> int:
        return len(self.results)

    @property
    def finished(self) -> bool:
        return self.stopped or self.index >= len(self.steps)

    @property
    def current(self) -> str | None:
        return None if self.finished else self.steps[self.index]

    @property
    def questions(self) -> int:
        """How many different questions the sitting asked."""
        return len(set(self.steps[: self.index]))

    @property
    def right_first_time(self) -> int:
        seen: set[str] = set()
        right = 0
        for question_id, correct in zip(self.steps, self.results):
            if question_id not in seen:
                right += int(correct)
                seen.add(question_id)
        return right

    @property
    def relearnt(self) -> int:
        """Questions missed in this sitting and then answered right in it."""
        missed = {q for q, correct in zip(self.steps, self.results) if not correct}
        return sum(1 for q, correct in zip(self.steps, self.results) if correct and q in missed)

    @property
    def left(self) -> int:
        """Questions not yet answered right when the sitting ended (not asked, or still being relearnt)."""
        done = {q for q, correct in zip(self.steps, self.results) if correct}
        return len(set(self.steps) - done)

    def answer(self, correct: bool) -> ReviewSession:
        question_id = self.current
        if question_id is None:
            raise ValueError("the review sitting has no question left to answer")
        steps = self.steps if correct else (*self.steps, question_id)
        return replace(self, steps=steps, results=(*self.results, correct))

    def stop(self) -> ReviewSession:
        return replace(self, stopped=True)


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
    pairs = cast("Iterable[tuple[tuple[int, str], int]]", counts.items())
    return {(int(u), str(q)): int(n) for (u, q), n in pairs}


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

