"""Backups: an online copy that is checked before it is trusted, and a restore that never loses the live file."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from modules import auth, settings
from modules import backup as backups
from modules.__main__ import main
from modules.core.errors import StoreError
from modules.core.records import Actor, AttemptResult
from modules.core.types import AttemptId, AttemptKind, Role, UserId
from modules.store import Store
from tests.helpers import behind_the_store, record_attempt, stored_answer

PASSWORD = "a long clinic passphrase"


def open_store(url, clock) -> Store:
    return Store.open(url, clock=clock, audit_key=settings.audit_key())


@dataclass(frozen=True)
class Seeded:
    manager: Actor
    tech: UserId
    attempt: AttemptId


def seed(store: Store) -> Seeded:
    """A manager, a technician with one finished quiz, and an audit event: something in every chain."""
    manager = Actor(auth.create_user(store, "mia", "Mia", Role.MANAGER, PASSWORD), Role.MANAGER)
    tech = auth.create_user(store, "tess", "Tess", Role.TECHNICIAN, PASSWORD)
    attempt = record_attempt(store, tech, AttemptKind.QUIZ, "skin-science", [stored_answer(0), stored_answer(1)],
                             AttemptResult(1.0, True))
    store.audit.record(manager, "export", "register", "csv")
    return Seeded(manager, tech, attempt)


@pytest.fixture
def live_url(tmp_path):
    return f"sqlite:///{tmp_path / 'live' / 'training.db'}"


@pytest.fixture
def live(live_url, clock):
    store = open_store(live_url, clock)
    try:
        yield store
    finally:
        store.close()


def attempt_count(url: str, clock, seeded: Seeded) -> int:
    store = open_store(url, clock)
    try:
        return len(store.attempts.for_user(seeded.manager, seeded.tech))
    finally:
        store.close()


def test_backup_into_a_folder_is_a_checked_copy_with_a_dated_utc_name(live, tmp_path, clock):
    seeded = seed(live)
    report = backups.backup(live, tmp_path / "backups")  # a folder that does not exist yet is made
    assert report.file == tmp_path / "backups" / "training-20250303-090000.db"
    assert report.database == live.url and report.revision == live.revision() and report.size > 0
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == [report.file.name]  # no partial, no WAL
    assert backups.check_copy(report.file, live.revision()) == []
    copy = open_store(f"sqlite:///{report.file}", clock)
    try:
        assert copy.attempts.get(seeded.manager, seeded.attempt).result.score == 1.0
        assert len(copy.attempts.responses(seeded.manager, seeded.attempt)) == 2
    finally:
        copy.close()
    assert "OK: backed up" in report.sentence() and str(report.file) in report.sentence()


def test_backup_to_a_new_file_and_never_over_an_existing_one(live, tmp_path):
    seed(live)
    report = backups.backup(live, tmp_path / "nightly" / "copy.db")
    assert report.file == tmp_path / "nightly" / "copy.db" and report.file.is_file()
    before = report.file.read_bytes()
    with pytest.raises(StoreError, match="already exists"):
        backups.backup(live, report.file)
    assert report.file.read_bytes() == before


def test_postgresql_is_pointed_to_pg_dump_and_pg_restore(tmp_path):
    with pytest.raises(StoreError, match="pg_dump -Fc"):
        backups.backup(SimpleNamespace(backend="postgresql"), tmp_path)  # refused before anything is touched
    with pytest.raises(StoreError, match="pg_dump -Fc"):
        backups.open_database("postgresql+psycopg://training:secret@db.example.internal/training")
    with pytest.raises(StoreError, match="pg_restore"):
        backups.restore(tmp_path / "any.db", "postgresql+psycopg://training:secret@db.example.internal/training")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_postgresql_store_is_refused_with_the_pg_dump_command(store, tmp_path):
    with pytest.raises(StoreError, match="pg_dump -Fc"):
        backups.backup(store, tmp_path / "backups")
    assert not (tmp_path / "backups").exists()


def test_a_missing_live_database_is_not_created_and_backed_up(tmp_path):
    with pytest.raises(StoreError, match="no database at"):
        backups.open_database(f"sqlite:///{tmp_path / 'typo.db'}")
    assert not (tmp_path / "typo.db").exists()


@pytest.mark.parametrize("damage", ["truncate", "flip", "junk"])
def test_a_damaged_copy_is_caught(live, tmp_path, damage):
    seed(live)
    copy = backups.backup(live, tmp_path / "copy.db").file
    data = bytearray(copy.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        for i in range(4096 * 3, 4096 * 4, 7):  # through a b-tree page
            data[i] ^= 0xFF
    else:
        data = bytearray(b"not a database " * 100)
    copy.write_bytes(bytes(data))
    assert backups.check_copy(copy) != []


def test_an_edited_audit_row_in_a_copy_is_caught(live, tmp_path):
    seed(live)
    copy = backups.backup(live, tmp_path / "copy.db").file
    with behind_the_store(f"sqlite:///{copy}") as conn:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET detail = 'pdf' WHERE action = 'export'"))
    problems = backups.check_copy(copy)
    assert problems and "audit chain is broken" in problems[0]


def test_a_copy_that_fails_its_check_is_kept_as_broken_never_under_the_final_name(live, tmp_path, monkeypatch):
    seed(live)
    monkeypatch.setattr(live, "copy_to", lambda file: file.write_bytes(b"half a copy " * 500))
    with pytest.raises(StoreError, match=r"failed its check.*\.broken"):
        backups.backup(live, tmp_path / "backups")
    assert [p.name for p in (tmp_path / "backups").iterdir()] == ["training-20250303-090000.db.broken"]


def test_restore_refuses_a_database_that_holds_data_without_force(live, live_url, tmp_path, clock):
    seed(live)
    copy = backups.backup(live, tmp_path / "copy.db").file
    live.close()
    file = tmp_path / "live" / "training.db"
    before = file.read_bytes()
    with pytest.raises(StoreError, match=r"add --force.*training\.db\.before-restore-20250303-090000"):
        backups.restore(copy, live_url, clock=clock)
    assert file.read_bytes() == before
    assert sorted(p.name for p in file.parent.iterdir() if "before-restore" in p.name or p.name.startswith(".")) == []


def test_restore_with_force_keeps_the_replaced_database_aside(live, live_url, tmp_path, clock):
    seeded = seed(live)
    copy = backups.backup(live, tmp_path / "copy.db").file
    record_attempt(live, seeded.tech, AttemptKind.PRACTICE, "skin-science", [stored_answer(0)],
                   AttemptResult(1.0, None))
    live.close()  # the app is stopped before a restore
    report = backups.restore(copy, live_url, force=True, clock=clock)
    aside = tmp_path / "live" / "training.db.before-restore-20250303-090000"
    assert report.kept_aside == aside and report.database == live_url and "kept as" in report.sentence()
    assert attempt_count(live_url, clock, seeded) == 1  # as backed up
    assert attempt_count(f"sqlite:///{aside}", clock, seeded) == 2  # the later attempt is not lost, only set aside
    assert backups.check_copy(tmp_path / "live" / "training.db") == []


def test_restore_into_a_new_file_needs_no_force(live, tmp_path, clock):
    seeded = seed(live)
    copy = backups.backup(live, tmp_path / "copy.db").file
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'training.db'}"
    report = backups.restore(copy, url, clock=clock)
    assert report.kept_aside is None and attempt_count(url, clock, seeded) == 1


def test_a_damaged_backup_is_never_restored(live, live_url, tmp_path, clock):
    seed(live)
    copy = backups.backup(live, tmp_path / "copy.db").file
    copy.write_bytes(copy.read_bytes()[:8192])
    live.close()
    file = tmp_path / "live" / "training.db"
    before = file.read_bytes()
    with pytest.raises(StoreError, match="not a sound backup"):
        backups.restore(copy, live_url, force=True, clock=clock)
    assert file.read_bytes() == before
    assert not any("before-restore" in p.name for p in file.parent.iterdir())


def test_the_commands_print_one_line_and_exit_1_with_a_plain_error(live, live_url, tmp_path, capsys):
    seed(live)
    assert main(["backup", str(tmp_path / "backups"), "--db", live_url]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("OK: backed up ") and "\n" not in out
    copy = next((tmp_path / "backups").iterdir())
    live.close()
    assert main(["restore", str(copy), "--db", live_url]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "--force" in err and "Traceback" not in err
    assert main(["restore", str(copy), "--db", live_url, "--force"]) == 0
    assert capsys.readouterr().out.startswith("OK: restored ")
    assert main(["audit-verify", "--db", live_url]) == 0
