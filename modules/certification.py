"""The certification path as the server runs it: start, resume and submit graded quizzes and the exam.

Every rule comes from the policy and `modules.quiz`; every record goes through the store. The clock is passed in,
so daily limits, deadlines and expiry are tested without sleeping.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from modules import quiz
from modules.banks import BankSet
from modules.certificates import expiry_for
from modules.core.errors import QuizError
from modules.core.records import Actor, Attempt, AttemptResult, ResponseRecord, User
from modules.core.types import AttemptKind, CertificateCode, ClosedBy
from modules.grading import Answer, ShownQuestion, response_record
from modules.learning import feed_review
from modules.policy import Policy
from modules.store import Store


@dataclass(frozen=True)
class Sitting:
    """A graded quiz or exam in progress: what was drawn, in the order shown, and its deadline."""

    attempt: Attempt
    shown: tuple[ShownQuestion, ...]

    @property
    def deadline(self) -> datetime | None:
        return self.attempt.deadline

    def version(self, position: int) -> tuple[int, str] | None:
        """How the store keeps the question shown at `position` (None for an attempt read without it)."""
        versions = self.attempt.versions
        return versions[position] if position < len(versions) else None


def _actor(user: User) -> Actor:
    return Actor(user.id, user.role)


def _sitting(attempt: Attempt) -> Sitting:
    return Sitting(attempt, tuple(ShownQuestion.from_snapshot(s) for s in attempt.questions or []))


def start_quiz(store: Store, user: User, banks: BankSet, policy: Policy, module_id: str, now: datetime,
               tz_name: str, rng: random.Random | None = None) -> Sitting:
    """Resume the unfinished quiz of this module, or start a new one within the daily limit."""
    open_quiz = store.attempts.open_one(user.id, AttemptKind.QUIZ)
    if open_quiz is not None and open_quiz.module_id == module_id:
        return _sitting(open_quiz)
    shown = quiz.draw_quiz(banks, module_id, policy, rng or random.Random())

    def decide(quizzes: list[Attempt]) -> Attempt | None:
        # Runs inside the store's serialised transaction: two clicks at once see each other's attempt.
        same = [a for a in quizzes if a.module_id == module_id]
        unfinished = [a for a in same if a.result is None]
        if unfinished:
            return unfinished[-1]
        quiz.check_quiz_allowed(same, module_id, policy, now, tz_name)
        return None

    attempt_id = store.attempts.start_checked(user.id, AttemptKind.QUIZ, decide, module_id,
                                              questions=[s.to_snapshot() for s in shown],
                                              policy={"pass_mark_percent": policy.quiz_pass_percent}, started_at=now)
    return _sitting(store.attempts.get(_actor(user), attempt_id))


def _graded_quiz(sitting: Sitting, answers: dict[int, Answer], policy: Policy, now: datetime
                 ) -> tuple[list[ResponseRecord], AttemptResult, quiz.Outcome]:
    """Every shown question graded (unanswered scores 0), the result to store, and what the technician sees."""
    records, score, module_scores = quiz.score_responses(list(sitting.shown), answers, now)
    passed = quiz.passes(score, policy.quiz_pass_percent)
    result = quiz.result_for(score, passed, ClosedBy.SUBMITTED, module_scores, now)
    per_question = tuple((s, answers.get(i), r.score) for i, (s, r) in enumerate(zip(sitting.shown, records)))
    return records, result, quiz.Outcome(sitting.attempt.id, score, passed, per_question, module_scores, ())


def submit_quiz(store: Store, user: User, sitting: Sitting, answers: dict[int, Answer], policy: Policy,
                now: datetime) -> quiz.Outcome:
    """Grade and store the whole quiz in one transaction, then feed missed questions to spaced review."""
    records, result, outcome = _graded_quiz(sitting, answers, policy, now)
    store.attempts.submit(sitting.attempt.id, records, result)
    feed_review(store, user.id, [(r.question_id, r.correct) for r in records], now)
    return outcome


@dataclass(frozen=True)
class QuizStanding:
    """Where a technician stands with the module quizzes today: which are passed, and the daily limit per module."""

    passed: frozenset[str]
    used_today: Mapping[str, int]
    per_day: int
    # Per module whose attempts are used up today: the sentence the server would refuse a start with.
    refusals: Mapping[str, str]

    def left_today(self, module_id: str) -> int:
        return max(0, self.per_day - self.used_today.get(module_id, 0))

    def first_unpassed(self, module_ids: Sequence[str]) -> str | None:
        return next((m for m in module_ids if m not in self.passed), None)


def quiz_standing(store: Store, user: User, banks: BankSet, policy: Policy, now: datetime,
                  tz_name: str) -> QuizStanding:
    """Passed modules and graded attempts used today (clinic zone), counted by the same rules that refuse a start."""
    quizzes = store.attempts.for_user(_actor(user), user.id, AttemptKind.QUIZ)
    used: dict[str, int] = {}
    refusals: dict[str, str] = {}
    for module in banks.modules:
        used[module.id] = len(quiz.graded_attempts_today(quizzes, module.id, now, tz_name))
        try:
            quiz.check_quiz_allowed(quizzes, module.id, policy, now, tz_name)
        except QuizError as refused:
            refusals[module.id] = str(refused)
    passed = frozenset(m for m in quiz.passed_modules(quizzes) if m is not None)
    return QuizStanding(passed, used, policy.quiz_attempts_per_day, refusals)


def unanswered_numbers(sitting: Sitting, saved: Mapping[int, Answer]) -> list[int]:
    """The question numbers (from 1, as shown) that have no saved answer yet."""
    return [position + 1 for position in range(len(sitting.shown)) if saved.get(position) is None]


def unfinished_quiz(store: Store, user: User) -> Sitting | None:
    """The graded quiz this person started and has not submitted (a reload lands here), if any."""
    open_quiz = store.attempts.open_one(user.id, AttemptKind.QUIZ)
    return _sitting(open_quiz) if open_quiz else None


def saved_quiz_answers(store: Store, user: User, sitting: Sitting) -> dict[int, Answer]:
    """The answers that count: the latest saved per question (None where an answer was cleared)."""
    return {position: answer for position, (answer, _at)
            in store.attempts.answers_given(_actor(user), sitting.attempt.id).items()}


def save_quiz_answer(store: Store, user: User, sitting: Sitting, position: int, answer: Answer,
                     now: datetime) -> None:
    """Save one answer as it is given (a change is a new row), so a reload loses nothing; None clears it."""
    record = response_record(position, sitting.shown[position], answer, answered_at=now)
    store.attempts.record_response(sitting.attempt.id, record, sitting.version(position))


def finish_quiz(store: Store, user: User, sitting: Sitting, policy: Policy, now: datetime) -> quiz.Outcome:
    """Score the saved answers and store the result, then feed missed questions to spaced review.

    Questions never answered get their 0-score row in the same transaction as the result, so a quiz still has a
    row for every question shown; saved answers are not written again.
    """
    answers = saved_quiz_answers(store, user, sitting)
    records, result, outcome = _graded_quiz(sitting, answers, policy, now)
    store.attempts.submit(sitting.attempt.id, [r for r in records if r.position not in answers], result)
    feed_review(store, user.id, [(r.question_id, r.correct) for r in records], now)
    return outcome


def running_exam(store: Store, user: User) -> Sitting | None:
    running = store.attempts.open_one(user.id, AttemptKind.EXAM)
    return _sitting(running) if running else None


def exam_missing(store: Store, user: User, banks: BankSet, policy: Policy) -> list[str]:
    attempts = store.attempts.for_user(_actor(user), user.id, AttemptKind.QUIZ)
    competent = sum(1 for s in store.signoffs.for_user(user.id) if s.competent)  # not-yet-competent ones never count
    return quiz.exam_missing(banks, attempts, competent, policy)


def start_or_resume_exam(store: Store, user: User, banks: BankSet, policy: Policy, now: datetime,
                         rng: random.Random | None = None) -> Sitting:
    """The running exam (same questions, same deadline), or a new one once every requirement is met.

    A second tab or a reload lands here too, so it never restarts the clock or draws new questions.
    """
    running = store.attempts.open_one(user.id, AttemptKind.EXAM)
    if running is not None:
        return _sitting(running)
    missing = exam_missing(store, user, banks, policy)
    if missing:
        raise QuizError("The exam is still locked. Still to do: " + "; ".join(missing) + ".")
    shown = quiz.draw_exam(banks, policy, rng or random.Random())

    def one_open_exam(exams: list[Attempt]) -> Attempt | None:
        # Inside the serialised transaction: a second click (or tab) resumes the exam the first one opened.
        running = [a for a in exams if a.result is None]
        return running[-1] if running else None

    attempt_id = store.attempts.start_checked(
        user.id, AttemptKind.EXAM, one_open_exam, None, deadline=now + timedelta(minutes=policy.exam_minutes),
        questions=[s.to_snapshot() for s in shown],
        policy={"pass_mark_percent": policy.exam_pass_percent, "grace_seconds": policy.exam_grace_seconds},
        started_at=now)
    return _sitting(store.attempts.get(_actor(user), attempt_id))


def saved_exam_answers(store: Store, user: User, sitting: Sitting, policy: Policy) -> dict[int, Answer]:
    """The answers that count: the latest per question, given before the deadline plus grace."""
    last_moment = quiz.answer_deadline(sitting.attempt, policy)
    return {position: answer for position, (answer, at)
            in store.attempts.answers_given(_actor(user), sitting.attempt.id).items()
            if last_moment is None or at <= last_moment}


def save_exam_answer(store: Store, user: User, sitting: Sitting, position: int, answer: Answer, policy: Policy,
                     now: datetime) -> None:
    """Save one answer as it is given, so a reload loses nothing; refused after the deadline plus grace."""
    last_moment = quiz.answer_deadline(sitting.attempt, policy)
    if last_moment is not None and now > last_moment:
        raise QuizError("Time is up: answers given after the deadline are not counted.")
    record = response_record(position, sitting.shown[position], answer, answered_at=now)
    store.attempts.record_response(sitting.attempt.id, record, sitting.version(position))


def finish_exam(store: Store, user: User, sitting: Sitting, policy: Policy, now: datetime,
                closed_by: ClosedBy = ClosedBy.SUBMITTED) -> quiz.Outcome:
    """Score the saved answers; a pass issues a certificate valid for the policy's months."""
    answers = saved_exam_answers(store, user, sitting, policy)
    records, score, module_scores = quiz.score_responses(list(sitting.shown), answers)
    passed = quiz.passes(score, policy.exam_pass_percent)
    # The result and, on a pass, the certificate are one write: a pass never stands without its certificate.
    certificate = store.exams.finish(sitting.attempt.id, quiz.result_for(score, passed, closed_by, module_scores, now),
                                     policy.certificate_title, expiry_for(now, policy.validity_months), _actor(user))
    code = certificate.code if certificate is not None else None
    # Exam items never feed spaced review: review shows keys, and an exam item's key is never shown.
    return quiz.Outcome(sitting.attempt.id, score, passed,
                        tuple((s, answers.get(i), r.score) for i, (s, r) in enumerate(zip(sitting.shown, records))),
                        module_scores, quiz.revisit(module_scores, policy.exam_pass_percent), code)


def repair_missing_certificates(store: Store, policy: Policy) -> list[CertificateCode]:
    """Issue the certificate of every passed exam that has none (left by a crash before this was one write);
    each is dated and expires as it would have when the exam finished. Returns the new codes."""
    codes: list[CertificateCode] = []
    for attempt_id, _user_id, _score, finished_at in store.exams.passed_without_certificate():
        certificate = store.exams.issue_missing(attempt_id, policy.certificate_title,
                                                expiry_for(finished_at, policy.validity_months))
        codes.append(certificate.code)
    return codes


def close_if_expired(store: Store, user: User, sitting: Sitting, policy: Policy, now: datetime) -> quiz.Outcome | None:
    """An unfinished exam is closed at its deadline (plus grace) with the answers saved by then."""
    last_moment = quiz.answer_deadline(sitting.attempt, policy)
    if last_moment is not None and now > last_moment:
        return finish_exam(store, user, sitting, policy, now, closed_by=ClosedBy.DEADLINE)
    return None
