"""xAPI 1.0.3 statements for a learning record store (issue #17): graded attempts, their answers, passes, fails and
certificates, as JSON lines, and the optional posting of them to an LRS.

Every id is derived from the record and the clinic's public address (UUID5), never drawn at random, so a second
export of the same records gives the same statements and re-posting them changes nothing in the LRS. A person is an
xAPI Agent known by their account on this app (homePage = the public address, name = the username): no e-mail
address and no full name leaves the clinic, since the username is enough to join the records back to a person.
Practice and spaced review are not exported: they never count towards certification.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from modules import settings
from modules.cli import Command, guarded
from modules.core import timezones
from modules.core.errors import TrainingError
from modules.core.records import Certificate, ResponseRecord
from modules.core.types import AttemptId, AttemptKind, QuestionType

if TYPE_CHECKING:  # the store is opened only when the command runs, so `--help` starts fast
    from modules.store import Store

XAPI_VERSION = "1.0.3"
LANGUAGE = "en"
VERBS = ("attempted", "answered", "passed", "failed", "completed")
ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
INTERACTION_TYPES = {QuestionType.SINGLE: "choice", QuestionType.MULTIPLE: "choice",
                     QuestionType.TRUE_FALSE: "true-false", QuestionType.ORDERING: "sequencing",
                     QuestionType.MATCHING: "matching"}
GRADED = (AttemptKind.QUIZ.value, AttemptKind.EXAM.value)
BATCH_SIZE = 50  # statements per POST: small enough for any LRS's request limit
NOT_CONFIGURED = ("No learning record store is configured (the TRAINING_LRS_ENDPOINT setting is blank), so nothing "
                  "was or will be sent.")
Statement = dict[str, Any]


# ------------------------------------------------------------------------------------------ the parts


def verb(name: str) -> dict[str, Any]:
    return {"id": f"http://adlnet.gov/expapi/verbs/{name}", "display": {LANGUAGE: name}}


def _text(value: str) -> dict[str, str]:
    return {LANGUAGE: value}


def utc_text(moment: datetime) -> str:
    """An instant as ISO 8601 in UTC, to the millisecond: 2026-05-04T09:30:00.000Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def duration_text(seconds: float) -> str:
    """Seconds as an ISO 8601 duration, to the hundredth (the most xAPI allows): PT75.5S."""
    hundredths = max(0, round(seconds * 100))
    whole, part = divmod(hundredths, 100)
    return f"PT{whole}.{part:02d}".rstrip("0").rstrip(".") + "S"


def component_id(text: str) -> str:
    """A short stable id for an option, step or matching item: its text may hold the response format's separators
    ("[,]", "[.]"), and shuffling for display must never change it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Ids:
    """Every IRI and UUID of one clinic's statements, all under its public address."""

    base: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", self.base.strip().rstrip("/"))

    def actor(self, username: str) -> dict[str, Any]:
        return {"objectType": "Agent", "account": {"homePage": self.base, "name": username}}

    def assessment(self, kind: str, module_id: str | None) -> str:
        if kind == AttemptKind.EXAM.value:
            return f"{self.base}/xapi/activities/exam"
        return f"{self.base}/xapi/activities/quiz/{quote(module_id or '', safe='')}"

    def question(self, question_id: str) -> str:
        return f"{self.base}/xapi/activities/question/{quote(question_id, safe='')}"

    def certificate(self, code: str) -> str:
        # The public verify page: anyone reading the LRS can open it and see the certificate's status today.
        return f"{self.base}/verify/{quote(code, safe='')}"

    def registration(self, attempt_id: int) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.base}/xapi/registrations/attempt/{attempt_id}"))

    def statement(self, *parts: object) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.base}/xapi/statements/" + "/".join(map(str, parts))))


