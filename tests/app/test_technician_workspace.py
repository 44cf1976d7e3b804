"""Issue #16, technician: Home and My progress say where you are and what is next; the quiz page shows attempts
left and starts on the first unpassed module; gaps are confirmed before submitting; the exam keeps a countdown and a
question navigator in view and never shows an exam item's key."""

import random
from datetime import UTC, datetime, timedelta

from modules import certification
from modules.banks import load_banks
from modules.core.clock import FixedClock
from modules.core.types import AttemptKind
from modules.grading import ShownQuestion, answer_key, describe_answer
from modules.policy import load_policy
from tests.app.conftest import open_app, texts
from tests.helpers import FIXTURE_BANKS, fill_answer, question_on_screen

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BANKS = load_banks(FIXTURE_BANKS)
POLICY, _ = load_policy(FIXTURE_BANKS, BANKS)
FIRST, SECOND = BANKS.modules[0], BANKS.modules[1]


def pass_quizzes(store, user, module_ids, now=NOW):
    for module_id in module_ids:
        sitting = certification.start_quiz(store, user, BANKS, POLICY, module_id, now, "UTC", random.Random(1))
        answers = {i: answer_key(BANKS.question(s.question_id)) for i, s in enumerate(sitting.shown)}
        assert certification.submit_quiz(store, user, sitting, answers, POLICY, now).passed


def certify(store, user, now=NOW):
    """Every quiz and the exam passed at `now`, through the same domain calls the pages make."""
    pass_quizzes(store, user, [m.id for m in BANKS.modules], now)
    sitting = certification.start_or_resume_exam(store, user, BANKS, POLICY, now, random.Random(2))
    for position, shown in enumerate(sitting.shown):
        certification.save_exam_answer(store, user, sitting, position, answer_key(BANKS.question(shown.question_id)),
                                       POLICY, now)
    assert certification.finish_exam(store, user, sitting, POLICY, now).passed


def button(at, label):
    return next(b for b in at.button if b.label == label)


def question_boxes(at):
    return [c for c in at.main.children.values() if getattr(c, "type", "") == "flex_container"
            and any(caption.value.startswith("Question ") for caption in c.caption)]


# ----------------------------------------------------------------------------------------------- Home


def test_home_sends_a_new_technician_to_the_first_lesson(users):
    at = open_app(users["technician"], clock=FixedClock(NOW))
    assert "Welcome: start with the first module" in texts(at)
    glance = at.dataframe[0].value
    assert list(glance["Module"]) == [f"{m.order}. {m.title}" for m in BANKS.modules]
    assert set(glance["Lesson"]) == {"Not read yet"} and set(glance["Quiz"]) == {"Not passed yet"}
    button(at, f"Read the lesson: 1. {FIRST.title}").click().run()
    assert not at.exception and at.title[0].value == FIRST.title


def test_home_shows_each_modules_progress_and_leads_to_the_next_quiz(users, app_store):
    technician = users["technician"]
    pass_quizzes(app_store, technician, [FIRST.id])
    app_store.lessons.mark_read(technician.id, SECOND.id)
    at = open_app(technician, clock=FixedClock(NOW))
    assert f"1 of {len(BANKS.modules)} module quizzes passed" in texts(at)
    glance = at.dataframe[0].value.set_index("Module")
    assert glance.loc[f"1. {FIRST.title}", "Quiz"] == "Passed"
    assert glance.loc[f"2. {SECOND.title}", "Lesson"] == "Read"
    assert glance.loc[f"2. {SECOND.title}", "Quiz"] == "Not passed yet"
    button(at, f"Take the quiz: 2. {SECOND.title}").click().run()
    assert at.title[0].value == "Module quiz" and at.selectbox[0].value == SECOND.id


