"""Bank health figures for trainers: each module's two pools against the policy, how often each exam item has been
drawn, and the lint's cue warnings (the same figures `check-banks` prints)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from modules import bank_lint
from modules.banks import BankSet
from modules.core.types import Pool
from modules.policy import Policy
from modules.team import module_label


def pool_table(banks: BankSet, policy: Policy) -> pd.DataFrame:
    """Per module: practice and exam pool sizes, what the quiz and the exam draw, and the guesser's expected score."""
    draw = policy.exam_draw([m.id for m in banks.modules])
    rows = []
    for module in banks.modules:
        practice, exam = banks.pool(Pool.PRACTICE, module.id), banks.pool(Pool.EXAM, module.id)
        rows.append({"Module": module_label(module), "Practice pool": len(practice),
                     "Quiz draws": policy.quiz_questions, "Exam pool": len(exam),
                     "Exam draws": draw.get(module.id, 0),
                     "Guesser, practice": f"{bank_lint.expected_guess_score(practice):.0%}",
                     "Guesser, exam": f"{bank_lint.expected_guess_score(exam):.0%}"})
    return pd.DataFrame(rows, columns=["Module", "Practice pool", "Quiz draws", "Exam pool", "Exam draws",
                                       "Guesser, practice", "Guesser, exam"])


def exam_exposure(banks: BankSet, drawn: dict[str, int]) -> pd.DataFrame:
    """Every exam item with the number of sittings that drew it, most drawn first (over-exposed items leak)."""
    rows = [(module_label(m), q.id, drawn.get(q.id, 0), q.prompt)
            for m in banks.modules for q in m.questions if q.pool is Pool.EXAM]
    frame = pd.DataFrame(rows, columns=["Module", "Question", "Sittings drawn", "Prompt"])
    return frame.sort_values(["Sittings drawn", "Question"], ascending=[False, True], kind="stable")


def lint_table(banks: BankSet, directory: Path) -> pd.DataFrame:
    rows = [(w.file, w.line, w.message) for w in bank_lint.lint(banks, directory)]
    return pd.DataFrame(rows, columns=["File", "Line", "Warning"])