@dataclass(frozen=True)
class AttemptRow:
    """One graded attempt as the attempts export reads it (store.reports.attempt_rows)."""

    id: AttemptId
    username: str
    kind: str
    module_id: str | None
    started_at: datetime
    finished_at: datetime | None
    score: float | None
    passed: bool | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> AttemptRow:
        attempt_id, username, _name, _location, kind, module_id, started_at, finished_at, score, passed, _ = row
        return cls(AttemptId(attempt_id), username, kind, module_id, started_at, finished_at,
                   None if score is None else float(score), None if passed is None else bool(passed))


def _assessment(ids: Ids, attempt: AttemptRow, titles: dict[str, str]) -> dict[str, Any]:
    if attempt.kind == AttemptKind.EXAM.value:
        name = "Certification exam"
    else:
        name = f"Module quiz: {titles.get(attempt.module_id or '', attempt.module_id or '')}"
    return {"objectType": "Activity", "id": ids.assessment(attempt.kind, attempt.module_id),
            "definition": {"type": ASSESSMENT, "name": _text(name)}}


def _statement(ids: Ids, key: tuple[object, ...], username: str, verb_name: str, activity: dict[str, Any],
               at: datetime, result: dict[str, Any] | None = None,
               context: dict[str, Any] | None = None) -> Statement:
    statement: Statement = {"id": ids.statement(*key), "version": XAPI_VERSION, "actor": ids.actor(username),
                            "verb": verb(verb_name), "object": activity, "timestamp": utc_text(at)}
    if result:
        statement["result"] = result
    if context:
        statement["context"] = context
    return statement


# --------------------------------------------------------------------------------- questions as xAPI


