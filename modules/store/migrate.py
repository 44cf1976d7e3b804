"""Bring a database's schema to the newest Alembic revision, once, even when several app instances start together.

The revisions live in `migrations/versions/`. `upgrade_to_head` builds an empty database from nothing, adopts a
database made before Alembic (the old `schema_version` table at version 1) by stamping it at the baseline first,
and refuses a database at a revision this app does not know. The whole upgrade is one transaction (SQLite and
PostgreSQL both roll DDL back), taken under BEGIN IMMEDIATE on SQLite and an advisory lock on PostgreSQL, so a
second instance waits and then finds nothing left to do.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, exc, inspect, text

from modules.core.errors import StoreError

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
BASELINE_REVISION = "0001"
ITEM_SUMS_REVISION = "0008"  # from here on item analysis reads running sums, kept as attempts finish
SEALING_REVISION = "0004"  # from here on results, certificates, revocations and sign-offs are sealed in the chain
NEWER_DATABASE = "The database was written by a newer version of this app; update the app first."
UNREACHABLE = "The database could not be reached or stayed busy too long; it was not upgraded. Please try again."
# First key of pg_advisory_xact_lock(int, int); the second is the schema's, so each schema migrates on its own.
PG_MIGRATION_LOCK = 748_202
# The tables version 1 created; finding one without any record of the schema's version means someone else's data.
# Alembic's `context` and `op` are module globals, so one thread per process migrates at a time.
_ALEMBIC_IN_USE = threading.Lock()
_V1_TABLES = frozenset({
    "users", "sign_in_failures", "attempts", "responses", "attempt_results", "certificates",
    "certificate_revocations", "practical_signoffs", "lesson_reads", "review_cards", "audit_log",
})


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the store, built in code (there is no alembic.ini).

    With a connection, Alembic's commands run on it and inside its open transaction (see migrations/env.py).
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision this app's migrations reach."""
    head = _scripts().get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in the database's `alembic_version`, or None before its first upgrade."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except (exc.DBAPIError, exc.TimeoutError) as error:
        raise StoreError(UNREACHABLE) from error


def holds_records(engine: Engine) -> bool:
    """Whether the database has the app's tables at all (any version), without changing it."""
    try:
        with engine.connect() as conn:
            return "users" in set(inspect(conn).get_table_names())
    except (exc.DBAPIError, exc.TimeoutError) as error:
        raise StoreError(UNREACHABLE) from error


def upgrade_to_head(engine: Engine) -> str:
    """Upgrade the database to `head_revision()` in one locked transaction; returns the revision reached.

    Raises StoreError, with nothing changed, when the database is newer than this app, holds tables but no
    record of their version, cannot be reached, or a migration fails.
    """
    if engine.dialect.name not in ("sqlite", "postgresql"):
        raise StoreError("The database URL must point to SQLite or PostgreSQL.")
    try:
        with _ALEMBIC_IN_USE, engine.connect() as conn, _manual_sqlite_transactions(conn), conn.begin():
            _lock(conn)
            try:
                return _upgrade(conn)
            except StoreError:
                raise
            except Exception as error:
                raise StoreError(
                    f"The database schema could not be upgraded, so nothing was changed: {_reason(error)}"
                ) from error
    except (exc.DBAPIError, exc.TimeoutError) as error:
        # Only connecting, locking and committing get here: failures inside the upgrade are StoreErrors already.
        raise StoreError(UNREACHABLE) from error


@contextmanager
def _manual_sqlite_transactions(conn: Connection) -> Iterator[None]:
    """On SQLite, keep the driver from opening its own (deferred, DDL-less) transactions while migrating.

    Python's sqlite3 only begins a transaction before INSERT/UPDATE/DELETE, so DDL would run outside any
    transaction; with isolation_level None the driver leaves it to `_lock`'s BEGIN IMMEDIATE.
    """
    driver = conn.connection.driver_connection
    if not isinstance(driver, sqlite3.Connection):
        yield
        return
    saved = driver.isolation_level
    driver.isolation_level = None
    # The store's own engine reads this option in its "begin" hook and says BEGIN IMMEDIATE itself.
    conn.execution_options(store_write=True)
    try:
        yield
    finally:
        driver.isolation_level = saved


def _lock(conn: Connection) -> None:
    """Make this the only migrating transaction: others wait here until it commits or rolls back."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
                     {"key": PG_MIGRATION_LOCK})
        return
    driver = conn.connection.driver_connection
    if isinstance(driver, sqlite3.Connection) and not driver.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _upgrade(conn: Connection) -> str:
    scripts = _scripts()
    config = alembic_config(conn)
    heads = MigrationContext.configure(conn).get_current_heads()
    known = {script.revision for script in scripts.walk_revisions()}
    if any(head not in known for head in heads):
        raise StoreError(NEWER_DATABASE)
    if not heads:
        _adopt_unversioned(conn, config)
    command.upgrade(config, "head")
    reached = MigrationContext.configure(conn).get_current_revision()
    if reached is None:
        raise StoreError("The database schema could not be upgraded: no revision was recorded.")
    return reached


def _adopt_unversioned(conn: Connection, config: Config) -> None:
    """A database without `alembic_version`: empty (built from base), or made by version 1 (stamped first)."""
    tables = set(inspect(conn).get_table_names())
    if "schema_version" in tables:
        version = conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar()
        if version == 1:
            command.stamp(config, BASELINE_REVISION)
        elif isinstance(version, int) and version > 1:
            raise StoreError(NEWER_DATABASE)
        else:
            raise StoreError("The database's schema_version table is empty, so its schema cannot be upgraded safely.")
    elif tables & _V1_TABLES:
        raise StoreError("The database already holds tables but no record of their schema version; "
                         "point the app at its own database or at an empty one.")


def _reason(error: Exception) -> str:
    detail = error.orig if isinstance(error, exc.DBAPIError) else error
    lines = str(detail).strip().splitlines()
    return lines[0] if lines else type(error).__name__
