"""The record store: the one front door to every account, attempt, certificate, sign-off and audit row.

`Store.open(url)` connects to SQLite (default, a file under progress/) or PostgreSQL (a chain of clinics),
brings the schema up to date with the Alembic migrations, and hands out one part per area, in the way Anki's
`Collection` fronts its managers:

    store.accounts       accounts, roles, password hashes, sign-in counters
    store.attempts       practice, quizzes, exams, review sessions, their answers and results
    store.certificates   certificates and revocations
    store.exams          an exam's result and its certificate, written together
    store.signoffs       supervised practical treatments
    store.lessons        lessons opened
    store.review_cards   spaced-review cards
    store.audit          the hash-chained audit log
    store.reports        grouped reads for trainers' and managers' reports
    store.registry       the certification register, one row per account, in one statement
    store.clinic         the clinic's own settings (name, public address), as an attributed history
    store.sessions       signed-in sessions, resolved by token hash from any instance
    store.item_sums      item analysis's running sums, added to as each quiz or exam finishes

All SQL of the platform lives in this package. History is append-only: no part has a method that changes it, and
the database itself refuses an UPDATE or DELETE. Reads of someone's records take the acting user and refuse a
technician who asks for another person's.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from modules.core.clock import Clock, system_clock
from modules.core.errors import StoreError
from modules.store import migrate
from modules.store.accounts import Accounts
from modules.store.attempts import Attempts
from modules.store.audit import AuditLog
from modules.store.certificates import Certificates
from modules.store.clinic import ClinicSettings
from modules.store.database import Database, connect, same_database, sqlite_file
from modules.store.exams import Exams
from modules.store.item_sums import ItemSumsPart
from modules.store.learning import Lessons, ReviewCards, Signoffs
from modules.store.registry import RegisterRow, Registry
from modules.store.reports import ATTEMPT_COLUMNS, Reports
from modules.store.sessions import Sessions, StoredSession

__all__ = ["ATTEMPT_COLUMNS", "RegisterRow", "Store", "StoredSession", "same_database", "sqlite_file"]


class Store:
    """The one front object over the database. Build it with `Store.open()`."""

    def __init__(self, db: Database, audit_key: bytes | None = None):
        self._db = db
        self.audit = AuditLog(db, audit_key)
        self.accounts = Accounts(db, self.audit)
        self.attempts = Attempts(db, self.audit)
        self.certificates = Certificates(db, self.audit)
        self.exams = Exams(db, self.audit, self.certificates)
        self.signoffs = Signoffs(db, self.audit)
        self.lessons = Lessons(db)
        self.review_cards = ReviewCards(db)
        self.reports = Reports(db)
        self.registry = Registry(db)
        self.clinic = ClinicSettings(db, self.audit)
        self.sessions = Sessions(db, self.audit)
        self.item_sums = ItemSumsPart(db)

    @classmethod
    def open(cls, url: str, clock: Clock = system_clock, audit_key: bytes | None = None, *,
             must_exist: bool = False) -> Store:
        """Connect and upgrade the schema to the current revision (refusing a database from a newer app).

        `audit_key` is the clinic's secret for the audit chain, kept outside the database (the app passes the
        one from its settings; without it new audit rows are unkeyed). `must_exist` refuses to create a database
        (a checking command must never make an empty one and report it as intact).
        """
        if must_exist:
            file = sqlite_file(url)
            if file is not None and not file.is_file():
                raise StoreError(f"There is no database at {file}.")
        engine = connect(url)
        try:
            before = migrate.current_revision(engine)
            if must_exist and not migrate.holds_records(engine):
                raise StoreError(f"{make_url(url).render_as_string(hide_password=True)} holds no training records.")
            migrate.upgrade_to_head(engine)
        except BaseException:
            engine.dispose()
            raise
        store = cls(Database(engine, clock), audit_key)
        if before is None or before < migrate.SEALING_REVISION:
            # Records written before sealing existed are sealed once, as they stand at the upgrade.
            with store._db.write(serialised=True) as conn:
                store.audit.seal_unsealed(conn)
        if before is None or before < migrate.ITEM_SUMS_REVISION:
            store.item_sums.rebuild()  # the attempts finished before the sums existed, added once
        return store

    @property
    def clock(self) -> Clock:
        return self._db.clock

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self._db.dialect

    @property
    def url(self) -> str:
        """The database URL with any password hidden, to say which database a command used."""
        return make_url(self._db.engine.url).render_as_string(hide_password=True)

    def revision(self) -> str | None:
        """The schema's migration revision."""
        return migrate.current_revision(self._db.engine)

    def copy_to(self, file: Path) -> None:
        """A consistent copy of a SQLite store into `file` (SQLite's online backup), even while others write."""
        self._db.copy_sqlite_to(file)

    def integrity_problems(self) -> list[str]:
        """What the database's own integrity check finds (empty when sound)."""
        return self._db.integrity_problems()

    def close(self) -> None:
        self._db.close()
