"""The commands behind `python -m modules`; each prints plain messages and returns an exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

from modules import settings
from modules.banks import load_banks, summary
from modules.core.errors import TrainingError

if TYPE_CHECKING:  # imported only by the commands that use them, so `--help` starts fast
    from modules.banks import BankSet
    from modules.policy import Policy
    from modules.store import Store


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _check_banks_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", default=None,
                        help="folder of bank files (default: the TRAINING_BANKS_DIR setting)")


def check_banks(args: argparse.Namespace) -> int:
    from modules.policy import load_policy

    directory = Path(args.directory or settings.get("TRAINING_BANKS_DIR"))
    banks = load_banks(directory)
    policy, policy_problems = load_policy(directory, banks)
    problems = banks.problems + policy_problems
    for problem in problems:
        print(f"{directory / problem.file if problem.file != str(directory) else problem.file}:"
              f"{problem.line}: {problem.message}")
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(summary(banks))
    print(bank_report(banks, policy, directory))
    return 0


def bank_report(banks: BankSet, policy: Policy, directory: Path) -> str:
    """The lint's warnings (they never fail the check), each pool's size and guesser score, and how far the
    policy's pass decisions can be trusted."""
    from modules import bank_lint, reliability

    warnings = bank_lint.lint(banks, directory)
    lines = [f"{directory / w.file}:{w.line}: warning: {w.message}" for w in warnings]
    lines.append(f"{len(warnings)} lint warning(s) (they do not fail the check)")
    lines.append("pools (questions; a test-wise guesser's expected score, goal under 50%):")
    for module_id, pool, size, guess in bank_lint.pool_figures(banks):
        lines.append(f"  {module_id:<14} {pool.value:<8} {size:3d} questions; guesser {guess:.0%}")
    chance = bank_lint.exam_pass_chance(banks, policy)
    lines.append(f"guesser's chance of passing the exam: {chance:.4%} (goal under 0.1%)")
    lines += [d.sentence() for d in reliability.decisions(policy, [m.id for m in banks.modules])]
    return "\n".join(lines)


def guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn a TrainingError into one plain line and exit code 1, never a traceback."""

    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except TrainingError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1

    return wrapper


def _open_store(url: str | None = None, must_exist: bool = False) -> Store:
    from modules.store import Store

    return Store.open(url or settings.get("TRAINING_DB_URL"), audit_key=settings.audit_key(), must_exist=must_exist)


def _warn_if_loopback(store: Store) -> None:
    """Certificates that point to a loopback address cannot be checked from a phone: say so on stderr."""
    from modules import clinic

    warning = clinic.loopback_warning(clinic.public_address(store))
    if warning:
        print(f"warning: {warning}", file=sys.stderr)


def _add_user_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--username", required=True)
    parser.add_argument("--name", required=True, help="the person's full name")
    parser.add_argument("--role", required=True, choices=["technician", "trainer", "manager"])
    parser.add_argument("--location", default=None)
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input instead of a prompt")


def add_user(args: argparse.Namespace) -> int:
    import getpass

    from modules import auth
    from modules.core.types import Role

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Confirm password: ") != password:
            print("error: the two passwords do not match", file=sys.stderr)
            return 1
    store = _open_store()
    try:
        user_id = auth.create_user(store, args.username, args.name, Role(args.role), password, args.location)
    finally:
        store.close()
    print(f"Created {args.role} {args.username.strip().lower()} (id {user_id}).")
    return 0


def _export_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--what", required=True, choices=["register", "attempts"])
    parser.add_argument("--format", required=True, choices=["csv", "xlsx"], dest="fmt")
    parser.add_argument("--out", required=True, type=Path, help="file to write")
    parser.add_argument("--status", default=None, help="register only: certified, expiring, expired, revoked, "
                                                       "not-certified")
    parser.add_argument("--location", default=None)


def export(args: argparse.Namespace) -> int:
    from modules import register
    from modules.core.clock import system_clock

    zone = settings.get("TRAINING_TIMEZONE")
    filters = {"status": args.status, "location": args.location}
    store = _open_store()
    try:
        _warn_if_loopback(store)
        if args.what == "register":
            wanted = register.RegisterFilter(
                locations=frozenset({args.location}) if args.location else frozenset(),
                statuses=frozenset({register.parse_status(args.status)}) if args.status else frozenset())
            rows = register.filter_rows(register.register_rows(store, register.COMMAND_LINE, system_clock()),
                                        wanted, zone)
            frame = register.register_frame(rows, zone)
        else:
            if args.status:
                print("error: --status applies to the register only", file=sys.stderr)
                return 1
            frame = register.attempts_frame(store, register.COMMAND_LINE, args.location)
        data = register.export(store, register.COMMAND_LINE, args.what, args.fmt, frame, zone, filters,
                               actor_username="command-line")
    finally:
        store.close()
    args.out.write_bytes(data)
    print(f"Wrote {len(frame)} row(s) to {args.out}.")
    return 0


def _verify_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code", help="the certificate code, as printed or typed")


def verify(args: argparse.Namespace) -> int:
    from modules import register
    from modules.certificates import display_date
    from modules.core.clock import system_clock

    store = _open_store()
    try:
        _warn_if_loopback(store)
        record = register.verify_code(store, args.code, system_clock())
    finally:
        store.close()
    if record is None:
        print("No certificate matches this code. Check it was typed exactly as printed.")
        return 1
    zone = settings.get("TRAINING_TIMEZONE")
    print(f"{record.verdict.upper()}: {record.holder_name} - {record.title}\n"
          f"Code {record.code}, issued {display_date(record.issued_at, zone)}, "
          f"valid until {display_date(record.expires_at, zone)}.")
    return 0 if record.verdict == "valid" else 1


def _audit_verify_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None, help="SQLAlchemy URL of the database to check (default: the "
                                                   "TRAINING_DB_URL setting); a missing database is an error")
    parser.add_argument("--anchor", default=None, help="a head printed on an export or certificate, as ID:HASH; "
                                                       "checks the chain still holds it")


def audit_verify(args: argparse.Namespace) -> int:
    store = _open_store(args.db, must_exist=True)  # never create an empty database and call it intact
    try:
        report = store.audit.verify(anchor=args.anchor)
        print(f"Database: {store.url}")
    finally:
        store.close()
    if report.broken_at is not None:
        print(f"BROKEN at audit row {report.broken_at}: it, or a row before it, was edited or removed outside "
              "the app.")
    for problem in report.records:
        print(f"RECORD: {problem}")
    if report.anchor_found is False:
        print(f"ANCHOR {args.anchor} is not in the chain: rows were removed or the chain was rewritten since.")
    if report.intact:
        print("OK: every audit row links to the one before it, every result, certificate, revocation and sign-off "
              "matches its seal" + (", and the anchor is in the chain." if args.anchor else "."))
        return 0
    return 1


def _repair_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None, help="SQLAlchemy URL of the database (default: TRAINING_DB_URL)")


def repair(args: argparse.Namespace) -> int:
    """Issue the certificate of every passed exam that has none, as of when the exam finished."""
    from modules import certification
    from modules.banks import load_banks
    from modules.policy import load_policy

    directory = Path(settings.get("TRAINING_BANKS_DIR"))
    policy, _ = load_policy(directory, load_banks(directory))
    store = _open_store(args.db, must_exist=True)
    try:
        print(f"Database: {store.url}")
        codes = certification.repair_missing_certificates(store, policy)
    finally:
        store.close()
    if not codes:
        print("OK: every passed exam has its certificate; nothing to repair.")
    for code in codes:
        print(f"Issued certificate {code} for a passed exam that had none.")
    return 0


def rebuild_sums(args: argparse.Namespace) -> int:
    """Compute item analysis's running sums again from every finished quiz and exam (safe to repeat)."""
    import time

    store = _open_store(args.db, must_exist=True)
    try:
        print(f"Database: {store.url}")
        started = time.perf_counter()
        attempts = store.item_sums.rebuild()
    finally:
        store.close()
    print(f"OK: item analysis sums rebuilt from {attempts} finished attempt(s) in "
          f"{time.perf_counter() - started:.1f} s.")
    return 0


