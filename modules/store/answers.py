"""Stored answers read back as records: the row with its question version, rebuilt as exactly what was shown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, select

from modules.core.records import ResponseRecord
from modules.core.types import AttemptId, ModuleId, QuestionId, ResponseId
from modules.store import question_versions as versions
from modules.store.schema import loads, question_versions, responses


def response_record(row: Row[Any]) -> ResponseRecord:
    return ResponseRecord(row.position, QuestionId(row.question_id), ModuleId(row.module_id), row.content_hash,
                          versions.rebuild(row.content_json, row.shown_order), loads(row.answer_json),
                          row.score, bool(row.correct), row.answered_at, row.seconds_taken, ResponseId(row.id),
                          AttemptId(row.attempt_id))


def counted_responses(conn: Connection, attempt_ids: Sequence[int]) -> dict[AttemptId, list[ResponseRecord]]:
    """For each attempt, the answer that counts for each question (its latest row), in the order shown."""
    latest: dict[AttemptId, dict[str, ResponseRecord]] = {AttemptId(a): {} for a in attempt_ids}
    rows = conn.execute(select(responses, question_versions.c.content_json)
                        .join(question_versions, question_versions.c.id == responses.c.version_id)
                        .where(responses.c.attempt_id.in_(list(attempt_ids))).order_by(responses.c.id))
    for row in rows:
        latest[AttemptId(row.attempt_id)][row.question_id] = response_record(row)
    return {attempt: sorted(found.values(), key=lambda record: (record.position, record.id or 0))
            for attempt, found in latest.items()}
