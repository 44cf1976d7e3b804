"""Read-only SQL behind the trainer's reports: team progress, attempt timelines, item analysis, bank health.

Each function is one or two statements on SQLAlchemy Core against the store's engine, aggregated in the
database where it can be, and handed back as a pandas DataFrame. Nothing here writes. Only finished graded
attempts (those with a row in attempt_results) count towards scores and item statistics.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import pandas as pd
from sqlalchemy import Connection, Engine, Integer, exc, func, select, union_all

from modules.core.types import AttemptKind, Role
from modules.core.errors import StoreError
from modules.store.schema import attempt_results, attempts, lesson_reads, responses, users

_UNREACHABLE = "The record store could not be read just now. Please try again in a moment."


@contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    try:
        with engine.connect() as conn, conn.begin():
            yield conn
    except (exc.DBAPIError, exc.TimeoutError) as error:
        raise StoreError(_UNREACHABLE) from error


def _frame(engine: Engine, query, columns: list[str], raw: bool = False) -> pd.DataFrame:
    """The query's rows as a frame. `raw` fetches the driver's tuples directly, skipping SQLAlchemy's Row
    objects (a third or more of the time for a million rows): only for columns that need no result
    processing (integers, floats, text; not the UTC datetimes or SQLite's 0/1 booleans)."""
    with _reading(engine) as conn:
        result = conn.execute(query)
        rows = result.cursor.fetchall() if raw else result.all()
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    # Column-wise construction: several times faster than a frame built row by row from a million tuples.
    return pd.DataFrame(dict(zip(columns, zip(*rows))))


def _latest_answers(attempt_ids=None):
    """The id of the answer that counts for each (attempt, question): exams store every change as a new row."""
    query = select(func.max(responses.c.id)).group_by(responses.c.attempt_id, responses.c.question_id)
    if attempt_ids is not None:
        query = query.where(responses.c.attempt_id.in_(attempt_ids))
    return query


def results_version(engine: Engine) -> tuple[int, int]:
    """Changes whenever an attempt is finished (results are append-only): the key for cached reports."""
    query = select(func.count(), func.coalesce(func.max(attempt_results.c.attempt_id), 0))
    with _reading(engine) as conn:
        count, latest = conn.execute(query).one()
    return int(count), int(latest)


def technicians(engine: Engine) -> pd.DataFrame:
    query = (select(users.c.id, users.c.full_name, users.c.location, users.c.active, users.c.created_at)
             .where(users.c.role == Role.TECHNICIAN.value).order_by(users.c.full_name, users.c.id))
    return _frame(engine, query, ["user_id", "full_name", "location", "active", "created_at"])


def best_quiz_scores(engine: Engine) -> pd.DataFrame:
    """Per technician and module: best graded score, whether any attempt passed, and how many were graded."""
    query = (select(attempts.c.user_id, attempts.c.module_id, func.max(attempt_results.c.score),
                    func.max(func.coalesce(attempt_results.c.passed, False).cast(Integer)), func.count())
             .join(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
             .where(attempts.c.kind == AttemptKind.QUIZ.value)
             .group_by(attempts.c.user_id, attempts.c.module_id))
    frame = _frame(engine, query, ["user_id", "module_id", "best_score", "passed", "attempts"])
    return frame.astype({"passed": bool}) if len(frame) else frame


def exam_results(engine: Engine) -> pd.DataFrame:
    query = (select(attempts.c.user_id, attempts.c.id, attempt_results.c.finished_at, attempt_results.c.score,
                    attempt_results.c.passed)
             .join(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
             .where(attempts.c.kind == AttemptKind.EXAM.value)
             .order_by(attempt_results.c.finished_at, attempts.c.id))
    return _frame(engine, query, ["user_id", "attempt_id", "finished_at", "score", "passed"])


def last_activity(engine: Engine) -> pd.DataFrame:
    """The latest moment each user did anything: started an attempt, answered, finished, or opened a lesson."""
    answered = (select(attempts.c.user_id.label("user_id"), func.max(responses.c.answered_at).label("at"))
                .join(attempts, attempts.c.id == responses.c.attempt_id).group_by(attempts.c.user_id))
    started = select(attempts.c.user_id, func.max(attempts.c.started_at)).group_by(attempts.c.user_id)
    finished = (select(attempts.c.user_id, func.max(attempt_results.c.finished_at))
                .join(attempts, attempts.c.id == attempt_results.c.attempt_id).group_by(attempts.c.user_id))
    read = select(lesson_reads.c.user_id, func.max(lesson_reads.c.read_at)).group_by(lesson_reads.c.user_id)
    every = union_all(answered, started, finished, read).subquery()
    # The union loses the column type, so max() comes back as text on SQLite: parsed as UTC below.
    query = select(every.c.user_id, func.max(every.c.at)).group_by(every.c.user_id)
    frame = _frame(engine, query, ["user_id", "last_activity"])
    frame["last_activity"] = pd.to_datetime(frame["last_activity"], utc=True, format="ISO8601")
    return frame


def misses(engine: Engine, user_id: int | None = None) -> pd.DataFrame:
    """Every wrong answer that counts (user_id, question_id, correct=False), for review.flagged_for_trainer;
    everyone's, or one technician's."""
    query = (select(attempts.c.user_id, responses.c.question_id, responses.c.correct)
             .join(attempts, attempts.c.id == responses.c.attempt_id)
             .where(responses.c.correct.is_(False), responses.c.id.in_(_latest_answers())))
    if user_id is not None:
        query = query.where(attempts.c.user_id == user_id)
    frame = _frame(engine, query, ["user_id", "question_id", "correct"])
    return frame.astype({"correct": bool}) if len(frame) else frame


def attempt_summaries(engine: Engine, user_id: int) -> pd.DataFrame:
    """Per attempt of one user: questions answered, answered right, and seconds spent on them."""
    query = (select(responses.c.attempt_id, func.count(), func.sum(responses.c.correct.cast(Integer)),
                    func.sum(responses.c.seconds_taken))
             .join(attempts, attempts.c.id == responses.c.attempt_id)
             .where(attempts.c.user_id == user_id,
                    responses.c.id.in_(_latest_answers(select(attempts.c.id).where(attempts.c.user_id == user_id))))
             .group_by(responses.c.attempt_id))
    return _frame(engine, query, ["attempt_id", "questions", "right", "seconds"])


def _graded_attempt_ids(kind: AttemptKind, module_id: str | None, first_only: bool):
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


def item_responses(engine: Engine, kind: AttemptKind, module_id: str | None = None,
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
    if AttemptKind(kind) is not AttemptKind.QUIZ:
        # A quiz is written whole in one transaction; an exam saves every changed answer as a new row.
        query = query.where(responses.c.id.in_(_latest_answers(ids)))
    columns = ["id", "attempt_id", "question_id", "position", "score", "content_hash", "answer_json"]
    frame = _frame(engine, query, columns, raw=True)
    return frame.astype({"score": float}) if len(frame) else frame


def snapshots(engine: Engine, response_ids: list[int]) -> pd.DataFrame:
    """The snapshot (what was shown) of the given responses: question_id, content_hash, snapshot_json."""
    if not response_ids:
        return pd.DataFrame(columns=["question_id", "content_hash", "snapshot_json"])
    query = (select(responses.c.question_id, responses.c.content_hash, responses.c.snapshot_json)
             .where(responses.c.id.in_([int(i) for i in response_ids])))
    return _frame(engine, query, ["question_id", "content_hash", "snapshot_json"])


def answered_question_ids(engine: Engine) -> set[str]:
    """Every question anyone has answered at least once, in any kind of attempt."""
    with _reading(engine) as conn:
        return set(conn.execute(select(responses.c.question_id).distinct()).scalars())


