"""The bank lint: cues a test-wise guesser exploits, as FILE:LINE warnings, and the guesser itself.

None of this fails `check-banks`: a warning asks a writer to look. The guesser answers from the options' form
alone, the way licensing-exam reviews describe test-wise candidates: a refer-type option if there is one, else the
longest option; "true" for true/false; the order or pairing shown for ordering and matching. Its expected score is
computed exactly with the app's own grading, over every way the options could have been shown.
"""

from __future__ import annotations

import difflib
import itertools
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from modules.banks import BankSet, Module, Question
from modules.core.types import Pool, QuestionType
from modules.grading import grade, show
from modules.policy import Policy

REFER = re.compile(r"\b(refer|referral|physician|doctor|gp|provider|protocol|dermatologist)\b", re.IGNORECASE)
LONGEST_MARGIN = 1.15          # a key at least 15% longer than every other option
LONGEST_SHARE = 0.35           # of a module's single-choice keys
TRUE_SHARE = (0.40, 0.60)      # of a module's true/false keys
REFER_SHARE = 0.60             # of a module's items that offer a refer-type option
NEAR_DUPLICATE = 0.90          # prompt (and case) similarity across the banks
_EXACT_LIMIT = 720             # orderings and pairings enumerated exactly up to 6! ways, sampled beyond
_SAMPLES = 2000


@dataclass(frozen=True)
class LintWarning:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: warning: {self.message}"


# ---- the guesser ------------------------------------------------------------------------------------


def _refers(text: str) -> bool:
    return REFER.search(text) is not None


def _longest(options: Sequence[str]) -> list[str]:
    most = max(len(o) for o in options)
    return [o for o in options if len(o) == most]


def guess_outcomes(question: Question) -> list[tuple[float, float]]:
    """The guesser's possible scores on `question` with their probabilities (summing to 1)."""
    merged: dict[float, float] = {}
    for score, chance in _outcomes(question):
        merged[score] = merged.get(score, 0.0) + chance
    return sorted(merged.items())


def _outcomes(question: Question) -> list[tuple[float, float]]:
    shown = show(question)
    kind = question.type
    if kind is QuestionType.TRUE_FALSE:
        return [(grade(shown, True), 1.0)]
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        referring = [o for o in question.options if _refers(o)]
        picks = referring or _longest(question.options)
        if kind is QuestionType.SINGLE:  # a tie is broken at random
            return [(grade(shown, pick), 1 / len(picks)) for pick in picks]
        return [(grade(shown, sorted(set(picks) | set(_longest(question.options)))), 1.0)]
    if kind is QuestionType.ORDERING:
        arrangements = _arrangements(list(question.items))
        return [(grade(shown, order), 1 / len(arrangements)) for order in arrangements]
    lefts = [left for left, _ in question.pairs]
    rights = [right for _, right in question.pairs]
    pairings = _arrangements(rights)
    return [(grade(shown, dict(zip(lefts, pairing))), 1 / len(pairings)) for pairing in pairings]


def _arrangements(items: list[str]) -> list[list[str]]:
    """Every order the items could be shown in (the guesser keeps the order shown), or a fixed sample."""
    count = 1
    for n in range(2, len(items) + 1):
        count *= n
    if count <= _EXACT_LIMIT:
        return [list(order) for order in itertools.permutations(items)]
    rng = random.Random(len(items))
    return [rng.sample(items, len(items)) for _ in range(_SAMPLES)]


def expected_guess_score(questions: Iterable[Question]) -> float:
    """The guesser's mean score per item over `questions` (0 when there are none)."""
    scores = [sum(score * chance for score, chance in guess_outcomes(q)) for q in questions]
    return sum(scores) / len(scores) if scores else 0.0


def exam_pass_chance(banks: BankSet, policy: Policy, draws: int = 200, seed: int = 0) -> float:
    """The guesser's chance of passing the exam, averaged over `draws` random blueprint draws."""
    rng = random.Random(seed)
    plan = policy.exam_draw([m.id for m in banks.modules])
    sittings = []
    for _ in range(draws):
        sitting: list[Question] = []
        for module_id, wanted in plan.items():
            pool = banks.pool(Pool.EXAM, module_id)
            sitting += rng.sample(pool, min(wanted, len(pool)))
        sittings.append(sitting)
    return pass_chance(sittings, policy.exam_pass_percent / 100)


