"""A review day and sitting, as Anki runs them: relearning on top of a daily cap, a missed question asked again in
the same sitting, a stop at any time, and each rating's next interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Rating

from modules.review import ReviewCard, ReviewPlan, ReviewSession, interval_words, next_intervals, on_answer, plan_day

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
IDS = [f"q{n:02d}" for n in range(40)]
BANK = set(IDS)


def missed(question_id: str, when: datetime = START) -> ReviewCard:
    card = on_answer(None, 7, question_id, False, when)
    assert card is not None
    return card


def known(question_id: str, when: datetime = START) -> ReviewCard:
    """Missed once, relearnt ten minutes later: a card in review, due again in days."""
    card = on_answer(missed(question_id, when), 7, question_id, True, when + timedelta(minutes=10))
    assert card is not None and not card.relearning
    return card


def test_questions_missed_today_are_offered_today_on_top_of_the_cap():
    cards = [missed(q) for q in IDS[:10]] + [known(q, START - timedelta(days=30)) for q in IDS[10:]]
    plan = plan_day(cards, START + timedelta(minutes=5), BANK, daily_cap=30, reviewed_today=0)
    assert len(plan.relearn) == 10
    assert len(plan.due) == 30 and plan.held_back == 0
    assert len(plan.cards) == 40


def test_the_cap_keeps_the_most_overdue_and_counts_what_was_reviewed_earlier_today():
    due = [known(q, START - timedelta(days=60 - i)) for i, q in enumerate(IDS)]
    plan = plan_day(due, START, BANK, daily_cap=30, reviewed_today=0)
    assert [c.question_id for c in plan.due] == IDS[:30]
    assert plan.held_back == 10 and plan.cap_left == 30

    later = plan_day(due, START, BANK, daily_cap=30, reviewed_today=25)
    assert len(later.due) == 5 and later.held_back == 35
    spent = plan_day(due, START, BANK, daily_cap=30, reviewed_today=31)
    assert spent.due == () and spent.cap_left == 0 and spent.held_back == 40


def test_a_cap_of_zero_still_offers_relearning():
    plan = plan_day([missed("q00"), known("q01", START - timedelta(days=30))], START, BANK, 0, 0)
    assert [c.question_id for c in plan.cards] == ["q00"]
    assert plan.held_back == 1


def test_a_negative_cap_is_refused():
    with pytest.raises(ValueError):
        plan_day([], START, BANK, daily_cap=-1, reviewed_today=0)


def test_a_question_missed_in_the_sitting_is_asked_again_at_its_end():
    sitting = ReviewSession(("a", "b", "c"))
    sitting = sitting.answer(False)  # a missed
    assert sitting.steps == ("a", "b", "c", "a")
    sitting = sitting.answer(True).answer(True)
    assert sitting.current == "a" and not sitting.finished
    sitting = sitting.answer(False)  # missed again: once more at the end
    assert sitting.current == "a"
    sitting = sitting.answer(True)
    assert sitting.finished
    assert (sitting.questions, sitting.right_first_time, sitting.relearnt, sitting.left) == (3, 2, 1, 0)


def test_stop_for_today_ends_the_sitting_and_counts_what_is_left():
    sitting = ReviewSession(("a", "b", "c")).answer(False).answer(True).stop()
    assert sitting.finished and sitting.current is None
    assert sitting.left == 2  # "a" still being relearnt, "c" never asked
    with pytest.raises(ValueError):
        sitting.answer(True)


def test_a_sitting_starts_with_the_plan_most_overdue_first():
    plan = ReviewPlan(relearn=(missed("late"),), due=(known("early", START - timedelta(days=9)),), held_back=0,
                      cap_left=29)
    assert ReviewSession.start(plan).steps == ("early", "late")


def test_each_rating_shows_its_next_interval_and_harder_comes_back_sooner():
    card = missed("q00")
    step = next_intervals(card, START + timedelta(minutes=10))
    assert interval_words(step[Rating.Hard]) == "15 minutes"  # still relearning: Anki's 1.5 times the step
    assert step[Rating.Good] >= timedelta(days=1)

    review = known("q00")
    intervals = next_intervals(review, review.due_at)
    assert intervals[Rating.Hard] <= intervals[Rating.Good] < intervals[Rating.Easy]
    stored = on_answer(review, 7, "q00", True, review.due_at, Rating.Good)
    assert stored is not None and stored.due_at - review.due_at == intervals[Rating.Good]


@pytest.mark.parametrize(("span", "words"), [
    (timedelta(minutes=10), "10 minutes"), (timedelta(seconds=20), "1 minute"), (timedelta(hours=1), "1 hour"),
    (timedelta(days=1), "1 day"), (timedelta(days=3, hours=2), "3 days"), (timedelta(days=59), "59 days"),
    (timedelta(days=120), "4 months"),
])
def test_intervals_read_as_words(span, words):
    assert interval_words(span) == words
