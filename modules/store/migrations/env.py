"""Alembic's environment for the record store: runs migrations on the connection `modules.store.migrate` hands in.

There is no alembic.ini and no URL here on purpose: the caller owns the connection, its transaction and its
lock (see migrate.py), so the whole upgrade commits or rolls back as one.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from modules.store.schema import metadata

target_metadata = metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("Run migrations through modules.store.migrate, which passes a connection in.")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    # The caller's transaction is already open, so Alembic neither begins nor commits one of its own.
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("Offline (--sql) migrations are not supported; run `python -m modules migrate`.")
run_migrations_online()
