"""What a trainer reads about a person or a question: a technician's attempts, item analysis, bank health (team
progress, one row per technician, is in team_progress).

Pure functions over pandas frames (the queries are in the store's `reports`), plus the practical sign-off rule.
Nothing here loops over responses: answers are counted in the database or in vectorised pandas, and the only
Python loops run over technicians, attempts, questions or distinct answers.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import numpy as np
import pandas as pd

from modules import analytics
from modules.auth import verify_password
from modules.banks import BankSet, Module, Problem, Question
from modules.core.errors import AuthError, PermissionDenied, TrainingError
from modules.core.item_sums import TRUE_FALSE_OPTIONS, ScopeSums
from modules.core.records import Actor, Attempt, ResponseRecord, Signoff, User
from modules.core.types import AttemptKind, PracticalOutcome, QuestionType, Role, SignoffId, UserId
from modules.grading import ShownQuestion, describe_answer
from modules.store import Store

OPTION_COLUMNS = ("question_id", "option", "is_key", "times_shown", "times_chosen", "share", "unpicked_distractor")


class SignoffRejected(TrainingError):
    """A practical sign-off was not recorded; the message says what to fix."""


# ---- shared by the trainer's reports ----------------------------------------------------------------


def module_label(module: Module) -> str:
    return f"{module.order}. {module.title}"


CASE_PREVIEW = 60  # characters of a client case kept in a table row; the question's own view shows it whole


def listed_question(question: Question) -> str:
    """A question as a table lists it: its client case, cut short at a word, before the whole prompt."""
    if not question.scenario:
        return question.prompt
    return f"Case: {textwrap.shorten(question.scenario, CASE_PREVIEW, placeholder=' …')} | {question.prompt}"


def question_texts(banks: BankSet) -> dict[str, str]:
    """Every question of the banks as a table lists it (`listed_question`), by id."""
    return {question_id: listed_question(q) for question_id, q in banks.questions.items()}


# ---- a technician's attempts -----------------------------------------------------------------------


def timeline(attempts: list[Attempt], summaries: pd.DataFrame, modules: dict[str, str]) -> pd.DataFrame:
    """One row per attempt, newest first: kind, module, start, finish, score, verdict, answers, time taken."""
    counts = summaries.set_index("attempt_id") if len(summaries) else pd.DataFrame(
        columns=["questions", "right", "seconds"])
    rows = []
    for attempt in sorted(attempts, key=lambda a: (a.started_at, a.id), reverse=True):
        result = attempt.result
        summary = counts.loc[attempt.id] if attempt.id in counts.index else None
        if result is None:
            verdict = "in progress" if attempt.kind is AttemptKind.EXAM else "—"
        else:
            verdict = {True: "passed", False: "not passed", None: "—"}[result.passed]
        seconds = None if summary is None or pd.isna(summary["seconds"]) else float(summary["seconds"])
        rows.append({
            "attempt_id": attempt.id, "kind": attempt.kind.value,
            "module": modules.get(attempt.module_id, attempt.module_id) if attempt.module_id else "All modules",
            "started_at": attempt.started_at, "finished_at": result.finished_at if result else None,
            "score": result.score if result else None, "verdict": verdict,
            "answered": 0 if summary is None else int(cast(int, summary["questions"])),
            "right": 0 if summary is None else int(summary["right"] or 0),
            "minutes": None if seconds is None else round(seconds / 60, 1),
        })
    return pd.DataFrame(rows, columns=["attempt_id", "kind", "module", "started_at", "finished_at", "score",
                                       "verdict", "answered", "right", "minutes"])


@dataclass(frozen=True)
class ReviewedAnswer:
    """One question of a past attempt exactly as shown, with what was answered and the key."""

    position: int
    shown: ShownQuestion
    answer: Any
    given: str
    key: str
    score: float
    correct: bool
    seconds_taken: float | None
    answered_at: datetime | None

    @property
    def verdict(self) -> str:
        if self.correct:
            return "right"
        return f"partly right ({self.score:.0%})" if self.score > 0 else "wrong"


def reviewed_answers(records: list[ResponseRecord]) -> list[ReviewedAnswer]:
    """The answers that count (one per question, in the order shown), rebuilt from their snapshots."""
    reviewed = []
    for record in records:
        shown = ShownQuestion.from_snapshot(record.snapshot)
        reviewed.append(ReviewedAnswer(record.position, shown, record.answer, describe_answer(shown, record.answer),
                                       describe_answer(shown, shown.key), record.score, record.correct,
                                       record.seconds_taken, record.answered_at))
    return reviewed


def shown_choices(item: ReviewedAnswer) -> list[tuple[str, bool, bool]]:
    """(option, chosen, is key) in the order shown, for single/multiple/true-false questions; else empty."""
    shown, answer = item.shown, item.answer
    if shown.type is QuestionType.TRUE_FALSE:
        return [(text, answer is not None and answer == (text == "True"), shown.key == (text == "True"))
                for text in TRUE_FALSE_OPTIONS]
    if shown.type is QuestionType.SINGLE:
        return [(o, o == answer, o == shown.key) for o in shown.options]
    if shown.type is QuestionType.MULTIPLE:
        return [(o, o in (answer or ()), o in shown.key) for o in shown.options]
    return []


# ---- item analysis ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemAnalysis:
    table: pd.DataFrame      # one row per question: figures, option summary, flags and hints
    options: pd.DataFrame    # one row per question x option (OPTION_COLUMNS)
    test: analytics.QuizStatistics
    attempts: int


def options_table(sums: ScopeSums) -> pd.DataFrame:
    """How often each option of each choice question was shown and picked (OPTION_COLUMNS), from the sums.
    Ordering and matching questions have no distractors and are left out."""
    if not sums.options:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OPTION_COLUMNS})
    table = pd.DataFrame([(o.question_id, o.option, o.is_key, o.shown, o.chosen) for o in sums.options.values()],
                         columns=["question_id", "option", "is_key", "times_shown", "times_chosen"])
    table = table.sort_values(["question_id", "option"], kind="stable").reset_index(drop=True)
    table["share"] = table["times_chosen"] / table["times_shown"]
    table["unpicked_distractor"] = ~table["is_key"].astype(bool) & (table["times_chosen"] == 0)
    return table[list(OPTION_COLUMNS)]


def item_analysis(sums: ScopeSums, prompts: dict[str, str]) -> ItemAnalysis:
    """Moodle's item and test statistics, distractor counts, flags and hints for one quiz or the exam, from its
    running sums (a few hundred numbers, however many attempts there are)."""
    stats = analytics.item_statistics_from_sums(sums)
    options = options_table(sums)
    flagged = analytics.flag_items(stats, options)
    summary = (options.assign(text=options["option"].str.slice(0, 40)
                              + np.where(options["is_key"], " (key)", "") + ": "
                              + (options["share"] * 100).round(0).map("{:.0f}%".format))
               .groupby("question_id")["text"].agg(" · ".join)) if len(options) else pd.Series(dtype=object)
    table = flagged.reset_index()
    table.insert(1, "prompt", [prompts.get(q, "(no longer in the bank)") for q in table["question_id"]])
    table["options"] = [summary.get(q, "") for q in table["question_id"]]
    table = table.rename(columns={"s": "attempts"})[
        ["question_id", "prompt", "attempts", "facility", "sd", "discrimination_index", "discriminative_efficiency",
         "effective_weight", "options", "flags", "hint"]]
    return ItemAnalysis(table, options, analytics.test_statistics_from_sums(sums), sums.attempts)


def load_item_analysis(store: Store, kind: AttemptKind, module_id: str | None, first_only: bool,
                       prompts: dict[str, str]) -> ItemAnalysis:
    """From the database to the finished item analysis of one quiz (or the exam): a read of its running sums."""
    return item_analysis(store.item_sums.read(kind, module_id, first_only), prompts)


# Short heads, so the table fits a laptop screen; Moodle's full names are in each column's help.
FIGURES = {"facility": "Facility %", "sd": "SD %", "discrimination_index": "Discrimination %",
           "discriminative_efficiency": "Efficiency %", "effective_weight": "Weight %"}
FIGURE_HELP = {"facility": "Facility index: the share of responses that were right.",
               "sd": "Standard deviation of the marks on this question.",
               "discrimination_index": "Discrimination index: correlation of this question with the rest of the test.",
               "discriminative_efficiency": "Discriminative efficiency: the discrimination index as a share of the "
                                            "most this question could reach. Below 15% it does not discriminate.",
               "effective_weight": "Effective weight: this question's share of the spread of the total marks."}
# What estimates how a question separates strong from weak trainees: noise until enough people have answered it.
ESTIMATES = ("discrimination_index", "discriminative_efficiency", "effective_weight")


def no_verdict(responses: int, needed: int) -> str:
    return f"{responses} of {needed} responses needed: no verdict yet"


def item_report(table: pd.DataFrame, min_responses: int, texts: Mapping[str, str] | None = None) -> pd.DataFrame:
    """`table` (ItemAnalysis.table) judged only where a question has at least `min_responses` responses; below
    that it gets no flag, no discrimination figures and a hint saying how many responses it still needs. Adds
    `enough`; `texts` (from `question_texts`) replaces the bare prompts of the questions still in the banks."""
    report = table.copy()
    enough = report["attempts"] >= min_responses
    report["enough"] = enough
    for column in ESTIMATES:
        report[column] = report[column].where(enough)
    report["flags"] = report["flags"].where(enough, "")
    waiting = [no_verdict(int(n), min_responses) for n in report["attempts"]]
    report["hint"] = report["hint"].where(enough, pd.Series(waiting, index=report.index, dtype=object))
    if texts is not None:
        report["prompt"] = [texts.get(q, prompt) for q, prompt in zip(report["question_id"], report["prompt"])]
    return report


def item_display(table: pd.DataFrame, sort_by: str = "facility", ascending: bool = True) -> pd.DataFrame:
    """Sorted on the numbers; percentages like Moodle's report, kept as numbers (NaN where undefined or withheld),
    so a CSV holds numbers too. What to do and the flags come first, where they are read without scrolling."""
    ordered = table.sort_values(sort_by, ascending=ascending, na_position="last", kind="stable")
    shown = pd.DataFrame({"Question": ordered["question_id"], "Flags": ordered["flags"],
                          "What to do": ordered["hint"], "Prompt": ordered["prompt"],
                          "Attempts": ordered["attempts"].astype("int64")})
    for column, label in FIGURES.items():
        scale = 100 if column in ("facility", "sd") else 1  # marks are out of 1; the others are already %
        shown[label] = (ordered[column].astype(float) * scale).round(1)
    shown["Options chosen"] = ordered["options"]
    return shown.reset_index(drop=True)


def chart_points(report: pd.DataFrame) -> pd.DataFrame:
    """One point per judged question for the facility / discrimination plot: facility % against discriminative
    efficiency % (the figure the flag reads), "flagged" or "no flag", and the flags in words. Questions with too
    few responses, or whose efficiency is undefined (everyone scored the same), are left out."""
    judged = report[report["enough"].astype(bool) & report["discriminative_efficiency"].notna()]
    return pd.DataFrame({
        "question": judged["question_id"], "text": judged["prompt"], "attempts": judged["attempts"],
        "facility": (judged["facility"].astype(float) * 100).round(1),
        "discrimination": judged["discriminative_efficiency"].astype(float).round(1),
        "verdict": np.where(judged["flags"] == "", "no flag", "flagged"),
        "flags": judged["flags"].where(judged["flags"] != "", "none"),
    }).reset_index(drop=True)


def flag_zones() -> pd.DataFrame:
    """Where on the facility % (x) / efficiency % (y) plot a question is flagged, from analytics' thresholds."""
    hard, easy = analytics.TOO_HARD_BELOW * 100, analytics.TOO_EASY_ABOVE * 100
    flat = analytics.MIN_DISCRIMINATIVE_EFFICIENCY
    rows = [(analytics.ItemFlag.TOO_HARD.value, 0.0, hard, -100.0, 100.0),
            (analytics.ItemFlag.TOO_EASY.value, easy, 100.0, -100.0, 100.0),
            (analytics.ItemFlag.DOES_NOT_DISCRIMINATE.value, 0.0, 100.0, -100.0, flat)]
    return pd.DataFrame(rows, columns=["zone", "x0", "x1", "y0", "y1"])


