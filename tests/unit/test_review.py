"""Spaced review: missed questions come back minutes later the same day, known ones drift out in days, trainers see
repeat misses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from fsrs import Card, Rating, State

from modules.core.clock import FixedClock
from modules.review import (
    RELEARNING_STEP,
    ReviewCard,
    due_queue,
    end_of_local_day,
    flagged_for_trainer,
    make_scheduler,
    miss_counts,
    on_answer,
)

START = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
BANK = {"skin-01", "skin-02", "mech-01"}


def missed(question_id: str = "skin-01", when: datetime = START, user_id: int = 7) -> ReviewCard:
    card = on_answer(None, user_id, question_id, False, when)
    assert card is not None
    return card


def test_scheduler_has_one_ten_minute_relearning_step_and_no_fuzz():
    scheduler = make_scheduler()
    assert scheduler.learning_steps == scheduler.relearning_steps == (timedelta(minutes=10),) == (RELEARNING_STEP,)
    assert scheduler.enable_fuzzing is False


def test_first_miss_creates_a_card_due_ten_minutes_later_the_same_day():
    card = missed()
    assert card.due_at == START + timedelta(minutes=10)
    assert card.misses == 1
    assert card.to_card().state == State.Learning and card.relearning
    # Due today: a technician who has just missed it can review it the same day.
    assert due_queue([card], START, BANK) == [card]


def test_a_right_answer_after_the_step_moves_the_card_on_in_whole_days():
    card = on_answer(missed(), 7, "skin-01", True, START + timedelta(minutes=10))
    assert card.to_card().state == State.Review and not card.relearning
    assert card.due_at - (START + timedelta(minutes=10)) >= timedelta(days=1)
    assert due_queue([card], START.replace(hour=23), BANK) == []


def test_a_correct_answer_to_a_never_missed_question_stores_nothing():
    assert on_answer(None, 7, "skin-01", True, START) is None
    assert on_answer(None, 7, "skin-01", True, START, Rating.Easy) is None


def test_a_lapse_of_a_known_question_comes_back_after_the_relearning_step():
    card = missed()
    for days in (1, 3):
        card = on_answer(card, 7, "skin-01", True, START + timedelta(days=days))
    lapse_time = card.due_at
    lapsed = on_answer(card, 7, "skin-01", False, lapse_time)
    assert lapsed.due_at == lapse_time + RELEARNING_STEP
    assert lapsed.to_card().state == State.Relearning
    assert lapsed.misses == 2


def test_simulated_month_missed_item_returns_daily_and_known_item_drifts_out():
    clock = FixedClock(START.replace(hour=9))
    cards = {"skin-01": missed("skin-01", clock()), "mech-01": missed("mech-01", clock())}
    reviews = {"skin-01": [], "mech-01": []}
    for _ in range(40):
        clock.advance(days=1)
        for card in due_queue(cards.values(), clock(), BANK):
            # skin-01 is known from now on; mech-01 keeps being missed.
            correct = card.question_id == "skin-01"
            cards[card.question_id] = on_answer(card, 7, card.question_id, correct, clock())
            reviews[card.question_id].append(clock())

    missed_days = [(when - START.replace(hour=9)).days for when in reviews["mech-01"]]
    assert missed_days == list(range(1, 41))

    known_days = [(when - START.replace(hour=9)).days for when in reviews["skin-01"]]
    gaps = [b - a for a, b in zip(known_days, known_days[1:])]
    assert gaps == sorted(gaps) and gaps[0] < gaps[-1]
    assert len(known_days) <= 6
    interval = cards["skin-01"].due_at - cards["skin-01"].to_card().last_review
    assert interval > timedelta(days=30)
    assert cards["skin-01"].misses == 1
    assert cards["mech-01"].misses == 41


def test_hard_good_easy_order_the_next_interval():
    card = on_answer(missed(), 7, "skin-01", True, START + timedelta(days=1))
    later = card.due_at
    hard, good, easy = (
        on_answer(card, 7, "skin-01", True, later, rating) for rating in (Rating.Hard, None, Rating.Easy)
    )
    assert hard.due_at < good.due_at < easy.due_at
    assert good == on_answer(card, 7, "skin-01", True, later, Rating.Good)


@pytest.mark.parametrize(("correct", "rating"), [(False, Rating.Easy), (False, Rating.Good), (True, Rating.Again)])
def test_a_rating_that_contradicts_the_answer_is_refused(correct, rating):
    with pytest.raises(ValueError):
        on_answer(missed(), 7, "skin-01", correct, START + timedelta(days=1), rating)


def test_a_card_of_another_technician_or_question_is_refused():
    card = missed()
    with pytest.raises(ValueError):
        on_answer(card, 8, "skin-01", True, START + timedelta(days=1))
    with pytest.raises(ValueError):
        on_answer(card, 7, "skin-02", True, START + timedelta(days=1))


def test_naive_datetimes_are_refused():
    naive = datetime(2025, 3, 3, 15, 0)
    with pytest.raises(ValueError):
        on_answer(None, 7, "skin-01", False, naive)
    with pytest.raises(ValueError):
        due_queue([missed()], naive, BANK)
    card = missed()
    with pytest.raises(ValueError):
        ReviewCard(card.user_id, card.question_id, card.card_json, naive, card.misses)


def test_due_today_follows_the_clinics_zone():
    # 03:00 UTC on 10 March is still 9 March, 23:00 in New York (EDT, UTC-4).
    now = datetime(2025, 3, 10, 3, 0, tzinfo=UTC)
    assert end_of_local_day(now, "America/New_York") == datetime(2025, 3, 10, 4, 0, tzinfo=UTC)
    tonight_ny = missed("skin-01", now + timedelta(minutes=20))  # due 03:30 UTC
    tomorrow_ny = missed("skin-02", now + timedelta(hours=1, minutes=50))  # due 05:00 UTC
    cards = [tonight_ny, tomorrow_ny]
    assert due_queue(cards, now, BANK, "America/New_York") == [tonight_ny]
    assert len(due_queue(cards, now, BANK, "UTC")) == 2

    # 20:00 UTC is already 07:00 the next day in Sydney, whose day ends at 13:00 UTC.
    now = datetime(2025, 1, 10, 20, 0, tzinfo=UTC)
    sydney_today = missed("mech-01", datetime(2025, 1, 11, 11, 50, tzinfo=UTC))  # due 11 Jan 12:00 UTC
    assert len(due_queue([sydney_today], now, BANK, "Australia/Sydney")) == 1
    assert due_queue([sydney_today], now, BANK, "UTC") == []


def test_unknown_zone_is_a_value_error():
    with pytest.raises(ValueError):
        due_queue([missed()], START, BANK, "Mars/Olympus_Mons")


def test_queue_is_most_overdue_first():
    cards = [missed("skin-02", START + timedelta(hours=2)), missed("mech-01", START - timedelta(days=3)), missed()]
    queue = due_queue(cards, START + timedelta(days=2), BANK)
    assert [c.question_id for c in queue] == ["mech-01", "skin-01", "skin-02"]


def test_removed_question_leaves_the_queue_quietly_and_returns_if_restored():
    cards = [missed("skin-01"), missed("skin-02")]
    tomorrow = START + timedelta(days=1)
    assert len(due_queue(cards, tomorrow, BANK)) == 2
    without_skin_02 = BANK - {"skin-02"}
    assert [c.question_id for c in due_queue(cards, tomorrow, without_skin_02)] == ["skin-01"]
    assert len(due_queue(cards, tomorrow, BANK)) == 2


def test_text_change_keeps_the_card():
    bank_before = {"skin-01": "What does the stratum corneum do?"}
    bank_after = {"skin-01": "What is the role of the stratum corneum?"}
    card = missed("skin-01")
    tomorrow = START + timedelta(days=1)
    assert due_queue([card], tomorrow, set(bank_before)) == due_queue([card], tomorrow, set(bank_after)) == [card]
    answered = on_answer(card, 7, "skin-01", False, tomorrow)
    assert answered.to_card().card_id == card.to_card().card_id
    assert answered.misses == 2


def test_stored_json_round_trips_and_stays_an_fsrs_card():
    card = on_answer(missed(), 7, "skin-01", True, START + timedelta(days=1), Rating.Hard)
    restored = ReviewCard.from_stored(card.user_id, card.question_id, card.card_json)
    assert restored == card
    fsrs_card = Card.from_json(card.card_json)
    assert fsrs_card.due == card.due_at
    assert Card.from_json(fsrs_card.to_json()) == restored.to_card()
    assert json.loads(card.card_json)["misses"] == 1


def _answers():
    rows = [(1, "skin-01", False)] * 3 + [(1, "skin-01", True)] * 5
    rows += [(1, "skin-02", False)] * 4 + [(2, "skin-01", False)] * 5
    # Two technicians missing the same question twice each is not one technician missing it four times.
    rows += [(3, "mech-01", False)] * 2 + [(4, "mech-01", False)] * 2
    return rows


def test_flagged_at_four_misses_not_three():
    expected = [(2, "skin-01", 5), (1, "skin-02", 4)]
    assert flagged_for_trainer(_answers()) == expected
    frame = pd.DataFrame(_answers(), columns=["user_id", "question_id", "correct"])
    assert flagged_for_trainer(frame) == expected
    assert flagged_for_trainer(frame, valid_question_ids={"skin-01"}) == [(2, "skin-01", 5)]
    assert miss_counts(frame) == {(1, "skin-01"): 3, (1, "skin-02"): 4, (2, "skin-01"): 5, (3, "mech-01"): 2,
                                  (4, "mech-01"): 2}


def test_the_card_counts_every_miss():
    card = missed()
    for day in range(1, 4):
        card = on_answer(card, 7, "skin-01", False, START + timedelta(days=day))
    assert card.misses == 4

