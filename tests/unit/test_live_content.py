"""The clinic's live content in question_banks/: every bank and the policy load cleanly and fit together.

The other unit tests use the small fixture banks in tests/data/banks; this is the one file that fails when an
edit to the real content breaks it.
"""

import random
import re
from collections import Counter
from pathlib import Path

from modules import settings
from modules.banks import load_banks, module_files
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


def test_the_policy_is_the_product_default_and_the_banks_can_satisfy_it():
    assert (POLICY.quiz_questions, POLICY.quiz_pass_percent, POLICY.quiz_attempts_per_day) == (10, 80, 3)
    assert (POLICY.exam_pass_percent, POLICY.validity_months) == (85, 12)
    assert len(POLICY.checklist) >= 3
    rng = random.Random(7)
    for module in BANKS.modules:
        assert len(draw_quiz(BANKS, module.id, POLICY, rng)) == POLICY.quiz_questions, module.id
    exam = draw_exam(BANKS, POLICY, rng)
    assert len(exam) == POLICY.exam_questions_per_module * len(BANKS.modules)
    assert len({s.question_id for s in exam}) == len(exam)

