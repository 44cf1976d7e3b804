"""The schema of a module file, declared as pydantic models: the module section and one model per question type.

Question models form a union keyed by `type`. Unknown keys are refused (extra="forbid") and nothing is coerced:
text must be text, numbers whole numbers, booleans true/false. Cross-field rules (the answer is among the options,
matching right-hand sides differ, ids are unique in the file) are small validators. `problems()` turns a
ValidationError into FILE:LINE problems in plain English; `modules.banks` turns a valid file into the app's values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from modules.bank_yaml import TEXT_PATTERN, Loc, Problem, describe, kind_of, line_of, unknown_key
from modules.core.types import Difficulty, Pool, QuestionType

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
# A writer fixes the first problems first; a hostile file must not make a list of 250,000 (nor take minutes).
MAX_PROBLEMS = 100
# The longest live lesson is under 20,000 characters; a lesson past this cap is a page nobody reads to the end.
MAX_LESSON_CHARS = 50_000


def distinct(values: tuple[str, ...]) -> tuple[str, ...]:
    """A list's entries must differ (a repeated option or item is almost always a copy-paste slip)."""
    if len(set(values)) != len(values):
        dupes = sorted({v for v in values if values.count(v) > 1})
        raise PydanticCustomError("duplicates", "has duplicates: {duplicates}",
                                  {"duplicates": ", ".join(repr(d) for d in dupes)})
    return values


def _distinct_right_sides(pairs: dict[str, str]) -> dict[str, str]:
    if len(set(pairs.values())) != len(pairs):
        raise PydanticCustomError("rule", "the right-hand sides of 'pairs' must all differ")
    return pairs


Text = Annotated[StrictStr, StringConstraints(pattern=TEXT_PATTERN)]
Slug = Annotated[StrictStr, StringConstraints(pattern=SLUG_PATTERN)]
Tags = Annotated[tuple[Text, ...], AfterValidator(distinct)]
Objectives = Annotated[tuple[Text, ...], Field(min_length=1), AfterValidator(distinct)]
Options = Annotated[tuple[Text, ...], Field(min_length=2, max_length=6), AfterValidator(distinct)]
Keys = Annotated[tuple[Text, ...], Field(min_length=1), AfterValidator(distinct)]
Items = Annotated[tuple[Text, ...], Field(min_length=2, max_length=8), AfterValidator(distinct)]
Pairs = Annotated[dict[Text, Text], Field(min_length=2, max_length=8), AfterValidator(_distinct_right_sides)]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _not_an_option(answer: str, item: int | None = None) -> PydanticCustomError:
    context: dict[str, object] = {"answer": answer} if item is None else {"answer": answer, "item": item}
    return PydanticCustomError("rule", "answer '{answer}' is not one of the options", context)


class _Question(_Schema):
    id: Slug
    scenario: Text | None = None
    prompt: Text
    explanation: Text
    source: Text
    difficulty: Difficulty
    tags: Tags
    pool: Pool = Pool.PRACTICE


class SingleQuestion(_Question):
    type: Literal[QuestionType.SINGLE]
    options: Options
    answer: Text

    @field_validator("answer")
    @classmethod
    def _answer_is_an_option(cls, answer: str, info: ValidationInfo) -> str:
        # Options that failed their own checks are absent here; their problem is already reported.
        if "options" in info.data and answer not in info.data["options"]:
            raise _not_an_option(answer)
        return answer


