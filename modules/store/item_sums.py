"""Item analysis's running sums as stored: added to in the transaction that finishes a quiz or an exam, read by the
report in a few hundred rows, and rebuilt from the raw answers with one command (`python -m modules rebuild-sums`).

The sums are derived data, not history: each finished attempt adds its terms (modules.core.item_sums) to the sums
of its quiz over all attempts and, when it is the person's first finished attempt of that quiz, over first
attempts too. Adding is an upsert that increments, so two instances finishing attempts at once both count; rows
go in key order on PostgreSQL, so two such transactions there lock them in the same order and never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, bindparam, case, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from modules.core.item_sums import Contribution, ItemSums, Mark, OptionSums, ScopeSums, contribution, option_tallies
from modules.core.records import ResponseRecord
from modules.core.types import AttemptId, AttemptKind
from modules.store.answers import counted_responses
from modules.store.database import Database, Prebuilt
from modules.store.schema import (
    attempt_results,
    attempts,
    item_sum_items,
    item_sum_options,
    item_sum_slots,
    item_sum_totals,
    item_sum_values,
)

SUM_TABLES = (item_sum_items, item_sum_values, item_sum_totals, item_sum_slots, item_sum_options)
GRADED = (AttemptKind.QUIZ.value, AttemptKind.EXAM.value)
_SCOPE = ("kind", "module_id", "first_only")
REBUILD_BATCH = 500  # attempts whose answers are read in one query


_UPSERTS: dict[tuple[str, str], Prebuilt] = {}  # per database kind and table: a finished quiz adds a few hundred rows


def _upsert(conn: Connection, table: Table, rows: list[dict[str, Any]], keys: tuple[str, ...],
            added: tuple[str, ...], maxed: tuple[str, ...] = (), ored: tuple[str, ...] = ()) -> None:
    """Insert each row, or add its `added` columns to the row already there (and keep the larger `maxed`, the
    `ored` truth): one statement for all rows."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":  # SQLite has one writer at a time: no lock order to keep
        rows.sort(key=lambda row: tuple(row[k] for k in keys))
    statement = _UPSERTS.get((conn.dialect.name, table.name))
    if statement is None:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(table)
        excluded = insert.excluded
        changes: dict[str, Any] = {name: table.c[name] + excluded[name] for name in added}
        changes.update({name: case((excluded[name] > table.c[name], excluded[name]), else_=table.c[name])
                        for name in maxed})
        changes.update({name: or_(table.c[name], excluded[name]) for name in ored})
        statement = _UPSERTS[(conn.dialect.name, table.name)] = Prebuilt(
            insert.values({name: bindparam(name) for name in rows[0]}).on_conflict_do_update(
                index_elements=list(keys), set_=changes))
    statement.execute(conn, rows)


def _write(conn: Connection, scope: dict[str, Any], sums: ScopeSums) -> None:
    """Add `sums` (one attempt's, or a whole rebuild's) to the stored sums of `scope`."""
    item_keys = (*_SCOPE, "question_id")
    _upsert(conn, item_sum_items, [
        {**scope, "question_id": i.question_id, "n": i.n, "sum_x": i.sum_x, "sum_x2": i.sum_x2, "sum_o": i.sum_o,
         "sum_o2": i.sum_o2, "sum_xo": i.sum_xo, "max_mark": i.max_mark} for i in sums.items.values()],
        item_keys, ("n", "sum_x", "sum_x2", "sum_o", "sum_o2", "sum_xo"), maxed=("max_mark",))
    _upsert(conn, item_sum_values, [
        {**scope, "question_id": i.question_id, "axis": axis, "value": value, "count": count}
        for i in sums.items.values()
        for axis, counted in (("x", i.x_values), ("o", i.o_values), ("t", i.t_values))
        for value, count in counted.items()], (*item_keys, "axis", "value"), ("count",))
    _upsert(conn, item_sum_totals, [{**scope, "total": total, "count": count} for total, count in sums.totals.items()],
            (*_SCOPE, "total"), ("count",))
    _upsert(conn, item_sum_slots, [{**scope, "position": position, "n": int(n), "sum_x": sx, "sum_x2": sx2}
                                   for position, (n, sx, sx2) in sums.slots.items()],
            (*_SCOPE, "position"), ("n", "sum_x", "sum_x2"))
    _upsert(conn, item_sum_options, [
        {**scope, "question_id": o.question_id, "option": o.option, "is_key": o.is_key, "shown": o.shown,
         "chosen": o.chosen} for o in sums.options.values()], (*item_keys, "option"), ("shown", "chosen"),
        ored=("is_key",))


def _scope(kind: str, module_id: str | None, first_only: bool) -> dict[str, Any]:
    return {"kind": kind, "module_id": module_id or "", "first_only": first_only}


