"""Backups of a SQLite record store: an online copy that is checked before it is trusted, and a careful restore.

`backup` copies the live database through SQLite's online backup API (safe while the app writes) under a temporary
name in the destination folder, checks the copy (SQLite's integrity check, the audit log's hash chain and every
record's seal, the schema revision) and only then gives it its final name; a copy that fails is kept as `*.broken`,
never under the final name. `restore` checks the backup the same way, refuses to replace a database that holds data
unless forced, and keeps the replaced file (with its WAL) as `<name>.before-restore-<stamp>`. PostgreSQL is backed
up with its own tools (`pg_dump -Fc`, `pg_restore`); both functions say so.

The audit chain is keyed with the clinic's secret, which lives outside the database (TRAINING_AUDIT_KEY_FILE): a
copy is checked with that key, and a restore on another machine needs the key file copied there too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modules import settings
from modules.core.clock import Clock, require_utc, system_clock
from modules.core.errors import StoreError, TrainingError
from modules.store import Store, sqlite_file

STAMP = "%Y%m%d-%H%M%S"
PG_DUMP = ("A PostgreSQL database is backed up with its own tools, not this command: run "
           "`pg_dump -Fc -f training-YYYYMMDD.dump postgresql://USER@HOST:5432/DBNAME` (see the README).")
PG_RESTORE = ("A PostgreSQL database is restored with its own tools, not this command: run "
              "`pg_restore --clean --if-exists -d postgresql://USER@HOST:5432/DBNAME training-YYYYMMDD.dump`.")
_SIDECARS = ("-wal", "-shm", "-journal")  # SQLite's files beside a database; they travel with it


@dataclass(frozen=True)
class BackupReport:
    database: str  # the URL copied, password hidden
    file: Path  # the checked copy
    revision: str | None
    size: int  # bytes

    def sentence(self) -> str:
        return (f"OK: backed up {self.database} to {self.file} ({self.size / 1_000_000:.1f} MB, schema "
                f"{self.revision}); integrity check and audit chain verified.")


@dataclass(frozen=True)
class RestoreReport:
    database: str  # the URL restored into
    source: Path
    kept_aside: Path | None  # where the replaced database now is, if there was one

    def sentence(self) -> str:
        kept = f"; the previous database is kept as {self.kept_aside}" if self.kept_aside else ""
        return (f"OK: restored {self.source} into {self.database} (integrity check and audit chain verified){kept}. "
                "Run `python -m modules audit-verify` once the app is back.")


def _url(file: Path) -> str:
    return f"sqlite:///{file.resolve()}"


def _database_file(url: str) -> Path | None:
    try:
        return sqlite_file(url)
    except Exception as error:  # SQLAlchemy's own parse error, which the domain does not import
        raise StoreError(f"The database URL {url!r} cannot be read.") from error


def _stamp(clock: Clock) -> str:
    return require_utc(clock()).strftime(STAMP)


def _family(database: Path) -> list[Path]:
    """A database file and the WAL, shared-memory and journal files SQLite keeps beside it."""
    return [database, *(database.with_name(database.name + suffix) for suffix in _SIDECARS)]


def _move(database: Path, to: Path) -> Path:
    """Rename a database together with its WAL (the two are only consistent together)."""
    for file, renamed in zip(_family(database), _family(to)):
        if file.exists():
            file.replace(renamed)
    return to


def _remove(database: Path) -> None:
    for file in _family(database):
        file.unlink(missing_ok=True)


def _holds_data(database: Path) -> bool:
    return any(f.exists() and f.stat().st_size > 0 for f in (database, database.with_name(database.name + "-wal")))


def _problems(store: Store, revision: str | None) -> list[str]:
    try:
        found = [f"integrity check: {problem}" for problem in store.integrity_problems()[:5]]
        if not found:
            chain = store.audit.verify()
            if chain.broken_at is not None:
                found.append(f"the audit chain is broken at row {chain.broken_at} (or the audit key is not the "
                             "clinic's)")
            found += list(chain.records[:5])
        if revision is not None and store.revision() != revision:
            found.append(f"schema revision {store.revision()}, expected {revision}")
    except TrainingError as error:
        found = [f"it could not be read: {error}"]
    return found


def _open(file: Path, audit_key: bytes | None) -> Store:
    return Store.open(_url(file), audit_key=settings.audit_key() if audit_key is None else audit_key,
                      must_exist=True)


def check_copy(file: Path, revision: str | None = None, audit_key: bytes | None = None) -> list[str]:
    """What is wrong with a backup file, empty when it is sound: it opens as this app's database, passes SQLite's
    integrity check, its audit chain and seals hold (with `audit_key`, by default the clinic's) and, when given,
    its schema is at `revision`."""
    if not file.is_file() or file.stat().st_size == 0:
        return [f"{file} is missing or empty"]
    try:
        copy = _open(file, audit_key)
    except TrainingError as error:
        return [f"it could not be opened as a training database: {error}"]
    try:
        return _problems(copy, revision)
    finally:
        copy.close()


def open_database(url: str) -> Store:
    """The live store to back up; refuses PostgreSQL and a SQLite file that does not exist (opening would create
    an empty one, and back that up)."""
    file = _database_file(url)
    if file is None:
        raise StoreError(PG_DUMP if url.startswith("postgres") else "Only a SQLite database file can be backed up.")
    if not file.is_file():
        raise StoreError(f"There is no database at {file}; check --db or the TRAINING_DB_URL setting.")
    return Store.open(url, audit_key=settings.audit_key(), must_exist=True)


def _backup_target(dest: Path, now: str) -> Path:
    name = f"training-{now}.db"
    if dest.is_dir():
        target = dest / name
    elif dest.exists():
        raise StoreError(f"{dest} already exists; give a folder (each backup gets a dated name) or a new file name.")
    elif dest.suffix:
        dest.parent.mkdir(parents=True, exist_ok=True)
        target = dest
    else:  # a new folder, so a nightly job writing into it works from the first night
        dest.mkdir(parents=True)
        target = dest / name
    if target.exists():
        raise StoreError(f"{target} already exists; run the backup again in a second.")
    return target


def backup(store: Store, dest: Path, audit_key: bytes | None = None) -> BackupReport:
    """Copy the store into `dest` (a folder: `training-YYYYMMDD-HHMMSS.db` inside it, UTC; or a new file) while
    others write, and check the copy (with `audit_key`, by default the clinic's) before it takes its final name."""
    if store.backend != "sqlite":
        raise StoreError(PG_DUMP)
    target = _backup_target(dest, _stamp(store.clock))
    partial = target.with_name(f".{target.name}.partial")
    _remove(partial)
    try:
        store.copy_to(partial)
    except BaseException:
        _remove(partial)
        raise
    revision = store.revision()
    problems = check_copy(partial, revision, audit_key)
    if problems:
        broken = _move(partial, target.with_name(target.name + ".broken"))
        raise StoreError(f"The backup failed its check ({problems[0]}); it was kept as {broken} for inspection, "
                         "not as a backup.")
    _move(partial, target)
    return BackupReport(store.url, target, revision, target.stat().st_size)


def restore(source: Path, db_url: str, force: bool = False, clock: Clock = system_clock,
            audit_key: bytes | None = None) -> RestoreReport:
    """Replace the SQLite database at `db_url` with the backup `source`, after checking the backup; a database
    that holds data is replaced only with `force`, and is then kept aside, never deleted."""
    target = _database_file(db_url)
    if target is None:
        raise StoreError(PG_RESTORE if db_url.startswith("postgres") else "Only a SQLite database file can be "
                                                                          "restored into.")
    if not source.is_file():
        raise StoreError(f"There is no backup file at {source}.")
    if target.exists() and target.resolve() == source.resolve():
        raise StoreError("The backup and the database are the same file; nothing was restored.")
    stamp = _stamp(clock)
    aside = target.with_name(f"{target.name}.before-restore-{stamp}")
    if _holds_data(target) and not force:
        raise StoreError(f"{target} already holds a database; stop the app and add --force to replace it (the "
                         f"current file will be kept as {aside.name}).")
    try:
        original = _open(source, audit_key)
    except TrainingError as error:
        raise StoreError(f"{source} is not a sound backup, so nothing was restored: it could not be opened "
                         f"({error})") from error
    staging = target.with_name(f".{target.name}.restoring")
    try:
        problems = _problems(original, None)
        if problems:
            raise StoreError(f"{source} is not a sound backup, so nothing was restored: {problems[0]}.")
        revision = original.revision()
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove(staging)
        original.copy_to(staging)
    except BaseException:
        _remove(staging)
        raise
    finally:
        original.close()
    # The copy is checked where it will live before the current database is touched.
    problems = check_copy(staging, revision, audit_key)
    if problems:
        broken = _move(staging, target.with_name(f"{target.name}.restore-{stamp}.broken"))
        raise StoreError(f"The restored copy failed its check ({problems[0]}); the current database was left as "
                         f"it was and the copy kept as {broken}.")
    kept = None
    if any(file.exists() for file in _family(target)):
        if aside.exists():
            raise StoreError(f"{aside} already exists; run the restore again in a second.")
        kept = _move(target, aside)
    _move(staging, target)
    return RestoreReport(db_url, source, kept)
