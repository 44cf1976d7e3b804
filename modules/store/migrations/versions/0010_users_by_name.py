"""An index on the accounts by name, then id: the register lists everyone in that order (issue #15).

With it the database reads the accounts in order instead of sorting 50,000 wide rows on every read of the register
(0.05 s of its 0.14 s in SQLite). An index holds no data of its own: every row stays as it is.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_users_full_name_id", "users", ["full_name", "id"])


def downgrade() -> None:
    op.drop_index("ix_users_full_name_id", table_name="users")