COMMANDS: list[Command] = [
    Command("check-banks", "Validate every question bank and the certification policy.", _check_banks_args,
            guarded(check_banks)),
    Command("add-user", "Create an account (the password is asked for, or read from stdin).", _add_user_args,
            guarded(add_user)),
    Command("export", "Export the certification register or all attempts as CSV or Excel (audited).",
            _export_args, guarded(export)),
    Command("verify", "Check a certificate code: valid, expired or revoked.", _verify_args, guarded(verify)),
    Command("audit-verify", "Check the audit chain and every sealed record; names what does not hold.",
            _audit_verify_args, guarded(audit_verify)),
    Command("repair", "Issue the missing certificate of any passed exam that has none (safe to repeat).",
            _repair_args, guarded(repair)),
    Command("rebuild-sums", "Compute item analysis's running sums again from the raw answers (safe to repeat).",
            _repair_args, guarded(rebuild_sums)),
]


def _demo_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=settings.PROJECT_ROOT / "progress" / "demo.db",
                        help="SQLite file to create (default: progress/demo.db; never the real database)")
    parser.add_argument("--seed", type=int, default=2026, help="the same seed gives the same clinic")
    parser.add_argument("--today", default=None, help="the clinic's today as YYYY-MM-DD (default: today, UTC)")
    parser.add_argument("--force", action="store_true", help="delete an existing file at --db first")


def demo(args: argparse.Namespace) -> int:
    import time
    from datetime import date, datetime

    from modules import demo as demo_clinic

    if args.today:
        try:
            now = datetime.combine(date.fromisoformat(args.today), datetime.min.time(), UTC)
        except ValueError:
            print("error: --today must be a date such as 2026-05-04", file=sys.stderr)
            return 1
    else:
        now = demo_clinic.today_midnight()
    url = demo_clinic.prepare_database_file(args.db, args.force)
    started = time.perf_counter()
    result = demo_clinic.seed_demo(url, args.seed, now)
    print(demo_clinic.account_table(result))
    print(f"Seeded {args.db} (seed {args.seed}, today {now:%Y-%m-%d}): {len(result.accounts)} accounts, "
          f"{result.attempts} attempts, {result.certificates} certificates, {result.signoffs} sign-offs "
          f"in {time.perf_counter() - started:.1f} s.")
    return 0


COMMANDS.append(Command("demo", "Seed a demo clinic (3 locations, staff, 40 technicians) into a separate SQLite "
                                "file.", _demo_args, guarded(demo)))


def _migrate_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None, help="SQLAlchemy URL of the database (default: the TRAINING_DB_URL "
                                                   "setting)")


def migrate(args: argparse.Namespace) -> int:
    from modules.store import Store

    # Opening the store is what upgrades it: Store.open runs the migrations under their lock.
    store = Store.open(args.db or settings.get("TRAINING_DB_URL"), audit_key=settings.audit_key())
    try:
        print(f"Database: {store.url}")
        print(f"Revision: {store.revision()} (up to date)")
    finally:
        store.close()
    return 0


COMMANDS.append(Command("migrate", "Upgrade the database's schema to this version of the app (safe to repeat).",
                        _migrate_args, guarded(migrate)))


def _backup_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dest", type=Path, help="a folder (each backup is named training-YYYYMMDD-HHMMSS.db, UTC; "
                                                "created if missing) or a new file ending .db")
    parser.add_argument("--db", default=None, help="SQLAlchemy URL of the database (default: the TRAINING_DB_URL "
                                                   "setting)")


