"""Server-side sessions: any instance resolves a sign-in from the hash of its cookie's token.

Each row keeps who, when it began, when it was last seen, its idle and absolute expiry, and when and why it ended.
The heartbeat columns and, once, the ending may change; the database refuses anything else (a session cannot be
moved to another person, revived or rewritten) and refuses deleting one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSED = "a session may only be seen again or ended, once"
# An UPDATE that rewrites who or when the session began, or touches one that has ended.
_SQLITE_REWRITE = ("OLD.ended_at IS NOT NULL OR NEW.token_hash IS NOT OLD.token_hash OR NEW.user_id IS NOT OLD.user_id "
                   "OR NEW.created_at IS NOT OLD.created_at OR NEW.expires_at IS NOT OLD.expires_at")
_PG_REWRITE = _SQLITE_REWRITE.replace("IS NOT", "IS DISTINCT FROM")


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),  # UTCDateTime's storage
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idle_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(40), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id")),
        sa.ForeignKeyConstraint(["ended_by"], ["users.id"], name=op.f("fk_sessions_ended_by")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sessions_token_hash")),
    )
    op.create_index(op.f("ix_sessions_user_id_ended_at"), "sessions", ["user_id", "ended_at"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE TRIGGER sessions_no_rewrite BEFORE UPDATE ON sessions WHEN {_SQLITE_REWRITE} "
                   f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END")
        op.execute(f"CREATE TRIGGER sessions_no_delete BEFORE DELETE ON sessions "
                   f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END")
    else:
        op.execute("CREATE OR REPLACE FUNCTION refuse_session_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN IF TG_OP = 'DELETE' OR {_PG_REWRITE} THEN RAISE EXCEPTION '{REFUSED}'; END IF; "
                   "RETURN NEW; END $$")
        op.execute("CREATE OR REPLACE TRIGGER sessions_no_rewrite BEFORE UPDATE OR DELETE ON sessions "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_session_rewrite()")
        op.execute("CREATE OR REPLACE TRIGGER sessions_no_truncate BEFORE TRUNCATE ON sessions "
                   "FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change()")


def downgrade() -> None:
    op.drop_table("sessions")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION refuse_session_rewrite()")
