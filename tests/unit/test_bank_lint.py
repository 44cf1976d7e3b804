"""The bank lint and the test-wise guesser, on small banks written to have (or not have) each cue."""

from __future__ import annotations

from pathlib import Path

import pytest

from modules import bank_lint
from modules.banks import load_banks
from modules.policy import Policy
from tests.helpers import FIXTURE_BANKS

HEADER = """module:
  id: cues
  title: "Cues"
  order: 1
  objectives: ["spot cues"]
  lesson: "## After this module you can\\n\\n- spot cues"
questions:
"""


PROMPTS = {"q-1": "What do you do when the client flinches?", "q-2": "How is the wand moved over the cheek?",
           "q-3": "Sunscreen matters after treatment.", "q-4": "Crystals are reused between clients.",
           "q-5": "Eye protection is worn by the client."}


def single(qid: str, options: list[str], answer: str, pool: str = "practice") -> str:
    quoted = ", ".join(f'"{o}"' for o in options)
    return (f'  - id: {qid}\n    type: single\n    pool: {pool}\n    prompt: "{PROMPTS[qid]}"\n'
            f'    options: [{quoted}]\n'
            f'    answer: "{answer}"\n    explanation: "Because."\n    source: "test"\n    difficulty: easy\n'
            f'    tags: [t]\n')


def true_false(qid: str, answer: bool) -> str:
    return (f'  - id: {qid}\n    type: true_false\n    prompt: "{PROMPTS[qid]}"\n    answer: {str(answer).lower()}\n'
            f'    explanation: "Because."\n    source: "test"\n    difficulty: easy\n    tags: [t]\n')


def bank(tmp_path: Path, *questions: str) -> Path:
    (tmp_path / "01-cues.yaml").write_text(HEADER + "".join(questions), encoding="utf-8")
    return tmp_path


def test_the_guesser_takes_the_refer_option_then_the_longest_then_true(tmp_path):
    folder = bank(tmp_path,
                  single("q-1", ["Refer her to her physician", "Go on", "Stop"], "Refer her to her physician"),
                  single("q-2", ["A much longer and more careful answer", "Short", "Brief"], "Short"),
                  true_false("q-3", True), true_false("q-4", False))
    banks = load_banks(folder)
    scores = [bank_lint.expected_guess_score([q]) for q in banks.modules[0].questions]
    assert scores == [1.0, 0.0, 1.0, 0.0]


def test_a_tie_for_longest_is_broken_at_random(tmp_path):
    banks = load_banks(bank(tmp_path, single("q-1", ["Four", "Five", "Nine"], "Five")))
    assert bank_lint.expected_guess_score(banks.modules[0].questions) == pytest.approx(1 / 3)


def test_cue_warnings_name_the_file_and_line(tmp_path):
    folder = bank(tmp_path,
                  single("q-1", ["The long and careful right answer", "No", "Nope"],
                         "The long and careful right answer"),
                  single("q-2", ["Ask the doctor to decide", "Carry on", "Stop"], "Ask the doctor to decide"),
                  true_false("q-3", True), true_false("q-4", True), true_false("q-5", True))
    warnings = [str(w) for w in bank_lint.lint(load_banks(folder), folder)]
    assert "01-cues.yaml:8: warning: q-1: the key is the longest option by 15% or more" in warnings
    assert any("3 of 3 true/false keys are true" in w for w in warnings)
    assert any("refer/physician/provider option is the key in 1 of 1" in w for w in warnings)
    assert any("key is the longest option in 2 of 2 single-choice items" in w for w in warnings)


def test_a_cue_free_bank_has_no_warning(tmp_path):
    folder = bank(tmp_path,
                  single("q-1", ["Stop now", "Carry on slowly", "Refer her to a doctor"], "Stop now"),
                  single("q-2", ["Gently", "With more suction", "With a coarser tip"], "Gently"),
                  true_false("q-3", True), true_false("q-4", False))
    assert bank_lint.lint(load_banks(folder), folder) == []


def test_the_guessers_exam_pass_chance_is_exact_for_a_known_case(tmp_path):
    # Two exam items: the guesser gets the first always (refer-type key) and the second never.
    folder = bank(tmp_path,
                  single("q-1", ["Refer to the physician", "Go on", "Stop"], "Refer to the physician", "exam"),
                  single("q-2", ["Long wrong answer here", "Right", "Nah"], "Right", "exam"))
    banks = load_banks(folder)
    assert bank_lint.exam_pass_chance(banks, Policy(exam_blueprint=(("cues", 2),), exam_pass_percent=50)) == 1.0
    assert bank_lint.exam_pass_chance(banks, Policy(exam_blueprint=(("cues", 2),), exam_pass_percent=51)) == 0.0


def test_the_fixture_banks_report_their_pools():
    figures = bank_lint.pool_figures(load_banks(FIXTURE_BANKS))
    assert {(m, p.value, n) for m, p, n, _ in figures} >= {("safety", "practice", 12), ("safety", "exam", 3)}


def test_the_lint_is_recomputed_when_a_bank_file_changes(tmp_path):
    folder = bank(tmp_path, single("q-1", ["Stop now", "Carry on slowly", "Go on"], "Stop now"),
                  true_false("q-3", True), true_false("q-4", False))
    assert bank_lint.lint(load_banks(folder), folder) == []
    assert bank_lint.lint(load_banks(folder), folder) == []  # unchanged: the kept answer
    bank(tmp_path, single("q-1", ["Stop now and call the supervisor", "Go", "No"], "Stop now and call the supervisor"),
         true_false("q-3", True), true_false("q-4", False))
    assert any("q-1: the key is the longest option" in str(w) for w in bank_lint.lint(load_banks(folder), folder))
