"""Each question as shown is stored once: responses and attempts name its version and keep only the order shown.

A snapshot splits into its content (the shuffled lists, options, lefts and rights, sorted by their canonical JSON
text), stored once in `question_versions` and found by the sha256 of its canonical JSON, and the order it was shown
in: for each shuffled list, the place in the sorted list of each item shown, as digits ("2031"; lists apart by "/";
commas between places in a list of more than ten). Every response's `snapshot_json` becomes `version_id` +
`shown_order`; every attempt's `questions_json` becomes `[question id, version id, order]` per question drawn. Each
one is rebuilt from what is stored and compared with the original JSON value before the old one is dropped; one that
would not come back the same stops the upgrade, which then changes nothing.

The index that covered item analysis goes too: it held a second copy of every answer's text (140 of the 380 bytes a
response would take with it), and without snapshots the rows themselves are about as narrow.

History is append-only, so the UPDATE guards of responses and attempts are dropped around the conversion and put
back after it; on SQLite the rebuild of `responses` (to drop a column and add a foreign key) drops its triggers
with the old table, so all of them are made again, as 0001 and 0004 made them. Only results, certificates,
revocations and sign-offs are sealed in the audit chain, so no seal covers what changes here.

The split is a frozen copy of modules/store/question_versions.py as of this revision: a migration must not change
meaning when the app's code moves on.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHUFFLED = ("options", "lefts", "rights")
PAGE = 2000  # rows read and converted at a time
SEEN_AT_MOST = 20_000  # snapshots remembered as converted: most responses repeat one of a few thousand
REFUSED = "{table} is append-only: write a new row instead"
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)

versions = sa.table("question_versions", sa.column("id", sa.Integer()), sa.column("hash", sa.String()),
                    sa.column("content_json", sa.Text()))


def dumps(value: Any) -> str:
    return _CANONICAL.encode(value)


def order_text(places: list[list[int]]) -> str:
    while places and not places[-1]:
        places = places[:-1]
    return "/".join(("," if len(shown) > 10 else "").join(map(str, shown)) for shown in places)


def parse_order(text: str) -> list[list[int]]:
    if not text:
        return []
    return [[int(place) for place in (part.split(",") if "," in part else part)] for part in text.split("/")]


def split(snapshot: Any) -> tuple[str, str, str]:
    """(version hash, content JSON, order shown) of one snapshot."""
    content = snapshot
    places: list[list[int]] = []
    if isinstance(snapshot, dict):
        content = dict(snapshot)
        for field in SHUFFLED:
            shown = snapshot.get(field)
            if not isinstance(shown, list | tuple):
                places.append([])
                continue
            texts = [dumps(item) for item in shown]
            by_text = sorted(range(len(shown)), key=texts.__getitem__)
            content[field] = [shown[i] for i in by_text]
            place = [0] * len(shown)
            for sorted_index, shown_index in enumerate(by_text):
                place[shown_index] = sorted_index
            places.append(place)
    content_json = dumps(content)
    return hashlib.sha256(content_json.encode("utf-8")).hexdigest(), content_json, order_text(places)


def rebuild(content_json: str, order: str) -> Any:
    snapshot = json.loads(content_json)
    for field, place in zip(SHUFFLED, parse_order(order)):
        if place:
            in_sorted_order = snapshot[field]
            snapshot[field] = [in_sorted_order[i] for i in place]
    return snapshot


class Converter:
    """Splits snapshots, numbers and stores each new version once, and checks that each one comes back exactly."""

    def __init__(self, bind: sa.Connection):
        self._bind = bind
        self._ids: dict[str, int] = {}  # hash -> id (the table is new, so this migration numbers every row)
        self._seen: dict[str, tuple[int, str]] = {}  # snapshot JSON -> (version id, order)
        self._new: list[dict[str, Any]] = []  # versions met since the last store_versions

    def convert(self, snapshot_json: str, what: str) -> tuple[int, str]:
        known = self._seen.get(snapshot_json)
        if known is not None:
            return known
        snapshot = json.loads(snapshot_json)
        version_hash, content_json, order = split(snapshot)
        if dumps(rebuild(content_json, order)) != dumps(snapshot):
            raise RuntimeError(f"{what} would not come back exactly as stored, so nothing was converted")
        version_id = self._ids.get(version_hash)
        if version_id is None:
            version_id = self._ids[version_hash] = len(self._ids) + 1
            self._new.append({"id": version_id, "hash": version_hash, "content_json": content_json})
        if len(self._seen) >= SEEN_AT_MOST:
            self._seen.clear()
        self._seen[snapshot_json] = (version_id, order)
        return version_id, order

    def store_versions(self) -> None:
        if self._new:
            self._bind.execute(sa.insert(versions), self._new)
        self._new = []

    def move_id_sequence(self) -> None:
        """PostgreSQL's counter past the ids given here, so the app's next version gets a fresh one."""
        if self._ids and self._bind.dialect.name == "postgresql":
            self._bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('question_versions', 'id'), :last)"),
                               {"last": len(self._ids)})


def pages(bind: sa.Connection, query: str) -> Iterator[Sequence[Any]]:
    """The rows of `query` (id first, `:after` bound to the last id seen) a page at a time, in id order."""
    after = 0
    while True:
        rows = bind.execute(sa.text(query), {"after": after, "page": PAGE}).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def convert_responses(bind: sa.Connection, converter: Converter) -> None:
    update = sa.text("UPDATE responses SET version_id = :version_id, shown_order = :shown_order WHERE id = :id")
    for rows in pages(bind, "SELECT id, snapshot_json FROM responses WHERE id > :after ORDER BY id LIMIT :page"):
        changes = []
        for response_id, snapshot_json in rows:
            version_id, order = converter.convert(snapshot_json, f"response {response_id}'s snapshot")
            changes.append({"id": response_id, "version_id": version_id, "shown_order": order})
        converter.store_versions()
        bind.execute(update, changes)


def convert_attempts(bind: sa.Connection, converter: Converter) -> None:
    update = sa.text("UPDATE attempts SET questions_json = :questions_json WHERE id = :id")
    query = ("SELECT id, questions_json FROM attempts WHERE id > :after AND questions_json IS NOT NULL "
             "ORDER BY id LIMIT :page")
    for rows in pages(bind, query):
        changes = []
        for attempt_id, questions_json in rows:
            drawn = json.loads(questions_json)
            if not isinstance(drawn, list):
                raise RuntimeError(f"attempt {attempt_id}'s questions are not a list, so nothing was converted")
            compact = []
            for snapshot in drawn:
                version_id, order = converter.convert(dumps(snapshot), f"a question of attempt {attempt_id}")
                question_id = snapshot.get("question_id") if isinstance(snapshot, dict) else None
                compact.append([question_id, version_id, order])
            changes.append({"id": attempt_id, "questions_json": dumps(compact)})
        converter.store_versions()
        bind.execute(update, changes)


def guard_versions(dialect: str) -> None:
    refused = REFUSED.format(table="question_versions")
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER question_versions_no_{verb.lower()} BEFORE {verb} ON question_versions "
                       f"BEGIN SELECT RAISE(ABORT, '{refused}'); END")
        # A row may not replace another; the same content again is skipped (what ON CONFLICT DO NOTHING asks).
        op.execute("CREATE TRIGGER question_versions_no_replace BEFORE INSERT ON question_versions BEGIN SELECT CASE "
                   f"WHEN EXISTS (SELECT 1 FROM question_versions WHERE id = NEW.id) THEN RAISE(ABORT, '{refused}') "
                   "WHEN EXISTS (SELECT 1 FROM question_versions WHERE hash = NEW.hash) THEN RAISE(IGNORE) END; END")
    else:
        op.execute("CREATE OR REPLACE TRIGGER question_versions_append_only BEFORE UPDATE OR DELETE "
                   "ON question_versions FOR EACH ROW EXECUTE FUNCTION refuse_history_change()")
        op.execute("CREATE OR REPLACE TRIGGER question_versions_no_truncate BEFORE TRUNCATE ON question_versions "
                   "FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change()")


def allow_updates(dialect: str) -> None:
    for table in ("responses", "attempts"):
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER {table}_no_update")
        else:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")


def guard_again(dialect: str) -> None:
    """The guards 0001 and 0004 gave responses and attempts, as they made them."""
    if dialect == "sqlite":
        for table, verb in (("responses", "UPDATE"), ("responses", "DELETE"), ("attempts", "UPDATE")):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{REFUSED.format(table=table)}'); END")
        op.execute("CREATE TRIGGER responses_no_replace BEFORE INSERT ON responses "
                   "WHEN EXISTS (SELECT 1 FROM responses WHERE id = NEW.id) "
                   f"BEGIN SELECT RAISE(ABORT, '{REFUSED.format(table='responses')}'); END")
    else:
        for table in ("responses", "attempts"):
            op.execute(f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_history_change()")


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    op.create_table(
        "question_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("content_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_versions")),
        sa.UniqueConstraint("hash", name=op.f("uq_question_versions_hash")),
    )
    guard_versions(dialect)
    op.drop_index(op.f("ix_responses_item_analysis"), table_name="responses")
    # Plain ADD COLUMN first (nullable), so the rows can be filled in before the table takes its final shape.
    op.add_column("responses", sa.Column("version_id", sa.Integer(), nullable=True))
    op.add_column("responses", sa.Column("shown_order", sa.Text(), nullable=True))

    allow_updates(dialect)
    converter = Converter(bind)
    convert_responses(bind, converter)
    convert_attempts(bind, converter)
    converter.move_id_sequence()

    # SQLite copies the table to change it (its triggers go with the old one); PostgreSQL alters it in place.
    with op.batch_alter_table("responses") as batch:
        batch.alter_column("version_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("shown_order", existing_type=sa.Text(), nullable=False)
        batch.drop_column("snapshot_json")
        batch.create_foreign_key(op.f("fk_responses_version_id"), "question_versions", ["version_id"], ["id"])
    guard_again(dialect)


def downgrade() -> None:
    raise NotImplementedError("0007 cannot be downgraded: history tables would have to be rewritten again.")
