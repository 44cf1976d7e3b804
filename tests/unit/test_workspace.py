"""Where a technician stands and the next step (Home, My progress and the exam page all show it), and the quiz
page's standing: passed modules, attempts left today, unanswered questions."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from modules import auth, certification
from modules.banks import load_banks
from modules.certificates import current_status, expiry_for
from modules.core.records import Attempt, Certificate
from modules.core.types import AttemptId, AttemptKind, CertificateCode, CertificateId, Role, UserId
from modules.grading import answer_key
from modules.policy import Policy
from modules.progress import ModuleProgress, Progress
from modules.workspace import Destination, Stage, days_left, workspace_for, workspace_of
from tests.helpers import FIXTURE_BANKS

BANKS = load_banks(FIXTURE_BANKS)
MODULE_IDS = [m.id for m in BANKS.modules]
# Stated here rather than read from the fixture file, so these tests hold whatever the file gains.
POLICY = Policy(quiz_questions=10, quiz_pass_percent=80, signoffs_required=0, validity_months=12,
                exam_blueprint=tuple((m, 2) for m in MODULE_IDS))
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ISSUED = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)


def modules(read=(), passed=(), practised=()) -> tuple[ModuleProgress, ...]:
    return tuple(ModuleProgress(m.id, m.title, m.id in read, 5 if m.id in practised else 0, 1.0 if m.id in passed
                                else None, m.id in passed, 1 if m.id in passed else 0, m.order)
                 for m in BANKS.modules)


def certificate(issued=ISSUED, revoked_at=None) -> Certificate:
    return Certificate(CertificateId(1), CertificateCode("7KQ2-ABCD"), UserId(1), AttemptId(9), "Certificate",
                       issued, expiry_for(issued, 12), 0.9, "Tess", revoked_at=revoked_at)


def running_exam() -> Attempt:
    return Attempt(AttemptId(5), UserId(1), AttemptKind.EXAM, None, NOW, NOW + timedelta(minutes=45), [], {})


def workspace(mods, cert=None, missing=(), reviews=0, exams=(), now=NOW, tz="UTC"):
    held = [cert] if cert else []
    progress = Progress(mods, tuple(exams), cert, current_status(held, now))
    return workspace_of(progress, list(missing), reviews, POLICY, now, tz)


ALL_PASSED = modules(read=MODULE_IDS, passed=MODULE_IDS)
FIRST, SECOND = BANKS.modules[0], BANKS.modules[1]


def test_a_new_technician_is_sent_to_the_first_lesson():
    ws = workspace(modules(), missing=[f"Pass the module quiz for {m.title}" for m in BANKS.modules])
    assert ws.stage is Stage.NEW
    assert ws.next_step.destination is Destination.LESSON and ws.next_step.module_id == FIRST.id
    assert ws.next_step.label == f"Read the lesson: 1. {FIRST.title}"
    assert ws.exam_note is None and not ws.recertifying


def test_after_reading_a_lesson_the_next_step_is_that_modules_quiz():
    ws = workspace(modules(read=[FIRST.id]), missing=["quizzes"])
    assert ws.stage is Stage.STUDYING and ws.headline == f"0 of {len(MODULE_IDS)} module quizzes passed"
    assert (ws.next_step.destination, ws.next_step.module_id) == (Destination.QUIZ, FIRST.id)


def test_with_the_first_quiz_passed_the_next_step_is_the_next_modules_lesson():
    ws = workspace(modules(read=[FIRST.id], passed=[FIRST.id]), missing=["quizzes"])
    assert ws.stage is Stage.STUDYING and ws.headline.startswith("1 of ")
    assert (ws.next_step.destination, ws.next_step.module_id) == (Destination.LESSON, SECOND.id)
    assert ws.quizzes_passed == 1


def test_practice_alone_already_counts_as_started():
    assert workspace(modules(practised=[FIRST.id]), missing=["quizzes"]).stage is Stage.STUDYING


def test_every_quiz_passed_but_practicals_missing_waits_for_a_trainer_with_nothing_to_click():
    needed = "Have a trainer sign off 2 more supervised practical treatment(s) (1 of 3 so far)"
    ws = workspace(ALL_PASSED, missing=[needed])
    assert ws.stage is Stage.AWAITING_PRACTICALS and ws.next_step is None
    assert needed in ws.advice


def test_with_everything_done_the_exam_is_next():
    ws = workspace(ALL_PASSED)
    assert ws.stage is Stage.READY_FOR_EXAM
    assert ws.next_step.destination is Destination.EXAM and ws.exam_note is None


def test_a_running_exam_comes_first_and_counts_as_recertification_for_a_certified_technician():
    ws = workspace(ALL_PASSED, cert=certificate(), exams=[running_exam()])
    assert ws.stage is Stage.EXAM_RUNNING and ws.next_step.label == "Carry on with the exam"
    assert ws.recertifying


def test_a_certified_technician_sees_the_date_and_that_the_exam_counts_as_recertification():
    ws = workspace(ALL_PASSED, cert=certificate())
    assert ws.stage is Stage.CERTIFIED and ws.headline == "Certified until 10 Jan 2027"
    assert ws.next_step is None
    assert "counts as recertification" in ws.advice
    assert ws.recertifying and "counts as recertification" in ws.exam_note
    assert "stays valid until 10 Jan 2027" in ws.exam_note  # failing does not cost the certificate held
    with_reviews = workspace(ALL_PASSED, cert=certificate(), reviews=4)
    assert with_reviews.next_step.destination is Destination.REVIEW


def test_a_certificate_expiring_within_30_days_says_in_how_many_days_and_leads_to_the_exam():
    now = datetime(2026, 12, 29, 9, 0, tzinfo=UTC)  # 12 days before 10 Jan 2027
    ws = workspace(ALL_PASSED, cert=certificate(), now=now)
    assert ws.stage is Stage.EXPIRING
    assert ws.headline == "Your certificate expires in 12 days: recertify"
    assert ws.next_step.destination is Destination.EXAM and ws.next_step.label == "Start the exam to recertify"
    assert "counts as recertification" in ws.exam_note


def test_expiry_days_are_counted_on_the_clinics_calendar():
    expires = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    late_evening = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert days_left(expires, late_evening, "UTC") == 1
    assert days_left(expires, late_evening, "America/New_York") == 0  # both moments fall on 30 Nov there
    today = workspace(ALL_PASSED, cert=certificate(), now=expiry_for(ISSUED, 12) - timedelta(hours=2))
    assert today.headline == "Your certificate expires today: recertify"
    tomorrow = workspace(ALL_PASSED, cert=certificate(), now=expiry_for(ISSUED, 12) - timedelta(days=1))
    assert tomorrow.headline == "Your certificate expires tomorrow: recertify"


def test_an_expired_technician_is_told_to_start_the_exam_to_recertify():
    ws = workspace(ALL_PASSED, cert=certificate(), now=datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    assert ws.stage is Stage.EXPIRED and ws.headline == "Your certificate expired on 10 Jan 2027"
    assert ws.advice == "Start the exam to recertify."
    assert ws.next_step.destination is Destination.EXAM and ws.next_step.label == "Start the exam to recertify"
    assert ws.recertifying and "recertifies you" in ws.exam_note


def test_an_expired_technician_with_something_still_required_is_sent_to_it_first():
    mods = modules(read=MODULE_IDS, passed=MODULE_IDS[1:])  # say a module was added after they certified
    ws = workspace(mods, cert=certificate(), missing=[f"Pass the module quiz for 1. {FIRST.title}"],
                   now=datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    assert ws.stage is Stage.EXPIRED
    assert (ws.next_step.destination, ws.next_step.module_id) == (Destination.QUIZ, FIRST.id)
    assert ws.still_required == (f"Pass the module quiz for 1. {FIRST.title}",)


def test_a_revoked_certificate_is_not_renewed_by_the_exam():
    ws = workspace(ALL_PASSED, cert=certificate(revoked_at=datetime(2026, 6, 1, tzinfo=UTC)))
    assert ws.stage is Stage.REVOKED and ws.headline == "Your certificate was revoked"
    assert not ws.recertifying and ws.exam_note is None
    assert ws.next_step.destination is Destination.EXAM


# ------------------------------------------------------------------- from the store, along the whole path


@pytest.fixture
def tess(store):
    return store.accounts.get(auth.create_user(store, "tess", "Tess", Role.TECHNICIAN, "correct horse battery"))


def pass_quiz(store, user, module_id, now):
    sitting = certification.start_quiz(store, user, BANKS, POLICY, module_id, now, "UTC", random.Random(1))
    answers = {i: answer_key(BANKS.question(s.question_id)) for i, s in enumerate(sitting.shown)}
    return certification.submit_quiz(store, user, sitting, answers, POLICY, now)


def test_the_workspace_follows_a_technician_from_new_hire_to_expired(store, tess):
    def stage_at(now):
        return workspace_for(store, tess, BANKS, POLICY, now, "UTC", reviews_due=0)

    assert stage_at(NOW).stage is Stage.NEW
    for module_id in MODULE_IDS:
        assert pass_quiz(store, tess, module_id, NOW).passed
    assert stage_at(NOW).stage is Stage.READY_FOR_EXAM
    sitting = certification.start_or_resume_exam(store, tess, BANKS, POLICY, NOW, random.Random(2))
    assert stage_at(NOW).stage is Stage.EXAM_RUNNING
    for position, shown in enumerate(sitting.shown):
        certification.save_exam_answer(store, tess, sitting, position, answer_key(BANKS.question(shown.question_id)),
                                       POLICY, NOW)
    assert certification.finish_exam(store, tess, sitting, POLICY, NOW).passed
    certified = stage_at(NOW)
    assert certified.stage is Stage.CERTIFIED and certified.headline == "Certified until 23 Nov 2027"
    expiring = stage_at(datetime(2027, 11, 3, 9, 0, tzinfo=UTC))
    assert expiring.headline == "Your certificate expires in 20 days: recertify"
    expired = stage_at(datetime(2027, 12, 1, 9, 0, tzinfo=UTC))
    assert expired.stage is Stage.EXPIRED and expired.next_step.destination is Destination.EXAM


def test_quiz_standing_counts_todays_attempts_in_the_clinics_zone_and_names_passed_modules(store, tess):
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # already 24 Nov in Berlin
    assert pass_quiz(store, tess, FIRST.id, late).passed
    standing = certification.quiz_standing(store, tess, BANKS, POLICY, late, "UTC")
    assert standing.passed == {FIRST.id}
    assert standing.first_unpassed(MODULE_IDS) == SECOND.id
    assert standing.left_today(FIRST.id) == POLICY.quiz_attempts_per_day - 1
    assert standing.left_today(SECOND.id) == POLICY.quiz_attempts_per_day
    next_morning = certification.quiz_standing(store, tess, BANKS, POLICY, late + timedelta(hours=8), "Europe/Berlin")
    assert next_morning.left_today(FIRST.id) == POLICY.quiz_attempts_per_day - 1  # same Berlin day
    next_morning_utc = certification.quiz_standing(store, tess, BANKS, POLICY, late + timedelta(hours=8), "UTC")
    assert next_morning_utc.left_today(FIRST.id) == POLICY.quiz_attempts_per_day  # a new UTC day


def test_quiz_standing_gives_the_servers_refusal_once_the_day_is_used_up(store, tess):
    for _ in range(POLICY.quiz_attempts_per_day):
        pass_quiz(store, tess, FIRST.id, NOW)
    standing = certification.quiz_standing(store, tess, BANKS, POLICY, NOW, "UTC")
    assert standing.left_today(FIRST.id) == 0
    assert "next try opens at 00:00 on 24 Nov 2026" in standing.refusals[FIRST.id]
    assert SECOND.id not in standing.refusals
    assert standing.first_unpassed(MODULE_IDS) == SECOND.id
    everything = certification.QuizStanding(frozenset(MODULE_IDS), {}, 3, {})
    assert everything.first_unpassed(MODULE_IDS) is None


def test_unanswered_numbers_are_counted_from_one_and_a_cleared_answer_is_unanswered(store, tess):
    sitting = certification.start_quiz(store, tess, BANKS, POLICY, FIRST.id, NOW, "UTC", random.Random(3))
    right = answer_key(BANKS.question(sitting.shown[0].question_id))
    saved = {0: right, 2: None}
    assert certification.unanswered_numbers(sitting, saved) == list(range(2, len(sitting.shown) + 1))
    everything = {p: right for p in range(len(sitting.shown))}
    assert certification.unanswered_numbers(sitting, everything) == []
