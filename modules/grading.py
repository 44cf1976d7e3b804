"""Grading and presentation of one question: pure functions, the same for practice, quizzes and the exam.

Answers are expressed in option *texts*, never positions, so shuffling what is shown can never change a grade.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from modules.banks import Question
from modules.core.records import QuestionSnapshot, ResponseRecord
from modules.core.types import ModuleId, QuestionId, QuestionType

# An answer as the page collects it:
#   single -> str | None; multiple -> list[str]; true_false -> bool | None;
#   ordering -> list[str] (items in the order the technician put them); matching -> dict[left, right | None].
Answer = Any


@dataclass(frozen=True)
class ShownQuestion:
    """Exactly what a technician saw: stored as the snapshot of a graded response."""

    question_id: str
    module_id: str
    type: QuestionType
    prompt: str
    scenario: str | None
    options: tuple[str, ...]      # single/multiple options, or ordering items, in shown order
    lefts: tuple[str, ...]        # matching: left-hand items in shown order
    rights: tuple[str, ...]       # matching: right-hand choices in shown order
    key: Any                      # the correct answer, in the same form as Answer
    explanation: str
    source: str
    content_hash: str
    partial_credit: bool

    def to_snapshot(self) -> QuestionSnapshot:
        return {
            "question_id": self.question_id, "module_id": self.module_id, "type": self.type.value,
            "prompt": self.prompt, "scenario": self.scenario, "options": list(self.options),
            "lefts": list(self.lefts), "rights": list(self.rights), "key": self.key,
            "explanation": self.explanation, "source": self.source, "content_hash": self.content_hash,
            "partial_credit": self.partial_credit,
        }

    @classmethod
    def from_snapshot(cls, data: QuestionSnapshot) -> ShownQuestion:
        return cls(
            question_id=data["question_id"], module_id=data["module_id"], type=QuestionType(data["type"]),
            prompt=data["prompt"], scenario=data.get("scenario"), options=tuple(data["options"]),
            lefts=tuple(data["lefts"]), rights=tuple(data["rights"]), key=data["key"],
            explanation=data["explanation"], source=data["source"], content_hash=data["content_hash"],
            partial_credit=data["partial_credit"],
        )


def answer_key(question: Question) -> Answer:
    """The answer that scores full marks, in the same form a page collects."""
    if question.type is QuestionType.SINGLE:
        return question.answer
    if question.type is QuestionType.MULTIPLE:
        return sorted(cast("tuple[str, ...]", question.answer))  # a multiple-choice key is a tuple of texts
    if question.type is QuestionType.TRUE_FALSE:
        return question.answer
    if question.type is QuestionType.ORDERING:
        return list(question.items)
    return dict(question.pairs)


def show(question: Question, rng: random.Random | None = None) -> ShownQuestion:
    """Present a question; with an rng the options (or items, or right-hand choices) are shuffled."""
    options: list[str] = list(question.options or question.items)
    lefts = [left for left, _ in question.pairs]
    rights = [right for _, right in question.pairs]
    if rng is not None:
        rng.shuffle(options)
        rng.shuffle(lefts)
        rng.shuffle(rights)
    # Never show an ordering question already solved.
    if question.type is QuestionType.ORDERING and options == list(question.items) and len(options) > 1:
        options = options[1:] + options[:1]
    if question.type is QuestionType.MATCHING and rng is None:
        rights = sorted(rights)
    return ShownQuestion(
        question_id=question.id, module_id=question.module_id, type=question.type, prompt=question.prompt,
        scenario=question.scenario, options=tuple(options), lefts=tuple(lefts), rights=tuple(rights),
        key=answer_key(question), explanation=question.explanation, source=question.source,
        content_hash=question.content_hash, partial_credit=question.partial_credit,
    )


def grade(shown: ShownQuestion, answer: Answer) -> float:
    """Score 0..1. Without partial credit only the full key scores; with it, a share of the key."""
    key = shown.key
    kind = shown.type
    if kind is QuestionType.SINGLE:
        return 1.0 if answer == key else 0.0
    if kind is QuestionType.TRUE_FALSE:
        return 1.0 if answer is key else 0.0
    if kind is QuestionType.MULTIPLE:
        chosen = set(answer or ())
        wanted = set(key)
        if chosen == wanted:
            return 1.0
        if not shown.partial_credit:
            return 0.0
        # Each right choice earns a share, each wrong choice takes one away (Moodle's usual scheme).
        return max(0.0, (len(chosen & wanted) - len(chosen - wanted)) / len(wanted))
    if kind is QuestionType.ORDERING:
        given = list(answer or ())
        if given == list(key):
            return 1.0
        if not shown.partial_credit:
            return 0.0
        return sum(1 for a, b in zip(given, key) if a == b) / len(key)
    given_pairs = dict(answer or {})
    right = sum(1 for left, wanted in key.items() if given_pairs.get(left) == wanted)
    if right == len(key):
        return 1.0
    return right / len(key) if shown.partial_credit else 0.0


def response_record(position: int, shown: ShownQuestion, answer: Answer, seconds_taken: float | None = None,
                    answered_at: datetime | None = None) -> ResponseRecord:
    """One graded answer (no answer scores 0) with the snapshot of exactly what was shown.

    The one builder of a `ResponseRecord` from a shown question: practice, review, quizzes and the exam.
    """
    score = grade(shown, answer) if answer is not None else 0.0
    return ResponseRecord(
        position=position, question_id=QuestionId(shown.question_id), module_id=ModuleId(shown.module_id),
        content_hash=shown.content_hash, snapshot=shown.to_snapshot(), answer=answer, score=score,
        correct=score == 1.0, answered_at=answered_at, seconds_taken=seconds_taken,
    )


def is_complete(shown: ShownQuestion, answer: Answer) -> bool:
    """Whether every part of the question has been answered (used to enable Submit)."""
    if shown.type in (QuestionType.SINGLE, QuestionType.TRUE_FALSE):
        return answer is not None
    if shown.type is QuestionType.MULTIPLE:
        return bool(answer)
    if shown.type is QuestionType.ORDERING:
        return answer is not None and None not in answer and sorted(answer) == sorted(shown.options)
    return answer is not None and all(answer.get(left) for left in shown.lefts)


def describe_answer(shown: ShownQuestion, answer: Answer) -> str:
    """An answer (or the key) in plain words for feedback and attempt review."""
    if answer is None or answer == [] or answer == {}:
        return "(no answer)"
    if shown.type is QuestionType.TRUE_FALSE:
        return "True" if answer else "False"
    if shown.type is QuestionType.SINGLE:
        return str(answer)
    if shown.type is QuestionType.MULTIPLE:
        return "; ".join(sorted(answer))
    if shown.type is QuestionType.ORDERING:
        return " → ".join(answer)
    return "; ".join(f"{left} → {right or '(none)'}" for left, right in answer.items())


@dataclass(frozen=True)
class MarkedLine:
    """One option (or step, or pair) of an answered question, in the order shown, marked in words."""

    text: str
    verdict: str       # e.g. "Correct answer · your answer", "Your answer: not correct"; "" when neither
    right: bool | None  # True: picked/placed rightly or the key; False: a wrong pick; None: not part of either


def _option_verdict(is_key: bool, picked: bool) -> str:
    if is_key:
        return "Correct answer · your answer" if picked else "Correct answer · you did not pick it"
    return "Your answer: not correct" if picked else ""


def marked_answer(shown: ShownQuestion, answer: Answer) -> list[MarkedLine]:
    """Every option in the order shown with what it was and what the technician did with it, in words; for ordering
    each position with the step that belongs there, for matching each item with its match."""
    kind = shown.type
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE):
        options: tuple[str, ...] = shown.options
        if kind is QuestionType.TRUE_FALSE:
            options = ("True", "False")
            keys = {describe_answer(shown, shown.key)}
            picked = set() if answer is None else {describe_answer(shown, answer)}
        elif kind is QuestionType.SINGLE:
            keys, picked = {shown.key}, set() if answer is None else {answer}
        else:
            keys, picked = set(shown.key), set(answer or ())
        return [MarkedLine(option, _option_verdict(option in keys, option in picked),
                           True if option in keys else (False if option in picked else None))
                for option in options]
    if kind is QuestionType.ORDERING:
        given = list(answer or ())
        lines = []
        for position, wanted in enumerate(shown.key):
            placed = given[position] if position < len(given) and given[position] else None
            step = f"Step {position + 1}: {wanted}"
            if placed == wanted:
                lines.append(MarkedLine(step, f"your step {position + 1} too: correct", True))
            else:
                yours = f"“{placed}”" if placed else "empty"
                lines.append(MarkedLine(step, f"your step {position + 1}: {yours}, not correct", False))
        return lines
    chosen = dict(answer or {})
    lines = []
    for left in shown.lefts:  # in the order shown
        wanted, given_right = shown.key[left], chosen.get(left)
        pair = f"{left} → {wanted}"
        if given_right == wanted:
            lines.append(MarkedLine(pair, "your match too: correct", True))
        else:
            yours = f"“{given_right}”" if given_right else "none"
            lines.append(MarkedLine(pair, f"your match: {yours}, not correct", False))
    return lines


def repeated_steps(answer: Answer) -> dict[str, list[int]]:
    """For an ordering answer: each step chosen for more than one position, with those positions (1-based)."""
    positions: dict[str, list[int]] = {}
    for position, item in enumerate(answer or (), start=1):
        if item is not None:
            positions.setdefault(item, []).append(position)
    return {item: where for item, where in positions.items() if len(where) > 1}