def option_shares(options: pd.DataFrame, question_id: str) -> pd.DataFrame:
    """How often each option of one choice question was chosen, for its bar chart: the option with "(key)" after
    the key, chosen %, counts, and its role in words. Empty for ordering and matching questions."""
    mine = options[options["question_id"] == question_id]
    key = mine["is_key"].astype(bool)
    role = np.where(key, "key", np.where(mine["unpicked_distractor"].astype(bool), "wrong option nobody picks",
                                         "wrong option"))
    return pd.DataFrame({
        "option": mine["option"].astype(str) + np.where(key, " (key)", ""),
        "chosen": (mine["share"].astype(float) * 100).round(1),
        "times_chosen": mine["times_chosen"], "times_shown": mine["times_shown"], "role": role,
    }).reset_index(drop=True)


def average_mark(test: analytics.QuizStatistics) -> str:
    """The average total "of" the marks available (one per question slot), e.g. "31.2 of 40"."""
    average = analytics.format_stat(test.average, 1)
    return average if average == "n/a" else f"{average} of {test.items}"


def reliability_text(test: analytics.QuizStatistics) -> str:
    """The whole-test reliability in a sentence, with the reading of Cronbach's alpha it rests on."""
    if test.reliability == "n/a":
        return ("Reliability: not known yet. Cronbach's alpha needs at least two attempts whose marks differ, "
                "and more than one question.")
    return (f"Reliability: {test.reliability}. Cronbach's alpha is {analytics.format_stat(test.cic, 1)}%; "
            f"Moodle reads above {analytics.CIC_SATISFACTORY:.0f}% as satisfactory and below "
            f"{analytics.CIC_UNSATISFACTORY:.0f}% as unsatisfactory.")


