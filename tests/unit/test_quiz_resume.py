"""Quizzes save each answer as it is given: a reload resumes the same quiz; submitting scores what was saved."""

import random
from datetime import timedelta

import pytest

from modules import auth, certification
from modules.banks import load_banks
from modules.core.errors import QuizError, StoreError
from modules.core.records import Actor
from modules.core.types import AttemptKind, Role
from modules.grading import answer_key
from modules.learning import review_cards
from modules.policy import load_policy
from tests.helpers import FIXTURE_BANKS, wrong_answer

BANKS = load_banks(FIXTURE_BANKS)
POLICY, _ = load_policy(FIXTURE_BANKS, BANKS)
SKIN = "skin-science"


@pytest.fixture
def tess(store):
    return store.accounts.get(auth.create_user(store, "tess", "Tess", Role.TECHNICIAN, "correct horse battery"))


def right(shown):
    return answer_key(BANKS.question(shown.question_id))


def wrong(shown):
    return wrong_answer(BANKS.question(shown.question_id))


def rows(store, user, sitting):
    return store.attempts.responses(Actor(user.id, user.role), sitting.attempt.id)


def test_each_answer_is_saved_as_given_and_a_change_is_a_new_row_that_counts_once(store, clock, tess):
    sitting = certification.start_quiz(store, tess, BANKS, POLICY, SKIN, clock(), "UTC", random.Random(1))
    first = sitting.shown[0]
    certification.save_quiz_answer(store, tess, sitting, 0, wrong(first), clock())
    assert [r.answer for r in rows(store, tess, sitting)] == [wrong(first)]
    clock.advance(seconds=30)
    certification.save_quiz_answer(store, tess, sitting, 0, right(first), clock())
    assert [r.answer for r in rows(store, tess, sitting)] == [wrong(first), right(first)]  # nothing overwritten
    assert certification.saved_quiz_answers(store, tess, sitting) == {0: right(first)}


def test_a_reload_resumes_the_same_questions_options_and_answers(store, clock, tess):
    sitting = certification.start_quiz(store, tess, BANKS, POLICY, SKIN, clock(), "UTC", random.Random(1))
    half = len(sitting.shown) // 2
    given = {p: right(sitting.shown[p]) for p in range(half)}
    for position, answer in given.items():
        certification.save_quiz_answer(store, tess, sitting, position, answer, clock())

    clock.advance(minutes=20)  # a new session knows nothing but the person
    resumed = certification.unfinished_quiz(store, tess)
    assert resumed is not None and resumed.attempt.id == sitting.attempt.id
    assert resumed.attempt.module_id == SKIN
    assert [(s.question_id, s.options) for s in resumed.shown] == [(s.question_id, s.options) for s in sitting.shown]
    assert certification.saved_quiz_answers(store, tess, resumed) == given
    # Starting the same module again (another draw) resumes it too, and opens no second attempt.
    again = certification.start_quiz(store, tess, BANKS, POLICY, SKIN, clock(), "UTC", random.Random(99))
    assert again.attempt.id == sitting.attempt.id and again.shown == sitting.shown
    assert len(store.attempts.for_user(Actor(tess.id, tess.role), tess.id, AttemptKind.QUIZ)) == 1


def test_finishing_scores_the_saved_answers_and_writes_nothing_twice(store, clock, tess):
    sitting = certification.start_quiz(store, tess, BANKS, POLICY, SKIN, clock(), "UTC", random.Random(2))
    shown = sitting.shown
    certification.save_quiz_answer(store, tess, sitting, 0, wrong(shown[0]), clock())
    certification.save_quiz_answer(store, tess, sitting, 0, right(shown[0]), clock())  # changed: counts as right
    certification.save_quiz_answer(store, tess, sitting, 1, wrong(shown[1]), clock())
    for position in range(2, len(shown) - 2):
        certification.save_quiz_answer(store, tess, sitting, position, right(shown[position]), clock())
    certification.save_quiz_answer(store, tess, sitting, len(shown) - 1, right(shown[-1]), clock())
    certification.save_quiz_answer(store, tess, sitting, len(shown) - 1, None, clock())  # cleared again
    saved_rows = len(rows(store, tess, sitting))

    clock.advance(minutes=5)
    outcome = certification.finish_quiz(store, tess, sitting, POLICY, clock())

    answered_right = len(shown) - 3  # all but 1 wrong, 1 never answered and 1 cleared
    assert outcome.score == pytest.approx(answered_right / len(shown)) and not outcome.passed
    assert [score for _, _, score in outcome.per_question][:2] == [1.0, 0.0]
    assert outcome.per_question[0][1] == right(shown[0]) and outcome.per_question[-1][1] is None
    # Only the never-answered question gets its 0-score row; saved answers are not written again.
    stored = rows(store, tess, sitting)
    assert len(stored) == saved_rows + 1
    assert [r.position for r in stored[saved_rows:]] == [len(shown) - 2] and stored[-1].score == 0
    current = store.attempts.current_responses(Actor(tess.id, tess.role), sitting.attempt.id)
    assert [r.position for r in current] == list(range(len(shown)))
    attempt = store.attempts.get(Actor(tess.id, tess.role), sitting.attempt.id)
    assert attempt.result.score == pytest.approx(outcome.score) and attempt.result.finished_at == clock()
    assert certification.unfinished_quiz(store, tess) is None
    # Missed questions feed spaced review, as a quiz submitted whole does.
    assert set(review_cards(store, tess.id)) == {shown[1].question_id, shown[-2].question_id, shown[-1].question_id}


def test_a_finished_quiz_takes_no_more_answers_and_no_second_result(store, clock, tess):
    sitting = certification.start_quiz(store, tess, BANKS, POLICY, SKIN, clock(), "UTC", random.Random(3))
    for position, shown in enumerate(sitting.shown):
        certification.save_quiz_answer(store, tess, sitting, position, right(shown), clock())
    assert certification.finish_quiz(store, tess, sitting, POLICY, clock()).passed
    assert len(rows(store, tess, sitting)) == len(sitting.shown)
    with pytest.raises(StoreError):
        certification.save_quiz_answer(store, tess, sitting, 0, wrong(sitting.shown[0]), clock())
    with pytest.raises(StoreError):
        certification.finish_quiz(store, tess, sitting, POLICY, clock())
    assert len(rows(store, tess, sitting)) == len(sitting.shown)


def test_resuming_opens_no_new_attempt_and_the_resumed_one_counts_towards_the_daily_limit(store, clock, tess):
    policy = POLICY.model_copy(update={"quiz_attempts_per_day": 1})
    sitting = certification.start_quiz(store, tess, BANKS, policy, SKIN, clock(), "UTC")
    certification.save_quiz_answer(store, tess, sitting, 0, right(sitting.shown[0]), clock())
    resumed = certification.start_quiz(store, tess, BANKS, policy, SKIN, clock() + timedelta(minutes=1), "UTC")
    assert resumed.attempt.id == sitting.attempt.id  # within the limit of one: the same attempt goes on
    certification.finish_quiz(store, tess, resumed, policy, clock() + timedelta(minutes=2))
    with pytest.raises(QuizError, match="next try opens"):
        certification.start_quiz(store, tess, BANKS, policy, SKIN, clock() + timedelta(minutes=3), "UTC")
