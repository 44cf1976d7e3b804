"""What a trainer reads every morning: team progress, a technician's attempts, item analysis, bank health.

Pure functions over pandas frames (the queries are in the store's `reports`), plus the practical sign-off rule.
Nothing here loops over responses: answers are counted in the database or in vectorised pandas, and the only
Python loops run over technicians, attempts, questions or distinct answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd

from modules import analytics
from modules.auth import verify_password
from modules.banks import BankSet, Module, Problem
from modules.certificates import current_status
from modules.core.errors import AuthError, PermissionDenied, TrainingError
from modules.core.records import Actor, Attempt, Certificate, ResponseRecord, Signoff, User
from modules.core.types import AttemptKind, CertificateStatus, PracticalOutcome, QuestionType, Role, SignoffId, UserId
from modules.grading import ShownQuestion, describe_answer
from modules.review import flagged_for_trainer
from modules.store import Store

INACTIVE_AFTER = timedelta(days=14)
MODULE_STATES = ("passed", "attempted, not passed", "not attempted")
TRUE_FALSE_OPTIONS = ("True", "False")
OPTION_COLUMNS = ("question_id", "option", "is_key", "times_shown", "times_chosen", "share", "unpicked_distractor")


class SignoffRejected(TrainingError):
    """A practical sign-off was not recorded; the message says what to fix."""


# ---- team progress ---------------------------------------------------------------------------------


def certification_statuses(certificates: Iterable[Certificate], now: datetime) -> dict[int, CertificateStatus]:
    """Each certificate holder's current status (technicians without one are NOT_CERTIFIED by omission)."""
    held: dict[int, list[Certificate]] = {}
    for cert in certificates:
        held.setdefault(int(cert.user_id), []).append(cert)
    return {user_id: current_status(theirs, now) for user_id, theirs in held.items()}


def team_table(technicians: pd.DataFrame, best: pd.DataFrame, exams: pd.DataFrame, activity: pd.DataFrame,
               statuses: dict[int, CertificateStatus], flagged: list[tuple[int, str, int]],
               modules: list[Module], now: datetime) -> pd.DataFrame:
    """One row per technician.

    Columns: user_id, name, location, `score:<module>` (best graded score 0..1, NaN if none) and
    `passed:<module>` per module, modules_passed, exam_score, exam_passed (latest finished exam; NaN/None if
    none), certification (CertificateStatus value), last_activity (UTC, NaT if never), days_inactive,
    inactive (no activity for 14 days or more, counting from the account's creation), often_missed.
    """
    table = pd.DataFrame({
        "user_id": technicians["user_id"].astype("int64").to_numpy(),
        "name": technicians["full_name"].to_numpy(),
        "location": technicians["location"].fillna("—").to_numpy(),
    })
    ids = pd.Index(table["user_id"])
    for module in modules:
        mine = best[best["module_id"] == module.id].set_index("user_id") if len(best) else None
        table[f"score:{module.id}"] = (mine["best_score"].reindex(ids).to_numpy(dtype=float) if mine is not None
                                       else np.full(len(table), np.nan))
        table[f"passed:{module.id}"] = (mine["passed"].reindex(ids).fillna(False).to_numpy(dtype=bool)
                                        if mine is not None else np.zeros(len(table), dtype=bool))
    table["modules_passed"] = table[[f"passed:{m.id}" for m in modules]].sum(axis=1).astype("int64")

    latest = exams.drop_duplicates("user_id", keep="last").set_index("user_id") if len(exams) else None
    table["exam_score"] = latest["score"].reindex(ids).to_numpy(dtype=float) if latest is not None else np.nan
    table["exam_passed"] = (latest["passed"].reindex(ids).to_numpy(dtype=object) if latest is not None
                            else np.full(len(table), None, dtype=object))
    table["certification"] = [statuses.get(int(u), CertificateStatus.NOT_CERTIFIED).value for u in table["user_id"]]

    seen = (activity.set_index("user_id")["last_activity"].reindex(ids) if len(activity)
            else pd.Series(pd.NaT, index=ids, dtype="datetime64[us, UTC]"))
    table["last_activity"] = seen.reset_index(drop=True)
    since = seen.fillna(pd.to_datetime(technicians["created_at"], utc=True).set_axis(ids))
    table["days_inactive"] = ((pd.Timestamp(now) - since).dt.total_seconds() / 86400).to_numpy()
    table["inactive"] = table["days_inactive"] >= INACTIVE_AFTER.days

    missed: dict[int, list[str]] = {}
    for user_id, question_id, count in flagged:
        missed.setdefault(int(user_id), []).append(f"{question_id} ({count}×)")
    table["often_missed"] = [", ".join(missed.get(int(u), [])) for u in table["user_id"]]
    return table


