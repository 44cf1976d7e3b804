"""Alembic migrations: a clinic's version-1 database upgrades without losing a row, on SQLite and PostgreSQL;
an empty database is built to exactly the app's metadata; a newer database is refused; nothing half-happens."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeEngine

from modules import sessions, settings
from modules.__main__ import main
from modules.banks import load_banks
from modules.core.clock import FixedClock
from modules.core.errors import StoreError
from modules.core.records import Actor
from modules.core.types import AttemptId, AttemptKind, Role, UserId
from modules.grading import show
from modules.store import Store, migrate
from modules.store.audit import AuditLog
from modules.store.database import Database
from modules.store.migrate import NEWER_DATABASE, alembic_config, current_revision, head_revision, upgrade_to_head
from modules.store.schema import (
    APPEND_ONLY_TABLES,
    GENESIS_HASH,
    UTCDateTime,
    attempt_results,
    attempts,
    audit_hash,
    audit_log,
    dumps,
    metadata,
    users,
)
from tests.helpers import FIXTURE_BANKS, wrong_answer

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_V1 = ROOT / "tests" / "data" / "schema_v1"
CLINIC_DB = SCHEMA_V1 / "clinic.db"
V1_TABLES = ("users", "sign_in_failures", "attempts", "responses", "attempt_results", "certificates",
             "certificate_revocations", "practical_signoffs", "lesson_reads", "review_cards", "audit_log")
# 0007 keeps these in another form (question_versions); the store must give back exactly what they held.
CONVERTED = {"attempts": "questions_json", "responses": "snapshot_json"}


# ---- helpers --------------------------------------------------------------------------------------------


@contextmanager
def opened(url: str) -> Iterator[Engine]:
    # Disposed before the db_url fixture drops the PostgreSQL schema.
    engine = create_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def v1_statements(dialect: str) -> list[str]:
    ddl = (SCHEMA_V1 / f"{dialect}.sql").read_text(encoding="utf-8")
    return [statement.strip() for statement in ddl.split(";\n\n") if statement.strip()]


def fixture_rows(table: str) -> list[tuple[Any, ...]]:
    """The fixture's rows as SQLite holds them (naive text times, 0/1 booleans), in primary key order."""
    with closing(sqlite3.connect(f"file:{CLINIC_DB}?mode=ro", uri=True)) as source:
        return source.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()


def fixture_columns(table: str) -> list[str]:
    with closing(sqlite3.connect(f"file:{CLINIC_DB}?mode=ro", uri=True)) as source:
        return [column[1] for column in source.execute(f'PRAGMA table_info("{table}")')]


def as_postgres(column_type: TypeEngine[Any], value: Any) -> Any:
    """A SQLite value as the PostgreSQL column of this type takes it."""
    if value is None:
        return None
    if isinstance(column_type, Boolean):
        return bool(value)
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    return value


def copy_clinic_into_postgres(conn: Connection) -> None:
    """Every row of clinic.db into a schema built by postgresql.sql, with serial counters moved past them."""
    target = MetaData()
    target.reflect(conn)
    for table in target.sorted_tables:
        rows = [{column.name: as_postgres(column.type, value) for column, value in zip(table.columns, row)}
                for row in fixture_rows(table.name)]
        if rows:
            conn.execute(insert(table), rows)
        if "id" in table.c:
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), MAX(id)) "
                              f"FROM {table.name}"))