def _components(texts: Iterable[str]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for text in texts:
        seen.setdefault(component_id(text), {"id": component_id(text), "description": _text(text)})
    return list(seen.values())


def _joined(texts: Iterable[str]) -> str:
    return "[,]".join(component_id(text) for text in texts)


def _pairs(pairs: dict[str, Any]) -> str:
    return "[,]".join(f"{component_id(left)}[.]{component_id(right)}" for left, right in pairs.items() if right)


def response_text(kind: QuestionType, answer: Any) -> str:
    """An answer in the cmi.interaction response format of its interaction type."""
    if kind is QuestionType.TRUE_FALSE:
        return "true" if answer else "false"
    if kind is QuestionType.SINGLE:
        return component_id(str(answer))
    if kind is QuestionType.MULTIPLE:
        return _joined(sorted(answer or ()))
    if kind is QuestionType.ORDERING:
        return _joined(item for item in answer or () if item)
    return _pairs(dict(answer or {}))


def question_activity(ids: Ids, snapshot: dict[str, Any], with_key: bool) -> dict[str, Any]:
    """The question as a cmi.interaction activity, from what was shown; `with_key` adds correctResponsesPattern."""
    kind = QuestionType(snapshot["type"])
    prompt = snapshot["prompt"] if not snapshot.get("scenario") else f"{snapshot['scenario']}\n\n{snapshot['prompt']}"
    definition: dict[str, Any] = {"type": INTERACTION, "name": _text(str(snapshot["question_id"])),
                                  "description": _text(prompt), "interactionType": INTERACTION_TYPES[kind]}
    if kind is QuestionType.MATCHING:
        definition["source"] = _components(snapshot["lefts"])
        definition["target"] = _components(snapshot["rights"])
    elif kind is not QuestionType.TRUE_FALSE:
        # Sorted, so every shuffle of one question gives the LRS the same definition.
        definition["choices"] = _components(sorted(snapshot["options"]))
    if with_key:
        definition["correctResponsesPattern"] = [response_text(kind, snapshot["key"])]
    return {"objectType": "Activity", "id": ids.question(str(snapshot["question_id"])), "definition": definition}


def _given(answer: Any) -> bool:
    return answer is not None and answer != [] and answer != {}


# --------------------------------------------------------------------------------------- statements


def attempt_statements(ids: Ids, attempt: AttemptRow, answers: list[ResponseRecord], since: datetime,
                       titles: dict[str, str]) -> list[Statement]:
    """The attempt's statements at or after `since`: it was attempted when it started; its answers and its pass or
    fail belong to when it finished (an exam's answers count only then), each answer keeping its own time."""
    assessment = _assessment(ids, attempt, titles)
    registration = ids.registration(attempt.id)
    out: list[Statement] = []
    if attempt.started_at >= since:
        out.append(_statement(ids, ("attempt", attempt.id, "attempted"), attempt.username, "attempted", assessment,
                              attempt.started_at, context={"registration": registration}))
    if attempt.finished_at is None or attempt.finished_at < since or attempt.score is None:
        return out
    parent = {"registration": registration,
              "contextActivities": {"parent": [{"objectType": "Activity", "id": assessment["id"]}]}}
    # Exam keys stay inside the clinic: a technician never sees an exam item's key, and an LRS may show it to them.
    with_key = attempt.kind != AttemptKind.EXAM.value
    for record in answers:
        if not _given(record.answer):
            continue
        snapshot = dict(record.snapshot)
        kind = QuestionType(snapshot["type"])
        result: dict[str, Any] = {"score": {"scaled": record.score, "raw": record.score, "min": 0, "max": 1},
                                  "success": record.correct, "completion": True,
                                  "response": response_text(kind, record.answer)}
        if record.seconds_taken is not None:
            result["duration"] = duration_text(record.seconds_taken)
        out.append(_statement(ids, ("attempt", attempt.id, "answered", record.question_id), attempt.username,
                              "answered", question_activity(ids, snapshot, with_key),
                              record.answered_at or attempt.finished_at, result, parent))
    verdict = "completed" if attempt.passed is None else ("passed" if attempt.passed else "failed")
    result = {"score": {"scaled": round(attempt.score, 4), "raw": round(attempt.score * 100, 2), "min": 0,
                        "max": 100},
              "completion": True, "duration": duration_text((attempt.finished_at - attempt.started_at).total_seconds())}
    if attempt.passed is not None:
        result["success"] = attempt.passed
    out.append(_statement(ids, ("attempt", attempt.id, "result"), attempt.username, verdict, assessment,
                          attempt.finished_at, result, {"registration": registration}))
    return out


def certificate_statement(ids: Ids, certificate: Certificate, username: str, zone: str) -> Statement:
    """The holder completed the certification: the object is the certificate's public verify page."""
    until = timezones.local_day(certificate.expires_at, zone).isoformat()
    activity = {"objectType": "Activity", "id": ids.certificate(certificate.code),
                "definition": {"name": _text(certificate.title),
                               "description": _text(f"Certificate {certificate.code}, valid until {until}")}}
    result = {"score": {"scaled": round(certificate.score, 4), "raw": round(certificate.score * 100, 2), "min": 0,
                        "max": 100}, "success": True, "completion": True}
    context: dict[str, Any] = {}
    if certificate.attempt_id is not None:
        context = {"registration": ids.registration(certificate.attempt_id),
                   "contextActivities": {"parent": [{"objectType": "Activity",
                                                     "id": ids.assessment(AttemptKind.EXAM.value, None)}]}}
    return _statement(ids, ("certificate", certificate.code, "completed"), username, "completed", activity,
                      certificate.issued_at, result, context)


def statements_since(store: Store, base_url: str, since: datetime, zone: str = "UTC",
                     titles: dict[str, str] | None = None) -> list[Statement]:
    """Every statement of a graded attempt, answer, pass, fail or certificate recorded at or after `since`, in time
    order. Read as the command line reads (a manager's view of everyone)."""
    from modules.register import COMMAND_LINE  # the register pulls in pandas: only when statements are made

    ids = Ids(base_url)
    out: list[Statement] = []
    for row in store.reports.attempt_rows(COMMAND_LINE, kinds=GRADED):
        attempt = AttemptRow.from_row(row)
        finished_since = attempt.finished_at is not None and attempt.finished_at >= since
        if attempt.started_at < since and not finished_since:
            continue
        answers = store.attempts.current_responses(COMMAND_LINE, attempt.id) if finished_since else []
        out += attempt_statements(ids, attempt, answers, since, titles or {})
    usernames = {user.id: user.username for user in store.accounts.list_users()}
    out += [certificate_statement(ids, certificate, usernames[certificate.user_id], zone)
            for certificate in store.certificates.every(COMMAND_LINE) if certificate.issued_at >= since]
    # Stable on equal times: an attempt's answers stay before its pass or fail.
    return sorted(out, key=lambda statement: str(statement["timestamp"]))


def json_lines(statements: Iterable[Statement]) -> str:
    return "".join(json.dumps(statement, ensure_ascii=False, sort_keys=True) + "\n" for statement in statements)


def parse_since(text: str, zone: str) -> datetime:
    """--since as typed: a date is the start of that day in the clinic's zone; a moment without an offset is the
    clinic's wall-clock time."""
    value = text.strip()
    problem = f"--since {text!r} is neither a date such as 2026-05-04 nor a moment such as 2026-05-04T09:30:00+01:00."
    try:
        if len(value) == 10:
            return timezones.day_start_utc(date.fromisoformat(value), zone)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise TrainingError(problem) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezones.zone(zone))
    return moment.astimezone(UTC)


