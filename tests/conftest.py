"""Database fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TEST_PG_URL; without it a throwaway cluster is started with .ci/postgres.sh when
Debian's postgresql binaries are installed. With neither the PostgreSQL half is skipped on a developer
machine but FAILS under CI (env CI set), so a green CI run always means both databases were tested.
Each PostgreSQL test gets its own schema (dropped afterwards, tables and triggers with it).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from modules import auth, settings
from modules.core.clock import FixedClock
from modules.store import Store

ROOT = Path(__file__).resolve().parent.parent
PG_SCRIPT = ROOT / ".ci" / "postgres.sh"
PG_INITDB = Path("/usr/lib/postgresql/15/bin/initdb")


@pytest.fixture(scope="session")
def postgres_server_url():
    """URL of a PostgreSQL server the tests may create schemas in."""
    if os.environ.get("TEST_PG_URL"):
        yield os.environ["TEST_PG_URL"]
        return
    if not PG_INITDB.exists():
        reason = "PostgreSQL not available: set TEST_PG_URL or run `.ci/postgres.sh install`"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    started = subprocess.run(["bash", str(PG_SCRIPT), "start"], capture_output=True, text=True, check=False)
    if started.returncode != 0:
        pytest.fail(f".ci/postgres.sh start failed:\n{started.stderr}")
    exports = dict(
        line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines() if line.startswith("export ")
    )
    try:
        yield exports["TEST_PG_URL"]
    finally:
        subprocess.run(["bash", str(PG_SCRIPT), "stop", exports["TEST_PG_DIR"]], capture_output=True, check=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL schema dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'training.db'}"
        return
    with postgres_schema(request.getfixturevalue("postgres_server_url")) as url:
        yield url


@contextmanager
def postgres_schema(server: str) -> Iterator[str]:
    """A URL whose search path is a new schema on `server`, dropped afterwards with its tables and triggers."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(server).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def raw_db(db_url):
    """A plain engine on the test's database, for tests that play an intruder editing rows behind the store."""
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 3, 3, 9, 0, tzinfo=UTC))


@pytest.fixture
def store(db_url, clock) -> Store:
    opened = Store.open(db_url, clock=clock, audit_key=settings.audit_key())
    try:
        yield opened
    finally:
        opened.close()


@contextmanager
def setting_for_the_run(name: str, value: str) -> Iterator[None]:
    """A setting's environment variable for the whole run, put back as it was afterwards."""
    previous = os.environ.get(name)
    os.environ[name] = value
    settings.reload()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous
        settings.reload()


@pytest.fixture(scope="session", autouse=True)
def audit_key_file(tmp_path_factory):
    """One audit key for the whole run, in a temporary file: the app, the CLI, the journeys' server and the tests'
    own stores all key the chain with it, and nothing is written into the checkout's progress/ folder."""
    path = tmp_path_factory.mktemp("audit") / "audit.key"
    path.write_text("00" * 32 + "\n", encoding="ascii")
    with setting_for_the_run("TRAINING_AUDIT_KEY_FILE", str(path)):
        yield path


@pytest.fixture(scope="session", autouse=True)
def credential_key_file(tmp_path_factory):
    """The credential signing key's path, in a temporary folder for the whole run (made on first use there), so no
    test writes progress/credential-key.pem into the checkout."""
    path = tmp_path_factory.mktemp("credential") / "credential-key.pem"
    with setting_for_the_run("TRAINING_CREDENTIAL_KEY_FILE", str(path)):
        yield path


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """argon2 at the lowest cost for the whole session: production cost made hashing most of the suite's CPU.

    Yields the hasher `auth` had by default, so one test can check that production keeps its full cost. The e2e
    suite runs the app in its own process, at production cost.
    """
    production = auth.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    yield production
    auth.use_hasher(production)
