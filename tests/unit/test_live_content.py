"""The clinic's live content in question_banks/: every bank and the policy load cleanly and fit together.

The other unit tests use the small fixture banks in tests/data/banks; this is the one file that fails when an
edit to the real content breaks it.
"""

import random
import re
from collections import Counter
from pathlib import Path

from modules import bank_lint, reliability, settings
from modules.banks import load_banks, module_files
from modules.core.types import Pool
from modules.policy import load_policy
from modules.quiz import draw_exam, draw_quiz

# The shipped folder itself, whatever TRAINING_BANKS_DIR says in this environment.
LIVE = Path(settings.SETTINGS["TRAINING_BANKS_DIR"].default)
BANKS = load_banks(LIVE)
POLICY, POLICY_PROBLEMS = load_policy(LIVE, BANKS)
DIAGRAM = re.compile(r"\]\((diagrams/[\w.-]+\.svg)\)")


def test_every_bank_and_the_policy_load_without_a_problem():
    assert [str(p) for p in BANKS.problems] == []
    assert [str(p) for p in POLICY_PROBLEMS] == []
    assert sorted(m.file for m in BANKS.modules) == [p.name for p in module_files(LIVE)]  # no file left out


def test_eight_modules_of_at_least_twenty_varied_questions():
    assert len(BANKS.modules) == 8
    assert [m.order for m in BANKS.modules] == list(range(1, 9))
    for module in BANKS.modules:
        assert len(module.questions) >= 20, module.id
        assert len({q.type for q in module.questions}) >= 3, module.id
        assert len({q.difficulty for q in module.questions}) == 3, module.id
        assert module.lesson.lstrip().startswith("## After this module you can"), module.id


def test_question_ids_are_unique_and_every_question_has_a_source():
    ids = Counter(q.id for m in BANKS.modules for q in m.questions)
    assert [qid for qid, n in ids.items() if n > 1] == []
    assert len(BANKS.questions) == sum(ids.values())
    assert [q.id for q in BANKS.questions.values() if not q.source.strip()] == []


def test_every_diagram_a_lesson_shows_is_in_the_folder():
    shown = {path for m in BANKS.modules for path in DIAGRAM.findall(m.lesson)}
    assert shown, "the lessons show no diagram at all"
    assert sorted(p for p in shown if not (LIVE / p).is_file()) == []


def test_the_policy_follows_its_rules_and_the_banks_can_satisfy_it():
    assert (POLICY.quiz_questions, POLICY.quiz_pass_percent, POLICY.quiz_attempts_per_day) == (25, 84, 3)
    assert (POLICY.exam_pass_percent, POLICY.validity_months, POLICY.signoffs_required) == (85, 12, 3)
    assert len(POLICY.checklist) >= 3
    rng = random.Random(7)
    for module in BANKS.modules:
        quiz = draw_quiz(BANKS, module.id, POLICY, rng)
        assert len(quiz) == POLICY.quiz_questions, module.id
        assert {BANKS.question(s.question_id).pool for s in quiz} == {Pool.PRACTICE}, module.id
    exam = draw_exam(BANKS, POLICY, rng)
    assert len(exam) == POLICY.exam_size([m.id for m in BANKS.modules]) == 40
    assert len({s.question_id for s in exam}) == len(exam)
    assert {BANKS.question(s.question_id).pool for s in exam} == {Pool.EXAM}


def test_every_module_has_an_exam_pool_of_at_least_twelve_and_the_blueprint_weighs_safety_over_the_device():
    for module in BANKS.modules:
        assert len(BANKS.pool(Pool.EXAM, module.id)) >= 12, module.id
    draw = POLICY.exam_draw([m.id for m in BANKS.modules])
    assert set(draw) == {m.id for m in BANKS.modules}
    assert draw["safety"] > draw["cytopen"] and draw["candidacy"] > draw["cytopen"]
    assert draw["cytopen"] == min(draw.values())


def test_each_pass_decision_meets_the_reliability_rule():
    """At 70% mastery a quiz or the exam is passed at most 10% of the time; at 90%, at least 90% of the time."""
    for decision in reliability.decisions(POLICY, [m.id for m in BANKS.modules]):
        assert decision.meets_rule, decision.sentence()


def test_a_test_wise_guesser_scores_under_half_on_every_pool_and_cannot_pass_the_exam():
    """The guesser answers from the options' form alone (longest, 'true', refer-type), graded by the app."""
    for module in BANKS.modules:
        for pool in Pool:
            score = bank_lint.expected_guess_score(BANKS.pool(pool, module.id))
            assert score < 0.5, f"{module.id} {pool.value}: {score:.0%}"
    assert bank_lint.exam_pass_chance(BANKS, POLICY, draws=300, seed=11) < 0.001
