"""Practice rounds: unlimited, instant feedback, never counted towards certification."""

from __future__ import annotations

import random
from dataclasses import dataclass

from modules.banks import BankSet
from modules.core.types import Pool
from modules.grading import ShownQuestion, show
from modules.grading import response_record as response_record  # the practice and review pages build it from here


@dataclass(frozen=True)
class PracticeSummary:
    answered: int
    correct: int
    to_revisit: tuple[ShownQuestion, ...]

    @property
    def share(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


def draw(banks: BankSet, module_id: str, count: int, rng: random.Random | None = None) -> list[ShownQuestion]:
    """A practice round: `count` questions of one module in random order, options shuffled."""
    module = banks.module(module_id)
    if module is None:
        return []
    rng = rng or random.Random()
    pool = banks.pool(Pool.PRACTICE, module.id)  # exam items are never practised: their keys stay unseen
    chosen = rng.sample(pool, min(count, len(pool)))
    return [show(q, rng) for q in chosen]


def summarise(round_: list[ShownQuestion], scores: dict[int, float]) -> PracticeSummary:
    missed = tuple(round_[i] for i, score in sorted(scores.items()) if score < 1.0)
    return PracticeSummary(answered=len(scores), correct=sum(1 for s in scores.values() if s == 1.0),
                           to_revisit=missed)


def change_in_points(previous: PracticeSummary | None, current: PracticeSummary) -> int | None:
    """The share right, in percentage points, against the previous round of the same module (None without one):
    a 6-of-10 round after an 8-of-10 one is -20, never an improvement."""
    if previous is None or not previous.answered or not current.answered:
        return None
    return round(current.share * 100) - round(previous.share * 100)
