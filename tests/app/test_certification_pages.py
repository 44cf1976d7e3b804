"""The certification path in the app: graded quizzes, the timed exam (resumable), the certificate."""

import random
from datetime import UTC, datetime, timedelta

from modules import certification
from modules.banks import load_banks
from modules.core.clock import FixedClock
from modules.core.records import Actor
from modules.core.types import AttemptKind, CertificateStatus
from modules.grading import answer_key
from modules.policy import load_policy
from modules.progress import progress_for
from tests.app.conftest import open_app, texts
from tests.helpers import FIXTURE_BANKS, fill_answer, question_on_screen

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BANKS = load_banks(FIXTURE_BANKS)
POLICY, _ = load_policy(FIXTURE_BANKS, BANKS)


def pass_quizzes(store, user, module_ids, now=NOW):
    for module_id in module_ids:
        sitting = certification.start_quiz(store, user, BANKS, POLICY, module_id, now, "UTC", random.Random(1))
        answers = {i: answer_key(BANKS.question(s.question_id)) for i, s in enumerate(sitting.shown)}
        assert certification.submit_quiz(store, user, sitting, answers, POLICY, now).passed


def question_boxes(at):
    """The bordered box of each question on a quiz or exam page (the page's other boxes hold no question)."""
    return [c for c in at.main.children.values() if getattr(c, "type", "") == "flex_container"
            and any(caption.value.startswith("Question ") for caption in c.caption)]


def answer_all_on_page(at, right: bool):
    """Answer every question on a quiz or exam page, each in its own container, then rerun."""
    for container in question_boxes(at):
        question = question_on_screen(container, BANKS)
        fill_answer(container, question, right)
    at.run()


def test_a_technician_passes_a_module_quiz_in_the_app(users, app_store):
    technician = users["technician"]
    at = open_app(technician, "quiz.py", clock=FixedClock(NOW))
    next(b for b in at.button if b.label == "Start graded quiz").click().run()
    assert not at.success and not at.error  # nothing is marked before submission
    answer_all_on_page(at, right=True)
    next(b for b in at.button if b.label == "Submit quiz").click().run()
    assert not at.exception
    assert "Passed" in texts(at)
    assert at.metric[0].value == "100%"
    quizzes = app_store.attempts.for_user(Actor(technician.id, technician.role), technician.id, AttemptKind.QUIZ)
    assert len(quizzes) == 1 and quizzes[0].result.passed
    responses = app_store.attempts.responses(Actor(technician.id, technician.role), quizzes[0].id)
    assert len(responses) == POLICY.quiz_questions
    assert all(r.snapshot["prompt"] and r.content_hash for r in responses)


def on_screen(box):
    """What one question box shows: its prompt, and each widget's label, options in order and current value."""
    widgets = [*box.radio, *box.checkbox, *box.selectbox]
    return question_on_screen(box, BANKS).id, [(w.label, tuple(getattr(w, "options", ())), w.value) for w in widgets]


def test_a_reloaded_quiz_resumes_with_the_answers_given_so_far(users, app_store):
    technician = users["technician"]
    clock = FixedClock(NOW)
    at = open_app(technician, "quiz.py", clock=clock)
    next(b for b in at.button if b.label == "Start graded quiz").click().run()
    assert "unfinished quiz" not in texts(at)  # started here: nothing to resume
    half = POLICY.quiz_questions // 2
    for box in question_boxes(at)[:half]:
        fill_answer(box, question_on_screen(box, BANKS), right=True)
    at.run()
    before = [on_screen(box) for box in question_boxes(at)]
    actor = Actor(technician.id, technician.role)
    quiz = app_store.attempts.open_one(technician.id, AttemptKind.QUIZ)
    assert len(app_store.attempts.responses(actor, quiz.id)) == half  # saved as given, before any submit

    clock.advance(minutes=10)
    reloaded = open_app(technician, "quiz.py", clock=clock)  # a new session for the same person
    module_title = BANKS.module(quiz.module_id).title
    assert f"You have an unfinished quiz of {module_title}: your answers so far are kept" in texts(reloaded)
    assert not reloaded.success and not reloaded.metric  # still no marks before submission
    # The same questions with the same option order, and the answers given so far back in their widgets.
    assert [on_screen(box) for box in question_boxes(reloaded)] == before
    assert f"{POLICY.quiz_questions - half} question(s) not fully answered yet" in texts(reloaded)
    assert len(app_store.attempts.responses(actor, quiz.id)) == half  # putting them back saves nothing again

    for box in question_boxes(reloaded)[half:]:
        fill_answer(box, question_on_screen(box, BANKS), right=True)
    reloaded.run()
    next(b for b in reloaded.button if b.label == "Submit quiz").click().run()
    assert not reloaded.exception
    assert "Passed" in texts(reloaded) and reloaded.metric[0].value == "100%"
    finished = app_store.attempts.get(actor, quiz.id)
    assert finished.result.passed and app_store.attempts.open_one(technician.id, AttemptKind.QUIZ) is None
    responses = app_store.attempts.responses(actor, quiz.id)
    assert sorted(r.position for r in responses) == list(range(POLICY.quiz_questions))  # each answer once