def clinic_on(dialect: str, db_url: str, tmp_path: Path) -> str:
    """A URL to the clinic's version-1 database on this dialect (a copy: the fixture stays untouched)."""
    if dialect == "sqlite":
        copy = tmp_path / "clinic.db"
        shutil.copyfile(CLINIC_DB, copy)
        return f"sqlite:///{copy}"
    with opened(db_url) as engine, engine.begin() as conn:
        for statement in v1_statements("postgresql"):
            conn.exec_driver_sql(statement)
        copy_clinic_into_postgres(conn)
    return db_url


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def catalog(conn: Connection) -> set[tuple[Any, ...]]:
    """What the database holds besides rows: tables, columns, constraints, indexes, triggers, functions."""
    if conn.dialect.name == "sqlite":
        return {tuple(row) for row in conn.execute(text(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_%' AND name != 'alembic_version'"))}
    # Definitions name the schema, which differs between the two databases compared.
    here = conn.execute(text("SELECT current_schema()")).scalar_one()
    queries = [
        "SELECT 'column', table_name, column_name, data_type, character_maximum_length, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = current_schema()",
        "SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE connamespace = current_schema()::regnamespace",
        "SELECT 'index', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()",
        "SELECT 'trigger', tgrelid::regclass::text, tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace",
        "SELECT 'function', proname, pg_get_functiondef(oid) FROM pg_proc "
        "WHERE pronamespace = current_schema()::regnamespace",
        "SELECT 'sequence', sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()",
    ]
    found = {tuple(str(value).replace(f"{here}.", "") for value in row)
             for query in queries for row in conn.execute(text(query))}
    return {row for row in found if "alembic_version" not in row}


@pytest.fixture
def second_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Another empty database of the same dialect, for comparing two builds of the schema."""
    schemas: list[str] = []

    def make(dialect: str) -> str:
        if dialect == "sqlite":
            return f"sqlite:///{tmp_path / f'second-{uuid.uuid4().hex[:8]}.db'}"
        server = request.getfixturevalue("postgres_server_url")
        schema = f"test_{uuid.uuid4().hex[:16]}"
        schemas.append(schema)
        with opened(server) as admin, admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        return make_url(server).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)

    yield make
    if schemas:
        with opened(request.getfixturevalue("postgres_server_url")) as admin, admin.begin() as conn:
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def dialect_of(url: str) -> str:
    return make_url(url).get_backend_name()


# ---- a clinic's version-1 database keeps every row -----------------------------------------------------


def test_the_clinic_upgrades_without_losing_anything(db_url: str, tmp_path: Path) -> None:
    dialect = dialect_of(db_url)
    url = clinic_on(dialect, db_url, tmp_path)
    with opened(url) as engine:
        assert current_revision(engine) is None
        assert upgrade_to_head(engine) == head_revision() == current_revision(engine)
        assert "schema_version" not in table_names(engine)

        with engine.connect() as conn:
            reflected = MetaData()
            reflected.reflect(conn, only=V1_TABLES)
            for name in V1_TABLES:
                # Later revisions add columns; every other column version 1 had keeps every value.
                table, old = reflected.tables[name], fixture_columns(name)
                kept_at = [i for i, column in enumerate(old) if column != CONVERTED.get(name)]
                expected = [tuple(row[i] for i in kept_at) for row in fixture_rows(name)]
                old = [old[i] for i in kept_at]
                if dialect == "postgresql":
                    kept = [table.c[column] for column in old]
                    expected = [tuple(as_postgres(column.type, value) for column, value in zip(kept, row))
                                for row in expected]
                    migrated = [tuple(row) for row in
                                conn.execute(select(*kept).order_by(*table.primary_key.columns))]
                else:  # the very text and numbers SQLite holds, not values parsed by SQLAlchemy's types
                    migrated = [tuple(row) for row in
                                conn.exec_driver_sql(f"SELECT {', '.join(old)} FROM {name} ORDER BY 1")]
                assert migrated == expected, name

            # 0003: a version-1 sign-off was only ever recorded with every item met, so it reads as competent.
            assert conn.execute(text("SELECT outcome, missed_json FROM practical_signoffs")).all() == [
                ("competent", None)]

            assert conn.scalars(text("SELECT username FROM users ORDER BY id")).all() == ["mara", "tom", "sam"]
            assert conn.scalar(text("SELECT code FROM certificates")) == "9H2H-K1H5-NQ7S-TBEV"
            assert conn.scalar(text("SELECT reason FROM certificate_revocations")) == \
                "Issued in error: retake supervised"
            hashes = conn.scalars(text("SELECT hash FROM audit_log ORDER BY id")).all()
            assert hashes[0] == "192daf7b3a354b26f7bd783c71d847f4faa1f36e74fd989c6bc7740a91fc5834"
            assert hashes[-1] == "cfd03e2b3c8948b03a3de4733fb9b2690313573d9379452d0ecff3c98c6c70b7"
            # The chain still verifies: every field and time the hashes cover came through unchanged.
            prev = GENESIS_HASH
            for row in conn.execute(select(audit_log).order_by(audit_log.c.id)).mappings():
                assert row["prev_hash"] == prev and audit_hash(prev, dict(row)) == row["hash"]
                prev = row["hash"]

        assert_history_is_append_only(engine)


def test_0006_lets_an_upgraded_clinics_people_hold_sessions_that_cannot_be_rewritten(db_url: str,
                                                                                     tmp_path: Path) -> None:
    url = clinic_on(dialect_of(db_url), db_url, tmp_path)
    store = Store.open(url)  # upgrades the version-1 clinic through 0006
    try:
        sam = store.accounts.find("sam")
        now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
        token = sessions.begin(store, sam, now)
        assert isinstance(sessions.resolve(store, token, now), sessions.Signed)
    finally:
        store.close()
    with opened(url) as engine:
        with engine.begin() as conn:  # the heartbeat may move on
            conn.execute(text("UPDATE sessions SET last_seen_at = expires_at"))
        for statement in ("UPDATE sessions SET user_id = 1", "DELETE FROM sessions"):
            with pytest.raises(DBAPIError, match="may only be seen again or ended"), engine.begin() as conn:
                conn.exec_driver_sql(statement)
        with engine.begin() as conn:
            conn.execute(text("UPDATE sessions SET ended_at = last_seen_at, end_reason = 'signed_out'"))
        with pytest.raises(DBAPIError, match="may only be seen again or ended"), engine.begin() as conn:
            conn.exec_driver_sql("UPDATE sessions SET ended_at = NULL")  # an ended session stays ended


def test_0008_fills_the_item_analysis_sums_of_an_upgraded_clinic_once(db_url: str, tmp_path: Path) -> None:
    url = clinic_on(dialect_of(db_url), db_url, tmp_path)
    store = Store.open(url)  # version 1 -> head: the sums are computed from the attempts already finished
    try:
        quiz = store.item_sums.read(AttemptKind.QUIZ, "skin-science", first_only=False)
        first = store.item_sums.read(AttemptKind.QUIZ, "skin-science", first_only=True)
        exam = store.item_sums.read(AttemptKind.EXAM, None, first_only=False)
        # Mara's two quizzes (0 then 1 on skin-001), of which the first counts as her first attempt; her exam
        # changed its answer from wrong to right, and only the latest answer counts.
        assert (quiz.attempts, first.attempts, exam.attempts) == (2, 1, 1)
        assert (quiz.items["skin-001"].n, quiz.items["skin-001"].sum_x) == (2, 1.0)
        assert first.items["skin-001"].sum_x == 0.0 and exam.items["skin-001"].sum_x == 1.0
    finally:
        store.close()
    again = Store.open(url)  # opening again adds nothing twice
    try:
        assert again.item_sums.read(AttemptKind.QUIZ, "skin-science", first_only=False).attempts == 2
    finally:
        again.close()


def assert_history_is_append_only(engine: Engine, tables: tuple[str, ...] = APPEND_ONLY_TABLES) -> None:
    statements = ["UPDATE {table} SET {column} = {column}", "DELETE FROM {table}"]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE {table} CASCADE")  # CASCADE: so only the trigger can stop it
    else:  # SQLite's REPLACE deletes the row it replaces without firing the delete trigger
        statements.append("INSERT OR REPLACE INTO {table} SELECT * FROM {table} LIMIT 1")
    with engine.begin() as conn:  # version 1 had no clinic settings: one is set, as the first-run page would
        if not conn.scalar(text("SELECT COUNT(*) FROM clinic_settings")):
            conn.execute(text("INSERT INTO clinic_settings (key, value, set_at) VALUES ('clinic_name', 'Clinic', "
                              "CURRENT_TIMESTAMP)"))
    with engine.connect() as conn:
        columns = {name: conn.exec_driver_sql(f"SELECT * FROM {name}").keys() for name in tables}
    for table in tables:
        with engine.connect() as conn:
            assert conn.scalar(text(f"SELECT COUNT(*) FROM {table}")), f"{table} has no row to refuse a change to"
        for statement in statements:
            sql = statement.format(table=table, column=list(columns[table])[-1])
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.exec_driver_sql(sql)


# ---- an empty database is built to exactly the app's schema ---------------------------------------------


def test_an_empty_database_is_built_to_match_the_metadata(db_url: str) -> None:
    with opened(db_url) as engine:
        assert current_revision(engine) is None
        assert upgrade_to_head(engine) == head_revision()
        with engine.connect() as conn:
            # compare_type is on by default. Server defaults are not compared (compare_server_default is off):
            # the metadata declares none, and SQLite reports defaults only as text Alembic cannot compare.
            differences = compare_metadata(MigrationContext.configure(conn), metadata)
        assert differences == []
        assert table_names(engine) == set(metadata.tables) | {"alembic_version"}


def test_the_baseline_is_exactly_the_version_1_schema(db_url: str, second_database: Callable[[str], str]) -> None:
    dialect = dialect_of(db_url)
    reference_url = second_database(dialect)
    with opened(reference_url) as reference, reference.begin() as conn:
        for statement in v1_statements(dialect):
            conn.exec_driver_sql(statement)
        expected = catalog(conn)
    with opened(db_url) as engine:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), migrate.BASELINE_REVISION)
        with engine.connect() as conn:
            assert catalog(conn) == expected


# ---- refusals, repeats and rollbacks --------------------------------------------------------------------


def test_a_database_from_a_newer_app_is_refused_untouched(db_url: str) -> None:
    with opened(db_url) as engine:
        upgrade_to_head(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
        with pytest.raises(StoreError) as refused:
            upgrade_to_head(engine)
        assert str(refused.value) == NEWER_DATABASE
        assert current_revision(engine) == "9999_from_the_future"


def test_a_version_1_database_newer_than_version_1_is_refused(db_url: str) -> None:
    with opened(db_url) as engine:
        with engine.begin() as conn:
            for statement in v1_statements(dialect_of(db_url)):
                conn.exec_driver_sql(statement)
            conn.execute(text("INSERT INTO schema_version (version, applied_at) VALUES (2, CURRENT_TIMESTAMP)"))
        with pytest.raises(StoreError, match="newer version of this app"):
            upgrade_to_head(engine)


def test_tables_without_a_recorded_version_are_refused(db_url: str) -> None:
    with opened(db_url) as engine:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE users (id INTEGER PRIMARY KEY)"))
        with pytest.raises(StoreError, match="no record of their schema version"):
            upgrade_to_head(engine)
        assert table_names(engine) == {"users"}


def test_upgrading_twice_changes_nothing(db_url: str, tmp_path: Path) -> None:
    url = clinic_on(dialect_of(db_url), db_url, tmp_path)
    with opened(url) as engine:
        first = upgrade_to_head(engine)
        with engine.connect() as conn:
            before = catalog(conn)
        assert upgrade_to_head(engine) == first
        with engine.connect() as conn:
            assert catalog(conn) == before
            assert conn.scalars(text("SELECT version_num FROM alembic_version")).all() == [first]


def test_a_failed_upgrade_leaves_the_database_as_it_was(db_url: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    real_upgrade = command.upgrade

    def upgrade_then_fail(config: Any, revision: str) -> None:
        real_upgrade(config, revision)
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr(migrate.command, "upgrade", upgrade_then_fail)
    url = clinic_on(dialect_of(db_url), db_url, tmp_path)
    with opened(url) as engine:
        with pytest.raises(StoreError, match="nothing was changed: the disk filled up"):
            upgrade_to_head(engine)
        # The stamp and the dropped table were both rolled back: the DDL was inside the one transaction.
        assert table_names(engine) == set(V1_TABLES) | {"schema_version"}
        assert current_revision(engine) is None
    monkeypatch.undo()
    with opened(url) as engine:
        assert upgrade_to_head(engine) == head_revision()


def test_two_instances_starting_at_once_migrate_once(db_url: str) -> None:
    # Separate processes, as two app instances would be: within one process a thread lock already serialises.
    runs = [subprocess.Popen([sys.executable, "-m", "modules", "migrate", "--db", db_url], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], results
    with opened(db_url) as engine, engine.connect() as conn:
        assert conn.scalars(text("SELECT version_num FROM alembic_version")).all() == [head_revision()]


# ---- the command line ---------------------------------------------------------------------------------------


def test_migrate_command_upgrades_a_copy_of_the_clinic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "clinic.db"
    shutil.copyfile(CLINIC_DB, copy)
    url = f"sqlite:///{copy}"
    for _ in range(2):  # the second run finds nothing left to do
        assert main(["migrate", "--db", url]) == 0
        assert capsys.readouterr().out == f"Database: {url}\nRevision: {head_revision()} (up to date)\n"
    with opened(url) as engine:
        assert current_revision(engine) == head_revision()
        assert "schema_version" not in table_names(engine)


def test_migrate_command_hides_the_password(second_database: Callable[[str], str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    # The throwaway cluster trusts local connections, so any password gets in.
    url = make_url(second_database("postgresql")).set(password="s3cret-word").render_as_string(hide_password=False)
    assert main(["migrate", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "s3cret-word" not in out and "***" in out


def test_migrate_command_reports_a_newer_database_plainly(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with opened(db_url) as engine:
        upgrade_to_head(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    assert main(["migrate", "--db", db_url]) == 1
    assert capsys.readouterr().err.strip() == f"error: {NEWER_DATABASE}"


# ---- 0004: a clinic's old records are sealed once, and the seals then catch any change -----------------------


def test_an_old_clinics_records_are_sealed_at_the_upgrade_and_then_guarded(tmp_path: Path) -> None:
    from modules import settings
    from modules.store import Store

    copy = tmp_path / "clinic.db"
    shutil.copy(CLINIC_DB, copy)
    store = Store.open(f"sqlite:///{copy}", audit_key=settings.audit_key())
    try:
        report = store.audit.verify()
        assert report.intact, report
        sealed = [row.target for row in store.audit.rows(store.accounts.find("mara").actor, action="sealed")]
        # the two quiz results, the exam result, the certificate, the revocation and the sign-off
        assert len(sealed) == 6 and {t.split(":")[0] for t in sealed} == {
            "attempt_results", "certificates", "certificate_revocations", "practical_signoffs"}
    finally:
        store.close()
    with opened(f"sqlite:///{copy}") as engine, engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER attempt_results_no_update")
        conn.exec_driver_sql("UPDATE attempt_results SET score = 1.0, passed = 1 WHERE score = 0.0")
    store = Store.open(f"sqlite:///{copy}", audit_key=settings.audit_key())
    try:
        (problem,) = store.audit.verify().records
        assert problem.startswith("attempt_results:") and "no longer matches its seal" in problem
    finally:
        store.close()


def test_0004_refuses_two_certificates_for_one_exam_and_names_the_attempt(tmp_path: Path) -> None:
    copy = tmp_path / "clinic.db"
    shutil.copy(CLINIC_DB, copy)
    with closing(sqlite3.connect(copy)) as conn, conn:
        conn.execute("INSERT INTO certificates (code, user_id, attempt_id, title, issued_at, expires_at, score) "
                     "SELECT 'DUPL-ICAT-E000-0001', user_id, attempt_id, title, issued_at, expires_at, score "
                     "FROM certificates")
    with opened(f"sqlite:///{copy}") as engine:
        with pytest.raises(StoreError, match="more than one certificate"):
            upgrade_to_head(engine)
        assert current_revision(engine) is None  # nothing was changed: the whole upgrade rolled back


# ---- 0007: each question as shown is kept once, and every snapshot comes back exactly ---------------------


READER = Actor(UserId(1), Role.MANAGER)  # a manager may read anyone's attempts


def assert_snapshots_come_back(store: Store, responses_before: dict[int, str],
                               attempts_before: dict[int, str | None]) -> None:
    """Read through the store, every response's snapshot and every attempt's drawn questions are the very JSON
    text they were stored as before 0007."""
    for attempt_id, questions_json in attempts_before.items():
        questions = store.attempts.get(READER, AttemptId(attempt_id)).questions
        assert (None if questions is None else dumps(questions)) == questions_json, attempt_id
    given_back = {int(r.id or 0): dumps(r.snapshot) for attempt_id in attempts_before
                  for r in store.attempts.responses(READER, AttemptId(attempt_id))}
    assert given_back == responses_before
    # The item analysis report reads them its own way, one per response asked for.
    assert sorted(store.reports.snapshots(list(responses_before))["snapshot_json"]) == sorted(
        responses_before.values())


def column_of(table: str, column: str) -> dict[int, Any]:
    at = fixture_columns(table).index(column)
    return {row[0]: row[at] for row in fixture_rows(table)}


def test_0007_gives_back_every_snapshot_of_the_version_1_clinic(db_url: str, tmp_path: Path) -> None:
    url = clinic_on(dialect_of(db_url), db_url, tmp_path)
    responses_before, attempts_before = column_of("responses", "snapshot_json"), column_of("attempts", "questions_json")
    store = Store.open(url, audit_key=settings.audit_key())
    try:
        assert_snapshots_come_back(store, responses_before, attempts_before)
        assert store.audit.verify().intact
    finally:
        store.close()
    with opened(url) as engine, engine.connect() as conn:
        # Four responses and three attempts showed one question in one order: one version holds it.
        assert conn.scalar(text("SELECT COUNT(*) FROM question_versions")) == 1
        assert conn.scalars(text("SELECT DISTINCT shown_order FROM responses")).all() == ["102"]


EDGE_CASE = {
    "question_id": "safe-ünï-01", "module_id": "safety", "type": "single",
    "scenario": "Client, 34, Fitzpatrick V, „post-inflammatory“ marks after a peel 😊",
    "prompt": "Was tun Sie zuerst? — 最初に何をしますか?",
    "options": ["Stop: \"red flag\" \\ refer", "Carry on at a lower setting", "Émollient d'abord", "Ask the client"],
    "lefts": [], "rights": [], "key": "Stop: \"red flag\" \\ refer", "explanation": "Ligne 1\nLigne 2\ttab",
    "source": "clinic-material: Safety [NIC]", "content_hash": "0123456789abcdef", "partial_credit": False,
}


def old_way_snapshots(seed: int) -> list[tuple[dict[str, Any], Any]]:
    """Every fixture bank question shown shuffled (single, multiple, true/false, ordering, matching, scenarios), and
    the edge case with unicode, quotes and a backslash; each with the answer given (right, or a miss)."""
    rng = random.Random(seed)
    drawn = []
    for n, question in enumerate(load_banks(FIXTURE_BANKS).questions.values()):
        shown = show(question, rng)
        drawn.append((shown.to_snapshot(), shown.key if n % 3 else wrong_answer(question)))
    return [*drawn, (dict(EDGE_CASE), "Ask the client")]


# The responses table as 0001 to 0006 made it (the app's metadata has moved on).
RESPONSES_0006 = Table(
    "responses", MetaData(), Column("id", Integer, primary_key=True), Column("attempt_id", Integer),
    Column("position", Integer), Column("question_id", String), Column("module_id", String),
    Column("content_hash", String), Column("snapshot_json", Text), Column("answer_json", Text), Column("score", Float),
    Column("correct", Boolean), Column("answered_at", UTCDateTime), Column("seconds_taken", Float))


def write_the_0006_way(engine: Engine) -> tuple[dict[int, str], dict[int, str | None]]:
    """A technician's practice, two quizzes and an exam (one answer changed), inserted as 0006 stored them: whole
    snapshots in responses.snapshot_json and attempts.questions_json. Results are sealed in the audit chain."""
    when = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    responses_before: dict[int, str] = {}
    attempts_before: dict[int, str | None] = {}
    with engine.begin() as conn:
        conn.execute(insert(users), {"id": 1, "username": "sam", "full_name": "Sam Lee", "role": "technician",
                                     "location": "Riverside", "password_hash": "x", "active": True,
                                     "must_change_password": False, "created_at": when})
        sittings = [("practice", None, 1, False), ("quiz", "skin-science", 2, True), ("quiz", "skin-science", 3, True),
                    ("exam", None, 4, True)]
        for kind, module_id, seed, draws in sittings:
            drawn = old_way_snapshots(seed)
            questions_json = dumps([snapshot for snapshot, _ in drawn]) if draws else None
            attempt_id = conn.execute(insert(attempts).values(
                user_id=1, kind=kind, module_id=module_id, started_at=when, questions_json=questions_json,
                policy_json=dumps({"pass_mark_percent": 85}))).inserted_primary_key[0]
            attempts_before[attempt_id] = questions_json
            answers = [(position, snapshot, answer) for position, (snapshot, answer) in enumerate(drawn)]
            if kind == "exam":  # a changed answer is a second row showing the same question in the same order
                answers.append(answers[0][:2] + (None,))
            for position, snapshot, answer in answers:
                score = 1.0 if answer == snapshot["key"] else 0.0
                response_id = conn.execute(insert(RESPONSES_0006).values(
                    attempt_id=attempt_id, position=position, question_id=snapshot["question_id"],
                    module_id=snapshot["module_id"], content_hash=snapshot["content_hash"],
                    snapshot_json=dumps(snapshot), answer_json=dumps(answer), score=score, correct=score == 1.0,
                    seconds_taken=7.5, answered_at=when)).inserted_primary_key[0]
                responses_before[response_id] = dumps(snapshot)
            if kind != "practice":
                conn.execute(insert(attempt_results), {"attempt_id": attempt_id, "finished_at": when, "score": 0.5,
                                                       "passed": False, "closed_by": "submitted"})
    # Sealed as the app sealed results at 0006 (the audit chain and the results table are the same since 0004).
    audit = AuditLog(Database(engine, FixedClock(when)), settings.audit_key())
    with engine.begin() as conn:
        audit.seal_unsealed(conn)
    return responses_before, attempts_before


def test_0007_gives_back_every_snapshot_written_the_0006_way(db_url: str) -> None:
    with opened(db_url) as engine:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0006")
        responses_before, attempts_before = write_the_0006_way(engine)
    store = Store.open(db_url, audit_key=settings.audit_key())
    try:
        assert_snapshots_come_back(store, responses_before, attempts_before)
        (exam,) = store.attempts.for_user(READER, UserId(1), AttemptKind.EXAM)
        drawn = attempts_before[exam.id]
        assert drawn is not None
        assert store.reports.exam_draw_counts() == {question["question_id"]: 1 for question in json.loads(drawn)}
        # Results are sealed in the audit chain; nothing 0007 changed is, and every seal still holds.
        report = store.audit.verify()
        assert report.intact and report.records == ()
    finally:
        store.close()
    with opened(db_url) as engine:
        with engine.connect() as conn:
            # Each wording is kept once, however many sittings showed it and in whatever order.
            assert conn.scalar(text("SELECT COUNT(*) FROM question_versions")) == len(old_way_snapshots(0))
            shown_differently = text("SELECT COUNT(*) FROM (SELECT version_id FROM responses GROUP BY version_id "
                                     "HAVING COUNT(DISTINCT shown_order) > 1) AS shuffled")
            assert conn.scalar(shown_differently) > 0
        # The tables 0007 rebuilt or changed keep every guard (the clinic test checks every history table).
        assert_history_is_append_only(engine, ("attempts", "responses", "question_versions"))


# ---- 0009: accounts gain an optional e-mail address --------------------------------------------------------


def test_0009_keeps_every_account_without_an_address_until_one_is_set(db_url: str) -> None:
    when = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    accounts = [(1, "mia", "Mia Manager", "manager", "North", True), (2, "sam", "Sam Lee", "technician", None, True),
                (3, "old", "Olga Left", "technician", "South", False)]
    with opened(db_url) as engine, engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0008")
        for user_id, username, name, role, location, active in accounts:
            conn.execute(text("INSERT INTO users (id, username, full_name, role, location, password_hash, active, "
                              "must_change_password, created_at) VALUES (:id, :username, :name, :role, :location, "
                              "'x', :active, false, :when)"),
                         {"id": user_id, "username": username, "name": name, "role": role, "location": location,
                          "active": active, "when": when})
    store = Store.open(db_url, audit_key=settings.audit_key())  # 0008 -> head
    try:
        people = store.accounts.list_users()
        assert sorted((p.id, p.username, p.full_name, p.role.value, p.location, p.active, p.email) for p in people) == [
            (*account, None) for account in accounts]
        mia, sam = store.accounts.find("mia"), store.accounts.find("sam")
        store.accounts.set_email(sam.id, "sam@clinic.example", mia.actor)
        assert store.accounts.get(sam.id).email == "sam@clinic.example"
        assert store.accounts.find("old").email is None
    finally:
        store.close()
    with opened(db_url) as engine:
        assert current_revision(engine) == head_revision()


# ---- 0010: accounts indexed by name, the register's order ---------------------------------------------------


def test_0010_indexes_existing_accounts_and_the_register_still_lists_them_by_name(db_url: str) -> None:
    when = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    # Two people share a name: the register orders them by id. Inserted out of order, as a clinic's were.
    accounts = [(4, "zoe", "Zoë Adams", "technician"), (1, "mia", "Mia Manager", "manager"),
                (3, "sam2", "Sam Lee", "technician"), (2, "sam", "Sam Lee", "technician"),
                (5, "abe", "Abe Brown", "trainer")]
    with opened(db_url) as engine, engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0009")
        for user_id, username, name, role in accounts:
            conn.execute(text("INSERT INTO users (id, username, full_name, role, location, password_hash, active, "
                              "must_change_password, created_at, email) VALUES (:id, :username, :name, :role, NULL, "
                              "'x', true, false, :when, NULL)"),
                         {"id": user_id, "username": username, "name": name, "role": role, "when": when})
    store = Store.open(db_url, audit_key=settings.audit_key())  # 0009 -> head
    try:
        manager = store.accounts.find("mia").actor
        listed = [(row.user_id, row.username) for row in store.registry.rows(manager, when)]
        assert listed == [(5, "abe"), (1, "mia"), (2, "sam"), (3, "sam2"), (4, "zoe")]
    finally:
        store.close()
    with opened(db_url) as engine:
        assert current_revision(engine) == head_revision()
        indexes = {index["name"]: index["column_names"] for index in inspect(engine).get_indexes("users")}
        assert indexes["ix_users_full_name_id"] == ["full_name", "id"]