class MultipleQuestion(_Question):
    type: Literal[QuestionType.MULTIPLE]
    options: Options
    answer: Keys
    partial_credit: StrictBool = False

    @field_validator("answer")
    @classmethod
    def _answers_are_options(cls, answer: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        for item, key in enumerate(answer):
            if "options" in info.data and key not in info.data["options"]:
                raise _not_an_option(key, item)
        return answer


class TrueFalseQuestion(_Question):
    type: Literal[QuestionType.TRUE_FALSE]
    answer: StrictBool


class OrderingQuestion(_Question):
    type: Literal[QuestionType.ORDERING]
    items: Items
    partial_credit: StrictBool = False


class MatchingQuestion(_Question):
    type: Literal[QuestionType.MATCHING]
    pairs: Pairs
    partial_credit: StrictBool = False


AnyQuestion = Annotated[SingleQuestion | MultipleQuestion | TrueFalseQuestion | OrderingQuestion | MatchingQuestion,
                        Field(discriminator="type")]
QUESTION_MODELS: tuple[type[_Question], ...] = (SingleQuestion, MultipleQuestion, TrueFalseQuestion,
                                                 OrderingQuestion, MatchingQuestion)


class ModuleSection(_Schema):
    id: Slug
    title: Text
    order: StrictInt
    objectives: Objectives
    lesson: Annotated[Text, Field(max_length=MAX_LESSON_CHARS)]


class ModuleFile(_Schema):
    module: ModuleSection
    questions: Annotated[list[AnyQuestion], Field(min_length=1)]

    @field_validator("questions")
    @classmethod
    def _ids_differ(cls, questions: list[AnyQuestion]) -> list[AnyQuestion]:
        first: dict[str, int] = {}
        for index, question in enumerate(questions):
            if question.id in first:
                raise PydanticCustomError("duplicate_id", "duplicate question id '{id}'",
                                          {"id": question.id, "item": index, "first": first[question.id]})
            first[question.id] = index
        return questions


COMMON_KEYS = frozenset(_Question.model_fields) | {"type"}
QUESTION_KEYS = frozenset(key for model in QUESTION_MODELS for key in model.model_fields)
TYPE_NAMES = ", ".join(t.value for t in QuestionType)


def problems(name: str, root: yaml.Node | None, error: ValidationError) -> list[Problem]:
    """Each pydantic error as FILE:LINE: message, the line being that of the offending key or item."""
    found: dict[Problem, None] = {}  # both sides of one bad pair give the same sentence: keep it once
    for detail in error.errors(include_url=False):
        if len(found) == MAX_PROBLEMS:
            found[Problem(name, max(p.line for p in found), f"stopped after {MAX_PROBLEMS} problems")] = None
            break
        path, message = _phrase(detail, root)
        found[Problem(name, line_of(root, path), message)] = None
    return list(found)


def _phrase(error: ErrorDetails, root: yaml.Node | None) -> tuple[Loc, str]:
    loc = error["loc"]
    if not loc:
        return (), f"the file must be a mapping with 'module' and 'questions', not {kind_of(error['input'])}"
    if loc[0] == "questions" and len(loc) > 1 and isinstance(loc[1], int):
        return _question_phrase(loc[:2], loc[2:], error, root)
    if loc[0] == "module" and len(loc) > 1:
        if loc[1:] == ("id",) and error["type"] == "string_pattern_mismatch":
            return loc, "module 'id' must be a lowercase slug, e.g. skin-science"
        return _field_phrase(("module",), loc[1:], error, root, "the module section", ModuleSection.model_fields)
    return _field_phrase((), loc, error, root, "the file", ModuleFile.model_fields)


def _question_phrase(at: Loc, rest: Loc, error: ErrorDetails, root: yaml.Node | None) -> tuple[Loc, str]:
    kind = error["type"]
    if kind == "union_tag_not_found":
        return at, "missing required field 'type'"
    if kind == "union_tag_invalid":
        return at + ("type",), f"unknown type '{error.get('ctx', {}).get('tag')}'; use one of: {TYPE_NAMES}"
    if not rest:
        return at, f"each question must be a mapping of fields, not {kind_of(error['input'])}"
    qtype, rest = rest[0], rest[1:]  # pydantic puts the union's tag in the loc; the file has no such level
    field = str(rest[0]) if rest else ""
    if kind == "missing" and field not in COMMON_KEYS:
        return at, f"missing required field '{field}' for {_a(qtype)} question"
    if kind == "extra_forbidden" and field in QUESTION_KEYS:
        return at + (field,), f"'{field}' does not belong in {_a(qtype)} question"
    if kind == "string_pattern_mismatch" and rest == ("id",):
        return at + rest, "'id' must be lowercase letters, digits and dashes, e.g. mech-001"
    return _field_phrase(at, rest, error, root, "a question", QUESTION_KEYS)


def _a(word: object) -> str:
    return f"an {word}" if str(word)[:1] in "aeiou" else f"a {word}"


def _field_phrase(parent: Loc, rest: Loc, error: ErrorDetails, root: yaml.Node | None, what: str,
                  allowed: Iterable[str]) -> tuple[Loc, str]:
    kind, ctx = error["type"], error.get("ctx", {})
    field = str(rest[0]) if rest else ""
    if kind == "missing" and len(rest) == 1:
        return parent, f"missing required field '{field}'"
    if kind == "extra_forbidden":
        return parent + rest, unknown_key(field, allowed, what)
    if kind == "duplicate_id":
        first = line_of(root, parent + rest + (ctx["first"], "id"))
        return parent + rest + (ctx["item"], "id"), f"{error['msg']} (first used on line {first})"
    if kind == "rule":
        return parent + rest + ((ctx["item"],) if "item" in ctx else ()), error["msg"]
    return parent + rest, describe(field, rest[1:], error)
