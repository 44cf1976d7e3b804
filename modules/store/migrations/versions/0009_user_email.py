"""An optional e-mail address on each account, so each person gets their own expiry reminder (issue #16).

Existing accounts have none (NULL) until a manager or the person sets one. The users table is living data, not
history: it has no append-only triggers for a new column to bypass.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: no table rebuild, every row and foreign key stays as it is.
    op.add_column("users", sa.Column("email", sa.String(254), nullable=True))


def downgrade() -> None:
    # SQLite (3.35+) and PostgreSQL both drop a column in place; the addresses are lost with it.
    op.drop_column("users", "email")