def pass_chance(draws: Sequence[Sequence[Question]], pass_fraction: float) -> float:
    """The guesser's chance of passing, averaged over `draws` (each one sitting's questions): the exact
    distribution of the total, in hundredths of a mark, convolved item by item."""
    if not draws:
        return 0.0
    chances = []
    for questions in draws:
        totals = {0: 1.0}
        for question in questions:
            step: dict[int, float] = {}
            for score, chance in guess_outcomes(question):
                points = round(score * 100)
                for total, p in totals.items():
                    step[total + points] = step.get(total + points, 0.0) + p * chance
            totals = step
        needed = pass_fraction * 100 * len(questions) - 1e-6  # totals are in hundredths of a mark
        chances.append(sum(p for total, p in totals.items() if total >= needed))
    return sum(chances) / len(chances)


# ---- the lint ---------------------------------------------------------------------------------------


def _line_of(file_text: str, question_id: str) -> int:
    match = re.search(rf"^\s*-\s*id:\s*['\"]?{re.escape(question_id)}['\"]?\s*$", file_text, re.MULTILINE)
    return file_text.count("\n", 0, match.start()) + 1 if match else 1


_last_lint: tuple[tuple[tuple[str, str], ...], list[LintWarning]] | None = None


def lint(banks: BankSet, directory: Path) -> list[LintWarning]:
    """Every cue warning for the valid banks in `directory`.

    The near-duplicate check compares every pair of prompts (about 0.3 s for the shipped banks), and Bank health
    asks on every rerun: the answer is kept until a bank file's text changes."""
    global _last_lint
    texts = tuple((m.file, (directory / m.file).read_text(encoding="utf-8")) for m in banks.modules)
    if _last_lint is not None and _last_lint[0] == texts:
        return list(_last_lint[1])
    warnings: list[LintWarning] = []
    for module in banks.modules:
        warnings += _module_warnings(module, dict(texts)[module.file])
    warnings += _near_duplicates(banks, dict(texts))
    _last_lint = (texts, warnings)
    return list(warnings)


def _module_warnings(module: Module, text: str) -> list[LintWarning]:
    found: list[LintWarning] = []
    singles = [q for q in module.questions if q.type is QuestionType.SINGLE]
    longest = 0
    for q in singles:
        others = [len(o) for o in q.options if o != q.answer]
        if others and len(str(q.answer)) > max(others):
            longest += 1
            if len(str(q.answer)) >= LONGEST_MARGIN * max(others):
                found.append(LintWarning(module.file, _line_of(text, q.id),
                                     f"{q.id}: the key is the longest option by 15% or more"))
    if singles and longest / len(singles) > LONGEST_SHARE:
        found.append(LintWarning(module.file, 1, f"{module.id}: the key is the longest option in {longest} of "
                                             f"{len(singles)} single-choice items (over {LONGEST_SHARE:.0%})"))
    truths = [q.answer for q in module.questions if q.type is QuestionType.TRUE_FALSE]
    if truths and not TRUE_SHARE[0] <= truths.count(True) / len(truths) <= TRUE_SHARE[1]:
        found.append(LintWarning(module.file, 1, f"{module.id}: {truths.count(True)} of {len(truths)} true/false keys "
                                             f"are true (keep it within {TRUE_SHARE[0]:.0%}-{TRUE_SHARE[1]:.0%})"))
    offering = [q for q in module.questions if q.type is QuestionType.SINGLE and any(map(_refers, q.options))]
    keyed = [q for q in offering if _refers(str(q.answer))]
    if offering and len(keyed) / len(offering) > REFER_SHARE:
        found.append(LintWarning(module.file, 1, f"{module.id}: a refer/physician/provider option is the key in "
                                             f"{len(keyed)} of {len(offering)} items that offer one "
                                             f"(over {REFER_SHARE:.0%})"))
    return found


def _near_duplicates(banks: BankSet, texts: dict[str, str]) -> list[LintWarning]:
    found: list[LintWarning] = []
    questions = list(banks.questions.values())
    stems = [f"{q.scenario or ''} {q.prompt}".lower() for q in questions]
    matcher = difflib.SequenceMatcher(autojunk=False)
    for j, second in enumerate(questions):
        matcher.set_seq2(stems[j])
        for i in range(j):
            matcher.set_seq1(stems[i])
            if (matcher.real_quick_ratio() >= NEAR_DUPLICATE and matcher.quick_ratio() >= NEAR_DUPLICATE
                    and matcher.ratio() >= NEAR_DUPLICATE):
                first = questions[i]
                module = banks.module(second.module_id)
                file = module.file if module else ""
                found.append(LintWarning(file, _line_of(texts.get(file, ""), second.id),
                                     f"{second.id}: its prompt nearly repeats {first.id}'s"))
    return found


def pool_figures(banks: BankSet) -> list[tuple[str, Pool, int, float]]:
    """(module id, pool, size, guesser's expected score) for every module and pool."""
    return [(m.id, pool, len(banks.pool(pool, m.id)), expected_guess_score(banks.pool(pool, m.id)))
            for m in banks.modules for pool in Pool]