def test_home_says_ready_for_the_exam_and_opens_it(users, app_store):
    pass_quizzes(app_store, users["technician"], [m.id for m in BANKS.modules])
    at = open_app(users["technician"], clock=FixedClock(NOW))
    assert "Ready for the certification exam" in texts(at)
    button(at, "Start the certification exam").click().run()
    assert at.title[0].value == "Certification exam" and any(b.label == "Start the exam" for b in at.button)


def test_home_for_a_certified_technician_gives_the_date_and_says_the_exam_recertifies(users, app_store):
    certify(app_store, users["technician"])
    at = open_app(users["technician"], clock=FixedClock(NOW + timedelta(days=30)))
    assert "Certified until 23 Nov 2027" in texts(at)
    assert "counts as recertification" in texts(at)
    assert not any(b.label.startswith("Read the lesson:") for b in at.button)


def test_home_counts_down_to_expiry_and_leads_to_the_exam(users, app_store):
    certify(app_store, users["technician"])
    at = open_app(users["technician"], clock=FixedClock(datetime(2027, 11, 13, 9, 0, tzinfo=UTC)))
    assert "Your certificate expires in 10 days: recertify" in [w.value.split(".**")[0].strip("*") for w in at.warning]
    button(at, "Start the exam to recertify").click().run()
    assert "counts as recertification" in texts(at)


def test_home_and_my_progress_tell_an_expired_technician_to_recertify(users, app_store):
    certify(app_store, users["technician"])
    later = FixedClock(datetime(2027, 12, 1, 9, 0, tzinfo=UTC))
    home = open_app(users["technician"], clock=later)
    assert "Your certificate expired on 23 Nov 2027" in " ".join(e.value for e in home.error)
    assert any(b.label == "Start the exam to recertify" for b in home.button)

    mine = open_app(users["technician"], "my_progress.py", clock=later)
    assert "Start the exam to recertify." in texts(mine)
    assert "Certificate (expired, no longer valid)" in texts(mine)
    assert [d.label for d in mine.get("download_button")] == ["Download my expired certificate (PDF)"]
    button(mine, "Start the exam to recertify").click().run()
    assert mine.title[0].value == "Certification exam"
    assert "Your certificate expired on 23 Nov 2027. Passing this exam recertifies you" in texts(mine)


def test_my_progress_of_a_studying_technician_lists_what_is_still_required(users, app_store):
    pass_quizzes(app_store, users["technician"], [FIRST.id])
    at = open_app(users["technician"], "my_progress.py", clock=FixedClock(NOW))
    assert f"Pass the module quiz for 2. {SECOND.title}" in texts(at)
    assert any(b.label == f"Read the lesson: 2. {SECOND.title}" for b in at.button)


# ----------------------------------------------------------------------------------------------- quiz


def test_the_quiz_page_starts_on_the_first_unpassed_module_and_shows_attempts_left(users, app_store):
    pass_quizzes(app_store, users["technician"], [FIRST.id])
    at = open_app(users["technician"], "quiz.py", clock=FixedClock(NOW))
    assert at.selectbox[0].value == SECOND.id
    assert f"1. {FIRST.title}: passed" in texts(at) and f"2. {SECOND.title}: not passed yet" in texts(at)
    per_day = POLICY.quiz_attempts_per_day
    assert f"0 used, {per_day} left" in texts(at)
    at.selectbox[0].set_value(FIRST.id).run()
    assert f"1 used, {per_day - 1} left" in texts(at)


