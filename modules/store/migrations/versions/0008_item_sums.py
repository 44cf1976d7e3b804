"""Item analysis's running sums (modules/store/item_sums.py).

Five small tables keyed by the quiz (kind, module, first or all attempts): per question, per value of a mark, per
total, per position and per option. They are derived data, kept up to date in the transaction that finishes an
attempt and rebuilt from the raw answers by `python -m modules rebuild-sums`. The tables start empty: `Store.open`
fills them from the attempts already finished, once, after an upgrade across this revision (with the app's code
for the schema as it then is, which a migration must not depend on).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPE = ("kind", "module_id", "first_only")
TABLES = ("item_sum_items", "item_sum_values", "item_sum_totals", "item_sum_slots", "item_sum_options")


def _scope_columns() -> list[sa.Column[object]]:
    return [sa.Column("kind", sa.String(10), nullable=False), sa.Column("module_id", sa.String(100), nullable=False),
            sa.Column("first_only", sa.Boolean(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "item_sum_items", *_scope_columns(),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False)
          for name in ("sum_x", "sum_x2", "sum_o", "sum_o2", "sum_xo", "max_mark")),
        sa.PrimaryKeyConstraint(*SCOPE, "question_id", name=op.f("pk_item_sum_items")),
    )
    op.create_table(
        "item_sum_values", *_scope_columns(),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("axis", sa.String(1), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*SCOPE, "question_id", "axis", "value", name=op.f("pk_item_sum_values")),
    )
    op.create_table(
        "item_sum_totals", *_scope_columns(),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*SCOPE, "total", name=op.f("pk_item_sum_totals")),
    )
    op.create_table(
        "item_sum_slots", *_scope_columns(),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sum_x", sa.Float(), nullable=False),
        sa.Column("sum_x2", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(*SCOPE, "position", name=op.f("pk_item_sum_slots")),
    )
    op.create_table(
        "item_sum_options", *_scope_columns(),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("option", sa.Text(), nullable=False),
        sa.Column("is_key", sa.Boolean(), nullable=False),
        sa.Column("shown", sa.Integer(), nullable=False),
        sa.Column("chosen", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*SCOPE, "question_id", "option", name=op.f("pk_item_sum_options")),
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
