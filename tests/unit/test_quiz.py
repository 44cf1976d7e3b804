"""Quiz and exam rules with an injected clock: daily limits, unlocking, deadlines with grace, pass marks."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from modules.banks import load_banks
from modules.core.errors import QuizError
from modules.core.records import Attempt, AttemptResult
from modules.core.types import AttemptKind, Pool
from modules.grading import answer_key
from modules.policy import Policy
from modules.practice import draw
from modules.quiz import (
    answer_deadline,
    check_quiz_allowed,
    draw_exam,
    draw_quiz,
    exam_missing,
    passes,
    revisit,
    score_responses,
)
from tests.helpers import FIXTURE_BANKS

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BANKS = load_banks(FIXTURE_BANKS)


def attempt(module_id="skin-science", started_at=NOON, passed=None, kind=AttemptKind.QUIZ, deadline=None):
    result = None if passed is None else AttemptResult(score=1.0 if passed else 0.2, passed=passed)
    return Attempt(id=1, user_id=1, kind=kind, module_id=module_id, started_at=started_at, deadline=deadline,
                   questions=None, policy=None, result=result)


def test_daily_limit_refuses_the_fourth_graded_attempt_and_says_when_the_next_opens():
    policy = Policy(quiz_attempts_per_day=3)
    today = [attempt(started_at=NOON - timedelta(hours=h)) for h in (1, 2, 3)]
    with pytest.raises(QuizError, match=r"next try opens at 00:00 on 24 Nov 2026"):
        check_quiz_allowed(today, "skin-science", policy, NOON, "UTC")


def test_attempts_from_yesterday_and_other_modules_do_not_count():
    policy = Policy(quiz_attempts_per_day=3)
    history = [attempt(started_at=NOON - timedelta(days=1)) for _ in range(3)]
    history += [attempt(module_id="mechanics") for _ in range(3)]
    check_quiz_allowed(history, "skin-science", policy, NOON, "UTC")


def test_the_day_follows_the_clinic_time_zone():
    policy = Policy(quiz_attempts_per_day=1)
    # 23:30 UTC on the 22nd is already the 23rd in Sydney, the same local day as noon UTC on the 23rd.
    late = [attempt(started_at=datetime(2026, 11, 22, 23, 30, tzinfo=UTC))]
    with pytest.raises(QuizError):
        check_quiz_allowed(late, "skin-science", policy, NOON, "Australia/Sydney")
    check_quiz_allowed(late, "skin-science", policy, NOON, "UTC")


def test_quiz_draws_the_policy_size_from_one_module_without_repeats():
    shown = draw_quiz(BANKS, "mechanics", Policy(quiz_questions=10), random.Random(1))
    assert len(shown) == 10
    assert len({s.question_id for s in shown}) == 10
    assert {s.module_id for s in shown} == {"mechanics"}


def test_exam_follows_the_blueprint_and_draws_only_exam_items():
    blueprint = (("skin-science", 3), ("mechanics", 1), ("safety", 2))
    for seed in range(20):
        shown = draw_exam(BANKS, Policy(exam_blueprint=blueprint), random.Random(seed))
        counts = {m: sum(1 for s in shown if s.module_id == m) for m, _ in blueprint}
        assert counts == dict(blueprint)
        assert all(BANKS.question(s.question_id).pool is Pool.EXAM for s in shown)


def test_quizzes_and_practice_draw_only_practice_items():
    for seed in range(20):
        quiz_items = draw_quiz(BANKS, "safety", Policy(quiz_questions=10), random.Random(seed))
        practice_items = draw(BANKS, "safety", 12, random.Random(seed))
        assert all(BANKS.question(s.question_id).pool is Pool.PRACTICE for s in quiz_items + practice_items)
    assert len(practice_items) == len(BANKS.pool(Pool.PRACTICE, "safety"))


def test_exam_stays_locked_until_every_module_quiz_is_passed_and_says_what_is_missing():
    passed_all_but_one = [attempt(module_id=m.id, passed=True) for m in BANKS.modules[:-1]]
    passed_all_but_one.append(attempt(module_id=BANKS.modules[-1].id, passed=False))
    missing = exam_missing(BANKS, passed_all_but_one, 0, Policy(signoffs_required=0))
    assert missing == [f"Pass the module quiz for {BANKS.modules[-1].order}. {BANKS.modules[-1].title}"]
    everything = passed_all_but_one + [attempt(module_id=BANKS.modules[-1].id, passed=True)]
    assert exam_missing(BANKS, everything, 0, Policy(signoffs_required=0)) == []


def test_by_default_the_exam_waits_for_three_competent_practicals():
    everything = [attempt(module_id=m.id, passed=True) for m in BANKS.modules]
    assert exam_missing(BANKS, everything, 2, Policy()) == [
        "Have a trainer sign off 1 more supervised practical treatment(s) (2 of 3 so far)"]
    assert exam_missing(BANKS, everything, 3, Policy()) == []


def test_exam_waits_for_practical_signoffs_when_the_policy_asks():
    everything = [attempt(module_id=m.id, passed=True) for m in BANKS.modules]
    missing = exam_missing(BANKS, everything, 1, Policy(signoffs_required=2))
    assert missing == ["Have a trainer sign off 1 more supervised practical treatment(s) (1 of 2 so far)"]


def test_answers_count_until_the_deadline_plus_grace():
    exam = attempt(kind=AttemptKind.EXAM, deadline=NOON + timedelta(minutes=45))
    assert answer_deadline(exam, Policy(exam_grace_seconds=30)) == NOON + timedelta(minutes=45, seconds=30)


def test_pass_mark_boundary_is_inclusive():
    assert passes(0.8, 80)
    assert passes(8 / 10, 80)
    assert not passes(0.79, 80)
    assert passes(0.85, 85) and not passes(0.849, 85)


def test_unanswered_questions_score_zero_and_weak_modules_are_named():
    shown = draw_exam(BANKS, Policy(exam_blueprint=(('skin-science', 2), ('mechanics', 2), ('safety', 2))),
                      random.Random(3))
    answers = {i: answer_key(BANKS.question(s.question_id)) for i, s in enumerate(shown) if s.module_id != "safety"}
    records, score, module_scores = score_responses(shown, answers)
    assert module_scores["safety"] == 0.0
    assert all(v == 1.0 for m, v in module_scores.items() if m != "safety")
    assert score == pytest.approx(1 - 2 / len(shown))
    assert revisit(module_scores, 85) == ("safety",)
    assert [r.position for r in records] == list(range(len(shown)))
