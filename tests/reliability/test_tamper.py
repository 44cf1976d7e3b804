"""Records cannot change without it being seen: the tamper cases of issue #13, on SQLite and PostgreSQL.

Each test plays someone with direct access to the database (raw SQL, triggers dropped where needed) and checks
that `audit-verify`'s checks name what happened.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from modules import auth, sessions, settings
from modules.__main__ import main
from modules.core.records import Actor, AttemptResult
from modules.core.types import AttemptKind, Role
from modules.store import Store
from modules.store.item_sums import SUM_TABLES
from tests.helpers import record_attempt

SUM_TABLE_NAMES = [table.name for table in SUM_TABLES]

PASSWORD = "a long clinic passphrase"


@pytest.fixture
def clinic(store):
    manager = Actor(auth.create_user(store, "mia", "Mia", Role.MANAGER, PASSWORD), Role.MANAGER)
    tina = auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD)
    tom = auth.create_user(store, "tom", "Tom", Role.TECHNICIAN, PASSWORD)
    failed = record_attempt(store, tina, AttemptKind.EXAM, None, [], AttemptResult(0.76, False))
    passed = store.attempts.start(tom, AttemptKind.EXAM, None)
    cert = store.exams.finish(passed, AttemptResult(0.95, True), "Certificate", store.clock() + timedelta(days=365))
    store.signoffs.record(tina, manager, store.clock().date(), {"prep": True}, "steady")
    assert store.audit.verify().intact
    return {"manager": manager, "tina": tina, "tom": tom, "failed": failed, "cert": cert}


def drop_guards(raw_db, table: str) -> None:
    with raw_db.begin() as conn:
        if raw_db.dialect.name == "sqlite":
            for verb in ("update", "delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_replace"))
        else:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))


def test_replacing_a_result_in_place_is_refused_by_the_database(clinic, raw_db):
    """SQLite's INSERT OR REPLACE, and PostgreSQL's upsert (an UPDATE under the hood), over a failed result."""
    if raw_db.dialect.name == "sqlite":
        statement = ("INSERT OR REPLACE INTO attempt_results (attempt_id, finished_at, score, passed, closed_by) "
                     "VALUES (:a, '2025-03-03 09:00:00.000000', 1.0, 1, 'submitted')")
    else:
        statement = ("INSERT INTO attempt_results (attempt_id, finished_at, score, passed, closed_by) "
                     "VALUES (:a, now(), 1.0, true, 'submitted') "
                     "ON CONFLICT (attempt_id) DO UPDATE SET score = 1.0, passed = true")
    with pytest.raises(DBAPIError, match="append-only"), raw_db.begin() as conn:
        conn.execute(text(statement), {"a": clinic["failed"]})
    with raw_db.connect() as conn:
        assert conn.execute(text("SELECT score FROM attempt_results WHERE attempt_id = :a"),
                            {"a": clinic["failed"]}).scalar_one() == 0.76


def test_a_failed_result_changed_to_a_pass_is_seen(clinic, store, raw_db):
    drop_guards(raw_db, "attempt_results")
    with raw_db.begin() as conn:
        conn.execute(text("UPDATE attempt_results SET score = 1.0, passed = :t WHERE attempt_id = :a"),
                     {"t": True, "a": clinic["failed"]})
    report = store.audit.verify()
    assert report.broken_at is None  # the chain itself is untouched...
    assert report.records == (f"attempt_results:{clinic['failed']} no longer matches its seal "
                              "(changed after it was written)",)  # ...but the record no longer matches its seal


def test_a_certificate_moved_to_another_person_or_given_a_2099_expiry_is_seen(clinic, store, raw_db):
    drop_guards(raw_db, "certificates")
    cert = clinic["cert"]
    with raw_db.begin() as conn:
        conn.execute(text("UPDATE certificates SET user_id = :u WHERE id = :c"), {"u": clinic["tina"], "c": cert.id})
    assert store.audit.verify().records == (f"certificates:{cert.id} no longer matches its seal "
                                            "(changed after it was written)",)
    with raw_db.begin() as conn:
        conn.execute(text("UPDATE certificates SET user_id = :u, expires_at = :e WHERE id = :c"),
                     {"u": clinic["tom"], "e": "2099-01-01 00:00:00.000000" if raw_db.dialect.name == "sqlite"
                      else "2099-01-01 00:00:00+00", "c": cert.id})
    assert len(store.audit.verify().records) == 1


def test_a_record_slipped_in_behind_the_app_is_seen(clinic, store, raw_db):
    with raw_db.begin() as conn:
        conn.execute(text("INSERT INTO certificate_revocations (certificate_id, revoked_by, revoked_at, reason) "
                          "VALUES (:c, :m, :t, 'forged')"),
                     {"c": clinic["cert"].id, "m": clinic["manager"].user_id,
                      "t": "2025-03-04 09:00:00.000000" if raw_db.dialect.name == "sqlite" else "2025-03-04"})
    (problem,) = store.audit.verify().records
    assert problem.startswith("certificate_revocations:") and "has no seal" in problem


def test_deleting_the_newest_audit_rows_is_seen_by_the_seals_and_by_an_anchor(clinic, store, raw_db):
    anchor = store.audit.head()
    drop_guards(raw_db, "audit_log")
    with raw_db.begin() as conn:
        newest = conn.execute(text("SELECT MAX(id) FROM audit_log")).scalar_one()
        conn.execute(text("DELETE FROM audit_log WHERE id > :n"), {"n": newest - 3})
    report = store.audit.verify(anchor=anchor)
    assert report.broken_at is None  # what is left still links up...
    assert report.anchor_found is False and report.records  # ...but the anchor and the seals say rows went


def test_an_edited_row_with_every_later_hash_recomputed_is_seen_without_the_key(clinic, store, raw_db, db_url):
    """The forger recomputes the chain as plain sha256 (they do not have the clinic's key)."""
    from sqlalchemy import select

    from modules.store.schema import GENESIS_HASH, audit_hash, audit_log

    drop_guards(raw_db, "audit_log")
    with raw_db.begin() as conn:
        rows = [dict(r) for r in conn.execute(select(audit_log).order_by(audit_log.c.id)).mappings()]
        rows[2]["detail"] = "nothing happened"
        prev = GENESIS_HASH
        for row in rows:
            row["prev_hash"], row["hash"] = prev, audit_hash(prev, row, b"a guessed key")
            conn.execute(text("UPDATE audit_log SET detail = :detail, prev_hash = :prev_hash, hash = :hash "
                              "WHERE id = :id"), row)
            prev = row["hash"]
    assert store.audit.verify().broken_at == 1
    other = Store.open(db_url, audit_key=bytes(32))  # not the clinic's key: nothing verifies either
    try:
        assert other.audit.verify().broken_at == 1
    finally:
        other.close()


def test_audit_verify_names_the_database_and_never_creates_one(tmp_path, capsys):
    missing = tmp_path / "nowhere.db"
    assert main(["audit-verify", "--db", f"sqlite:///{missing}"]) == 1
    assert "There is no database at" in capsys.readouterr().err
    assert not missing.exists()


def test_audit_verify_checks_a_saved_anchor(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    store = Store.open(url, audit_key=settings.audit_key())
    auth.create_user(store, "mia", "Mia", Role.MANAGER, PASSWORD)
    anchor = store.audit.head()
    store.close()
    assert main(["audit-verify", "--db", url, "--anchor", anchor]) == 0
    assert "and the anchor is in the chain" in capsys.readouterr().out
    assert main(["audit-verify", "--db", url, "--anchor", "1:" + "f" * 64]) == 1
    assert "is not in the chain" in capsys.readouterr().out


def test_on_postgresql_the_apps_role_cannot_switch_the_guards_off(postgres_server_url):
    """The README's set-up: an owner role runs the migrations; the app's role may only read and append."""
    import uuid

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    tag = uuid.uuid4().hex[:8]
    owner, app, schema = f"owner_{tag}", f"app_{tag}", f"clinic_{tag}"
    admin = create_engine(postgres_server_url, poolclass=NullPool)
    with admin.begin() as conn:
        for statement in (f"CREATE ROLE {owner} LOGIN", f"CREATE ROLE {app} LOGIN",
                          f"CREATE SCHEMA {schema} AUTHORIZATION {owner}",
                          f"GRANT USAGE ON SCHEMA {schema} TO {app}",
                          f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
                          f"GRANT SELECT, INSERT ON TABLES TO {app}",
                          f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
                          f"GRANT USAGE, SELECT ON SEQUENCES TO {app}"):
            conn.execute(text(statement))

    def url_for(role: str) -> str:
        return make_url(postgres_server_url).set(username=role).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)

    try:
        Store.open(url_for(owner), audit_key=settings.audit_key()).close()  # `migrate --db <owner URL>`
        with admin.begin() as conn:
            conn.execute(text(f"GRANT UPDATE ON {schema}.users, {schema}.sign_in_failures, {schema}.sessions "
                              f"TO {app}"))
            sums = ", ".join(f"{schema}.{table}" for table in SUM_TABLE_NAMES)
            conn.execute(text(f"GRANT UPDATE, DELETE ON {sums} TO {app}"))
            conn.execute(text(f"GRANT DELETE ON {schema}.sign_in_failures TO {app}"))
        store = Store.open(url_for(app), audit_key=settings.audit_key())
        try:
            manager = auth.create_user(store, "mia", "Mia", Role.MANAGER, PASSWORD)
            tina = auth.create_user(store, "tina", "Tina", Role.TECHNICIAN, PASSWORD,
                                    actor=Actor(manager, Role.MANAGER))
            record_attempt(store, tina, AttemptKind.QUIZ, "skin", [], AttemptResult(0.5, False))
            token = sessions.begin(store, store.accounts.get(tina), store.clock())  # sign-in, seen, sign-out
            assert sessions.sign_out(store, token, store.clock() + timedelta(minutes=5)) is not None
            assert store.audit.verify().intact
        finally:
            store.close()
        as_app = create_engine(url_for(app), poolclass=NullPool)
        for statement in ("ALTER TABLE attempt_results DISABLE TRIGGER ALL",
                          "DROP TRIGGER attempt_results_append_only ON attempt_results",
                          "UPDATE attempt_results SET score = 1.0",
                          "ALTER TABLE sessions DISABLE TRIGGER ALL",
                          "UPDATE sessions SET ended_at = NULL"):
            with pytest.raises(DBAPIError, match="(?i)owner|permission denied|append-only|may only be seen"), \
                    as_app.begin() as conn:
                conn.execute(text(statement))
        as_app.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            conn.execute(text(f"DROP OWNED BY {app}"))
            conn.execute(text(f"DROP ROLE {app}"))
            conn.execute(text(f"DROP ROLE {owner}"))
        admin.dispose()
