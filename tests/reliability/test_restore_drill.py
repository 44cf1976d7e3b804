"""Restore drill: back up while two other processes write attempts, restore the last backup, and find every attempt
that was acknowledged before that backup began, whole (its result and every answer).

Each writer is this file run as a script: it writes finished attempts through the store as fast as it can and
appends each attempt's id to its own file only after `submit` has returned, which is what "acknowledged" means to
a technician whose quiz page said "saved".
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from modules import auth, settings
from modules import backup as backups
from modules.core.errors import StoreError
from modules.core.records import Actor, AttemptResult
from modules.core.types import AttemptId, AttemptKind, Role, UserId
from modules.store import Store
from tests.helpers import stored_answer

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 2
BACKUPS = 4
RESPONSES = 5
PASSWORD = "a long clinic passphrase"


def write_until_stopped(url: str, user_id: UserId, acks: Path, stop: Path) -> None:
    """The writer process: finished attempts (and now and then an audit event) until `stop` exists."""
    store = Store.open(url, audit_key=settings.audit_key())
    try:
        with acks.open("a", encoding="ascii") as out:
            written = 0
            while not stop.exists():
                attempt = store.attempts.start(user_id, AttemptKind.QUIZ, "skin-science")
                store.attempts.submit(attempt, [stored_answer(i) for i in range(RESPONSES)], AttemptResult(1.0, True))
                out.write(f"{attempt}\n")
                out.flush()
                written += 1
                if written % 10 == 0:
                    store.audit.record(None, "drill", f"user:{user_id}", {"written": written})
    finally:
        store.close()


def acknowledged(acks: list[Path]) -> set[AttemptId]:
    """Every id a writer has reported so far; a line still being written (no newline yet) does not count."""
    ids: set[AttemptId] = set()
    for file in acks:
        text = file.read_text(encoding="ascii") if file.exists() else ""
        ids |= {AttemptId(int(line)) for line in text.splitlines(keepends=True) if line.endswith("\n")}
    return ids


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_every_acknowledged_attempt_survives_backup_under_load_and_restore(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    store = Store.open(url, audit_key=settings.audit_key())
    manager = Actor(auth.create_user(store, "mia", "Mia", Role.MANAGER, PASSWORD), Role.MANAGER)
    techs = [auth.create_user(store, f"tech{n}", f"Tech {n}", Role.TECHNICIAN, PASSWORD) for n in range(WRITERS)]
    stop = tmp_path / "stop"
    acks = [tmp_path / f"acks-{n}.txt" for n in range(WRITERS)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [subprocess.Popen([sys.executable, __file__, url, str(tech), str(ack), str(stop)], cwd=ROOT, env=env,
                                stderr=subprocess.PIPE, text=True) for tech, ack in zip(techs, acks)]
    try:
        wait_for(lambda: all(ack.exists() and ack.stat().st_size > 0 for ack in acks), 15, "both writers to start")
        reports = []
        for n in range(BACKUPS):
            time.sleep(0.3)
            before_last = acknowledged(acks)  # read BEFORE the backup starts: all of these must be in it
            reports.append(backups.backup(store, tmp_path / "backups"))
            if n < BACKUPS - 1:
                time.sleep(1.0)  # backups are named by the second
        time.sleep(0.3)
    finally:
        stop.touch()
        errors = [writer.communicate(timeout=30)[1] for writer in writers]
        store.close()
    assert [writer.returncode for writer in writers] == [0] * WRITERS, "\n".join(errors)
    assert len({report.file for report in reports}) == BACKUPS
    assert len(acknowledged(acks)) > len(before_last) > 0  # the writers were still writing around the backup

    restored_url = f"sqlite:///{tmp_path / 'restored' / 'training.db'}"
    report = backups.restore(reports[-1].file, restored_url)
    assert report.kept_aside is None
    restored = Store.open(restored_url, audit_key=settings.audit_key())
    try:
        assert restored.integrity_problems() == []
        chain = restored.audit.verify()
        assert chain.intact, (chain.broken_at, chain.records[:3])
        missing, incomplete = [], []
        for attempt_id in sorted(before_last):
            try:
                attempt = restored.attempts.get(manager, attempt_id)
            except StoreError:  # "There is no such attempt."
                missing.append(attempt_id)
                continue
            answers = restored.attempts.responses(manager, attempt_id)
            if attempt.result is None or attempt.result.score != 1.0 or len(answers) != RESPONSES:
                incomplete.append(attempt_id)
    finally:
        restored.close()
    assert missing == [] and incomplete == []


if __name__ == "__main__":
    write_until_stopped(sys.argv[1], UserId(int(sys.argv[2])), Path(sys.argv[3]), Path(sys.argv[4]))
