"""The certification policy (`question_banks/certification.yaml`): pass marks, sizes, limits, validity.

Each setting is declared once, on `Policy`: its place in the file, its type and bounds, and its default (the
defaults of PRODUCT.md). The file's schema is derived from those declarations, so adding a setting means adding one
line here. The file must spell out every setting; when it is missing the defaults apply, and when it is invalid the
defaults apply too and the problems (FILE:LINE: message, like the banks) are shown to trainers and managers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, ValidationError, create_model
from pydantic_core import ErrorDetails

from modules.bank_models import Text, distinct
from modules.bank_yaml import Loc, Problem, describe, kind_of, line_of, parse_yaml, unknown_key
from modules.banks import POLICY_FILE, BankSet

__all__ = ["Policy", "Problem", "load_policy", "parse_policy"]


@dataclass(frozen=True)
class At:
    """Where a policy setting sits in certification.yaml."""

    section: str
    key: str


Count = Annotated[StrictInt, Field(ge=1)]
Seconds = Annotated[StrictInt, Field(ge=0)]
Percent = Annotated[StrictInt, Field(ge=1, le=100)]
Checklist = Annotated[tuple[Text, ...], Field(min_length=1), AfterValidator(distinct)]


class Policy(BaseModel):
    """The clinic's certification rules, one declaration per setting."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quiz_questions: Annotated[Count, At("module_quiz", "questions")] = 10
    quiz_pass_percent: Annotated[Percent, At("module_quiz", "pass_mark_percent")] = 80
    quiz_attempts_per_day: Annotated[Count, At("module_quiz", "attempts_per_day")] = 3
    exam_questions_per_module: Annotated[Count, At("exam", "questions_per_module")] = 5
    exam_minutes: Annotated[Count, At("exam", "time_limit_minutes")] = 45
    exam_pass_percent: Annotated[Percent, At("exam", "pass_mark_percent")] = 85
    exam_grace_seconds: Annotated[Seconds, At("exam", "grace_seconds")] = 30
    certificate_title: Annotated[Text, At("certificate", "title")] = "Microdermabrasion Technician Certificate"
    validity_months: Annotated[Count, At("certificate", "validity_months")] = 12
    signoffs_required: Annotated[Seconds, At("practical", "signoffs_required")] = 0
    checklist: Annotated[Checklist, At("practical", "checklist")] = ()


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _sections() -> dict[str, dict[str, str]]:
    """Section -> key in the file -> Policy field, read from the `At` of each declaration."""
    sections: dict[str, dict[str, str]] = {}
    for name, info in Policy.model_fields.items():
        at = next(m for m in info.metadata if isinstance(m, At))
        sections.setdefault(at.section, {})[at.key] = name
    return sections


SECTIONS = _sections()


def _file_model() -> type[BaseModel]:
    """The schema of certification.yaml, derived from Policy: a model per section, every key required."""
    fields: dict[str, Any] = {}
    for section, keys in SECTIONS.items():
        # rebuild_annotation keeps each declaration's type and bounds; `...` makes the key required in the file.
        body: dict[str, Any] = {key: (Policy.model_fields[name].rebuild_annotation(), ...)
                                for key, name in keys.items()}
        fields[section] = (create_model(f"PolicySection_{section}", __base__=_Section, **body), ...)
    return create_model("PolicyFile", __base__=_Section, **fields)


PolicyFile = _file_model()


def parse_policy(name: str, raw: bytes) -> tuple[Policy | None, list[Problem]]:
    data, root, problems = parse_yaml(name, raw)
    if data is None:
        return None, problems
    try:
        parsed = PolicyFile.model_validate(data)
    except ValidationError as error:
        return None, [Problem(name, line_of(root, path), message)
                      for path, message in (_phrase(detail) for detail in error.errors(include_url=False))]
    values = {name: getattr(getattr(parsed, section), key) for section, keys in SECTIONS.items()
              for key, name in keys.items()}
    return Policy.model_validate(values), []


def _bounds(section: str, key: str) -> tuple[object, object]:
    metadata = Policy.model_fields[SECTIONS[section][key]].metadata
    low = next((m.ge for m in metadata if isinstance(m, Ge)), None)
    high = next((m.le for m in metadata if isinstance(m, Le)), None)
    return low, high


def _phrase(error: ErrorDetails) -> tuple[Loc, str]:
    loc, kind = error["loc"], error["type"]
    if not loc:
        return (), f"the policy must be a mapping of sections, not {kind_of(error['input'])}"
    section = str(loc[0])
    if len(loc) == 1:
        if kind == "missing":
            return (), f"missing section '{section}'"
        if kind == "extra_forbidden":
            return loc, unknown_key(section, SECTIONS, "the policy")
        return loc, describe(section, (), error)
    key = str(loc[1])
    if kind == "missing" and len(loc) == 2:
        return (section,), f"missing '{key}' in section '{section}'"
    if kind == "extra_forbidden":
        return loc, unknown_key(key, SECTIONS[section], f"section '{section}'")
    if kind in ("greater_than_equal", "less_than_equal") and len(loc) == 2:
        low, high = _bounds(section, key)
        if low is not None and high is not None:
            return loc, f"'{key}' must be between {low} and {high}"
    return loc, describe(key, loc[2:], error)


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
