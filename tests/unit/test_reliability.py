"""Decision reliability: the binomial figures behind the policy's quiz and exam sizes and pass marks."""

from __future__ import annotations

import random

import pytest

from modules import reliability
from modules.policy import Policy


def test_needed_right_matches_how_the_app_compares_scores():
    assert reliability.needed_right(25, 84) == 21
    assert reliability.needed_right(40, 85) == 34
    assert reliability.needed_right(10, 80) == 8


def test_the_old_ten_question_quiz_passed_a_weak_technician_too_often():
    old = reliability.decision("Module quiz", 10, 80)
    assert old.weak_passes == pytest.approx(0.3828, abs=1e-4) and not old.meets_rule


def test_the_shipped_sizes_meet_the_rule():
    quiz, exam = reliability.decisions(Policy(exam_blueprint=(("a", 20), ("b", 20))), ["a", "b"])
    assert (quiz.questions, quiz.needed, exam.questions, exam.needed) == (25, 21, 40, 34)
    assert quiz.meets_rule and exam.meets_rule
    assert quiz.weak_passes <= 0.10 and quiz.strong_passes >= 0.90


def test_the_binomial_agrees_with_a_simulation():
    rng = random.Random(5)
    runs = 20000
    passes = sum(sum(rng.random() < 0.7 for _ in range(25)) >= 21 for _ in range(runs))
    assert passes / runs == pytest.approx(reliability.pass_probability(25, 84, 0.7), abs=0.01)
