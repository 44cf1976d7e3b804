"""Replaying a past attempt answer by answer, as the trainer reads it on the Technician page: the questions in the
order they were shown, each answer and key in the order its options were shown (never alphabetical), only the
answers that were not right when asked, and matching or ordering answers laid out as a table.

Works on team.reviewed_answers' items, which carry the stored snapshot of exactly what was shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from modules.core.types import QuestionType
from modules.grading import ShownQuestion, describe_answer
from modules.team import ReviewedAnswer

NO_ANSWER = "(no answer)"
MATCHING_COLUMNS = ("Item", "Their match", "Correct match", "Result")
ORDERING_COLUMNS = ("Place", "Their step", "Correct step", "Result")


def replay(answers: Iterable[ReviewedAnswer], wrong_only: bool = False) -> list[ReviewedAnswer]:
    """The answers in the order the questions were shown; with `wrong_only`, only those not fully right (a partly
    right answer is still one to go through)."""
    ordered = sorted(answers, key=lambda item: item.position)
    return [item for item in ordered if not item.correct] if wrong_only else ordered


def answer_text(shown: ShownQuestion, answer: Any) -> str:
    """An answer (or the key) in words, its parts in the order they were shown: chosen options as listed on screen,
    matches item by item as the items were listed."""
    if answer is None or answer == [] or answer == {}:
        return NO_ANSWER
    if shown.type is QuestionType.MULTIPLE:
        chosen = set(answer)
        return "; ".join([option for option in shown.options if option in chosen]
                         + sorted(chosen - set(shown.options)))  # anything not shown still appears, last
    if shown.type is QuestionType.MATCHING:
        return "; ".join(f"{left} → {answer.get(left) or '(none)'}" for left in shown.lefts)
    return describe_answer(shown, answer)


def _result(given: Any, key: Any) -> str:
    if given is None:
        return "not answered"
    return "right" if given == key else "wrong"


def matching_table(item: ReviewedAnswer) -> pd.DataFrame:
    """One row per left-hand item as it was shown: their match, the correct match and whether it was right."""
    answer = item.answer if isinstance(item.answer, dict) else {}
    key = item.shown.key
    rows = [(left, answer.get(left) or NO_ANSWER, key.get(left, ""), _result(answer.get(left), key.get(left)))
            for left in item.shown.lefts]
    return pd.DataFrame(rows, columns=list(MATCHING_COLUMNS))


def ordering_table(item: ReviewedAnswer) -> pd.DataFrame:
    """One row per place in the order: the step they put there, the step that belongs there, and the result."""
    answer = list(item.answer) if isinstance(item.answer, list) else []
    key = list(item.shown.key)
    rows = []
    for place, correct in enumerate(key):
        given = answer[place] if place < len(answer) else None
        rows.append((place + 1, given or NO_ANSWER, correct, _result(given, correct)))
    return pd.DataFrame(rows, columns=list(ORDERING_COLUMNS))
