"""The running sums behind item analysis: what one finished attempt adds, and the sums of many.

Moodle recomputes its quiz statistics from every attempt and caches the report. Here each finished attempt adds
its terms once, in the transaction that records it (`store.item_sums`), and the report reads a few hundred rows.
Per item (x = the item's mark, T = the attempt's total, O = T - x) the sums keep n, Σx, Σx², ΣO, ΣO², ΣxO and how
often each distinct value of x, O and T occurred: the counts give the exact "no variance" checks, and sorting x
and O apart (discriminative efficiency) needs only their distributions, not the pairs. Per test they keep how often
each total occurred (mean, median, moments), and per position (slot) n, Σx, Σx² for Cronbach's alpha when
attempts draw their questions from a bank. Options shown and chosen are counted for the distractor analysis.

Everything here is plain Python on plain values, so the store, the rebuild and the tests all add the same terms.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from modules.core.types import QuestionType

TRUE_FALSE_OPTIONS = ("True", "False")


@dataclass(frozen=True)
class Mark:
    """One counted answer of a finished attempt."""

    question_id: str
    position: int
    mark: float
    max_mark: float = 1.0


@dataclass(frozen=True)
class OptionTally:
    """One option of a choice question as shown in one attempt, and whether it was picked."""

    question_id: str
    option: str
    is_key: bool
    chosen: bool


@dataclass(frozen=True)
class ItemTerm:
    question_id: str
    x: float
    o: float
    t: float
    max_mark: float


@dataclass(frozen=True)
class Contribution:
    """What one finished attempt adds to the sums of its quiz (or of the exam)."""

    items: tuple[ItemTerm, ...]
    slots: tuple[tuple[int, float], ...]
    total: float
    options: tuple[OptionTally, ...] = ()


def contribution(marks: Iterable[Mark], total: float | None = None,
                 options: Iterable[OptionTally] = ()) -> Contribution:
    """The terms of one attempt; `total` overrides the sum of its marks (records whose total is kept apart)."""
    listed = list(marks)
    t = sum(m.mark for m in listed) if total is None else total
    return Contribution(tuple(ItemTerm(m.question_id, m.mark, t - m.mark, t, m.max_mark) for m in listed),
                        tuple((m.position, m.mark) for m in listed), t, tuple(options))


def choice_options(snapshot: dict[str, Any] | None) -> tuple[list[str], set[str]]:
    """The options a choice question showed, and its key; ([], set()) for other types and for a snapshot that is
    not what the app writes (counting options must never stop an attempt from finishing)."""
    if not isinstance(snapshot, dict):
        return [], set()
    kind, options, key = snapshot.get("type"), snapshot.get("options"), snapshot.get("key")
    if kind == QuestionType.TRUE_FALSE.value and isinstance(key, bool):
        return list(TRUE_FALSE_OPTIONS), {"True" if key else "False"}
    if not isinstance(options, list) or not all(isinstance(option, str) for option in options):
        return [], set()
    if kind == QuestionType.SINGLE.value and isinstance(key, str):
        return list(options), {key}
    if kind == QuestionType.MULTIPLE.value and isinstance(key, list) and all(isinstance(k, str) for k in key):
        return list(options), set(key)
    return [], set()


def picked(answer: Any, options: list[str]) -> list[str]:
    """The options an answer picked, among those shown."""
    if answer is None or not options:
        return []
    if isinstance(answer, bool):
        return ["True" if answer else "False"]
    if isinstance(answer, str):
        return [answer] if answer in options else []
    if isinstance(answer, list):
        return [a for a in answer if isinstance(a, str) and a in options]
    return []


def option_tallies(question_id: str, snapshot: dict[str, Any] | None, answer: Any) -> list[OptionTally]:
    options, key = choice_options(snapshot)
    chosen = set(picked(answer, options))
    return [OptionTally(question_id, option, option in key, option in chosen) for option in options]


@dataclass
class ItemSums:
    question_id: str
    n: int = 0
    sum_x: float = 0.0
    sum_x2: float = 0.0
    sum_o: float = 0.0
    sum_o2: float = 0.0
    sum_xo: float = 0.0
    max_mark: float = float("-inf")
    x_values: Counter[float] = field(default_factory=Counter)
    o_values: Counter[float] = field(default_factory=Counter)
    t_values: Counter[float] = field(default_factory=Counter)


@dataclass
class OptionSums:
    question_id: str
    option: str
    is_key: bool = False
    shown: int = 0
    chosen: int = 0


@dataclass
class ScopeSums:
    """The sums of one quiz (or the exam) over first or all attempts."""

    items: dict[str, ItemSums] = field(default_factory=dict)
    totals: Counter[float] = field(default_factory=Counter)
    slots: dict[int, list[float]] = field(default_factory=dict)  # position -> [n, Σx, Σx²]
    options: dict[tuple[str, str], OptionSums] = field(default_factory=dict)

    @property
    def attempts(self) -> int:
        return sum(self.totals.values())

    def add(self, part: Contribution) -> None:
        for term in part.items:
            item = self.items.setdefault(term.question_id, ItemSums(term.question_id))
            item.n += 1
            item.sum_x += term.x
            item.sum_x2 += term.x * term.x
            item.sum_o += term.o
            item.sum_o2 += term.o * term.o
            item.sum_xo += term.x * term.o
            item.max_mark = max(item.max_mark, term.max_mark)
            item.x_values[term.x] += 1
            item.o_values[term.o] += 1
            item.t_values[term.t] += 1
        for position, x in part.slots:
            slot = self.slots.setdefault(position, [0.0, 0.0, 0.0])
            slot[0] += 1
            slot[1] += x
            slot[2] += x * x
        self.totals[part.total] += 1
        for tally in part.options:
            option = self.options.setdefault((tally.question_id, tally.option),
                                             OptionSums(tally.question_id, tally.option))
            option.is_key = option.is_key or tally.is_key
            option.shown += 1
            option.chosen += int(tally.chosen)


def accumulate(parts: Iterable[Contribution]) -> ScopeSums:
    sums = ScopeSums()
    for part in parts:
        sums.add(part)
    return sums
