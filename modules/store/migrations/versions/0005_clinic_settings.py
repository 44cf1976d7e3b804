"""The clinic's own settings kept in the database (its name and public address), as an attributed history.

Asked on the first-run page and changed by a manager; every instance of a chain of clinics reads the same values.
The newest row for a key is in force; rows are never changed (append-only, like the rest of history).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clinic_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),  # UTCDateTime's storage
        sa.ForeignKeyConstraint(["set_by"], ["users.id"], name=op.f("fk_clinic_settings_set_by")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_settings")),
    )
    op.create_index(op.f("ix_clinic_settings_key_id"), "clinic_settings", ["key", "id"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER clinic_settings_no_{verb.lower()} BEFORE {verb} ON clinic_settings "
                       "BEGIN SELECT RAISE(ABORT, 'clinic_settings is append-only: write a new row instead'); END")
        op.execute("CREATE TRIGGER clinic_settings_no_replace BEFORE INSERT ON clinic_settings "
                   "WHEN EXISTS (SELECT 1 FROM clinic_settings WHERE id = NEW.id) "
                   "BEGIN SELECT RAISE(ABORT, 'clinic_settings is append-only: write a new row instead'); END")
    else:
        op.execute("CREATE OR REPLACE TRIGGER clinic_settings_append_only BEFORE UPDATE OR DELETE ON clinic_settings "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_history_change()")
        op.execute("CREATE OR REPLACE TRIGGER clinic_settings_no_truncate BEFORE TRUNCATE ON clinic_settings "
                   "FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change()")


def downgrade() -> None:
    op.drop_table("clinic_settings")
