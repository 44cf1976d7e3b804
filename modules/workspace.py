"""Where a technician stands on the certification path, and the one step that takes them on.

Home, My progress and the exam page all ask here, so they never disagree. `workspace_of` is pure: it takes the
technician's progress, what still stands before the exam, the reviews due and a `now`, and returns the stage, the
words to show and where the next step leads. `workspace_for` gathers those from the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from modules import certification
from modules.banks import BankSet
from modules.core import timezones
from modules.core.records import Certificate, User
from modules.core.types import CertificateStatus
from modules.policy import Policy
from modules.progress import ModuleProgress, Progress, progress_for
from modules.store import Store

DATE_FORMAT = "%d %b %Y"


class Stage(str, Enum):
    NEW = "new"
    STUDYING = "studying"
    AWAITING_PRACTICALS = "awaiting practicals"
    READY_FOR_EXAM = "ready for the exam"
    EXAM_RUNNING = "exam running"
    CERTIFIED = "certified"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Destination(str, Enum):
    """The study pages a next step can lead to."""

    LESSON = "lesson"
    QUIZ = "quiz"
    EXAM = "exam"
    REVIEW = "review"


@dataclass(frozen=True)
class NextStep:
    destination: Destination
    label: str
    module_id: str | None = None


@dataclass(frozen=True)
class Workspace:
    stage: Stage
    headline: str
    advice: str
    next_step: NextStep | None
    progress: Progress
    still_required: tuple[str, ...]
    reviews_due: int
    # What the exam page says before a certified (or lapsed) technician starts: it counts as recertification.
    exam_note: str | None

    @property
    def modules(self) -> tuple[ModuleProgress, ...]:
        return self.progress.modules

    @property
    def certificate(self) -> Certificate | None:
        return self.progress.certificate

    @property
    def quizzes_passed(self) -> int:
        return sum(1 for m in self.modules if m.passed)

    @property
    def recertifying(self) -> bool:
        """Passing the exam now renews a certificate this person held (a revoked one is not renewed)."""
        return self.certificate is not None and not self.certificate.revoked


def days_left(expires_at: datetime, now: datetime, tz_name: str) -> int:
    """Whole calendar days, in the clinic's zone, from today to the expiry day (0 when it expires today)."""
    return (timezones.local_day(expires_at, tz_name) - timezones.local_day(now, tz_name)).days


def in_days(days: int) -> str:
    return "today" if days <= 0 else "tomorrow" if days == 1 else f"in {days} days"


def _module_name(module: ModuleProgress) -> str:
    return f"{module.order}. {module.title}"


def _study_step(modules: tuple[ModuleProgress, ...]) -> tuple[NextStep, str] | None:
    """The first module whose quiz is not passed: its lesson if unread, else its quiz; None when all are passed."""
    for module in modules:
        if module.passed:
            continue
        name = _module_name(module)
        if not module.lesson_read:
            return (NextStep(Destination.LESSON, f"Read the lesson: {name}", module.module_id),
                    f"Next: read the lesson for {name}, practise until the answers feel easy, then take its quiz.")
        return (NextStep(Destination.QUIZ, f"Take the quiz: {name}", module.module_id),
                f"Next: the graded quiz for {name}. Practise first if the answers do not feel easy yet.")
    return None


def _towards_exam(modules: tuple[ModuleProgress, ...], still_required: tuple[str, ...],
                  exam_label: str) -> tuple[NextStep | None, str]:
    """The step towards the exam: study, a trainer's sign-off (nothing to click), or the exam itself."""
    study = _study_step(modules)
    if study is not None:
        return study
    if still_required:
        return None, "Before the exam: " + "; ".join(still_required) + ". Ask your trainer."
    return NextStep(Destination.EXAM, exam_label), "Every requirement is met: the certification exam is open to you."


def workspace_of(progress: Progress, still_required: list[str], reviews_due: int, policy: Policy, now: datetime,
                 tz_name: str) -> Workspace:
    """The stage, the words and the next step for a technician with this progress at `now`."""
    modules, certificate, status = progress.modules, progress.certificate, progress.status
    required = tuple(still_required)
    validity = f"{policy.validity_months} months"

    def made(stage: Stage, headline: str, advice: str, step: NextStep | None, note: str | None = None) -> Workspace:
        return Workspace(stage, headline, advice, step, progress, required, reviews_due, note)

    def day(moment: datetime) -> str:
        return timezones.local_text(moment, tz_name, DATE_FORMAT)

    if any(exam.result is None for exam in progress.exams):
        return made(Stage.EXAM_RUNNING, "Your certification exam is running",
                    "Your answers are saved as you give them: carry on before the time runs out.",
                    NextStep(Destination.EXAM, "Carry on with the exam"))
    if certificate is not None and status in (CertificateStatus.CERTIFIED, CertificateStatus.EXPIRING):
        until = day(certificate.expires_at)
        note = (f"You are certified until {until}. Taking this exam counts as recertification: a pass issues a new "
                f"certificate valid {validity} from the day you pass. If you do not pass, your current certificate "
                f"stays valid until {until}.")
        if status is CertificateStatus.CERTIFIED:
            step = NextStep(Destination.REVIEW, "Start review") if reviews_due else None
            return made(Stage.CERTIFIED, f"Certified until {until}",
                        "Keep your knowledge fresh with review and practice. Taking the exam again before then "
                        "counts as recertification.", step, note)
        step, advice = _towards_exam(modules, required, "Start the exam to recertify")
        left = in_days(days_left(certificate.expires_at, now, tz_name))
        return made(Stage.EXPIRING, f"Your certificate expires {left}: recertify",
                    f"Take the certification exam again before {until}. " + advice, step, note)
    if certificate is not None and status is CertificateStatus.EXPIRED:
        expired = day(certificate.expires_at)
        step, advice = _towards_exam(modules, required, "Start the exam to recertify")
        if step is not None and step.destination is Destination.EXAM:
            advice = "Start the exam to recertify."
        note = (f"Your certificate expired on {expired}. Passing this exam recertifies you: a new certificate valid "
                f"{validity} from the day you pass.")
        return made(Stage.EXPIRED, f"Your certificate expired on {expired}", advice, step, note)
    if certificate is not None and status is CertificateStatus.REVOKED:
        step, advice = _towards_exam(modules, required, "Start the certification exam")
        return made(Stage.REVOKED, "Your certificate was revoked",
                    "Speak to your trainer or manager about what happens next. " + advice, step)

    nothing_done = not any(m.lesson_read or m.practice_answered or m.graded_attempts for m in modules)
    step, advice = _towards_exam(modules, required, "Start the certification exam")
    if nothing_done and step is not None:
        return made(Stage.NEW, "Welcome: start with the first module", advice, step)
    if step is None:
        return made(Stage.AWAITING_PRACTICALS, "Every module quiz passed", advice, None)
    if step.destination is Destination.EXAM:
        return made(Stage.READY_FOR_EXAM, "Ready for the certification exam", advice, step)
    return made(Stage.STUDYING, f"{sum(1 for m in modules if m.passed)} of {len(modules)} module quizzes passed",
                advice, step)


def workspace_for(store: Store, user: User, banks: BankSet, policy: Policy, now: datetime, tz_name: str,
                  reviews_due: int) -> Workspace:
    """The technician's workspace as the store has it now."""
    progress = progress_for(store, user, banks, now)
    missing = certification.exam_missing(store, user, banks, policy)
    return workspace_of(progress, missing, reviews_due, policy, now, tz_name)
