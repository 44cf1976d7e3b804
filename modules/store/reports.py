"""Read-only reports for trainers and managers: team progress, attempt timelines, item analysis, bank health,
and the grouped reads behind the certification register and the attempts export.

Each method is one or two statements, aggregated in the database where it can be, and handed back as a pandas
DataFrame or plain values. Nothing here writes. Only finished graded attempts (those with a row in
attempt_results) count towards scores and item statistics.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Integer, Select, func, select, union_all

from modules.core.records import Actor, require_manager
from modules.core.types import AttemptKind, PracticalOutcome, Role, UserId
from modules.store import question_versions as versions
from modules.store.database import Database
from modules.store.schema import (
    attempt_results,
    attempts,
    dumps,
    lesson_reads,
    practical_signoffs,
    question_versions,
    responses,
    users,
)

ATTEMPT_COLUMNS = ["attempt_id", "username", "full_name", "location", "kind", "module_id", "started_at",
                   "finished_at", "score", "passed", "closed_by"]


def _frame(db: Database, query: Select[Any], columns: list[str], raw: bool = False) -> pd.DataFrame:
    """The query's rows as a frame. `raw` fetches the driver's tuples directly, skipping SQLAlchemy's Row
    objects (a third or more of the time for a million rows): only for columns that need no result
    processing (integers, floats, text; not the UTC datetimes or SQLite's 0/1 booleans)."""
    with db.read() as conn:
        result = conn.execute(query)
        rows: Sequence[Any] = result.cursor.fetchall() if raw and result.cursor is not None else result.all()
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    # Column-wise construction: several times faster than a frame built row by row from a million tuples.
    return pd.DataFrame(dict(zip(columns, zip(*rows))))


def _latest_answers(attempt_ids: Select[Any] | None = None) -> Select[Any]:
    """The id of the answer that counts for each (attempt, question): exams store every change as a new row."""
    query = select(func.max(responses.c.id)).group_by(responses.c.attempt_id, responses.c.question_id)
    if attempt_ids is not None:
        query = query.where(responses.c.attempt_id.in_(attempt_ids))
    return query


def _graded_attempt_ids(kind: AttemptKind, module_id: str | None, first_only: bool) -> Select[Any]:
    """Finished attempts of one quiz (or the exam); with first_only, each technician's earliest one."""
    finished = (select(attempts.c.id, attempts.c.user_id, attempts.c.started_at)
                .join(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
                .where(attempts.c.kind == AttemptKind(kind).value))
    if module_id is not None:
        finished = finished.where(attempts.c.module_id == module_id)
    if not first_only:
        return select(finished.subquery().c.id)
    ranked = finished.add_columns(func.row_number().over(
        partition_by=attempts.c.user_id, order_by=(attempts.c.started_at, attempts.c.id)).label("rank")).subquery()
    return select(ranked.c.id).where(ranked.c.rank == 1)


class Reports:
    def __init__(self, db: Database):
        self._db = db

    def results_version(self) -> tuple[int, int]:
        """Changes whenever an attempt is finished (results are append-only): the key for cached reports."""
        query = select(func.count(), func.coalesce(func.max(attempt_results.c.attempt_id), 0))
        with self._db.read() as conn:
            count, latest = conn.execute(query).one()
        return int(count), int(latest)

    def technicians(self) -> pd.DataFrame:
        """Every technician by name: user_id, full_name, location, active, created_at (UTC)."""
        query = (select(users.c.id, users.c.full_name, users.c.location, users.c.active, users.c.created_at)
                 .where(users.c.role == Role.TECHNICIAN.value).order_by(users.c.full_name, users.c.id))
        # Fetched as the driver gives them, then converted column-wise: thousands of rows, each time the Team opens.
        frame = _frame(self._db, query, ["user_id", "full_name", "location", "active", "created_at"], raw=True)
        frame["active"] = frame["active"].astype(bool)
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
        return frame

    def best_quiz_scores(self) -> pd.DataFrame:
        """Per technician and module: best graded score, whether any attempt passed, and how many were graded."""
        query = (select(attempts.c.user_id, attempts.c.module_id, func.max(attempt_results.c.score),
                        func.max(func.coalesce(attempt_results.c.passed, False).cast(Integer)), func.count())
                 .join(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
                 .where(attempts.c.kind == AttemptKind.QUIZ.value)
                 .group_by(attempts.c.user_id, attempts.c.module_id))
        frame = _frame(self._db, query, ["user_id", "module_id", "best_score", "passed", "attempts"], raw=True)
        return frame.astype({"passed": bool}) if len(frame) else frame

    def exam_results(self) -> pd.DataFrame:
        query = (select(attempts.c.user_id, attempts.c.id, attempt_results.c.finished_at, attempt_results.c.score,
                        attempt_results.c.passed)
                 .join(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
                 .where(attempts.c.kind == AttemptKind.EXAM.value)
                 .order_by(attempt_results.c.finished_at, attempts.c.id))
        return _frame(self._db, query, ["user_id", "attempt_id", "finished_at", "score", "passed"])

    def last_activity(self) -> pd.DataFrame:
        """The latest moment each user did anything: started an attempt, answered, finished, or opened a lesson.

        Only open attempts' answers are read (practice, review, a quiz or exam under way): a result is written after
        every answer it counts and refuses any later one, so a finished attempt's finish is its latest moment. An
        open attempt's answers are appended as they are given, so its latest is its last row, found in the attempt
        index: one row per open attempt, not every answer ever given.
        """
        last_rows = (select(func.max(responses.c.id))
                     .select_from(attempts.outerjoin(attempt_results, attempt_results.c.attempt_id == attempts.c.id))
                     .join(responses, responses.c.attempt_id == attempts.c.id)
                     .where(attempt_results.c.attempt_id.is_(None)).group_by(attempts.c.id))
        answered = (select(attempts.c.user_id.label("user_id"), func.max(responses.c.answered_at).label("at"))
                    .join(attempts, attempts.c.id == responses.c.attempt_id)
                    .where(responses.c.id.in_(last_rows)).group_by(attempts.c.user_id))
        started = select(attempts.c.user_id, func.max(attempts.c.started_at)).group_by(attempts.c.user_id)
        finished = (select(attempts.c.user_id, func.max(attempt_results.c.finished_at))
                    .join(attempts, attempts.c.id == attempt_results.c.attempt_id).group_by(attempts.c.user_id))
        read = select(lesson_reads.c.user_id, func.max(lesson_reads.c.read_at)).group_by(lesson_reads.c.user_id)
        every = union_all(answered, started, finished, read).subquery()
        # The union loses the column type, so max() comes back as text on SQLite: parsed as UTC below.
        query = select(every.c.user_id, func.max(every.c.at)).group_by(every.c.user_id)
        frame = _frame(self._db, query, ["user_id", "last_activity"])
        frame["last_activity"] = pd.to_datetime(frame["last_activity"], utc=True, format="ISO8601")
        return frame

    def misses(self, user_ids: UserId | Iterable[UserId] | None = None) -> pd.DataFrame:
        """Every wrong answer that counts (user_id, question_id, correct=False), for review.flagged_for_trainer:
        everyone's, one technician's, or a few technicians' (a page of the team)."""
        query = (select(attempts.c.user_id, responses.c.question_id, responses.c.correct)
                 .join(attempts, attempts.c.id == responses.c.attempt_id)
                 .where(responses.c.correct.is_(False)))
        if user_ids is None:
            query = query.where(responses.c.id.in_(_latest_answers()))
        else:
            ids = [int(user_ids)] if isinstance(user_ids, int) else [int(u) for u in user_ids]
            # Only their attempts' answers, found through the attempt index, not every answer in the database.
            theirs = select(attempts.c.id).where(attempts.c.user_id.in_(ids))
            query = query.where(attempts.c.user_id.in_(ids), responses.c.id.in_(_latest_answers(theirs)))
        frame = _frame(self._db, query, ["user_id", "question_id", "correct"], raw=True)
        return frame.astype({"correct": bool}) if len(frame) else frame

    def attempt_summaries(self, user_id: UserId) -> pd.DataFrame:
        """Per attempt of one user: questions answered, answered right, and seconds spent on them."""
        query = (select(responses.c.attempt_id, func.count(), func.sum(responses.c.correct.cast(Integer)),
                        func.sum(responses.c.seconds_taken))
                 .join(attempts, attempts.c.id == responses.c.attempt_id)
                 .where(attempts.c.user_id == user_id,
                        responses.c.id.in_(_latest_answers(select(attempts.c.id).where(attempts.c.user_id == user_id))))
                 .group_by(responses.c.attempt_id))
        return _frame(self._db, query, ["attempt_id", "questions", "right", "seconds"])

    def item_responses(self, kind: AttemptKind, module_id: str | None = None,
                       first_only: bool = False) -> pd.DataFrame:
        """The answers that count in finished attempts of one quiz or the exam: one row per attempt x question.

        Columns: id, attempt_id, question_id, position, score, content_hash, answer_json.
        All attempts of a quiz are most of its rows: `attempt_id + 0` keeps the database from fetching them one
        by one through the attempt index (random reads across the table) and makes it read the table in one
        sequential pass instead. First attempts are few, so there the index is the faster way.
        """
        ids = _graded_attempt_ids(kind, module_id, first_only)
        query = (select(responses.c.id, responses.c.attempt_id, responses.c.question_id, responses.c.position,
                        responses.c.score, responses.c.content_hash, responses.c.answer_json)
                 .where((responses.c.attempt_id if first_only else responses.c.attempt_id + 0).in_(ids)))
        # Quizzes and the exam both save every changed answer as a new row: only the latest one counts.
        query = query.where(responses.c.id.in_(_latest_answers(ids)))
        columns = ["id", "attempt_id", "question_id", "position", "score", "content_hash", "answer_json"]
        frame = _frame(self._db, query, columns, raw=True)
        return frame.astype({"score": float}) if len(frame) else frame

    def snapshots(self, response_ids: list[int]) -> pd.DataFrame:
        """The snapshot (what was shown) of the given responses: question_id, content_hash, snapshot_json."""
        columns = ["question_id", "content_hash", "snapshot_json"]
        if not response_ids:
            return pd.DataFrame(columns=columns)
        query = (select(responses.c.question_id, responses.c.content_hash, question_versions.c.content_json,
                        responses.c.shown_order)
                 .join(question_versions, question_versions.c.id == responses.c.version_id)
                 .where(responses.c.id.in_([int(i) for i in response_ids])))
        with self._db.read() as conn:
            rows = [(question_id, content_hash, dumps(versions.rebuild(content_json, shown_order)))
                    for question_id, content_hash, content_json, shown_order in conn.execute(query)]
        return pd.DataFrame(rows, columns=columns)

    def exam_draw_counts(self) -> dict[str, int]:
        """How many exam sittings drew each question (from the record of what each sitting showed)."""
        query = select(attempts.c.questions_json).where(attempts.c.kind == AttemptKind.EXAM.value,
                                                        attempts.c.questions_json.is_not(None))
        counts: dict[str, int] = {}
        with self._db.read() as conn:
            for (questions_json,) in conn.execute(query):
                for question_id in versions.drawn_question_ids(questions_json):
                    if question_id:
                        counts[question_id] = counts.get(question_id, 0) + 1
        return counts

    def answered_question_ids(self) -> set[str]:
        """Every question anyone has answered at least once, in any kind of attempt."""
        with self._db.read() as conn:
            return set(conn.execute(select(responses.c.question_id).distinct()).scalars())

    # ---- the certification register and the attempts export --------------------------------------

    def signoff_counts(self) -> dict[UserId, int]:
        """Competent practical sign-offs per technician (not-yet-competent records do not count)."""
        query = (select(practical_signoffs.c.technician_id, func.count())
                 .where(practical_signoffs.c.outcome == PracticalOutcome.COMPETENT.value)
                 .group_by(practical_signoffs.c.technician_id))
        with self._db.read() as conn:
            return {UserId(user_id): int(count) for user_id, count in conn.execute(query)}

    def latest_exam_scores(self) -> dict[UserId, float]:
        """Each person's most recent finished exam score (a fraction)."""
        latest = (select(attempts.c.user_id, func.max(attempt_results.c.finished_at).label("finished_at"))
                  .join(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
                  .where(attempts.c.kind == AttemptKind.EXAM.value).group_by(attempts.c.user_id).subquery())
        query = (select(attempts.c.user_id, attempt_results.c.score)
                 .join(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
                 .join(latest, (latest.c.user_id == attempts.c.user_id)
                       & (latest.c.finished_at == attempt_results.c.finished_at))
                 .where(attempts.c.kind == AttemptKind.EXAM.value))
        with self._db.read() as conn:
            return {UserId(user_id): float(score) for user_id, score in conn.execute(query)}

    def attempt_rows(self, actor: Actor, location: str | None = None,
                     kinds: Iterable[str] | None = None) -> list[tuple[Any, ...]]:
        """Every attempt with its result (if finished) and who made it, oldest first, in ATTEMPT_COLUMNS order."""
        require_manager(actor, "export attempts")
        query = (select(attempts.c.id, users.c.username, users.c.full_name, users.c.location, attempts.c.kind,
                        attempts.c.module_id, attempts.c.started_at, attempt_results.c.finished_at,
                        attempt_results.c.score, attempt_results.c.passed, attempt_results.c.closed_by)
                 .join(users, users.c.id == attempts.c.user_id)
                 .outerjoin(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
                 .order_by(attempts.c.started_at, attempts.c.id))
        if location is not None:
            query = query.where(users.c.location == location)
        if kinds is not None:
            query = query.where(attempts.c.kind.in_(list(kinds)))
        with self._db.read() as conn:
            return [tuple(row) for row in conn.execute(query)]
