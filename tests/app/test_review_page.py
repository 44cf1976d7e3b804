"""Review page: missed questions come back the next day, one at a time, and a right answer moves them on."""

from datetime import UTC, datetime, timedelta

from modules.banks import load_banks
from modules.core.clock import FixedClock
from modules.learning import due_cards, feed_review
from tests.app.conftest import open_app, texts
from tests.helpers import FIXTURE_BANKS, answer_on_screen

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_a_missed_question_is_due_the_next_day_and_reviewed_with_a_rating(users, app_store):
    technician = users["technician"]
    bank_set = load_banks(FIXTURE_BANKS)
    missed = ["skin-001", "mech-001"]
    feed_review(app_store, technician.id, [(q, False) for q in missed], MONDAY)
    assert due_cards(app_store, technician.id, set(bank_set.questions), MONDAY, "UTC") == []

    tuesday = FixedClock(MONDAY + timedelta(days=1))
    at = open_app(technician, clock=tuesday)
    assert "2 question(s) due for review today" in texts(at)
    at.switch_page("modules/pages/review.py").run()
    assert at.metric[0].value == "2"
    next(b for b in at.button if b.label.startswith("Review 2")).click().run()
    for _ in missed:
        answer_on_screen(at, bank_set)
        next(b for b in at.button if b.label == "Check answer").click().run()
        assert "Correct." in [s.value for s in at.success]
        next(b for b in at.button if b.label == "Easy").click().run()
    assert "Review done: 2 of 2 right" in texts(at)
    assert due_cards(app_store, technician.id, set(bank_set.questions), tuesday(), "UTC") == []
