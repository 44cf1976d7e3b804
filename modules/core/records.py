"""The values the record store hands back and takes in: accounts, attempts, answers, certificates, sign-offs,
review cards and audit rows. Plain frozen dataclasses, so the domain and the pages never see a database row."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from modules.core.clock import require_utc
from modules.core.types import AttemptKind, CertificateCode, ModuleId, QuestionId, Role, UserId

@dataclass(frozen=True)
class Actor:
    """Who is asking: read methods use it to keep a technician to their own records."""

    user_id: UserId
    role: Role

    def may_read(self, owner_id: int) -> bool:
        return Role(self.role) != Role.TECHNICIAN or self.user_id == owner_id


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
    snapshot: dict[str, Any]
    answer: Any
    score: float
    correct: bool
    answered_at: datetime | None = None
    seconds_taken: float | None = None
    id: int | None = None
    attempt_id: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score must be a fraction between 0 and 1, got {self.score}")
        if self.answered_at is not None:
            require_utc(self.answered_at)


@dataclass(frozen=True)
class AttemptResult:
    score: float
    passed: bool | None
    closed_by: str = "submitted"
    detail: dict[str, Any] | None = None
    finished_at: datetime | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score must be a fraction between 0 and 1, got {self.score}")
        if self.closed_by not in ("submitted", "deadline"):
            raise ValueError(f"closed_by must be 'submitted' or 'deadline', got {self.closed_by!r}")


@dataclass(frozen=True)
class Attempt:
    id: int
    user_id: UserId
    kind: AttemptKind
    module_id: ModuleId | None
    started_at: datetime
    deadline: datetime | None
    questions: list[str] | None
    policy: dict[str, Any] | None
    result: AttemptResult | None = None

    @property
    def finished(self) -> bool:
        return self.result is not None


@dataclass(frozen=True)
class Certificate:
    id: int
    code: CertificateCode
    user_id: UserId
    attempt_id: int | None
    title: str
    issued_at: datetime
    expires_at: datetime
    score: float
    full_name: str = ""
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class Signoff:
    id: int
    technician_id: UserId
    trainer_id: UserId
    treated_on: date
    checklist: dict[str, Any]
    comment: str
    signed_at: datetime


@dataclass(frozen=True)
class ReviewCard:
    id: int
    user_id: UserId
    question_id: QuestionId
    card_json: str
    due_at: datetime
    updated_at: datetime

    @property
    def card(self) -> dict[str, Any]:
        return json.loads(self.card_json)


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
