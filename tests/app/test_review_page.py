"""Review page: a missed question comes back the same day and again later in the same sitting, the daily cap
holds back the rest, "Stop for today" ends a sitting, and each rating button says when the question returns."""

import shutil
from datetime import UTC, datetime, timedelta

import yaml

from modules.banks import load_banks
from modules.core.clock import FixedClock
from modules.learning import due_cards, feed_review, review_cards
from modules.review import interval_words, next_intervals
from tests.app.conftest import open_app, texts
from tests.helpers import FIXTURE_BANKS, answer_on_screen, question_on_screen

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PRACTICE_SINGLES = ["skin-001", "mech-001", "safe-001"]


def button(at, starts_with: str):
    return next(b for b in at.button if b.label.startswith(starts_with))


def test_a_question_missed_today_is_due_today_and_each_rating_says_when_it_returns(users, app_store):
    technician = users["technician"]
    bank_set = load_banks(FIXTURE_BANKS)
    missed = ["skin-001", "mech-001"]
    feed_review(app_store, technician.id, [(q, False) for q in missed], MONDAY)

    later = FixedClock(MONDAY + timedelta(minutes=20))
    at = open_app(technician, "review.py", clock=later)
    assert at.metric[0].value == "2"
    assert "Nothing is due today" not in texts(at)
    button(at, "Review 2").click().run()
    for _ in missed:
        question = answer_on_screen(at, bank_set)
        button(at, "Check answer").click().run()
        assert "Correct." in [s.value for s in at.success]
        card = review_cards(app_store, technician.id)[question.id]
        wanted = {rating.name: interval_words(span) for rating, span in next_intervals(card, later()).items()}
        labels = [b.label for b in at.button if b.label.split(" · ")[0] in wanted]
        assert labels == [f"{name} · {words}" for name, words in wanted.items()]
        button(at, "Easy").click().run()
    assert "Review done: 2 of 2 right" in texts(at)
    assert due_cards(app_store, technician.id, set(bank_set.questions), later(), "UTC") == []


def test_a_question_missed_in_review_comes_back_in_the_same_sitting(users, app_store):
    technician = users["technician"]
    bank_set = load_banks(FIXTURE_BANKS)
    feed_review(app_store, technician.id, [("skin-001", False)], MONDAY)
    at = open_app(technician, "review.py", clock=FixedClock(MONDAY + timedelta(hours=1)))
    button(at, "Review 1").click().run()

    first = answer_on_screen(at, bank_set, right=False)
    button(at, "Check answer").click().run()
    assert "comes back at the end of this review" in texts(at)
    button(at, "Next").click().run()
    assert "Review done" not in texts(at)
    assert question_on_screen(at, bank_set).id == first.id
    assert "Question 2 of 2" in at.get("progress")[0].proto.text

    answer_on_screen(at, bank_set)
    button(at, "Check answer").click().run()
    button(at, "Good").click().run()
    assert "Review done: 0 of 1 right the first time" in texts(at)
    assert "1 question(s) you missed came back and you got them right" in texts(at)


def test_the_daily_cap_holds_back_due_questions_and_stop_for_today_ends_the_sitting(users, app_store, tmp_path,
                                                                                    monkeypatch):
    folder = tmp_path / "banks"
    shutil.copytree(FIXTURE_BANKS, folder)
    policy_file = folder / "certification.yaml"
    policy = yaml.safe_load(policy_file.read_text(encoding="utf-8"))
    # Every section the policy requires, as the live policy has them, so only the cap differs from the defaults.
    policy.setdefault("certificate", {}).setdefault("reminder_days", [30, 60, 90])
    policy.setdefault("item_analysis", {"min_responses": 30})
    policy.setdefault("team", {"behind_after_days": 14})
    policy["review"] = {"daily_cap": 2}
    policy_file.write_text(yaml.safe_dump(policy), encoding="utf-8")
    monkeypatch.setenv("TRAINING_BANKS_DIR", str(folder))
    technician = users["technician"]
    # Missed, then relearnt ten minutes later: review cards due again within days, counted against the cap.
    feed_review(app_store, technician.id, [(q, False) for q in PRACTICE_SINGLES], MONDAY)
    feed_review(app_store, technician.id, [(q, True) for q in PRACTICE_SINGLES], MONDAY + timedelta(minutes=10))

    at = open_app(technician, "review.py", clock=FixedClock(MONDAY + timedelta(days=7)))
    assert at.metric[0].value == "2"
    assert "1 more question(s) are due, over today's limit of 2" in texts(at)
    button(at, "Review 2").click().run()
    button(at, "Stop for today").click().run()
    assert "You stopped for today: 2 question(s) wait for your next review" in texts(at)
