"""Baseline: the schema as version 1 of the app created it with metadata.create_all, before Alembic.

Written out in full rather than taken from `modules.store.schema.metadata`, which moves on with later
revisions; tests/data/schema_v1/ holds the DDL this must reproduce. Names are wrapped in `op.f` so the
metadata's naming convention is not applied to them a second time.

Revision ID: 0001
Revises:
Create Date: 2025-03-03
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The history tables and their triggers as version 1 made them, frozen here: later revisions add their own.
APPEND_ONLY_TABLES = (
    "attempts",
    "responses",
    "attempt_results",
    "certificates",
    "certificate_revocations",
    "practical_signoffs",
    "lesson_reads",
    "review_cards",
    "audit_log",
)


def _utc(name: str, nullable: bool = False) -> sa.Column[datetime]:
    # UTCDateTime's storage: DATETIME text on SQLite, timestamptz on PostgreSQL.
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(column: str, target: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}"))


def append_only_ddl(dialect_name: str) -> list[str]:
    """Statements that make the database itself refuse UPDATE and DELETE on the history tables."""
    if dialect_name == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: write a new row instead'); END"
            for table in APPEND_ONLY_TABLES
            for verb in ("UPDATE", "DELETE")
        ]
    if dialect_name == "postgresql":
        # No '%' in these statements: the driver would take it for a parameter placeholder.
        ddl = [
            "CREATE OR REPLACE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: write a new row instead'; END $$"
        ]
        for table in APPEND_ONLY_TABLES:
            ddl.append(
                f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_history_change()"
            )
            ddl.append(
                f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change()"
            )
        return ddl
    raise ValueError(f"unsupported database {dialect_name!r}: use SQLite or PostgreSQL")


def upgrade() -> None:
    op.create_table(
        "schema_version",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        _utc("applied_at"),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_schema_version")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        _utc("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.CheckConstraint("role IN ('technician', 'trainer', 'manager')", name=op.f("ck_users_role")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("module_id", sa.String(100), nullable=True),
        _utc("started_at"),
        _utc("deadline", nullable=True),
        sa.Column("questions_json", sa.Text(), nullable=True),
        sa.Column("policy_json", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempts")),
        sa.CheckConstraint("kind IN ('practice', 'quiz', 'exam', 'review')", name=op.f("ck_attempts_kind")),
        _fk("user_id", "users.id", "attempts"),
    )
    op.create_index(op.f("ix_attempts_user_id_kind_module_id"), "attempts", ["user_id", "kind", "module_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        _utc("at"),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_username", sa.String(80), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        _fk("actor_id", "users.id", "audit_log"),
    )
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"])
    op.create_table(
        "lesson_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.String(100), nullable=False),
        _utc("read_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_reads")),
        _fk("user_id", "users.id", "lesson_reads"),
    )
    op.create_index(op.f("ix_lesson_reads_user_id"), "lesson_reads", ["user_id"])
    op.create_table(
        "practical_signoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=False),
        sa.Column("treated_on", sa.Date(), nullable=False),
        sa.Column("checklist_json", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        _utc("signed_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practical_signoffs")),
        _fk("technician_id", "users.id", "practical_signoffs"),
        _fk("trainer_id", "users.id", "practical_signoffs"),
    )
    op.create_index(op.f("ix_practical_signoffs_technician_id"), "practical_signoffs", ["technician_id"])
    op.create_table(
        "review_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("card_json", sa.Text(), nullable=False),
        _utc("due_at"),
        _utc("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_cards")),
        _fk("user_id", "users.id", "review_cards"),
    )
    op.create_index(op.f("ix_review_cards_user_id_question_id_id"), "review_cards", ["user_id", "question_id", "id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("consecutive", sa.Integer(), nullable=False),
        _utc("locked_until", nullable=True),
        _utc("last_failure_at"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_sign_in_failures")),
        _fk("user_id", "users.id", "sign_in_failures"),
    )
    op.create_table(
        "attempt_results",
        sa.Column("attempt_id", sa.Integer(), autoincrement=False, nullable=False),
        _utc("finished_at"),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("closed_by", sa.String(10), nullable=False),
        sa.Column("detail_json", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_attempt_results")),
        sa.CheckConstraint("score >= 0 AND score <= 1", name=op.f("ck_attempt_results_score")),
        sa.CheckConstraint("closed_by IN ('submitted', 'deadline')", name=op.f("ck_attempt_results_closed_by")),
        _fk("attempt_id", "attempts.id", "attempt_results"),
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        _utc("issued_at"),
        _utc("expires_at"),
        sa.Column("score", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
        _fk("user_id", "users.id", "certificates"),
        _fk("attempt_id", "attempts.id", "certificates"),
    )
    op.create_index(op.f("ix_certificates_user_id"), "certificates", ["user_id"])
    op.create_table(
        "responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("module_id", sa.String(100), nullable=False),
        sa.Column("content_hash", sa.String(128), nullable=False),
        sa.Column("snapshot_json", sa.Text(), nullable=False),
        sa.Column("answer_json", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        _utc("answered_at"),
        sa.Column("seconds_taken", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
        sa.CheckConstraint("score >= 0 AND score <= 1", name=op.f("ck_responses_score")),
        _fk("attempt_id", "attempts.id", "responses"),
    )
    op.create_index(op.f("ix_responses_attempt_id_question_id_id"), "responses", ["attempt_id", "question_id", "id"])
    op.create_index(
        op.f("ix_responses_item_analysis"),
        "responses",
        ["attempt_id", "question_id", "position", "score", "content_hash", "answer_json"],
    )
    op.create_index(op.f("ix_responses_question_id"), "responses", ["question_id"])
    op.create_table(
        "certificate_revocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("revoked_by", sa.Integer(), nullable=False),
        _utc("revoked_at"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_revocations")),
        _fk("certificate_id", "certificates.id", "certificate_revocations"),
        _fk("revoked_by", "users.id", "certificate_revocations"),
    )
    op.create_index(
        op.f("ix_certificate_revocations_certificate_id"), "certificate_revocations", ["certificate_id"]
    )
    for statement in append_only_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    # Dropping a table drops its triggers with it; PostgreSQL's trigger function goes last.
    for table in (
        "certificate_revocations",
        "responses",
        "certificates",
        "attempt_results",
        "sign_in_failures",
        "review_cards",
        "practical_signoffs",
        "lesson_reads",
        "audit_log",
        "attempts",
        "users",
        "schema_version",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION refuse_history_change()")
