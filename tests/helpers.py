"""Helpers shared by the test suites: the fixture banks, and answering a question rightly or wrongly.

Unit tests and AppTests read the small made-up banks in tests/data/banks, so an edit to the clinic's content
never breaks them; tests/unit/test_live_content.py checks the live banks on their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, create_engine
from sqlalchemy.pool import NullPool

from modules.banks import BankSet, Question
from modules.core.records import AttemptResult, QuestionSnapshot, ResponseRecord
from modules.core.types import AttemptId, AttemptKind, ModuleId, QuestionId, QuestionType, UserId
from modules.grading import answer_key
from modules.store import Store

FIXTURE_BANKS = Path(__file__).resolve().parent / "data" / "banks"
SCHEMA_V1 = Path(__file__).resolve().parent / "data" / "schema_v1"  # a clinic's database from before migrations


def wrong_answer(question: Question) -> Any:
    """A complete answer that scores 0, in the form a page collects."""
    key = answer_key(question)
    if question.type is QuestionType.SINGLE:
        return next(o for o in question.options if o != key)
    if question.type is QuestionType.TRUE_FALSE:
        return not key
    if question.type is QuestionType.MULTIPLE:
        return [o for o in question.options if o not in key][:1]
    if question.type is QuestionType.ORDERING:
        return list(reversed(key))
    lefts = list(key)
    return {left: key[lefts[(i + 1) % len(lefts)]] for i, left in enumerate(lefts)}


def question_on_screen(node, bank_set: BankSet) -> Question:
    """The bank question shown in `node` (an AppTest or a container), told apart by prompt and client case."""
    prompt = next(m.value for m in node.markdown if m.value.startswith("**") and m.value.endswith("**"))
    cases = [i.value for i in node.info if i.value.startswith("**Client case:**")]
    scenario = cases[0].removeprefix("**Client case:** ") if cases else None
    matches = [q for q in bank_set.questions.values() if f"**{q.prompt}**" == prompt and q.scenario == scenario]
    assert len(matches) == 1, f"cannot tell which question is shown: {prompt}"
    return matches[0]


def fill_answer(node, question: Question, right: bool) -> None:
    """Answer `question` in `node` (an AppTest or a container) with the widgets a person would use: its key,
    or a complete answer that differs from the key (one item or pair out of place)."""
    key = answer_key(question)
    kind = question.type
    if kind is QuestionType.SINGLE:
        node.radio[0].set_value(key if right else next(o for o in question.options if o != key))
    elif kind is QuestionType.TRUE_FALSE:
        node.radio[0].set_value(str(key if right else not key))
    elif kind is QuestionType.MULTIPLE:
        wrong = next(o for o in question.options if o not in key)
        for box in node.checkbox:
            box.set_value(box.label in key if right else box.label == wrong)
    elif kind is QuestionType.ORDERING:
        order = list(key) if right else list(key[1:]) + list(key[:1])
        for box, item in zip(node.selectbox, order):
            box.set_value(item)
    else:
        rights = list(key.values())
        wanted = key if right else dict(zip(key.keys(), rights[1:] + rights[:1]))
        for box in node.selectbox:
            box.set_value(wanted[box.label])


def answer_on_screen(at, bank_set: BankSet, right: bool = True) -> Question:
    """Answer the one question on screen, then rerun; returns the question."""
    question = question_on_screen(at, bank_set)
    fill_answer(at, question, right)
    at.run()
    return question


def record_attempt(store: Store, user_id: UserId, kind: AttemptKind, module_id: str | None,
                   responses: list[ResponseRecord], result: AttemptResult, *, started_at: datetime | None = None,
                   deadline: datetime | None = None, questions: list[QuestionSnapshot] | None = None,
                   policy: dict[str, Any] | None = None) -> AttemptId:
    """A finished attempt written the way the quiz page writes one: open it, then every answer and the result."""
    attempt_id = store.attempts.start(user_id, kind, module_id, deadline=deadline, questions=questions, policy=policy,
                                      started_at=started_at)
    store.attempts.submit(attempt_id, responses, result)
    return attempt_id


@contextmanager
def behind_the_store(url: str) -> Iterator[Connection]:
    """A raw transaction on the store's database, as someone with direct access to the file or server has."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def stored_answer(position: int, question_id: str | None = None, score: float = 1.0) -> ResponseRecord:
    """One answer record as the store keeps it, with a small snapshot: for tests of the store itself."""
    qid = question_id or f"skin-{position:02d}"
    return ResponseRecord(
        position=position, question_id=QuestionId(qid), module_id=ModuleId("skin-science"), content_hash=f"sha-{qid}",
        snapshot=cast(QuestionSnapshot, {"prompt": f"Question {qid}?", "type": "single", "options": ["a", "b"],
                                         "key": ["a"], "explanation": "because", "source": "clinic-material 2.1"}),
        answer=["a"] if score else ["b"], score=score, correct=score == 1.0, seconds_taken=4.5,
    )
