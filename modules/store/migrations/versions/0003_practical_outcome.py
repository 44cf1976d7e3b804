"""A practical sign-off records its outcome: competent, or not yet competent with the checklist items missed.

Sign-offs written before this revision were only ever recorded when every item was ticked, so they become
'competent' with nothing missed. The table stays append-only: adding columns does not touch its triggers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): a table rebuild on SQLite would drop the append-only triggers.
    op.add_column("practical_signoffs",
                  sa.Column("outcome", sa.String(20), nullable=False, server_default="competent"))
    op.add_column("practical_signoffs", sa.Column("missed_json", sa.Text(), nullable=True))


def downgrade() -> None:
    # Dropping a column rebuilds the table on SQLite, and the rebuild drops the append-only triggers with it.
    raise NotImplementedError("0003 cannot be downgraded without losing the not-yet-competent records.")