def test_submitting_with_gaps_asks_first_and_names_them(users, app_store):
    technician = users["technician"]
    at = open_app(technician, "quiz.py", clock=FixedClock(NOW))
    button(at, "Start graded quiz").click().run()
    boxes = question_boxes(at)
    for number, box in enumerate(boxes, start=1):
        if number not in (2, 5):
            fill_answer(box, question_on_screen(box, BANKS), right=True)
    at.run()
    button(at, "Submit quiz").click().run()
    assert "Not answered yet: question(s) 2, 5." in texts(at)
    quiz = app_store.attempts.open_one(technician.id, AttemptKind.QUIZ)
    assert quiz is not None  # nothing submitted yet

    button(at, "Keep answering").click().run()
    assert "Not answered yet: question(s)" not in texts(at) and any(b.label == "Submit quiz" for b in at.button)
    button(at, "Submit quiz").click().run()
    button(at, "Submit anyway").click().run()
    assert not at.exception and at.metric[0].value == f"{(len(boxes) - 2) / len(boxes):.0%}"
    assert app_store.attempts.open_one(technician.id, AttemptKind.QUIZ) is None


def test_a_fully_answered_quiz_submits_without_asking(users, app_store):
    at = open_app(users["technician"], "quiz.py", clock=FixedClock(NOW))
    button(at, "Start graded quiz").click().run()
    for box in question_boxes(at):
        fill_answer(box, question_on_screen(box, BANKS), right=True)
    at.run()
    button(at, "Submit quiz").click().run()
    assert at.metric[0].value == "100%" and not any(b.label == "Submit anyway" for b in at.button)


# ----------------------------------------------------------------------------------------------- exam


def test_the_exam_shows_a_countdown_and_a_navigator_of_answered_and_flagged_questions(users, app_store):
    technician = users["technician"]
    pass_quizzes(app_store, technician, [m.id for m in BANKS.modules])
    clock = FixedClock(NOW)
    at = open_app(technician, "exam.py", clock=clock)
    button(at, "Start the exam").click().run()
    total = POLICY.exam_size([m.id for m in BANKS.modules])
    assert f"Time left: about **{POLICY.exam_minutes} min**" in texts(at)
    every = ", ".join(f"[{n}](#question-{n})" for n in range(1, total + 1))  # each number links to its question
    assert f"**Not answered yet** ({total}): {every}" in texts(at)

    first, second = question_boxes(at)[:2]
    fill_answer(first, question_on_screen(first, BANKS), right=True)
    second.toggle[0].set_value(True)
    at.run()
    assert "**Answered** (1): [1](#question-1)" in texts(at)
    assert "**Flagged to come back to** (1): [2](#question-2)" in texts(at)

    for _ in range(3):  # in steps shorter than the idle sign-out, as someone answering would
        clock.advance(minutes=(POLICY.exam_minutes - 3) / 3)
        at.run()
    assert "Time left: about **3 min**" in [w.value.split(" (ends")[0] for w in at.warning]
    clock.advance(minutes=2, seconds=30)
    at.run()
    assert "Time left: **under 1 min**" in texts(at)

    button(at, "Submit the exam").click().run()  # with gaps, it asks first and names them
    assert f"Not answered yet: question(s) {', '.join(str(n) for n in range(2, total + 1))}." in texts(at)
    assert app_store.attempts.open_one(technician.id, AttemptKind.EXAM) is not None
    button(at, "Submit anyway").click().run()
    assert "Not passed this time" in texts(at)


def test_an_exam_never_shows_a_key_or_explanation_before_or_after(users, app_store):
    technician = users["technician"]
    pass_quizzes(app_store, technician, [m.id for m in BANKS.modules])
    at = open_app(technician, "exam.py", clock=FixedClock(NOW))
    button(at, "Start the exam").click().run()
    exam = app_store.attempts.open_one(technician.id, AttemptKind.EXAM)
    for box in question_boxes(at):
        fill_answer(box, question_on_screen(box, BANKS), right=False)
    at.run()
    during = texts(at)
    assert not at.success and not at.error  # no right/wrong marks while answering
    button(at, "Submit the exam").click().run()
    after = texts(at)
    assert "Not passed this time" in after
    for shown in (ShownQuestion.from_snapshot(s) for s in exam.questions):
        for secret in (shown.explanation, shown.source, f"answer: {describe_answer(shown, shown.key)}"):
            assert secret not in during and secret not in after
