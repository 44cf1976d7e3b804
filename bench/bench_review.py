"""Spaced-review speed: one technician's due queue over 2,000 cards, and rebuilding every card from history.

Run: .venv/bin/python bench/bench_review.py   (prints figures and records them in bench/results.json; asserts
nothing about speed)
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from fsrs import Rating, Scheduler
from results import Figure, record

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modules.review import (
    ReviewCard,
    due_queue,
    flagged_for_trainer,
    on_answer,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
QUESTIONS = [f"m{m}-q{q:02d}" for m in range(1, 9) for q in range(1, 251)]  # 2,000 question ids
TECHNICIANS = 5_000
ANSWERS_EACH = 20


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median wall time of `repeat` runs, in seconds, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _utc_column(column: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(column)
    if parsed.dt.tz is None:
        raise ValueError("answered_at must be timezone-aware UTC, got naive times")
    # Python datetimes hold microseconds; flooring here avoids pandas' warning about dropped nanoseconds.
    return parsed.dt.tz_convert("UTC").dt.floor("us")


def rebuild_cards(
    history: pd.DataFrame, *, scheduler: Scheduler | None = None
) -> list[ReviewCard]:
    """Every current card, replayed from the answer history in time order (a bench workload for `on_answer`;
    the app feeds cards one answer at a time and never replays history).

    `history` has columns user_id, question_id, correct, answered_at (UTC-aware) and optionally `rating`
    (Hard/Easy given on the review page; missing or empty means the default for the answer). Gives exactly
    what answering one by one through `on_answer` would have stored.
    """
    missing = [c for c in ("user_id", "question_id", "correct", "answered_at") if c not in history.columns]
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


def one_technicians_cards(rng: np.random.Generator) -> list[ReviewCard]:
    cards = []
    for question in QUESTIONS:
        when = NOW - timedelta(days=int(rng.integers(1, 120)), minutes=int(rng.integers(0, 1440)))
        card = on_answer(None, 1, question, False, when)
        for _ in range(int(rng.integers(0, 4))):
            if card.due_at >= NOW:
                break
            card = on_answer(card, 1, question, bool(rng.random() < 0.8), card.due_at)
        cards.append(card)
    return cards


def history(rng: np.random.Generator) -> pd.DataFrame:
    rows = TECHNICIANS * ANSWERS_EACH
    users = np.repeat(np.arange(1, TECHNICIANS + 1), ANSWERS_EACH)
    # Each technician practises a handful of questions several times, as people do.
    own_pool = rng.integers(0, len(QUESTIONS), size=(TECHNICIANS, 8))
    picks = own_pool[users - 1, rng.integers(0, 8, size=rows)]
    minutes = rng.integers(0, 90 * 24 * 60, size=rows)
    return pd.DataFrame(
        {
            "user_id": users,
            "question_id": np.array(QUESTIONS, dtype=object)[picks],
            "correct": rng.random(rows) < 0.7,
            "answered_at": pd.Timestamp(NOW - timedelta(days=90)) + pd.to_timedelta(minutes, unit="min"),
        }
    )


def main() -> None:
    rng = np.random.default_rng(2025)
    valid = set(QUESTIONS)

    cards = one_technicians_cards(rng)
    rows = [(c.user_id, c.question_id, c.card_json) for c in cards]
    queue_s, queue = timed(lambda: due_queue(cards, NOW, valid, "Europe/London"), 50)
    load_s, _ = timed(lambda: [ReviewCard.from_stored(*row) for row in rows], 10)
    count_s, _ = timed(lambda: len(due_queue(cards, NOW, valid, "Europe/London")), 50)
    print(f"due queue, 1 technician, {len(cards):,} cards: {queue_s * 1e3:.2f} ms ({len(queue):,} due)")
    print(f"  due count alone: {count_s * 1e3:.2f} ms")
    print(f"  parsing the {len(rows):,} stored rows first: {load_s * 1e3:.2f} ms "
          f"(queue is {queue_s / load_s:.2f}x the parse)")

    frame = history(rng)
    single_s, _ = timed(lambda: on_answer(cards[0], 1, cards[0].question_id, True, NOW), 200)
    rebuild_s, rebuilt = timed(lambda: rebuild_cards(frame), 1)
    flag_s, flagged = timed(lambda: flagged_for_trainer(frame), 3)
    per_answer_us = rebuild_s / len(frame) * 1e6
    print(f"rebuild, {TECHNICIANS:,} technicians x {ANSWERS_EACH} answers = {len(frame):,} answers: "
          f"{rebuild_s:.2f} s -> {len(rebuilt):,} cards ({per_answer_us:.1f} us per answer; "
          f"one on_answer call {single_s * 1e6:.1f} us, ratio {per_answer_us / (single_s * 1e6):.2f})")
    print(f"flagged for trainer over {len(frame):,} answers: {flag_s * 1e3:.1f} ms ({len(flagged):,} flags)")
    record("bench_review", [
        # The parse of the stored rows is what every queue needs first: the queue is given as a ratio to it.
        Figure(f"due queue, 1 technician, {len(cards):,} cards", queue_s * 1e3, "ms", None, queue_s / load_s),
        Figure(f"due count, 1 technician, {len(cards):,} cards", count_s * 1e3, "ms", None, count_s / load_s),
        Figure(f"parse {len(rows):,} stored cards", load_s * 1e3, "ms"),
        Figure(f"rebuild every card from {len(frame):,} answers", rebuild_s, "s"),
        Figure("rebuild per answer", per_answer_us / 1000, "ms", None, per_answer_us / (single_s * 1e6)),
        Figure("one on_answer call", single_s * 1e3, "ms"),
        Figure(f"flagged for trainer over {len(frame):,} answers", flag_s * 1e3, "ms"),
    ])


if __name__ == "__main__":
    main()
