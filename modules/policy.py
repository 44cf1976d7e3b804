"""The certification policy (`question_banks/certification.yaml`): pass marks, sizes, limits, validity.

Each setting is declared once, on `Policy`: its place in the file, its type and bounds, and its default (the
defaults of PRODUCT.md). The file's schema is derived from those declarations, so adding a setting means adding one
line here. The file must spell out every setting; when it is missing the defaults apply, and when it is invalid the
defaults apply too and the problems (FILE:LINE: message, like the banks) are shown to trainers and managers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    create_model,
)
from pydantic_core import ErrorDetails

from modules.bank_models import Slug, Text, distinct
from modules.bank_yaml import Loc, Problem, describe, kind_of, line_of, parse_yaml, unknown_key
from modules.banks import POLICY_FILE, BankSet
from modules.core.types import Pool

__all__ = ["Policy", "Problem", "load_policy", "parse_policy"]


@dataclass(frozen=True)
class At:
    """Where a policy setting sits in certification.yaml."""

    section: str
    key: str
    # Added after clinics had written their files: may be missing there, and the default then applies.
    added_later: bool = False


def _pairs(value: object) -> object:
    # The file writes the blueprint as a mapping; the policy keeps it as (module, questions) pairs so it stays hashable.
    return tuple(value.items()) if isinstance(value, dict) else value


Count = Annotated[StrictInt, Field(ge=1)]
Seconds = Annotated[StrictInt, Field(ge=0)]
Percent = Annotated[StrictInt, Field(ge=1, le=100)]
Checklist = Annotated[tuple[Text, ...], Field(min_length=1), AfterValidator(distinct)]
Blueprint = Annotated[tuple[tuple[Slug, Count], ...], BeforeValidator(_pairs)]


class Policy(BaseModel):
    """The clinic's certification rules, one declaration per setting."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # 25 questions at 84%: a technician at 70% mastery passes at most 10% of the time, one at 90% at least 90%.
    quiz_questions: Annotated[Count, At("module_quiz", "questions")] = 25
    quiz_pass_percent: Annotated[Percent, At("module_quiz", "pass_mark_percent")] = 84
    quiz_attempts_per_day: Annotated[Count, At("module_quiz", "attempts_per_day")] = 3
    # Questions the exam draws from each module's exam pool; empty means 5 from every module.
    exam_blueprint: Annotated[Blueprint, At("exam", "blueprint")] = ()
    exam_minutes: Annotated[Count, At("exam", "time_limit_minutes")] = 45
    exam_pass_percent: Annotated[Percent, At("exam", "pass_mark_percent")] = 85
    exam_grace_seconds: Annotated[Seconds, At("exam", "grace_seconds")] = 30
    certificate_title: Annotated[Text, At("certificate", "title")] = "Microdermabrasion Technician Certificate"
    validity_months: Annotated[Count, At("certificate", "validity_months")] = 12
    signoffs_required: Annotated[Seconds, At("practical", "signoffs_required")] = 3
    checklist: Annotated[Checklist, At("practical", "checklist")] = ()
    # Spaced review: at most this many cards a day (missed ones relearnt the same day come on top), as Anki caps.
    review_daily_cap: Annotated[Count, At("review", "daily_cap", added_later=True)] = 30
    # Item analysis says nothing about a question answered fewer times than this: its figures are noise until then.
    item_analysis_min_responses: Annotated[Count, At("item_analysis", "min_responses", added_later=True)] = 30
    # Technicians who are not certified and have done nothing for this many days show as "behind" on Team.
    behind_after_days: Annotated[Count, At("team", "behind_after_days", added_later=True)] = 14
    # Certificates expiring within these many days are listed on Expiring and in reminders.
    reminder_days: Annotated[tuple[Count, ...], At("certificate", "reminder_days", added_later=True),
                             Field(min_length=1)] = (30, 60, 90)


    def exam_draw(self, module_ids: list[str]) -> dict[str, int]:
        """How many exam questions each module gives: the blueprint, or 5 from every module without one."""
        return dict(self.exam_blueprint) if self.exam_blueprint else {m: 5 for m in module_ids}

    def exam_size(self, module_ids: list[str]) -> int:
        return sum(self.exam_draw(module_ids).values())


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _at(name: str) -> At:
    return next(m for m in Policy.model_fields[name].metadata if isinstance(m, At))


