"""Grading: the key always scores full marks, shuffling never changes a grade, partial credit follows the bank."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from modules.banks import Question
from modules.core.types import Difficulty, QuestionType
from modules.grading import (
    ShownQuestion,
    answer_key,
    describe_answer,
    grade,
    is_complete,
    marked_answer,
    repeated_steps,
    show,
)

texts = st.lists(st.text(min_size=1, max_size=12).filter(str.strip), min_size=3, max_size=6, unique=True)


def question(qtype: QuestionType, partial: bool = False, **fields) -> Question:
    return Question(id="q-001", module_id="demo", type=qtype, prompt="?", explanation="because",
                    source="clinic-material", difficulty=Difficulty.EASY, tags=(), partial_credit=partial,
                    **fields)


@st.composite
def any_question(draw):
    qtype = draw(st.sampled_from(list(QuestionType)))
    partial = draw(st.booleans()) and qtype in (QuestionType.MULTIPLE, QuestionType.ORDERING, QuestionType.MATCHING)
    words = draw(texts)
    if qtype is QuestionType.SINGLE:
        return question(qtype, options=tuple(words), answer=draw(st.sampled_from(words)))
    if qtype is QuestionType.MULTIPLE:
        keys = draw(st.lists(st.sampled_from(words), min_size=1, unique=True))
        return question(qtype, partial, options=tuple(words), answer=tuple(keys))
    if qtype is QuestionType.TRUE_FALSE:
        return question(qtype, answer=draw(st.booleans()))
    if qtype is QuestionType.ORDERING:
        return question(qtype, partial, items=tuple(words))
    rights = draw(st.lists(st.text(min_size=1, max_size=8), min_size=len(words), max_size=len(words), unique=True))
    return question(qtype, partial, pairs=tuple(zip(words, rights)))


@settings(max_examples=300)
@given(any_question(), st.integers(min_value=0, max_value=2**32))
def test_the_key_scores_full_marks_however_the_question_is_shuffled(q, seed):
    shown = show(q, random.Random(seed))
    assert grade(shown, answer_key(q)) == 1.0
    assert is_complete(shown, answer_key(q))


@settings(max_examples=300)
@given(any_question(), st.integers(min_value=0, max_value=2**32), st.integers(min_value=0, max_value=2**32),
       st.data())
def test_shuffling_never_changes_a_grade(q, seed_a, seed_b, data):
    shown_a, shown_b = show(q, random.Random(seed_a)), show(q, random.Random(seed_b))
    if q.type is QuestionType.SINGLE:
        answer = data.draw(st.sampled_from(shown_a.options))
    elif q.type is QuestionType.MULTIPLE:
        answer = data.draw(st.lists(st.sampled_from(shown_a.options), unique=True))
    elif q.type is QuestionType.TRUE_FALSE:
        answer = data.draw(st.booleans())
    elif q.type is QuestionType.ORDERING:
        answer = data.draw(st.permutations(shown_a.options))
    else:
        answer = {left: data.draw(st.sampled_from(shown_a.rights)) for left in shown_a.lefts}
    score = grade(shown_a, answer)
    assert score == grade(shown_b, answer)
    assert 0.0 <= score <= 1.0
    if not q.partial_credit:
        assert score in (0.0, 1.0)


def test_multiple_without_partial_credit_needs_the_whole_key():
    q = question(QuestionType.MULTIPLE, options=("Gloves", "Mask", "Sandals"), answer=("Gloves", "Mask"))
    assert grade(show(q), ["Gloves"]) == 0.0
    assert grade(show(q), ["Gloves", "Mask", "Sandals"]) == 0.0


def test_multiple_partial_credit_rewards_right_choices_and_penalises_wrong_ones():
    q = question(QuestionType.MULTIPLE, True, options=("Gloves", "Mask", "Sandals"), answer=("Gloves", "Mask"))
    assert grade(show(q), ["Gloves"]) == 0.5
    assert grade(show(q), ["Gloves", "Sandals"]) == 0.0
    assert grade(show(q), ["Sandals"]) == 0.0


def test_ordering_partial_credit_counts_items_in_place():
    q = question(QuestionType.ORDERING, True, items=("Consult", "Cleanse", "Treat", "Protect"))
    assert grade(show(q), ["Consult", "Cleanse", "Protect", "Treat"]) == 0.5
    strict = question(QuestionType.ORDERING, items=("Consult", "Cleanse", "Treat", "Protect"))
    assert grade(show(strict), ["Consult", "Cleanse", "Protect", "Treat"]) == 0.0


def test_matching_partial_credit_counts_pairs():
    pairs = (("Redness", "Hours"), ("Flaking", "Days"), ("Bruise", "Week"))
    assert grade(show(question(QuestionType.MATCHING, True, pairs=pairs)),
                 {"Redness": "Hours", "Flaking": "Week", "Bruise": "Days"}) == 1 / 3
    assert grade(show(question(QuestionType.MATCHING, pairs=pairs)),
                 {"Redness": "Hours", "Flaking": "Week", "Bruise": "Days"}) == 0.0


def test_true_false_does_not_accept_truthy_text():
    q = question(QuestionType.TRUE_FALSE, answer=True)
    assert grade(show(q), "yes") == 0.0
    assert grade(show(q), True) == 1.0


def test_ordering_is_never_shown_already_solved():
    q = question(QuestionType.ORDERING, items=("A", "B", "C"))
    for seed in range(50):
        assert list(show(q, random.Random(seed)).options) != ["A", "B", "C"]


def test_snapshot_round_trip_keeps_what_was_shown():
    q = question(QuestionType.MATCHING, pairs=(("Redness", "Hours"), ("Flaking", "Days")))
    shown = show(q, random.Random(3))
    assert ShownQuestion.from_snapshot(shown.to_snapshot()) == shown
    assert describe_answer(shown, {"Redness": "Hours", "Flaking": None}) == "Redness → Hours; Flaking → (none)"


def test_marked_answer_keeps_the_shown_order_and_says_what_each_option_was():
    shown = show(question(QuestionType.MULTIPLE, options=("A", "B", "C", "D"), answer=("A", "C")))
    marks = [(m.text, m.verdict, m.right) for m in marked_answer(shown, ["C", "D"])]
    assert marks == [("A", "Correct answer · you did not pick it", True), ("B", "", None),
                     ("C", "Correct answer · your answer", True), ("D", "Your answer: not correct", False)]


def test_marked_answer_of_true_false_and_ordering():
    shown = show(question(QuestionType.TRUE_FALSE, answer=False))
    assert [m.verdict for m in marked_answer(shown, True)] == ["Your answer: not correct",
                                                                "Correct answer · you did not pick it"]
    steps = show(question(QuestionType.ORDERING, items=("Cleanse", "Pass", "Moisturise")))
    assert [(m.text, m.right) for m in marked_answer(steps, ["Cleanse", "Moisturise", "Pass"])] == [
        ("Step 1: Cleanse", True), ("Step 2: Pass", False), ("Step 3: Moisturise", False)]
    second = marked_answer(steps, ["Cleanse", "Moisturise", "Pass"])[1]
    assert second.verdict == "your step 2: “Moisturise”, not correct"


def test_repeated_steps_names_each_step_used_twice_with_its_positions():
    assert repeated_steps(["B", "A", "B", None]) == {"B": [1, 3]}
    assert repeated_steps(["A", "B", "C"]) == {}
    assert repeated_steps([None, None]) == {}