@dataclass(frozen=True)
class TeamReport:
    table: pd.DataFrame                      # see team_table
    flagged: list[tuple[int, str, int]]      # (user_id, question_id, misses), most-missed first


def load_team(store: Store, actor: Actor, banks: BankSet, now: datetime) -> TeamReport:
    """The team table straight from the store (trainers and managers only)."""
    reports = store.reports
    flagged = flagged_for_trainer(reports.misses(), valid_question_ids=set(banks.questions))
    table = team_table(reports.technicians(), reports.best_quiz_scores(), reports.exam_results(),
                       reports.last_activity(), certification_statuses(store.certificates.every(actor), now), flagged,
                       banks.modules, now)
    return TeamReport(table, flagged)


INACTIVE_FILTER = "inactive 14+ days"


def filter_team(table: pd.DataFrame, locations: Iterable[str] = (), statuses: Iterable[str] = ()) -> pd.DataFrame:
    """Rows at any of `locations` (all if none) whose certification status is any of `statuses` (all if none);
    the status INACTIVE_FILTER picks technicians inactive for 14 days or more."""
    locations, statuses = list(locations), list(statuses)
    keep = pd.Series(True, index=table.index)
    if locations:
        keep &= table["location"].isin(locations)
    if statuses:
        keep &= table["certification"].isin(statuses) | (table["inactive"] & (INACTIVE_FILTER in statuses))
    return table[keep]


def module_label(module: Module) -> str:
    return f"{module.order}. {module.title}"


def module_progress(table: pd.DataFrame, modules: list[Module]) -> pd.DataFrame:
    """For the chart: per module, how many technicians passed, tried without passing, or have not tried."""
    rows: list[dict[str, Any]] = []
    for module in modules:
        passed = table[f"passed:{module.id}"]
        tried = table[f"score:{module.id}"].notna()
        counts = (int(passed.sum()), int((tried & ~passed).sum()), int((~tried).sum()))
        rows.extend({"module": module_label(module), "order": module.order, "state": state, "technicians": n}
                    for state, n in zip(MODULE_STATES, counts))
    return pd.DataFrame(rows, columns=["module", "order", "state", "technicians"])


def team_display(table: pd.DataFrame, modules: list[Module]) -> pd.DataFrame:
    """The table as a trainer reads it: scores in percent (numbers, so columns sort), plain words elsewhere."""
    shown = pd.DataFrame({"Name": table["name"], "Location": table["location"]})
    for module in modules:
        shown[module_label(module)] = (table[f"score:{module.id}"] * 100).round(0)
    passed = table[[f"passed:{m.id}" for m in modules]].to_numpy()
    shown["Modules passed"] = [f"{row.sum()} of {len(modules)}" + (
        f" ({', '.join(str(m.order) for m, ok in zip(modules, row) if ok)})" if row.any() else "") for row in passed]
    shown["Exam"] = ["—" if p is None or pd.isna(p) else f"{s:.0%} {'passed' if p else 'not passed'}"
                     for s, p in zip(table["exam_score"], table["exam_passed"])]
    shown["Certification"] = table["certification"]
    shown["Last activity"] = table["last_activity"]
    shown["Inactive 14+ days"] = table["inactive"]
    shown["Often missed (4+)"] = table["often_missed"]
    return shown


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


def snapshot_ids(answers: pd.DataFrame) -> list[int]:
    """One response per (question, content version): its snapshot tells which options were shown."""
    if len(answers) == 0:
        return []
    return answers.groupby(["question_id", "content_hash"], sort=False)["id"].min().astype(int).tolist()


