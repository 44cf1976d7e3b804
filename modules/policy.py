"""The certification policy (`question_banks/certification.yaml`): pass marks, sizes, limits, validity.

Validated like the banks, with FILE:LINE messages. When the file is missing the defaults of PRODUCT.md apply;
when it is invalid the defaults apply too and the problems are shown to trainers and managers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from modules.bank_yaml import Problem, FileChecker, parse_yaml
from modules.banks import POLICY_FILE, BankSet

SECTIONS: dict[str, dict[str, type]] = {
    "module_quiz": {"questions": int, "pass_mark_percent": int, "attempts_per_day": int},
    "exam": {"questions_per_module": int, "time_limit_minutes": int, "pass_mark_percent": int,
             "grace_seconds": int},
    "certificate": {"title": str, "validity_months": int},
    "practical": {"signoffs_required": int, "checklist": list},
}


@dataclass(frozen=True)
class Policy:
    quiz_questions: int = 10
    quiz_pass_percent: int = 80
    quiz_attempts_per_day: int = 3
    exam_questions_per_module: int = 5
    exam_minutes: int = 45
    exam_pass_percent: int = 85
    exam_grace_seconds: int = 30
    certificate_title: str = "Microdermabrasion Technician Certificate"
    validity_months: int = 12
    signoffs_required: int = 0
    checklist: tuple[str, ...] = field(default_factory=tuple)


FIELD_NAMES = {
    ("module_quiz", "questions"): "quiz_questions",
    ("module_quiz", "pass_mark_percent"): "quiz_pass_percent",
    ("module_quiz", "attempts_per_day"): "quiz_attempts_per_day",
    ("exam", "questions_per_module"): "exam_questions_per_module",
    ("exam", "time_limit_minutes"): "exam_minutes",
    ("exam", "pass_mark_percent"): "exam_pass_percent",
    ("exam", "grace_seconds"): "exam_grace_seconds",
    ("certificate", "title"): "certificate_title",
    ("certificate", "validity_months"): "validity_months",
    ("practical", "signoffs_required"): "signoffs_required",
    ("practical", "checklist"): "checklist",
}
MINIMUMS = {"questions": 1, "attempts_per_day": 1, "questions_per_module": 1, "time_limit_minutes": 1,
            "validity_months": 1, "signoffs_required": 0, "grace_seconds": 0, "pass_mark_percent": 1}


def parse_policy(name: str, raw: bytes) -> tuple[Policy | None, list[Problem]]:
    data, root, problems = parse_yaml(name, raw)
    if data is None:
        return None, problems
    check = FileChecker(name, root)
    if not isinstance(data, dict):
        check.add((), "the policy must be a mapping of sections")
        return None, check.problems
    check.unknown_keys(data, set(SECTIONS), (), "the policy")
    values: dict = {}
    for section, fields in SECTIONS.items():
        body = data.get(section)
        if body is None:
            check.add((), f"missing section '{section}'")
            continue
        if not isinstance(body, dict):
            check.add((section,), f"'{section}' must be a mapping")
            continue
        check.unknown_keys(body, set(fields), (section,), f"section '{section}'")
        for key, kind in fields.items():
            if key not in body:
                check.add((section,), f"missing '{key}' in section '{section}'")
                continue
            value = body[key]
            path = (section, key)
            if kind is int:
                if not isinstance(value, int) or isinstance(value, bool):
                    check.add(path, f"'{key}' must be a whole number")
                    continue
                if value < MINIMUMS.get(key, 0):
                    check.add(path, f"'{key}' must be at least {MINIMUMS.get(key, 0)}")
                    continue
                if key == "pass_mark_percent" and value > 100:
                    check.add(path, "'pass_mark_percent' must be between 1 and 100")
                    continue
            elif kind is str:
                if not isinstance(value, str) or not value.strip():
                    check.add(path, f"'{key}' must be non-empty text")
                    continue
            elif kind is list:
                value = check.text_list(body, key, (section,), minimum=1)
                if value is None:
                    continue
            values[FIELD_NAMES[path]] = tuple(value) if kind is list else value
    if check.problems:
        return None, check.problems
    return Policy(**values), []


_parsed: dict[bytes, tuple[Policy | None, list[Problem]]] = {}


def _parse_cached(name: str, raw: bytes) -> tuple[Policy | None, list[Problem]]:
    # Keyed by content, like the banks: an edit is seen on the next rerun, an unchanged file costs nothing.
    key = name.encode() + b"\0" + raw
    if key not in _parsed:
        _parsed.clear()
        _parsed[key] = parse_policy(name, raw)
    return _parsed[key]


def load_policy(directory: Path | str, banks: BankSet | None = None) -> tuple[Policy, list[Problem]]:
    """The policy of a bank folder, or the defaults with the problems that made it unusable."""
    path = Path(directory) / POLICY_FILE
    if not path.exists():
        return Policy(), []
    policy, problems = _parse_cached(path.name, path.read_bytes())
    if policy is None:
        return Policy(), problems
    if banks is not None:
        short = [m.id for m in banks.modules if len(m.questions) < policy.quiz_questions]
        if short:
            problems = [Problem(path.name, 1, f"module(s) {', '.join(short)} have fewer questions than the "
                                              f"module quiz size {policy.quiz_questions}")]
    return policy, problems
