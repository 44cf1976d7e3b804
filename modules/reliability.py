"""How far a pass decision can be trusted: the chance that a technician of a given mastery passes a quiz or the exam.

A technician who knows a share p of the items answers each drawn item right with probability p, so the number
right in n items is binomial. The clinic's rule: someone at 70% mastery passes at most 10% of the time, someone at
90% passes at least 90% of the time. The figures follow from the policy alone, so a clinic that changes the quiz
size or a pass mark sees at once what it did (check-banks, Bank health, the README).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

from modules.policy import Policy

LOW_MASTERY, LOW_PASSES_AT_MOST = 0.70, 0.10
HIGH_MASTERY, HIGH_PASSES_AT_LEAST = 0.90, 0.90


def needed_right(questions: int, pass_percent: int) -> int:
    """The fewest right answers that pass (the app compares in whole hundredths of a percent)."""
    return next(k for k in range(questions + 1) if k * 10000 >= pass_percent * 100 * questions)


def pass_probability(questions: int, pass_percent: int, mastery: float) -> float:
    """P(at least `needed_right` of `questions` right) when each is right with probability `mastery`."""
    needed = needed_right(questions, pass_percent)
    return sum(comb(questions, k) * mastery ** k * (1 - mastery) ** (questions - k)
               for k in range(needed, questions + 1))


@dataclass(frozen=True)
class Decision:
    """One pass decision of the policy and how it treats a weak and a strong technician."""

    name: str
    questions: int
    pass_percent: int
    needed: int
    weak_passes: float      # at LOW_MASTERY
    strong_passes: float    # at HIGH_MASTERY

    @property
    def meets_rule(self) -> bool:
        return self.weak_passes <= LOW_PASSES_AT_MOST and self.strong_passes >= HIGH_PASSES_AT_LEAST

    def sentence(self) -> str:
        verdict = "meets" if self.meets_rule else "does NOT meet"
        return (f"{self.name}: {self.questions} questions, pass mark {self.pass_percent}% ({self.needed} right); "
                f"a technician at {LOW_MASTERY:.0%} mastery passes {self.weak_passes:.1%} of the time, one at "
                f"{HIGH_MASTERY:.0%} passes {self.strong_passes:.1%} ({verdict} the rule: at most "
                f"{LOW_PASSES_AT_MOST:.0%} and at least {HIGH_PASSES_AT_LEAST:.0%})")


def decision(name: str, questions: int, pass_percent: int) -> Decision:
    return Decision(name, questions, pass_percent, needed_right(questions, pass_percent),
                    pass_probability(questions, pass_percent, LOW_MASTERY),
                    pass_probability(questions, pass_percent, HIGH_MASTERY))


def decisions(policy: Policy, module_ids: list[str]) -> list[Decision]:
    """The module quiz's and the exam's decisions under `policy`."""
    return [decision("Module quiz", policy.quiz_questions, policy.quiz_pass_percent),
            decision("Certification exam", policy.exam_size(module_ids), policy.exam_pass_percent)]
