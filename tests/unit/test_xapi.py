"""xAPI statements (`python -m modules export-xapi`): valid against a published schema, stable ids, --since, and
posting to a learning record store (a fake one on 127.0.0.1, in a thread of the test)."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker

from modules import auth, settings, xapi
from modules.__main__ import main
from modules.banks import load_banks
from modules.core.clock import FixedClock
from modules.core.records import AttemptResult
from modules.core.types import AttemptKind, Role
from modules.grading import answer_key, response_record, show
from modules.store import Store
from tests.helpers import FIXTURE_BANKS, record_attempt, wrong_answer

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "data" / "xapi"
ADDRESS = "https://training.clinic.example"
START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
QUIZ_QUESTIONS = ["skin-001", "skin-006", "skin-003", "skin-002", "skin-008"]  # single, multiple, t/f, order, match


def _validator() -> Draft4Validator:
    schema = json.loads((SCHEMA_DIR / "tincan-schema-1.0.1.json").read_text(encoding="utf-8"))
    formats = json.loads((SCHEMA_DIR / "formats.json").read_text(encoding="utf-8"))
    checker = FormatChecker(formats=())
    for name, pattern in formats.items():
        compiled = re.compile(pattern)
        checker.checks(name)(lambda value, rx=compiled: not isinstance(value, str) or rx.search(value) is not None)
    return Draft4Validator({**schema, "$ref": "#statement"}, format_checker=checker)


VALIDATOR = _validator()


@pytest.fixture
def clinic(tmp_path, monkeypatch) -> Iterator[dict[str, Any]]:
    """A clinic with a passed quiz answering every question type, a failed exam, a passed exam and its certificate."""
    url = f"sqlite:///{tmp_path / 'xapi.db'}"
    for name, value in {"TRAINING_DB_URL": url, "TRAINING_BASE_URL": ADDRESS, "TRAINING_BANKS_DIR": str(FIXTURE_BANKS),
                        "TRAINING_TIMEZONE": "Europe/London"}.items():
        monkeypatch.setenv(name, value)
    for name in ("TRAINING_LRS_ENDPOINT", "TRAINING_LRS_USER", "TRAINING_LRS_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    clock = FixedClock(START)
    store = Store.open(url, clock=clock, audit_key=settings.audit_key())
    banks = load_banks(FIXTURE_BANKS)
    sam = auth.create_user(store, "sam", "Sam Lee", Role.TECHNICIAN, PASSWORD, "Riverside")
    auth.create_user(store, "mia", "Mia Manager", Role.MANAGER, PASSWORD)

    def attempt(kind: AttemptKind, module_id: str | None, question_ids: list[str], right: bool,
                started_at: datetime) -> int:
        shown = [show(banks.questions[qid]) for qid in question_ids]
        answers = [answer_key(banks.questions[qid]) if right else wrong_answer(banks.questions[qid])
                   for qid in question_ids]
        finished = started_at + timedelta(minutes=7, seconds=30)
        records = [response_record(position, one, answer, seconds_taken=12.25, answered_at=finished)
                   for position, (one, answer) in enumerate(zip(shown, answers))]
        score = sum(r.score for r in records) / len(records)
        return record_attempt(store, sam, kind, module_id, records,
                              AttemptResult(score, right, finished_at=finished), started_at=started_at,
                              questions=[one.to_snapshot() for one in shown])

    quiz = attempt(AttemptKind.QUIZ, "skin-science", QUIZ_QUESTIONS, True, START)
    failed_exam = attempt(AttemptKind.EXAM, None, ["skin-x01", "skin-x02"], False, START + timedelta(days=1))
    exam = attempt(AttemptKind.EXAM, None, ["skin-x01", "skin-x02", "skin-x03"], True, START + timedelta(days=2))
    certificate = store.certificates.issue(sam, exam, "Microdermabrasion technician", 1.0,
                                           START + timedelta(days=367), issued_at=START + timedelta(days=2, hours=1))
    try:
        yield {"store": store, "quiz": quiz, "failed_exam": failed_exam, "exam": exam, "certificate": certificate,
               "titles": {m.id: m.title for m in banks.modules}}
    finally:
        store.close()


def _export(clinic: dict[str, Any], since: datetime = START - timedelta(days=1)) -> list[dict[str, Any]]:
    return xapi.statements_since(clinic["store"], ADDRESS, since, "Europe/London", clinic["titles"])


def _verbs(statements: list[dict[str, Any]]) -> list[str]:
    return [s["verb"]["id"].rsplit("/", 1)[1] for s in statements]


# ------------------------------------------------------------------------------------------ statements


def test_every_exported_statement_validates_against_the_xapi_schema(clinic):
    statements = _export(clinic)
    assert len(statements) == 1 + 5 + 1 + 1 + 2 + 1 + 1 + 3 + 1 + 1  # quiz, failed exam, passed exam, certificate
    for statement in statements:
        problems = [error.message for error in VALIDATOR.iter_errors(statement)]
        assert not problems, (statement, problems)
    # The check has teeth: a true-false question with choices, or a person known by nothing, is refused.
    answer = next(s for s in statements if s["object"]["definition"].get("interactionType") == "true-false")
    broken = json.loads(json.dumps(answer))
    broken["object"]["definition"]["choices"] = [{"id": "a", "description": {"en": "A"}}]
    assert not VALIDATOR.is_valid(broken)
    assert not VALIDATOR.is_valid({**answer, "actor": {"objectType": "Agent", "name": "Sam"}})


def test_verbs_actor_and_the_interaction_type_of_each_question_type(clinic):
    statements = _export(clinic)
    assert _verbs(statements) == (["attempted"] + ["answered"] * 5 + ["passed"] + ["attempted"] + ["answered"] * 2
                                  + ["failed"] + ["attempted"] + ["answered"] * 3 + ["passed", "completed"])
    assert all(s["actor"] == {"objectType": "Agent", "account": {"homePage": ADDRESS, "name": "sam"}}
               for s in statements)
    assert all(s["verb"]["display"] == {"en": _verbs([s])[0]} for s in statements)
    assert "Sam Lee" not in json.dumps(statements)  # the username is the identifier; no name or e-mail leaves
    quiz = [s for s in statements if s["context"]["registration"] == xapi.Ids(ADDRESS).registration(clinic["quiz"])]
    answered = {s["object"]["id"].rsplit("/", 1)[1]: s for s in quiz if _verbs([s]) == ["answered"]}
    kinds = {qid: s["object"]["definition"]["interactionType"] for qid, s in answered.items()}
    assert kinds == {"skin-001": "choice", "skin-006": "choice", "skin-003": "true-false", "skin-002": "sequencing",
                     "skin-008": "matching"}
    for statement in answered.values():
        definition = statement["object"]["definition"]
        assert definition["type"] == "http://adlnet.gov/expapi/activities/cmi.interaction"
        # Every answer was the key, so each response matches the correct responses pattern exactly.
        assert statement["result"]["response"] == definition["correctResponsesPattern"][0]
        assert statement["result"]["success"] is True and statement["result"]["duration"] == "PT12.25S"
    assert answered["skin-003"]["result"]["response"] == "true"
    single = answered["skin-001"]["object"]["definition"]
    right = next(c["id"] for c in single["choices"] if c["description"]["en"] == "Right one")
    assert single["correctResponsesPattern"] == [right]
    ordering = answered["skin-002"]["object"]["definition"]
    steps = {c["description"]["en"]: c["id"] for c in ordering["choices"]}
    assert ordering["correctResponsesPattern"] == ["[,]".join(steps[s] for s in ["First", "Second", "Third", "Fourth"])]
    matching = answered["skin-008"]["object"]["definition"]
    assert {"source", "target"} <= matching.keys() and "choices" not in matching
    assert all(re.fullmatch(r"\w+\[\.\]\w+", pair) for pair in matching["correctResponsesPattern"][0].split("[,]"))
    passed = quiz[-1]
    assert passed["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/assessment"
    assert passed["object"]["id"] == f"{ADDRESS}/xapi/activities/quiz/skin-science"
    assert passed["result"] == {"score": {"scaled": 1.0, "raw": 100.0, "min": 0, "max": 100}, "success": True,
                                "completion": True, "duration": "PT450S"}
    assert all(s["context"]["contextActivities"]["parent"][0]["id"] == passed["object"]["id"]
               for s in answered.values())


def test_an_exam_shows_results_and_answers_but_never_its_key(clinic):
    statements = _export(clinic)
    exam_answers = [s for s in statements if _verbs([s]) == ["answered"]
                    and s["context"]["contextActivities"]["parent"][0]["id"] == f"{ADDRESS}/xapi/activities/exam"]
    assert len(exam_answers) == 5
    assert all("correctResponsesPattern" not in s["object"]["definition"] for s in exam_answers)
    failed = next(s for s in statements if _verbs([s]) == ["failed"])
    assert failed["result"]["success"] is False and failed["result"]["score"]["scaled"] == 0.0
    completed = statements[-1]
    code = clinic["certificate"].code
    assert completed["object"]["id"] == f"{ADDRESS}/verify/{code}"
    assert completed["context"]["registration"] == xapi.Ids(ADDRESS).registration(clinic["exam"])
    assert completed["timestamp"] == "2025-06-04T10:00:00.000Z"


def test_since_keeps_what_was_recorded_from_that_moment_on(clinic):
    # The quiz started at 09:00 and finished at 09:07:30 UTC: from 09:05 only its answers and its pass are new.
    middle = _export(clinic, START + timedelta(minutes=5))
    assert _verbs(middle)[:6] == ["answered"] * 5 + ["passed"]
    assert xapi.Ids(ADDRESS).statement("attempt", clinic["quiz"], "attempted") not in {s["id"] for s in middle}
    # A date is the start of that day in the clinic's zone (London is an hour ahead of UTC in June).
    assert xapi.parse_since("2025-06-04", "Europe/London") == datetime(2025, 6, 3, 23, 0, tzinfo=UTC)
    assert xapi.parse_since("2025-06-04T10:00:00", "Europe/London") == datetime(2025, 6, 4, 9, 0, tzinfo=UTC)
    assert xapi.parse_since("2025-06-04T10:00:00Z", "Europe/London") == datetime(2025, 6, 4, 10, 0, tzinfo=UTC)
    last_day = _export(clinic, xapi.parse_since("2025-06-04", "Europe/London"))
    assert _verbs(last_day) == ["attempted"] + ["answered"] * 3 + ["passed", "completed"]
    assert _export(clinic, START + timedelta(days=3)) == []


def test_ids_are_the_same_on_every_export_and_each_attempt_has_its_own_registration(clinic):
    first, second = _export(clinic), _export(clinic)
    assert first == second
    assert len({s["id"] for s in first}) == len(first)
    registrations = {s["context"]["registration"] for s in first if "registration" in s.get("context", {})}
    assert len(registrations) == 3  # the quiz and the two exams; the certificate names its exam's
    # The same question shown in another order is the same activity with the same definition.
    definitions = {}
    for statement in first:
        if _verbs([statement]) == ["answered"] and "correctResponsesPattern" not in statement["object"]["definition"]:
            definitions.setdefault(statement["object"]["id"], []).append(statement["object"]["definition"])
    assert definitions and all(all(d == found[0] for d in found) for found in definitions.values())


def test_a_bad_since_is_one_plain_error_line(clinic, capsys):
    assert main(["export-xapi", "--since", "last tuesday"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --since 'last tuesday' is neither a date") and "Traceback" not in err


# --------------------------------------------------------------------------------------------- the LRS


class FakeLrs:
    """A learning record store on 127.0.0.1 that records each request and answers with the next status given."""

    def __init__(self, statuses: list[int] | None = None):
        self.requests: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                # Header names are case-insensitive (urllib sends "X-experience-api-version"): kept lower-case.
                headers = {name.lower(): value for name, value in self.headers.items()}
                fake.requests.append({"path": self.path, "headers": headers, "body": json.loads(body)})
                status = fake.statuses.pop(0) if fake.statuses else 200
                reply = (json.dumps([s["id"] for s in json.loads(body)]) if status == 200
                         else json.dumps({"message": "Invalid statement: result.score.raw out of range"})).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/xAPI/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def lrs(monkeypatch) -> Iterator[FakeLrs]:
    fake = FakeLrs()
    monkeypatch.setenv("TRAINING_LRS_ENDPOINT", fake.endpoint)
    monkeypatch.setenv("TRAINING_LRS_USER", "clinic-key")
    monkeypatch.setenv("TRAINING_LRS_PASSWORD", "clinic-secret")
    yield fake
    fake.close()


def test_posting_sends_batches_with_the_xapi_version_and_basic_auth(clinic, lrs):
    statements = _export(clinic)
    report = xapi.post_statements(statements, xapi.lrs_config(), size=8)
    assert report == xapi.PostReport(sent=len(statements), batches=3)
    assert [len(r["body"]) for r in lrs.requests] == [8, 8, len(statements) - 16]
    assert [s for r in lrs.requests for s in r["body"]] == statements
    for request in lrs.requests:
        assert request["path"] == "/xAPI/statements"
        assert request["headers"]["x-experience-api-version"] == "1.0.3"
        assert request["headers"]["content-type"] == "application/json"
        assert request["headers"]["authorization"] == "Basic " + base64.b64encode(b"clinic-key:clinic-secret").decode()


def test_a_refused_batch_is_reported_and_nothing_after_it_is_sent(clinic, lrs):
    lrs.statuses = [200, 400]
    statements = _export(clinic)
    report = xapi.post_statements(statements, xapi.lrs_config(), size=5)
    assert report.sent == 5 and report.batches == 1 and len(lrs.requests) == 2
    assert "refused batch 2 (statements 6-10) with 400 Bad Request" in report.refusal
    assert "result.score.raw out of range" in report.refusal


def test_the_command_posts_and_reports_a_refusal_with_the_lrs_message(clinic, lrs, capsys):
    lrs.statuses = [400]
    assert main(["export-xapi", "--since", "2025-06-01", "--post"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing claimed as written or sent on standard output
    assert "Sent 0 of 17 statement(s)" in captured.err and "400 Bad Request" in captured.err
    assert "Nothing after it was sent." in captured.err and "clinic-secret" not in captured.err
    assert len(lrs.requests) == 1
    assert main(["export-xapi", "--since", "2025-06-01", "--post"]) == 0
    assert "Sent 17 of 17 statement(s)" in capsys.readouterr().err


def test_a_dry_run_shows_what_would_be_posted_and_sends_nothing(clinic, lrs, capsys):
    audit_rows = len(clinic["store"].audit.rows(clinic["store"].accounts.find("mia").actor))
    assert main(["export-xapi", "--since", "2025-06-01", "--post", "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert lrs.requests == []
    assert "Dry run, nothing sent or recorded. Would post 17 statement(s) in 1 batch(es)" in captured.err
    assert [json.loads(line) for line in captured.out.splitlines()] == _export(clinic)
    assert len(clinic["store"].audit.rows(clinic["store"].accounts.find("mia").actor)) == audit_rows


def test_nothing_is_posted_unless_the_endpoint_is_configured(clinic, lrs, monkeypatch, tmp_path, capsys):
    # Configured, but not asked to post: the statements go to the file only.
    out = tmp_path / "statements.jsonl"
    assert main(["export-xapi", "--since", "2025-06-01", "--out", str(out)]) == 0
    assert lrs.requests == [] and len(out.read_text(encoding="utf-8").splitlines()) == 17
    entry = clinic["store"].audit.rows(clinic["store"].accounts.find("mia").actor, action="export")[0]
    assert entry.target == "xapi:jsonl" and entry.actor_username == "command-line"
    # Asked to post with no endpoint: refused before anything is read, and it says why.
    monkeypatch.setenv("TRAINING_LRS_ENDPOINT", "")
    assert main(["export-xapi", "--since", "2025-06-01", "--post"]) == 1
    assert "No learning record store is configured" in capsys.readouterr().err
    assert lrs.requests == []
    assert main(["export-xapi", "--since", "2025-06-01", "--dry-run"]) == 0
    assert "nowhere: No learning record store is configured" in capsys.readouterr().err