# ------------------------------------------------------------------------------------------- the LRS


@dataclass(frozen=True)
class LrsConfig:
    endpoint: str
    user: str
    password: str = field(repr=False)

    @property
    def statements_url(self) -> str:
        return self.endpoint.rstrip("/") + "/statements"

    @property
    def shown(self) -> str:
        """The endpoint as it may be printed: without any user or password written into it."""
        parts = urlsplit(self.endpoint)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=host))


def lrs_config() -> LrsConfig | None:
    """The LRS from the settings; None while TRAINING_LRS_ENDPOINT is blank (nothing is ever sent then)."""
    current = settings.current()
    endpoint = current.lrs_endpoint.strip()
    if not endpoint:
        return None
    if urlsplit(endpoint).scheme not in ("http", "https"):
        raise TrainingError("TRAINING_LRS_ENDPOINT must be a web address such as https://lrs.example/xAPI/.")
    return LrsConfig(endpoint, current.lrs_user, current.lrs_password.get_secret_value())


@dataclass(frozen=True)
class PostReport:
    """What reached the LRS: `sent` statements in `batches` accepted batches; `refusal` says why the next batch did
    not (nothing after it was sent)."""

    sent: int
    batches: int
    refusal: str | None = None


def batches(statements: Sequence[Statement], size: int = BATCH_SIZE) -> list[Sequence[Statement]]:
    return [statements[start:start + size] for start in range(0, len(statements), size)]


def post_statements(statements: Sequence[Statement], config: LrsConfig, size: int = BATCH_SIZE,
                    timeout: float = 30.0) -> PostReport:
    """POST the statements to the LRS in batches, in order, stopping at the first batch it refuses."""
    token = base64.b64encode(f"{config.user}:{config.password}".encode()).decode("ascii")
    headers = {"Content-Type": "application/json", "X-Experience-API-Version": XAPI_VERSION,
               "Authorization": f"Basic {token}"}
    sent = 0
    for number, batch in enumerate(batches(statements, size), start=1):
        request = urllib.request.Request(config.statements_url, data=json.dumps(list(batch)).encode("utf-8"),
                                         headers=headers, method="POST")
        first, last = sent + 1, sent + len(batch)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                reply.read()
        except urllib.error.HTTPError as error:
            message = _one_line(error.read().decode("utf-8", "replace")) or error.reason
            return PostReport(sent, number - 1, f"the LRS refused batch {number} (statements {first}-{last}) with "
                                                f"{error.code} {error.reason}: {message}")
        except (urllib.error.URLError, OSError) as error:
            reason = error.reason if isinstance(error, urllib.error.URLError) else error
            return PostReport(sent, number - 1, f"batch {number} (statements {first}-{last}) could not reach the "
                                                f"LRS at {config.shown}: {reason}")
        sent = last
    return PostReport(sent, len(batches(statements, size)))


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit] + "..."