def backup(args: argparse.Namespace) -> int:
    from modules import backup as backups

    store = backups.open_database(args.db or settings.get("TRAINING_DB_URL"))
    try:
        report = backups.backup(store, args.dest)
    finally:
        store.close()
    print(report.sentence())
    return 0


def _restore_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path, help="the backup file to restore")
    parser.add_argument("--db", default=None, help="SQLAlchemy URL of the database to replace (default: the "
                                                   "TRAINING_DB_URL setting)")
    parser.add_argument("--force", action="store_true", help="replace a database that holds data (stop the app "
                                                             "first; the current file is kept beside it)")


def restore(args: argparse.Namespace) -> int:
    from modules import backup as backups

    report = backups.restore(args.source, args.db or settings.get("TRAINING_DB_URL"), args.force)
    print(report.sentence())
    return 0


COMMANDS.append(Command("backup", "Copy the SQLite database while the app runs, then check the copy.", _backup_args,
                        guarded(backup)))
COMMANDS.append(Command("restore", "Replace the SQLite database with a checked backup (--force keeps the old file "
                                   "aside).", _restore_args, guarded(restore)))


def _reminder_days() -> tuple[int, ...]:
    from modules.policy import load_policy

    directory = Path(settings.get("TRAINING_BANKS_DIR"))
    policy, _ = load_policy(directory, load_banks(directory))
    return policy.reminder_days


def _expiring_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=int, default=30, help="list certificates ending within this many days "
                                                              "(default 30), under the policy's reminder windows")


def expiring(args: argparse.Namespace) -> int:
    from modules import reminders
    from modules.core.clock import system_clock
    from modules.register import COMMAND_LINE

    windows = reminders.windows(_reminder_days(), args.days)
    now = system_clock()
    store = _open_store()
    try:
        found = reminders.expiring_for(store, COMMAND_LINE, now, windows)
    finally:
        store.close()
    if not found:
        print(f"No current certificate expires within {args.days} days.")
        return 0
    print("\n".join(reminders.digest_lines(found, settings.get("TRAINING_TIMEZONE"), now)))
    return 0


def _send_reminders_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="print what would be sent; send and record nothing")


def send_reminders(args: argparse.Namespace) -> int:
    """For cron or Task Scheduler: e-mail the manager each reminder once per window, then record it."""
    from modules import clinic, reminders
    from modules.core.clock import system_clock
    from modules.register import COMMAND_LINE

    config = reminders.smtp_config()
    if config is None and not args.dry_run:
        print(f"error: {reminders.NOT_CONFIGURED}", file=sys.stderr)
        return 1
    zone, now, days = settings.get("TRAINING_TIMEZONE"), system_clock(), _reminder_days()
    store = _open_store()
    try:
        run = reminders.send_reminders(store, COMMAND_LINE, now, days, clinic.clinic_name(store), zone, config,
                                       dry_run=args.dry_run, actor_username="command-line")
    finally:
        store.close()
    if config is None:
        print(reminders.NOT_CONFIGURED)
    if not run.due and not run.personal:
        print(f"No reminders due: every certificate ending within {max(days)} days has had its reminder.")
        return 0
    if args.dry_run:
        where = f"to the manager ({config.manager_address})" if config else "(nowhere: SMTP is not configured)"
        print(f"Dry run, nothing sent or recorded. Would send {len(run.due)} reminder(s) {where}:")
    else:
        print(f"Sent {len(run.due)} reminder(s) to the manager ({config.manager_address if config else ''}):")
    print("\n".join(reminders.summary_lines(run, zone, now)))
    return 0


COMMANDS.append(Command("expiring", "List who holds a certificate ending within --days (default 30), by reminder "
                                    "window.", _expiring_args, guarded(expiring)))
COMMANDS.append(Command("send-reminders", "E-mail the manager, and each holder with an address, the certificates "
                                          "expiring soon, once per reminder window (for cron; --dry-run prints it).",
                        _send_reminders_args, guarded(send_reminders)))
