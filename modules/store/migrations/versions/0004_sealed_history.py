"""One certificate per exam attempt, no INSERT OR REPLACE over history, and a keyed audit chain.

- A unique index on certificates.attempt_id: a passed exam has at most one certificate.
- SQLite: `INSERT OR REPLACE` deletes the row it replaces without firing delete triggers, so each history table also
  refuses an insert whose key (or certificate code) already exists. PostgreSQL has no REPLACE; its upsert is an
  UPDATE, which the existing triggers refuse.
- audit_log.keyed: rows written from now on are hashed with the clinic's secret key (HMAC); older rows keep their
  plain sha256 and are marked false.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each history table and the columns whose existing values a new row must not replace.
KEYS = {
    "attempts": ("id",),
    "responses": ("id",),
    "attempt_results": ("attempt_id",),
    "certificates": ("id", "code", "attempt_id"),
    "certificate_revocations": ("id",),
    "practical_signoffs": ("id",),
    "lesson_reads": ("id",),
    "review_cards": ("id",),
    "audit_log": ("id",),
}


def upgrade() -> None:
    bind = op.get_bind()
    twice = bind.execute(sa.text("SELECT attempt_id FROM certificates WHERE attempt_id IS NOT NULL "
                                 "GROUP BY attempt_id HAVING COUNT(*) > 1")).scalars().all()
    if twice:
        raise RuntimeError("these exam attempts already have more than one certificate, so the one-certificate "
                           f"rule cannot be added: {', '.join(map(str, twice))}; revoke the extra ones first")
    op.create_index("uq_certificates_attempt_id", "certificates", ["attempt_id"], unique=True)
    # Plain ADD COLUMN (no batch copy): a table rebuild on SQLite would drop the append-only triggers.
    op.add_column("audit_log", sa.Column("keyed", sa.Boolean(), nullable=False, server_default=sa.false()))
    if bind.dialect.name == "sqlite":
        for table, columns in KEYS.items():
            clash = " OR ".join(f"{column} = NEW.{column}" for column in columns)
            op.execute(f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                       f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {clash}) "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: write a new row instead'); END")


def downgrade() -> None:
    raise NotImplementedError("0004 cannot be downgraded: the keyed audit rows need their key to mean anything.")
