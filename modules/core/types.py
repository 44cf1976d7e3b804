"""Closed sets and typed ids shared by every part of the domain."""

from __future__ import annotations

from enum import Enum
from typing import NewType

UserId = NewType("UserId", int)
QuestionId = NewType("QuestionId", str)
ModuleId = NewType("ModuleId", str)
CertificateCode = NewType("CertificateCode", str)


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