def test_figures(test: analytics.QuizStatistics) -> pd.DataFrame:
    """Whole-test statistics as (figure, value) rows, "n/a" where undefined."""
    rows = [("Attempts", test.n), ("Questions (items)", test.items), ("Average mark", test.average),
            ("Median mark", test.median), ("Standard deviation", test.sd), ("Skewness", test.skewness),
            ("Kurtosis", test.kurtosis), ("Coefficient of internal consistency (Cronbach's alpha) %", test.cic),
            ("Error ratio %", test.error_ratio), ("Standard error", test.standard_error)]
    figures = pd.DataFrame({"Figure": [r[0] for r in rows], "Value": [analytics.format_stat(r[1]) for r in rows]})
    return pd.concat([figures, pd.DataFrame({"Figure": ["Reliability"], "Value": [test.reliability]})],
                     ignore_index=True)


test_figures.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, despite the name


# ---- bank health -----------------------------------------------------------------------------------


def problems_table(problems: Iterable[Problem]) -> pd.DataFrame:
    return pd.DataFrame([(p.file, p.line, p.message) for p in problems], columns=["File", "Line", "Problem"])


def question_counts(banks: BankSet, by: str) -> pd.DataFrame:
    """Questions per module and `by` ("type" or "difficulty"), with totals."""
    rows = [(module_label(m), getattr(q, by).value) for m in banks.modules for q in m.questions]
    frame = pd.DataFrame(rows, columns=["Module", by])
    if frame.empty:
        return frame
    counts = pd.crosstab(frame["Module"], frame[by], margins=True, margins_name="Total")
    return counts.rename_axis(columns=None).reset_index()


