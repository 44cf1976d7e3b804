"""Closed sets and typed ids shared by every part of the domain."""

from __future__ import annotations

from enum import Enum
from typing import NewType

from modules.core.errors import AuthError

UserId = NewType("UserId", int)
AttemptId = NewType("AttemptId", int)
ResponseId = NewType("ResponseId", int)
CertificateId = NewType("CertificateId", int)
SignoffId = NewType("SignoffId", int)
QuestionId = NewType("QuestionId", str)
ModuleId = NewType("ModuleId", str)
CertificateCode = NewType("CertificateCode", str)
Username = NewType("Username", str)
SessionId = NewType("SessionId", int)

USERNAME_MAX = 80


class Role(str, Enum):
    TECHNICIAN = "technician"
    TRAINER = "trainer"
    MANAGER = "manager"


class QuestionType(str, Enum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    ORDERING = "ordering"
    MATCHING = "matching"


class Pool(str, Enum):
    """Which draws a question belongs to: practice, review and module quizzes, or only the certification exam."""

    PRACTICE = "practice"
    EXAM = "exam"


class Difficulty(str, Enum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class AttemptKind(str, Enum):
    PRACTICE = "practice"
    QUIZ = "quiz"
    EXAM = "exam"
    REVIEW = "review"


class CertificateStatus(str, Enum):
    CERTIFIED = "certified"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    REVOKED = "revoked"
    NOT_CERTIFIED = "not certified"


class PracticalOutcome(str, Enum):
    """A trainer's verdict on one supervised treatment; only competent ones count towards the exam."""

    COMPETENT = "competent"
    NOT_YET_COMPETENT = "not_yet_competent"


class ClosedBy(str, Enum):
    """How an attempt ended: the person submitted it, or its deadline passed."""

    SUBMITTED = "submitted"
    DEADLINE = "deadline"


class SessionEnd(str, Enum):
    """Why a signed-in session ended."""

    SIGNED_OUT = "signed_out"
    IDLE = "idle"
    EXPIRED = "expired"
    PASSWORD_CHANGED = "password_changed"
    DEACTIVATED = "deactivated"
    ENDED_BY_MANAGER = "ended_by_manager"


def normal_username(text: str) -> Username:
    """The one username rule: trimmed, lower case, 1 to 80 characters, no spaces."""
    name = text.strip().lower()
    if not name or len(name) > USERNAME_MAX or any(ch.isspace() for ch in name):
        raise AuthError(f"A username needs 1 to {USERNAME_MAX} characters and no spaces.")
    return Username(name)