# --------------------------------------------------------------------------------------- the command


def _export_xapi_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", required=True, help="a date (from the start of that day in the clinic's time "
                                                       "zone) or an ISO timestamp such as 2026-05-04T09:30:00+01:00")
    parser.add_argument("--out", type=Path, default=None, help="file to write the JSON lines to (default: standard "
                                                               "output)")
    parser.add_argument("--post", action="store_true", help="also post them to the learning record store in the "
                                                            "TRAINING_LRS_* settings")
    parser.add_argument("--dry-run", action="store_true", help="show what would be posted and send nothing")


def export_xapi(args: argparse.Namespace) -> int:
    """Statements on standard output (or --out); messages on standard error, so the output stays JSON lines."""
    from modules import clinic
    from modules.banks import load_banks
    from modules.store import Store

    zone = settings.get("TRAINING_TIMEZONE")
    since = parse_since(args.since, zone)
    config = lrs_config()
    if args.post and not args.dry_run and config is None:
        print(f"error: {NOT_CONFIGURED}", file=sys.stderr)
        return 1
    titles = {str(module.id): module.title for module in load_banks(Path(settings.get("TRAINING_BANKS_DIR"))).modules}
    store = Store.open(settings.get("TRAINING_DB_URL"), audit_key=settings.audit_key(), must_exist=True)
    try:
        address = clinic.public_address(store)
        if warning := clinic.loopback_warning(address):
            print(f"warning: {warning} The statements name people and activities under that address.",
                  file=sys.stderr)
        statements = statements_since(store, address, since, zone, titles)
        filters = {"since": utc_text(since)}
        if args.dry_run:
            where = config.shown if config else "nowhere: " + NOT_CONFIGURED
            print(f"Dry run, nothing sent or recorded. Would post {len(statements)} statement(s) in "
                  f"{len(batches(statements))} batch(es) of up to {BATCH_SIZE} to {where}", file=sys.stderr)
            _write(statements, args.out)
            return 0
        if args.out is not None or not args.post:
            store.audit.record(None, "export", "xapi:jsonl", {"rows": len(statements), "filters": filters},
                               actor_username="command-line")
            _write(statements, args.out)
        if not args.post or config is None:
            return 0
        if urlsplit(config.endpoint).scheme == "http" and not clinic.is_loopback(config.endpoint):
            print("warning: the LRS endpoint is not https, so its password and the statements travel unencrypted.",
                  file=sys.stderr)
        report = post_statements(statements, config)
        store.audit.record(None, "export", "xapi:lrs", {"rows": report.sent, "filters": filters},
                           actor_username="command-line")
    finally:
        store.close()
    print(f"Sent {report.sent} of {len(statements)} statement(s) to {config.shown} in {report.batches} batch(es).",
          file=sys.stderr)
    if report.refusal:
        print(f"error: {report.refusal}. Nothing after it was sent.", file=sys.stderr)
        return 1
    return 0


def _write(statements: list[Statement], out: Path | None) -> None:
    text = json_lines(statements)
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8")
    print(f"Wrote {len(statements)} statement(s) to {out}.", file=sys.stderr)


COMMANDS: list[Command] = [
    Command("export-xapi", "Write graded attempts, answers, passes, fails and certificates since --since as xAPI "
                           "1.0.3 statements (JSON lines); --post sends them to the configured learning record store.",
            _export_xapi_args, guarded(export_xapi)),
]