def attempt_terms(records: Iterable[ResponseRecord]) -> Contribution:
    """What a finished attempt adds: each counted answer's score as its mark (out of 1), and the options shown."""
    counted = list(records)
    return contribution([Mark(r.question_id, r.position, float(r.score)) for r in counted],
                        options=[tally for r in counted
                                 for tally in option_tallies(r.question_id, _as_dict(r.snapshot), r.answer)])


def _as_dict(snapshot: object) -> dict[str, Any] | None:
    return snapshot if isinstance(snapshot, dict) else None  # older apps stored other shapes: no options then


def add_finished(db: Database, conn: Connection, attempt_id: AttemptId) -> None:
    """Inside the transaction that gives `attempt_id` its result: add it to its quiz's sums (all attempts, and
    first attempts when no other attempt of this person at this quiz has finished). The person's lock (SQLite's
    BEGIN IMMEDIATE already serialises writers) keeps two of their attempts from both counting as first."""
    row = conn.execute(select(attempts.c.user_id, attempts.c.kind, attempts.c.module_id)
                       .where(attempts.c.id == attempt_id)).first()
    if row is None or row.kind not in GRADED:
        return
    db.lock_person(conn, row.user_id)
    part = ScopeSums()
    part.add(attempt_terms(counted_responses(conn, [attempt_id])[attempt_id]))
    _write(conn, _scope(row.kind, row.module_id, False), part)
    same_quiz = attempts.c.module_id.is_(None) if row.module_id is None else attempts.c.module_id == row.module_id
    earlier = (select(attempts.c.id).join(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
               .where(attempts.c.user_id == row.user_id, attempts.c.kind == row.kind, attempts.c.id != attempt_id,
                      same_quiz)
               .limit(1))
    if conn.execute(earlier).first() is None:
        _write(conn, _scope(row.kind, row.module_id, True), part)


class ItemSumsPart:
    def __init__(self, db: Database):
        self._db = db

    def read(self, kind: AttemptKind, module_id: str | None, first_only: bool) -> ScopeSums:
        """The sums of one quiz (or the exam) over first or all attempts: a few rows per question."""
        scope = _scope(AttemptKind(kind).value, module_id, first_only)
        sums = ScopeSums()
        with self._db.read() as conn:
            def rows(table: Table) -> Any:
                return conn.execute(select(table).where(*(table.c[name] == value for name, value in scope.items())))

            for row in rows(item_sum_items):
                sums.items[row.question_id] = ItemSums(row.question_id, int(row.n), row.sum_x, row.sum_x2, row.sum_o,
                                                       row.sum_o2, row.sum_xo, row.max_mark)
            for row in rows(item_sum_values):
                item = sums.items[row.question_id]
                {"x": item.x_values, "o": item.o_values, "t": item.t_values}[row.axis][row.value] += int(row.count)
            for row in rows(item_sum_totals):
                sums.totals[row.total] += int(row.count)
            for row in rows(item_sum_slots):
                sums.slots[int(row.position)] = [float(row.n), row.sum_x, row.sum_x2]
            for row in rows(item_sum_options):
                sums.options[(row.question_id, row.option)] = OptionSums(row.question_id, row.option,
                                                                         bool(row.is_key), int(row.shown),
                                                                         int(row.chosen))
        return sums

    def rebuild(self) -> int:
        """Every sum computed again from the raw answers of every finished quiz and exam, replacing the stored
        ones in one transaction; "first" is each person's earliest attempt of each quiz. Returns the attempts."""
        finished = (select(attempts.c.id, attempts.c.user_id, attempts.c.kind, attempts.c.module_id)
                    .join(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
                    .where(attempts.c.kind.in_(GRADED))
                    .order_by(attempts.c.user_id, attempts.c.kind, attempts.c.module_id, attempts.c.started_at,
                              attempts.c.id))
        scopes: dict[tuple[str, str | None, bool], ScopeSums] = {}
        seen: set[tuple[int, str, str | None]] = set()
        with self._db.write(serialised=True) as conn:
            listed = conn.execute(finished).all()
            for start in range(0, len(listed), REBUILD_BATCH):
                batch = listed[start:start + REBUILD_BATCH]
                answers = counted_responses(conn, [row.id for row in batch])
                for row in batch:
                    part = attempt_terms(answers[row.id])
                    scopes.setdefault((row.kind, row.module_id, False), ScopeSums()).add(part)
                    person = (row.user_id, row.kind, row.module_id)
                    if person not in seen:
                        seen.add(person)
                        scopes.setdefault((row.kind, row.module_id, True), ScopeSums()).add(part)
            for table in SUM_TABLES:
                conn.execute(delete(table))
            for (kind, module_id, first_only), sums in scopes.items():
                _write(conn, _scope(kind, module_id, first_only), sums)
        return len(listed)