def _sections() -> dict[str, dict[str, str]]:
    """Section -> key in the file -> Policy field, read from the `At` of each declaration."""
    sections: dict[str, dict[str, str]] = {}
    for name in Policy.model_fields:
        at = _at(name)
        sections.setdefault(at.section, {})[at.key] = name
    return sections


SECTIONS = _sections()


def _file_model() -> type[BaseModel]:
    """The schema of certification.yaml, derived from Policy: a model per section, every key required but those
    added later (a section of only those may be missing too)."""
    fields: dict[str, Any] = {}
    for section, keys in SECTIONS.items():
        # rebuild_annotation keeps each declaration's type and bounds; `...` makes the key required in the file.
        body: dict[str, Any] = {key: (Policy.model_fields[name].rebuild_annotation(),
                                      Policy.model_fields[name].default if _at(name).added_later else ...)
                                for key, name in keys.items()}
        model = create_model(f"PolicySection_{section}", __base__=_Section, **body)
        optional = all(_at(name).added_later for name in keys.values())
        fields[section] = (model, model() if optional else ...)
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


# The last answer, with the policy file's stat and the bank set it was checked against: every page run asks, and
# reading and checking it again each time showed in the Practice rerun.
_last: tuple[tuple[object, ...], BankSet | None, tuple[Policy, list[Problem]]] | None = None


def load_policy(directory: Path | str, banks: BankSet | None = None) -> tuple[Policy, list[Problem]]:
    """The policy of a bank folder, or the defaults with the problems that made it unusable. Read and checked
    again only when its file or the bank set changed (load_banks hands back the same set while no file changed)."""
    global _last
    path = Path(directory) / POLICY_FILE
    try:
        stat = path.stat()
    except OSError:
        return Policy(), []
    stamp: tuple[object, ...] = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    last = _last
    if last is not None and last[0] == stamp and last[1] is banks:
        return last[2]
    policy, problems = _parse_cached(path.name, path.read_bytes())
    if policy is None:
        answer: tuple[Policy, list[Problem]] = (Policy(), problems)
    elif banks is not None:
        answer = (policy, _pool_problems(policy, banks, path.name, path.read_text(encoding="utf-8")))
    else:
        answer = (policy, problems)
    _last = (stamp, banks, answer)
    return answer


def _pool_problems(policy: Policy, banks: BankSet, name: str, text: str) -> list[Problem]:
    """The quizzes and the exam must be drawable: each module's pool holds what the policy asks of it."""
    def line(key: str) -> int:
        found = re.search(rf"^\s*{re.escape(key)}\s*:", text, re.MULTILINE)
        return text.count("\n", 0, found.start()) + 1 if found else 1

    problems = []
    for module in banks.modules:
        practice = len(banks.pool(Pool.PRACTICE, module.id))
        if practice < policy.quiz_questions:
            problems.append(Problem(name, line("questions"), f"module '{module.id}' has {practice} practice "
                                    f"questions, fewer than the module quiz size {policy.quiz_questions}"))
    draw = policy.exam_draw([m.id for m in banks.modules])
    for module_id, wanted in draw.items():
        if banks.module(module_id) is None:
            problems.append(Problem(name, line(module_id), f"the exam blueprint names module '{module_id}', "
                                                           "which is not among the valid banks"))
            continue
        available = len(banks.pool(Pool.EXAM, module_id))
        if available < wanted:
            problems.append(Problem(name, line(module_id), f"the exam blueprint asks {wanted} questions of module "
                                    f"'{module_id}', but its exam pool has {available}"))
    for module in banks.modules:
        if module.id not in draw:
            problems.append(Problem(name, line("blueprint"), f"module '{module.id}' is missing from the exam "
                                                             "blueprint (give it a number of questions)"))
    return problems
