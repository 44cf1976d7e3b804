"""Replaying an attempt: questions in the order shown, answers in the order their options were listed, the wrong
answers alone, and matching or ordering answers as a table."""

from __future__ import annotations

import random

from modules import replay
from modules.banks import load_banks
from modules.core.types import QuestionType
from modules.grading import answer_key, grade, show
from modules.team import ReviewedAnswer
from tests.helpers import FIXTURE_BANKS, wrong_answer

BANKS = load_banks(FIXTURE_BANKS)
QUESTIONS = [q for q in BANKS.modules[0].questions if q.pool.value == "practice"]


def of_type(kind: QuestionType):
    return next(q for q in QUESTIONS if q.type is kind)


def reviewed(question, answer, position=0, seed=3) -> ReviewedAnswer:
    shown = show(question, random.Random(seed))
    score = grade(shown, answer)
    return ReviewedAnswer(position, shown, answer, "", "", score, score == 1.0, None, None)


def test_the_replay_keeps_the_order_shown_and_can_show_the_wrong_answers_alone():
    right, wrong = of_type(QuestionType.SINGLE), of_type(QuestionType.TRUE_FALSE)
    answers = [reviewed(right, answer_key(right), position=2), reviewed(wrong, wrong_answer(wrong), position=0),
               reviewed(right, answer_key(right), position=1)]
    assert [a.position for a in replay.replay(answers)] == [0, 1, 2]
    assert [a.position for a in replay.replay(answers, wrong_only=True)] == [0]


def test_a_partly_right_answer_counts_among_the_wrong_ones():
    question = of_type(QuestionType.MULTIPLE)
    key = answer_key(question)
    partly = reviewed(question, key[:1] + [o for o in question.options if o not in key][:1])
    assert 0 <= partly.score < 1
    assert replay.replay([partly], wrong_only=True) == [partly]


def test_a_multiple_choice_answer_reads_in_the_order_the_options_were_listed():
    question = of_type(QuestionType.MULTIPLE)
    for seed in range(6):  # some shuffle lists the options out of alphabetical order
        shown = show(question, random.Random(seed))
        if list(shown.options) != sorted(shown.options):
            break
    assert list(shown.options) != sorted(shown.options)
    chosen = list(reversed(shown.options))  # stored in any order
    assert replay.answer_text(shown, chosen) == "; ".join(shown.options)
    assert replay.answer_text(shown, shown.key) == "; ".join(o for o in shown.options if o in shown.key)
    assert replay.answer_text(shown, []) == replay.answer_text(shown, None) == "(no answer)"


def test_a_matching_answer_is_a_table_of_item_their_match_and_the_correct_match():
    question = of_type(QuestionType.MATCHING)
    given = wrong_answer(question)
    given[question.pairs[0][0]] = dict(question.pairs)[question.pairs[0][0]]  # one pair right
    item = reviewed(question, given)
    table = replay.matching_table(item)
    assert list(table.columns) == ["Item", "Their match", "Correct match", "Result"]
    assert list(table["Item"]) == list(item.shown.lefts)  # as shown, not as the bank lists them
    key = dict(question.pairs)
    assert list(table["Correct match"]) == [key[left] for left in item.shown.lefts]
    assert list(table["Their match"]) == [given[left] for left in item.shown.lefts]
    assert list(table["Result"]) == ["right" if given[left] == key[left] else "wrong" for left in item.shown.lefts]
    assert table["Result"].value_counts()["right"] == 1
    assert replay.answer_text(item.shown, given).startswith(f"{item.shown.lefts[0]} → ")


def test_an_unanswered_matching_or_ordering_question_says_so_in_its_table():
    matching = replay.matching_table(reviewed(of_type(QuestionType.MATCHING), None))
    assert set(matching["Their match"]) == {"(no answer)"} and set(matching["Result"]) == {"not answered"}
    question = of_type(QuestionType.ORDERING)
    ordering = replay.ordering_table(reviewed(question, list(reversed(question.items))))
    assert list(ordering["Correct step"]) == list(question.items)
    assert list(ordering["Their step"]) == list(reversed(question.items))
    assert list(ordering["Place"]) == list(range(1, len(question.items) + 1))