def test_the_fourth_graded_attempt_of_the_day_is_refused_before_it_is_tried(users, app_store):
    technician = users["technician"]
    for _ in range(POLICY.quiz_attempts_per_day):
        pass_quizzes(app_store, technician, ["mechanics"])
    at = open_app(technician, "quiz.py", clock=FixedClock(NOW))
    at.selectbox[0].set_value("mechanics").run()
    # The limit is said up front, and the start button is off, rather than a refusal after the click.
    assert "next try opens at 00:00 on 24 Nov 2026" in texts(at)
    assert next(b for b in at.button if b.label == "Start graded quiz").disabled


def test_exam_is_locked_until_every_quiz_is_passed(users, app_store):
    technician = users["technician"]
    pass_quizzes(app_store, technician, [m.id for m in BANKS.modules[1:]])
    at = open_app(technician, "exam.py", clock=FixedClock(NOW))
    assert f"Pass the module quiz for 1. {BANKS.modules[0].title}" in texts(at)
    assert not any(b.label == "Start the exam" for b in at.button)


def test_exam_pass_issues_a_certificate_and_a_reload_resumes_the_same_exam(users, app_store):
    technician = users["technician"]
    pass_quizzes(app_store, technician, [m.id for m in BANKS.modules])
    clock = FixedClock(NOW)
    at = open_app(technician, "exam.py", clock=clock)
    next(b for b in at.button if b.label == "Start the exam").click().run()
    first_prompts = [m.value for m in at.markdown if m.value.startswith("**")]
    answer_all_on_page(at, right=True)

    clock.advance(minutes=10)
    reloaded = open_app(technician, "exam.py", clock=clock)  # a new session: same questions, same deadline
    assert [m.value for m in reloaded.markdown if m.value.startswith("**")] == first_prompts
    assert "about **35 min**" in texts(reloaded)
    exam_size = POLICY.exam_size([m.id for m in BANKS.modules])
    assert f"{exam_size} of {exam_size} answered" in texts(reloaded)
    exam = app_store.attempts.open_one(technician.id, AttemptKind.EXAM)
    next(b for b in reloaded.button if b.label == "Submit the exam").click().run()
    assert "You passed with 100%" in texts(reloaded)
    # Per module only: none of the exam's questions, keys or explanations is shown to the technician.
    assert "Your result per module" in texts(reloaded)
    assert {row["Module"] for row in reloaded.table[0].value.to_dict("records")} == {m.title for m in BANKS.modules}
    shown = texts(reloaded)
    assert not any(q["prompt"] in shown or q["explanation"] in shown for q in exam.questions)
    progress = progress_for(app_store, technician, BANKS, clock())
    assert progress.status is CertificateStatus.CERTIFIED
    assert progress.certificate.expires_at.date() == (NOW + timedelta(days=365)).date()

    mine = open_app(technician, "my_progress.py", clock=clock)
    assert progress.certificate.code in texts(mine)
    assert mine.get("download_button")


def test_a_failed_exam_names_the_modules_to_revisit(users, app_store):
    technician = users["technician"]
    pass_quizzes(app_store, technician, [m.id for m in BANKS.modules])
    at = open_app(technician, "exam.py", clock=FixedClock(NOW))
    next(b for b in at.button if b.label == "Start the exam").click().run()
    answer_all_on_page(at, right=False)
    next(b for b in at.button if b.label == "Submit the exam").click().run()
    assert "Not passed this time: 0%" in texts(at)
    assert "Revisit these modules" in texts(at)
    assert BANKS.modules[0].title in texts(at)


def test_an_exam_left_open_past_the_deadline_is_closed_with_the_answers_saved_in_time(users, app_store):
    technician = users["technician"]
    pass_quizzes(app_store, technician, [m.id for m in BANKS.modules])
    clock = FixedClock(NOW)
    sitting = certification.start_or_resume_exam(app_store, technician, BANKS, POLICY, clock(), random.Random(4))
    first = sitting.shown[0]
    certification.save_exam_answer(app_store, technician, sitting, 0, answer_key(BANKS.question(first.question_id)),
                                   POLICY, clock())
    clock.advance(minutes=POLICY.exam_minutes, seconds=POLICY.exam_grace_seconds + 1)
    at = open_app(technician, "exam.py", clock=clock)
    assert "Not passed this time" in texts(at)
    exam = app_store.attempts.for_user(Actor(technician.id, technician.role), technician.id, AttemptKind.EXAM)[0]
    assert exam.result.closed_by == "deadline"
    assert exam.result.score == 1 / len(sitting.shown)


def test_quiz_results_say_right_or_not_in_words_with_each_answer_marked(users, app_store):
    """The result list never relies on a symbol (the test browser had no emoji font), and each item shows what was
    picked against every option, as practice feedback does."""
    at = open_app(users["technician"], "quiz.py", clock=FixedClock(NOW))
    next(b for b in at.button if b.label == "Start graded quiz").click().run()
    answer_all_on_page(at, right=False)
    next(b for b in at.button if b.label == "Submit quiz").click().run()
    labels = [e.label for e in at.expander]
    assert len(labels) == POLICY.quiz_questions
    assert all("(not right)" in label for label in labels) and not any("❌" in label for label in labels)
    first = texts(at.expander[0])
    assert any(said in first for said in ("Your answer:", "You picked:", "Your order:", "Your matches:"))
    assert "The right answer" in first