def never_answered(banks: BankSet, answered: set[str]) -> pd.DataFrame:
    rows = [(module_label(m), q.id, q.type.value, q.difficulty.value, listed_question(q))
            for m in banks.modules for q in m.questions if q.id not in answered]
    return pd.DataFrame(rows, columns=["Module", "Question", "Type", "Difficulty", "Prompt"])


# ---- practical sign-off ------------------------------------------------------------------------------


def sign_off(store: Store, trainer: User, technician_id: UserId, treated_on: date, ticked: dict[str, bool],
             comment: str, password: str, checklist: Iterable[str], today: date,
             outcome: PracticalOutcome = PracticalOutcome.COMPETENT) -> SignoffId:
    """Record a supervised treatment, signed by the trainer re-entering their own password. Append-only.

    Competent: every checklist item was met. Not yet competent: at least one item was missed, and the comment
    says what to work on; it is kept, shown to the technician, and does not count towards the exam."""
    if Role(trainer.role) is Role.TECHNICIAN:
        raise PermissionDenied("Only a trainer or manager may sign off a practical treatment.")
    technician = store.accounts.get(technician_id)
    if technician is None or technician.role is not Role.TECHNICIAN:
        raise SignoffRejected("Choose a technician to sign off.")
    if treated_on > today:
        raise SignoffRejected("The treatment date cannot be in the future.")
    items = list(checklist)
    missing = [item for item in items if not ticked.get(item)]
    outcome = PracticalOutcome(outcome)
    if outcome is PracticalOutcome.COMPETENT and missing:
        raise SignoffRejected("Competent means every checklist item was met. Not ticked: " + "; ".join(missing)
                              + ". Record it as not yet competent instead.")
    if outcome is PracticalOutcome.NOT_YET_COMPETENT:
        if not missing:
            raise SignoffRejected("Untick the checklist items that were not met, so the technician knows what to "
                                  "work on.")
        if not comment.strip():
            raise SignoffRejected("Add a comment: what should the technician work on before the next practical?")
    found = store.accounts.credentials(trainer.username)
    if not password or found is None or not verify_password(found[1], password):
        # A refused signature is worth a trace (someone may be trying a trainer's account); never the password.
        store.audit.record(Actor(trainer.id, trainer.role), "signoff_refused", f"user:{technician_id}",
                           {"reason": "wrong password"})
        raise AuthError("That is not your password: enter your own password to sign.")
    return store.signoffs.record(technician_id, Actor(trainer.id, trainer.role), treated_on,
                                {item: bool(ticked.get(item)) for item in items}, comment.strip(), outcome,
                                tuple(missing))


def signoff_history(signoffs: list[Signoff], names: dict[int, str]) -> pd.DataFrame:
    """Newest first: when treated, who signed and when, what was confirmed, the comment."""
    rows = [{"Treated on": s.treated_on, "Outcome": OUTCOME_LABELS[s.outcome],
             "Signed by": names.get(int(s.trainer_id), f"user {s.trainer_id}"), "Signed at": s.signed_at,
             "Met": "; ".join(k for k, v in s.checklist.items() if v), "Not met": "; ".join(s.missed),
             "Comment": s.comment}
            for s in sorted(signoffs, key=lambda s: (s.treated_on, s.id), reverse=True)]
    return pd.DataFrame(rows, columns=["Treated on", "Outcome", "Signed by", "Signed at", "Met", "Not met",
                                       "Comment"])


OUTCOME_LABELS = {PracticalOutcome.COMPETENT: "Competent", PracticalOutcome.NOT_YET_COMPETENT: "Not yet competent"}


def competent_count(signoffs: Iterable[Signoff]) -> int:
    """Only competent practicals count towards unlocking the exam."""
    return sum(1 for s in signoffs if s.competent)
