"""A technician's own progress: per module, the exam, and the current certificate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from modules.banks import BankSet
from modules.certificates import current_certificate, current_status
from modules.core.records import Actor, Attempt, Certificate, User
from modules.core.types import AttemptKind, CertificateStatus
from modules.store import Store


@dataclass(frozen=True)
class ModuleProgress:
    module_id: str
    title: str
    lesson_read: bool
    practice_answered: int
    best_score: float | None
    passed: bool
    graded_attempts: int
    order: int = 0  # the module's place in the course, as its bank gives it


@dataclass(frozen=True)
class Progress:
    modules: tuple[ModuleProgress, ...]
    exams: tuple[Attempt, ...]
    certificate: Certificate | None
    status: CertificateStatus


def progress_for(store: Store, user: User, banks: BankSet, now: datetime) -> Progress:
    actor = Actor(user.id, user.role)
    read = store.lessons.read_by(user.id)
    attempts = store.attempts.for_user(actor, user.id)
    # One grouped query for every attempt's answer count, instead of one query per practice round.
    answered = dict(zip(*store.reports.attempt_summaries(user.id)[["attempt_id", "questions"]]
                        .to_numpy().T)) if attempts else {}
    practice_counts: dict[str, int] = {}
    for attempt in attempts:
        if attempt.kind is AttemptKind.PRACTICE and attempt.module_id:
            practice_counts[attempt.module_id] = (practice_counts.get(attempt.module_id, 0)
                                                  + int(answered.get(attempt.id, 0)))
    modules: list[ModuleProgress] = []
    for module in banks.modules:
        results = [a.result for a in attempts
                   if a.kind is AttemptKind.QUIZ and a.module_id == module.id and a.result is not None]
        scores = [r.score for r in results]
        modules.append(ModuleProgress(
            module.id, module.title, module.id in read, practice_counts.get(module.id, 0),
            max(scores) if scores else None, any(r.passed for r in results), len(results), module.order))
    held = store.certificates.for_user(actor, user.id)
    exams = tuple(a for a in attempts if a.kind is AttemptKind.EXAM)
    return Progress(tuple(modules), exams, current_certificate(held, now), current_status(held, now))
