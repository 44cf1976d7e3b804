"""Graded module quizzes and the certification exam: the rules, enforced on the server with an injected clock.

Graded attempts shuffle questions and options, keep right/wrong hidden until submission and are stored with a
snapshot of exactly what was shown. The exam's deadline lives in the database from the moment it starts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from modules.banks import BankSet
from modules.core import timezones
from modules.core.errors import QuizError
from modules.core.records import Attempt, AttemptResult, ResponseRecord
from modules.core.types import AttemptId, AttemptKind, ClosedBy, ModuleId, Pool
from modules.grading import Answer, ShownQuestion, response_record, show
from modules.policy import Policy


@dataclass(frozen=True)
class Outcome:
    """What a technician sees after submitting: score, pass or fail, per-question feedback, modules to revisit."""

    attempt_id: AttemptId
    score: float
    passed: bool
    per_question: tuple[tuple[ShownQuestion, object, float], ...]
    module_scores: dict[str, float]
    to_revisit: tuple[str, ...]
    certificate_code: str | None = None


def graded_attempts_today(attempts: list[Attempt], module_id: str, now: datetime, tz_name: str) -> list[Attempt]:
    start = timezones.local_day_start(now, tz_name)
    return [a for a in attempts if a.kind is AttemptKind.QUIZ and a.module_id == module_id and a.started_at >= start]


def check_quiz_allowed(attempts: list[Attempt], module_id: str, policy: Policy, now: datetime,
                       tz_name: str) -> None:
    """Refuse a start beyond the daily limit and say when the next try opens."""
    used = graded_attempts_today(attempts, module_id, now, tz_name)
    if len(used) >= policy.quiz_attempts_per_day:
        opens = timezones.local_text(timezones.local_day_end(now, tz_name), tz_name, "%H:%M on %d %b %Y")
        raise QuizError(
            f"You have used all {policy.quiz_attempts_per_day} graded attempts for this module today. "
            f"Your next try opens at {opens}. Practice stays open in the meantime."
        )


def draw_quiz(banks: BankSet, module_id: str, policy: Policy, rng: random.Random) -> list[ShownQuestion]:
    module = banks.module(module_id)
    if module is None:
        raise QuizError("This module is not available right now.")
    pool = banks.pool(Pool.PRACTICE, module.id)
    picked = rng.sample(pool, min(policy.quiz_questions, len(pool)))
    return [show(q, rng) for q in picked]


def draw_exam(banks: BankSet, policy: Policy, rng: random.Random) -> list[ShownQuestion]:
    shown: list[ShownQuestion] = []
    # The blueprint says exactly how many questions each module gives, all from its exam pool.
    for module_id, wanted in policy.exam_draw([m.id for m in banks.modules]).items():
        pool = banks.pool(Pool.EXAM, module_id)
        shown.extend(show(q, rng) for q in rng.sample(pool, min(wanted, len(pool))))
    rng.shuffle(shown)
    return shown


def passed_modules(attempts: list[Attempt]) -> set[ModuleId | None]:
    return {a.module_id for a in attempts if a.kind is AttemptKind.QUIZ and a.result and a.result.passed}


def exam_missing(banks: BankSet, attempts: list[Attempt], signoffs: int, policy: Policy) -> list[str]:
    """What still stands between a technician and the exam, in plain words; empty when it is unlocked."""
    passed = passed_modules(attempts)
    missing = [f"Pass the module quiz for {m.order}. {m.title}" for m in banks.modules if m.id not in passed]
    if signoffs < policy.signoffs_required:
        missing.append(f"Have a trainer sign off {policy.signoffs_required - signoffs} more supervised "
                       f"practical treatment(s) ({signoffs} of {policy.signoffs_required} so far)")
    return missing


def score_responses(shown: list[ShownQuestion], answers: dict[int, Answer], answered_at: datetime | None = None
                    ) -> tuple[list[ResponseRecord], float, dict[str, float]]:
    """Grade every shown question (unanswered scores 0): records, overall share, and share per module."""
    records: list[ResponseRecord] = []
    per_module: dict[str, list[float]] = {}
    for position, question in enumerate(shown):
        record = response_record(position, question, answers.get(position), answered_at=answered_at)
        records.append(record)
        per_module.setdefault(question.module_id, []).append(record.score)
    total = sum(r.score for r in records) / len(records) if records else 0.0
    return records, total, {m: sum(s) / len(s) for m, s in per_module.items()}


def passes(score: float, pass_percent: int) -> bool:
    # Compare in whole hundredths of a percent so 0.8 passes an 80% mark despite float rounding.
    return round(score * 10000) >= pass_percent * 100


def revisit(module_scores: dict[str, float], pass_percent: int) -> tuple[str, ...]:
    return tuple(sorted(m for m, s in module_scores.items() if not passes(s, pass_percent)))


def answer_deadline(attempt: Attempt, policy: Policy) -> datetime | None:
    """The last moment an exam answer still counts: the deadline plus a short grace for slow connections."""
    if attempt.deadline is None:
        return None
    return attempt.deadline + timedelta(seconds=policy.exam_grace_seconds)


def result_for(score: float, passed: bool, closed_by: ClosedBy, module_scores: dict[str, float],
               now: datetime) -> AttemptResult:
    return AttemptResult(score=score, passed=passed, closed_by=closed_by,
                         detail={"module_scores": module_scores}, finished_at=now)
