"""Drop the old `schema_version` table: `alembic_version` records the schema's revision now.

Revision ID: 0002
Revises: 0001
Create Date: 2025-03-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("schema_version")


def downgrade() -> None:
    # Version 1 of the app reads its version from this table; CURRENT_TIMESTAMP is UTC on both databases.
    op.create_table(
        "schema_version",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_schema_version")),
    )
    op.execute("INSERT INTO schema_version (version, applied_at) VALUES (1, CURRENT_TIMESTAMP)")
