"""The values the record store hands back and takes in: accounts, attempts, answers, certificates, sign-offs,
review cards and audit rows. Plain frozen dataclasses, so the domain and the pages never see a database row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

from modules.core.clock import require_utc
from modules.core.errors import PermissionDenied
from modules.core.types import (
    AttemptId,
    AttemptKind,
    CertificateCode,
    CertificateId,
    CertificateStatus,
    ClosedBy,
    ModuleId,
    PracticalOutcome,
    QuestionId,
    ResponseId,
    Role,
    SignoffId,
    UserId,
    Username,
)

# What a technician may give as an answer: one option, several, true/false, an order, or pairs.
Answer = str | bool | list[str] | dict[str, str] | None


class QuestionSnapshot(TypedDict):
    """Exactly what was shown for one question (options in the order shown), so it can be replayed years later."""

    question_id: str
    module_id: str
    type: str
    prompt: str
    scenario: str | None
    options: list[str]
    lefts: list[str]
    rights: list[str]
    key: Any
    explanation: str
    source: str
    content_hash: str
    partial_credit: bool


@dataclass(frozen=True)
class Actor:
    """Who is asking: read methods use it to keep a technician to their own records."""

    user_id: UserId
    role: Role

    def may_read(self, owner_id: UserId) -> bool:
        return Role(self.role) != Role.TECHNICIAN or self.user_id == owner_id


def require_manager(actor: Actor | None, doing: str) -> None:
    """Refuse anyone but a manager; None is the system itself (first run, seeding, the command line)."""
    if actor is not None and Role(actor.role) is not Role.MANAGER:
        raise PermissionDenied(f"Only a manager may {doing}.")


def require_staff(actor: Actor | None, doing: str) -> None:
    """Refuse a technician: trainers and managers (and the system) may."""
    if actor is not None and Role(actor.role) is Role.TECHNICIAN:
        raise PermissionDenied(f"Only a trainer or manager may {doing}.")


@dataclass(frozen=True)
class User:
    id: UserId
    username: str
    full_name: str
    role: Role
    location: str | None
    active: bool
    must_change_password: bool
    created_at: datetime
    email: str | None = None  # optional: where this person's own expiry reminders go

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.role)


@dataclass(frozen=True)
class ResponseRecord:
    """One answer as given, with a snapshot of exactly what was shown (so it can be replayed later)."""

    position: int
    question_id: QuestionId
    module_id: ModuleId
    content_hash: str
    snapshot: QuestionSnapshot
    answer: Answer
    score: float
    correct: bool
    answered_at: datetime | None = None
    seconds_taken: float | None = None
    id: ResponseId | None = None
    attempt_id: AttemptId | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score must be a fraction between 0 and 1, got {self.score}")
        if self.answered_at is not None:
            require_utc(self.answered_at)


@dataclass(frozen=True)
class AttemptResult:
    score: float
    passed: bool | None
    closed_by: ClosedBy = ClosedBy.SUBMITTED
    detail: dict[str, Any] | None = None
    finished_at: datetime | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score must be a fraction between 0 and 1, got {self.score}")
        object.__setattr__(self, "closed_by", ClosedBy(self.closed_by))  # a stored string becomes the enum


@dataclass(frozen=True)
class Attempt:
    id: AttemptId
    user_id: UserId
    kind: AttemptKind
    module_id: ModuleId | None
    started_at: datetime
    deadline: datetime | None
    questions: list[QuestionSnapshot] | None
    policy: dict[str, Any] | None
    result: AttemptResult | None = None
    # Per drawn question, its stored version's id and the order it was shown in (as the store keeps them).
    versions: tuple[tuple[int, str], ...] = ()

    @property
    def finished(self) -> bool:
        return self.result is not None


EXPIRING_WINDOW = timedelta(days=30)


def certificate_status(
    issued_at: datetime, expires_at: datetime, revoked: bool, now: datetime
) -> CertificateStatus:
    """The status of one certificate at `now`.

    REVOKED beats everything; EXPIRED from the expiry instant on; EXPIRING while
    `expires_at - now <= 30 days`; otherwise CERTIFIED.
    """
    for moment in (issued_at, expires_at, now):
        require_utc(moment)
    if expires_at <= issued_at:
        raise ValueError(f"a certificate must expire after it is issued ({issued_at} -> {expires_at})")
    if revoked:
        return CertificateStatus.REVOKED
    if now >= expires_at:
        return CertificateStatus.EXPIRED
    if expires_at - now <= EXPIRING_WINDOW:
        return CertificateStatus.EXPIRING
    return CertificateStatus.CERTIFIED


@dataclass(frozen=True)
class Certificate:
    """One certificate as issued (and perhaps revoked): what the register, the PDF and the verify page show."""

    id: CertificateId
    code: CertificateCode
    user_id: UserId
    attempt_id: AttemptId | None
    title: str
    issued_at: datetime
    expires_at: datetime
    score: float
    full_name: str = ""
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    def __post_init__(self) -> None:
        require_utc(self.issued_at)
        require_utc(self.expires_at)
        if self.revoked_at is not None:
            require_utc(self.revoked_at)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def holder_name(self) -> str:
        """The name printed on the certificate and shown by the verify page."""
        return self.full_name

    def status(self, now: datetime) -> CertificateStatus:
        return certificate_status(self.issued_at, self.expires_at, self.revoked, now)


@dataclass(frozen=True)
class Signoff:
    """One supervised practical treatment as the trainer recorded it."""

    id: SignoffId
    technician_id: UserId
    trainer_id: UserId
    treated_on: date
    checklist: dict[str, Any]
    comment: str
    signed_at: datetime
    outcome: PracticalOutcome = PracticalOutcome.COMPETENT
    missed: tuple[str, ...] = ()

    @property
    def competent(self) -> bool:
        return self.outcome is PracticalOutcome.COMPETENT


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor_id: UserId | None
    actor_username: str
    action: str
    target: str
    detail: str
    prev_hash: str = field(repr=False, default="")
    hash: str = field(repr=False, default="")


@dataclass(frozen=True)
class AccountDraft:
    """One account to create, already checked by the account rules; the password is already hashed."""

    username: Username
    full_name: str
    role: Role
    location: str | None
    password_hash: str
    must_change_password: bool = False
    email: str | None = None
