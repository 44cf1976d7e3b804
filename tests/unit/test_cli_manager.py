"""`python -m modules` for the manager: add-user, export, verify and audit-verify."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from modules import auth, settings
from modules.__main__ import main
from modules.core.records import AttemptResult
from modules.core.types import AttemptKind, Role
from modules.store import Store
from tests.helpers import behind_the_store, record_attempt

PASSWORD = "correct horse battery"


@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TRAINING_DB_URL", url)
    store = Store.open(url, audit_key=settings.audit_key())
    yield store
    store.close()


@pytest.fixture
def seeded(cli_store):
    manager = cli_store.accounts.get(auth.create_user(cli_store, "mia", "Mia Manager", Role.MANAGER, PASSWORD, "North"))
    tess = cli_store.accounts.get(auth.create_user(cli_store, "tess", "Tess North", Role.TECHNICIAN, PASSWORD, "North"))
    sam = cli_store.accounts.get(auth.create_user(cli_store, "sam", "Sam South", Role.TECHNICIAN, PASSWORD, "South"))
    cert = cli_store.certificates.issue(tess.id, None, "Technician", 0.9, cli_store.clock() + timedelta(days=300))
    record_attempt(cli_store, sam.id, AttemptKind.QUIZ, "skin", [], AttemptResult(0.5, False))
    return {"manager": manager, "tess": tess, "sam": sam, "certificate": cert}


def test_add_user_reads_the_password_from_stdin(cli_store, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code = main(["add-user", "--username", "Ann", "--name", "Ann Able", "--role", "trainer", "--location", "North",
                 "--password-stdin"])
    assert code == 0 and "ann" in capsys.readouterr().out
    user = auth.sign_in(cli_store, "ann", PASSWORD)
    assert user.role is Role.TRAINER and user.location == "North"


def test_add_user_asks_twice_and_refuses_a_mismatch_or_a_weak_password(cli_store, monkeypatch, capsys):
    answers = iter([PASSWORD, "something else entirely"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["add-user", "--username", "ann", "--name", "Ann", "--role", "manager"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["add-user", "--username", "ann", "--name", "Ann", "--role", "manager", "--password-stdin"]) == 1
    assert "at least 8 characters" in capsys.readouterr().err
    assert cli_store.accounts.find("ann") is None


def test_export_register_csv_with_filters_is_audited(seeded, cli_store, tmp_path):
    out = tmp_path / "register.csv"
    assert main(["export", "--what", "register", "--format", "csv", "--out", str(out), "--status", "certified",
                 "--location", "North"]) == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert len(lines) == 3 and "Tess North" in lines[1] and seeded["certificate"].code in lines[1]
    entry = cli_store.audit.rows(seeded["manager"].actor, action="export")[0]
    assert entry.target == "register:csv" and entry.actor_username == "command-line"
    # The file carries the chain's head after its own audit row, and audit-verify accepts it as an anchor.
    assert lines[2] == f"# Audit anchor {entry.id}:{entry.hash}"
    assert main(["audit-verify", "--anchor", lines[2].removeprefix("# Audit anchor ")]) == 0


def test_export_attempts_as_excel(seeded, tmp_path):
    out = tmp_path / "attempts.xlsx"
    assert main(["export", "--what", "attempts", "--format", "xlsx", "--out", str(out)]) == 0
    sheet = load_workbook(out).active
    assert sheet.cell(row=1, column=2).value == "username" and sheet.cell(row=2, column=2).value == "sam"


def test_export_refuses_an_unknown_status(seeded, tmp_path, capsys):
    assert main(["export", "--what", "register", "--format", "csv", "--out", str(tmp_path / "x.csv"),
                 "--status", "lapsed"]) == 1
    assert "Unknown status" in capsys.readouterr().err and not (tmp_path / "x.csv").exists()


def test_verify_prints_valid_revoked_and_unknown(seeded, cli_store, capsys):
    code = seeded["certificate"].code
    assert main(["verify", code.lower()]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VALID") and "Tess North" in out and "Technician" in out
    cli_store.certificates.revoke(seeded["certificate"].id, seeded["manager"].actor, "Issued in error")
    assert main(["verify", code]) == 1
    out = capsys.readouterr().out
    assert out.startswith("REVOKED") and "Issued in error" not in out
    assert main(["verify", "NOPE-NOPE"]) == 1
    assert "No certificate matches" in capsys.readouterr().out


def drop_audit_guard(url: str) -> None:
    """Remove the audit log's triggers the way someone with direct database access could."""
    with behind_the_store(url) as conn:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_audit_verify_passes_an_untouched_log(seeded, cli_store, capsys):
    assert main(["audit-verify"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Database: {cli_store.url}") and "\nOK: every audit row links" in out


def test_audit_verify_names_an_edited_row(seeded, cli_store, capsys):
    drop_audit_guard(cli_store.url)
    with behind_the_store(cli_store.url) as conn:
        conn.execute(text("UPDATE audit_log SET detail = 'nothing to see' WHERE id = 3"))
    assert main(["audit-verify"]) == 1
    assert "BROKEN at audit row 3" in capsys.readouterr().out


def test_audit_verify_names_the_row_after_a_deleted_one(seeded, cli_store, capsys):
    drop_audit_guard(cli_store.url)
    with behind_the_store(cli_store.url) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = 2"))
    assert main(["audit-verify"]) == 1
    assert "BROKEN at audit row 3" in capsys.readouterr().out