def option_frequencies(answers: pd.DataFrame, snapshots: pd.DataFrame) -> pd.DataFrame:
    """How often each option of each choice question was shown and picked (OPTION_COLUMNS).

    Answers are counted in pandas first, so the loop below runs over distinct answers, not over responses.
    Ordering and matching questions have no distractors and are left out.
    """
    if len(answers) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OPTION_COLUMNS})
    counts = answers.groupby(["question_id", "content_hash", "answer_json"], sort=False).size()
    shown_per_version = answers.groupby(["question_id", "content_hash"], sort=False).size()
    versions = {(q, h): json.loads(s) for q, h, s in snapshots[["question_id", "content_hash", "snapshot_json"]]
                .itertuples(index=False)}
    shown: dict[tuple[str, str], list[Any]] = {}
    for version, times in shown_per_version.items():
        question_id, content_hash = cast(tuple[str, str], version)
        snapshot = versions.get((question_id, content_hash))
        options, key = _choice_options(snapshot)
        for option in options:
            entry = shown.setdefault((question_id, option), [0, 0, False])
            entry[0] += int(times)
            entry[2] = entry[2] or option in key
    for given, times in counts.items():
        question_id, content_hash, answer_json = cast(tuple[str, str, str], given)
        options, _ = _choice_options(versions.get((question_id, content_hash)))
        picked = _picked(json.loads(answer_json), options)
        for option in picked:
            shown[(question_id, option)][1] += int(times)
    table = pd.DataFrame([(q, o, key, n, chosen) for (q, o), (n, chosen, key) in shown.items()],
                         columns=["question_id", "option", "is_key", "times_shown", "times_chosen"])
    table = table.sort_values(["question_id", "option"], kind="stable").reset_index(drop=True)
    table["share"] = table["times_chosen"] / table["times_shown"]
    table["unpicked_distractor"] = ~table["is_key"].astype(bool) & (table["times_chosen"] == 0)
    return table[list(OPTION_COLUMNS)]


def _choice_options(snapshot: dict[str, Any] | None) -> tuple[list[str], set[str]]:
    if snapshot is None:
        return [], set()
    kind = QuestionType(snapshot["type"])
    if kind is QuestionType.TRUE_FALSE:
        return list(TRUE_FALSE_OPTIONS), {"True" if snapshot["key"] else "False"}
    if kind is QuestionType.SINGLE:
        return list(snapshot["options"]), {snapshot["key"]}
    if kind is QuestionType.MULTIPLE:
        return list(snapshot["options"]), set(snapshot["key"])
    return [], set()


def _picked(answer: Any, options: list[str]) -> list[str]:
    if answer is None or not options:
        return []
    if isinstance(answer, bool):
        return ["True" if answer else "False"]
    if isinstance(answer, str):
        return [answer] if answer in options else []
    return [a for a in answer if a in options]


def item_analysis(answers: pd.DataFrame, snapshots: pd.DataFrame, prompts: dict[str, str]) -> ItemAnalysis:
    """Moodle's item and test statistics, distractor counts, flags and hints for one quiz or the exam.

    `answers` as from `Store.reports.item_responses`; `snapshots` for the ids of `snapshot_ids(answers)`.
    """
    stats = analytics.item_statistics(analytics.responses_to_marks(answers))
    test = analytics.quiz_statistics(answers[["attempt_id", "question_id", "position", "score"]])
    options = option_frequencies(answers, snapshots)
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
    return ItemAnalysis(table, options, test, int(answers["attempt_id"].nunique()) if len(answers) else 0)


def load_item_analysis(store: Store, kind: AttemptKind, module_id: str | None, first_only: bool,
                       prompts: dict[str, str]) -> ItemAnalysis:
    """From the database to the finished item analysis of one quiz (or the exam)."""
    answers = store.reports.item_responses(kind, module_id, first_only)
    return item_analysis(answers, store.reports.snapshots(snapshot_ids(answers)), prompts)


FIGURES = {"facility": "Facility %", "sd": "SD %", "discrimination_index": "Discrimination index %",
           "discriminative_efficiency": "Discriminative efficiency %", "effective_weight": "Effective weight %"}


def item_display(table: pd.DataFrame, sort_by: str = "facility", ascending: bool = True,
                 as_text: bool = False) -> pd.DataFrame:
    """Sorted on the numbers; percentages like Moodle's report. With `as_text` (for CSV) every figure is
    formatted and an undefined one reads "n/a"; otherwise figures stay numbers (NaN where undefined)."""
    ordered = table.sort_values(sort_by, ascending=ascending, na_position="last", kind="stable")
    shown = pd.DataFrame({"Question": ordered["question_id"], "Prompt": ordered["prompt"],
                          "Attempts": ordered["attempts"].astype("int64")})
    for column, label in FIGURES.items():
        scale = 100 if column in ("facility", "sd") else 1  # marks are out of 1; the others are already %
        figure = (ordered[column] * scale).round(1)
        shown[label] = figure.map(lambda v: analytics.format_stat(v, 1)) if as_text else figure
    shown["Options chosen"] = ordered["options"]
    shown["Flags"] = ordered["flags"]
    shown["What to do"] = ordered["hint"]
    return shown.reset_index(drop=True)


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
    rows = [(module_label(m), q.id, q.type.value, q.difficulty.value, q.prompt)
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
