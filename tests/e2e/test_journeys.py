"""The product as people use it, in a real browser: the first manager, accounts, a technician's whole path to a
certificate, a refused page, the trainer's view of an attempt, the register and a revoked certificate, a phone.

The journeys share one server and one database and run in this order, like a clinic's first weeks. Each can also
run alone: what it needs from an earlier journey is seeded through the store when that journey did not run.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from modules import replay
from modules.certificates import verify_url
from modules.core.records import Actor
from modules.core.types import AttemptKind, QuestionType, Role
from modules.grading import ShownQuestion
from tests.e2e.conftest import ARTIFACTS, PASSWORD
from tests.e2e.screen import Screen, certificate_code

MANAGER = ("maya", "Maya Manager")
TECHNICIAN = ("tess", "Tess Technician")
TRAINER = ("tom", "Tom Trainer")
HOME = "Microdermabrasion training"


def signed_in(screens, clinic, username: str, full_name: str, role: Role, **context) -> Screen:
    """A new tab signed in as `username`; a one-time password from the Accounts page is changed first."""
    clinic.ensure_user(username, full_name, role)
    screen = screens(**context)
    screen.open()
    screen.sign_in(username, clinic.passwords[username])
    if clinic.user(username).must_change_password:
        screen.change_one_time_password(clinic.passwords[username], PASSWORD)
        clinic.passwords[username] = PASSWORD
        screen.sign_in_again()
        screen.sign_in(username, PASSWORD)
        expect(screen.heading("My account")).to_have_count(0)
    expect(screen.heading(HOME)).to_be_visible()
    return screen


def pdf_text(path: Path) -> str:
    """The text a reader sees in the PDF: pdftotext when poppler is installed, else the inflated page streams."""
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    raw = path.read_bytes()
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", raw, re.S)
    texts = []
    for stream in streams:
        try:
            texts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "".join(re.findall(r"\((.*?)\)\s*Tj", "".join(texts)))


LAID_OUT_AS_TABLES = {QuestionType.ORDERING, QuestionType.MATCHING}


def table_answers(question: ShownQuestion, answer) -> list[str]:
    """The replay table's second column for an ordering or matching answer: their step per place, or their
    match per item as the items were shown."""
    if question.type is QuestionType.ORDERING:
        return list(answer or [])
    return [(answer or {}).get(left) or replay.NO_ANSWER for left in question.lefts]


def current_certificate(clinic, user):
    return next((c for c in clinic.store.certificates.for_user(Actor(user.id, user.role), user.id)
                 if c.revoked_at is None), None)


@pytest.fixture
def exam_taker(clinic):
    """The technician with a finished exam and a current certificate: journey 3's, or seeded here."""
    user = clinic.ensure_user(*TECHNICIAN, Role.TECHNICIAN)
    if not clinic.finished_exams(user):
        clinic.pass_exam(user)
    return user


def test_journey1_first_run_creates_the_manager_who_signs_out_and_in_again(screens, clinic):
    assert clinic.store.accounts.count() == 0, "journey 1 needs the empty database: run the journeys in order"
    screen = screens()
    screen.open()
    expect(screen.heading("Create the first manager account")).to_be_visible()
    form = screen.main.get_by_test_id("stForm")
    form.get_by_label("Full name", exact=True).fill(MANAGER[1])
    form.get_by_label("Username", exact=True).fill(MANAGER[0])
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_label("Confirm password", exact=True).fill(PASSWORD)
    screen.shot("first-manager-form")
    with screen.rerun():
        form.get_by_role("button", name="Create account").click()
    screen.see("Your manager account is ready. Sign in with it to continue.")
    screen.sign_in_again()
    screen.sign_in(MANAGER[0], PASSWORD)
    expect(screen.heading(HOME)).to_be_visible()
    expect(screen.sidebar.get_by_text(MANAGER[1])).to_be_visible()
    expect(screen.menu_link("Accounts")).to_be_visible()
    screen.shot("manager-home")
    clinic.passwords[MANAGER[0]] = PASSWORD
    assert clinic.user(MANAGER[0]).role is Role.MANAGER

    screen.sign_out()
    expect(screen.page.get_by_role("heading", name="Sign in")).to_be_visible()  # the first-run page is gone for good
    screen.shot("signed-out")
    screen.open()  # the app's address, signed out: the sign-in form again
    assert screen.on_sign_in_form()
    screen.sign_in(MANAGER[0], PASSWORD)
    expect(screen.heading(HOME)).to_be_visible()
    expect(screen.sidebar.get_by_text(MANAGER[1])).to_be_visible()


def test_journey2_the_manager_adds_a_technician_and_a_trainer(screens, clinic):
    assert clinic.user(TECHNICIAN[0]) is None and clinic.user(TRAINER[0]) is None, "journey 2 runs before 3-7"
    screen = signed_in(screens, clinic, *MANAGER, Role.MANAGER)
    screen.go("Accounts")
    for (username, full_name), role in ((TECHNICIAN, "technician"), (TRAINER, "trainer")):
        form = screen.main.get_by_test_id("stForm")
        form.get_by_label("Username", exact=True).fill(username)
        form.get_by_label("Full name", exact=True).fill(full_name)
        screen.choose(form.get_by_role("combobox", name="Role"), role, in_form=True)
        form.get_by_label("Location", exact=True).fill("North")
        with screen.rerun():
            form.get_by_role("button", name="Add user").click()
        screen.see(f"Account {username} created")
        screen.see("One-time passwords to hand out")
        screen.shot(f"added-{role}")
        made = clinic.user(username)
        assert made.role.value == role and made.full_name == full_name and made.must_change_password

    # Both one-time passwords stay on the page, as one sheet to hand out, until the manager chooses Done.
    sheet = screen.download("Password sheet (CSV)", ARTIFACTS / "journey2-one-time-passwords.csv")
    with sheet.open(newline="", encoding="utf-8-sig") as rows:
        handed_out = {row["username"]: row["one_time_password"] for row in csv.DictReader(rows)}
    assert set(handed_out) == {TECHNICIAN[0], TRAINER[0]}
    clinic.passwords.update(handed_out)
    screen.press("Done: forget these passwords")
    screen.see("The one-time passwords are forgotten.")
    expect(screen.main.get_by_text("One-time passwords to hand out")).to_have_count(0)

    # The new people can sign in with what the manager handed them, and must choose their own password.
    for username, full_name in (TECHNICIAN, TRAINER):
        other = signed_in(screens, clinic, username, full_name, clinic.user(username).role)
        expect(other.sidebar.get_by_text(full_name)).to_be_visible()
    assert not clinic.user(TECHNICIAN[0]).must_change_password


def test_journey3_a_technician_learns_practises_passes_quizzes_and_exam_and_downloads_the_certificate(
        screens, clinic):
    user = clinic.ensure_user(*TECHNICIAN, Role.TECHNICIAN)
    assert not clinic.finished_exams(user), "journey 3 needs a technician who has not taken the exam"
    first, *others = clinic.banks.modules
    clinic.pass_quizzes(user, [m.id for m in others])  # the browser passes the first module's quiz itself
    screen = signed_in(screens, clinic, *TECHNICIAN, Role.TECHNICIAN)

    # Read the first lesson, with its diagrams.
    screen.go("Learn", heading=first.title)
    diagram = screen.main.locator("figure img").first  # each diagram an <img> with its text alternative
    expect(diagram).to_be_visible()
    assert diagram.get_attribute("alt")
    screen.shot("lesson")
    assert first.id in clinic.store.lessons.read_by(user.id)

    # Practise two questions from it: one right, one wrong, each with its feedback.
    screen.press("Practise this module")
    expect(screen.heading("Practice")).to_be_visible()
    count = screen.main.get_by_label("Number of questions")
    count.fill("2")
    with screen.rerun():
        count.press("Enter")
    screen.press("Start practice")
    for number, right in ((1, True), (2, False)):
        screen.see(f"Question {number} of 2", exact=True)
        question = screen.question_in(screen.main, clinic.banks)
        assert question.module_id == first.id
        screen.answer(screen.main, question, right=right)
        screen.press("Check answer")
        screen.see("Correct." if right else "Not quite. The right answer:")
        screen.see(question.explanation)
        screen.shot(f"practice-feedback-{'right' if right else 'wrong'}")
        screen.press("Next question" if number == 1 else "See summary")
    expect(screen.main.get_by_text("Round complete")).to_be_visible()
    expect(screen.main.get_by_test_id("stMetricValue")).to_have_text("1 of 2 (50%)")
    practice = clinic.store.attempts.for_user(Actor(user.id, user.role), user.id, AttemptKind.PRACTICE)
    assert len(clinic.store.attempts.current_responses(Actor(user.id, user.role), practice[-1].id)) == 2

    # Pass the first module's graded quiz.
    screen.go("Module quiz")
    expect(screen.main.get_by_role("combobox", name="Module")).to_have_value(f"1. {first.title}")
    screen.press("Start graded quiz")
    total = clinic.policy.quiz_questions
    expect(screen.button("Submit quiz")).to_be_visible()
    for number in range(1, total + 1):
        block = screen.question_block(number, total)
        screen.answer(block, screen.question_in(block, clinic.banks))
    screen.shot("quiz-answered")
    screen.press("Submit quiz")
    expect(screen.main.get_by_text("Passed", exact=True)).to_be_visible()
    expect(screen.main.get_by_test_id("stMetricValue")).to_have_text("100%")
    screen.shot("quiz-passed")

    # The exam stays locked: no supervised practical has been signed off as competent yet.
    required = clinic.policy.signoffs_required
    screen.go("Certification exam")
    screen.see(f"Have a trainer sign off {required} more supervised practical treatment(s) (0 of {required} so far)")
    expect(screen.button("Start the exam")).to_have_count(0)
    screen.shot("exam-locked-practicals")

    # A trainer records one practical as not yet competent (an item missed, with a comment), then one as
    # competent; after each the form is empty again, password included.
    trainer = signed_in(screens, clinic, *TRAINER, Role.TRAINER)
    trainer.go("Practical sign-off")
    trainer.choose(trainer.main.get_by_role("combobox", name="Technician"), f"{TECHNICIAN[1]} (North)")
    checklist = clinic.policy.checklist
    for item in checklist[:-1]:
        trainer.tick(trainer.main.get_by_role("checkbox", name=item, exact=True))
    trainer.tick(trainer.main.get_by_role("radio", name="Not yet competent", exact=True))
    comment = trainer.main.get_by_label("Comment")
    comment.fill("Practise disinfecting the tip before the next client.")
    with trainer.rerun():
        comment.press("Control+Enter")
    password = trainer.main.get_by_label("Your password, to sign")
    password.fill(clinic.passwords[TRAINER[0]])
    with trainer.rerun():
        password.press("Enter")
    trainer.press("Sign")
    trainer.see("not yet competent.")
    trainer.shot("practical-not-yet-competent")
    expect(trainer.main.get_by_label("Your password, to sign")).to_have_value("")
    for item in checklist:
        expect(trainer.main.get_by_role("checkbox", name=item, exact=True)).not_to_be_checked()
        trainer.tick(trainer.main.get_by_role("checkbox", name=item, exact=True))
    password = trainer.main.get_by_label("Your password, to sign")
    password.fill(clinic.passwords[TRAINER[0]])
    with trainer.rerun():
        password.press("Enter")
    trainer.press("Sign")
    trainer.see(", competent.")
    expect(trainer.main.get_by_label("Your password, to sign")).to_have_value("")
    trainer.shot("practical-competent")
    records = clinic.store.signoffs.for_user(user.id)
    assert [s.competent for s in records] == [False, True] and records[0].missed == (checklist[-1],)

    # One competent practical is not enough; with the others signed off, the exam unlocks.
    screen.go("Home", heading=HOME)
    screen.go("Certification exam")
    screen.see(f"({1} of {required} so far)")
    clinic.sign_off_competent(user, required - 1)
    screen.go("Home", heading=HOME)
    screen.go("Certification exam")

    # Answer every question (the first one wrong, for the trainer to find) and pass.
    screen.press("Start the exam")
    expect(screen.button("Submit the exam")).to_be_visible()
    exam = clinic.store.attempts.open_one(user.id, AttemptKind.EXAM)
    total = len(exam.questions)
    for number in range(1, total + 1):
        block = screen.question_block(number, total)
        screen.answer(block, screen.question_in(block, clinic.banks), right=number > 1)
        screen.see(f"{number} of {total} answered.", exact=True)  # saved on the server as it is given
    screen.shot("exam-answered")
    screen.press("Submit the exam")
    passed = screen.see("You passed with")
    code = certificate_code(passed.inner_text())
    screen.see("Your result per module")
    screen.shot("exam-passed")
    assert current_certificate(clinic, user).code == code
    # The result is per module only: no exam question, key or explanation is shown to the technician.
    page_text = screen.main.inner_text()
    for snapshot in exam.questions or []:
        assert snapshot["prompt"] not in page_text and snapshot["explanation"] not in page_text
    for module in clinic.banks.modules:
        expect(screen.main.get_by_text(module.title, exact=True).first).to_be_visible()

    # Download the certificate: a PDF with the technician's name, the code and the link to check it.
    screen.go("My progress")
    screen.see(code)
    pdf = screen.download("Download my certificate (PDF)", ARTIFACTS / "journey3-certificate.pdf")
    screen.shot("my-progress")
    assert pdf.read_bytes().startswith(b"%PDF")
    text = pdf_text(pdf)
    assert TECHNICIAN[1] in text and code in text
    assert verify_url(screen.base_url, code) in text.replace("\n", "")


def test_journey4_a_technician_who_types_the_team_url_signs_in_there_and_is_refused(screens, clinic):
    clinic.ensure_user(*TECHNICIAN, Role.TECHNICIAN)
    screen = screens()
    screen.open("team")
    assert screen.on_sign_in_form()  # the address asked for is kept: no "Page not found" over a sign-in
    assert "next=%2Fteam" in screen.page.url
    expect(screen.page.get_by_role("dialog")).to_have_count(0)
    screen.shot("typed-team-url")
    screen.sign_in(TECHNICIAN[0], clinic.passwords[TECHNICIAN[0]])
    assert screen.page.url.endswith("/team")
    screen.see("You do not have access to this page.")
    expect(screen.page.get_by_role("dialog")).to_have_count(0)
    expect(screen.heading("Team")).to_have_count(0)
    expect(screen.menu_link("Team")).to_have_count(0)

    # Reloading keeps the session and the page: still refused, never "Page not found".
    screen.page.reload()
    screen.loaded()
    screen.see("You do not have access to this page.")
    expect(screen.page.get_by_role("dialog")).to_have_count(0)
    screen.shot("still-refused")


def test_journey5_the_trainer_replays_the_technicians_exam_and_opens_item_analysis(screens, clinic, exam_taker):
    screen = signed_in(screens, clinic, *TRAINER, Role.TRAINER)
    screen.follow("team")  # the address journey 4 refuses to a technician opens for a trainer
    expect(screen.heading("Team")).to_be_visible()
    screen.shot("team")

    screen.go("Technician")
    screen.choose(screen.main.get_by_role("combobox", name="Technician"), f"{TECHNICIAN[1]} (North)")
    exam = clinic.finished_exams(exam_taker)[-1]
    picker = screen.main.get_by_role("combobox", name="Open an attempt")
    if " · exam · " not in picker.input_value():  # the newest attempt is open at first
        screen.open_list(picker)
        exam_label = screen.page.get_by_role("option").filter(has_text=" · exam · ").first.inner_text()
        screen.page.keyboard.press("Escape")
        screen.choose(picker, exam_label.strip())
    expect(picker).to_have_value(re.compile(" · exam · "))
    records = sorted(clinic.store.attempts.current_responses(Actor(exam_taker.id, exam_taker.role), exam.id),
                     key=lambda r: r.position)
    right = sum(r.correct for r in records)
    expect(screen.main.get_by_role("heading", name=f"Attempt {exam.id}: {right} of {len(records)} right")
           ).to_be_visible()
    screen.shot("exam-attempt")
    # Choice answers read as a line; ordering and matching answers as a table of their step or match per row.
    paragraphs = [" ".join(t.split()) for t in screen.main.locator("p").all_inner_texts()]
    given = [t for t in paragraphs if t.startswith("Answer given:")]
    shown = [(ShownQuestion.from_snapshot(r.snapshot), r.answer) for r in records]
    tabled = [(question, answer) for question, answer in shown if question.type in LAID_OUT_AS_TABLES]
    wanted = [" ".join(f"Answer given: {replay.answer_text(question, answer)}".split())
              for question, answer in shown if question.type not in LAID_OUT_AS_TABLES]
    assert given == wanted
    theirs = screen.main.get_by_test_id("stTable").evaluate_all(
        "tables => tables.map(t => Array.from(t.querySelectorAll('tbody tr'), r => r.cells[1].innerText.trim()))")
    assert theirs == [table_answers(question, answer) for question, answer in tabled]
    prompts = [t for t in paragraphs if re.match(r"^\d+\. ", t)]
    assert prompts == [f"{r.position + 1}. {r.snapshot['prompt']}" for r in records]
    assert screen.main.get_by_test_id("stAlertContentError").count() == len(records) - right

    screen.go("Item analysis")
    screen.tick(screen.main.get_by_role("radio", name="Certification exam", exact=True))
    expect(screen.main.get_by_test_id("stMetric").first).to_contain_text("Attempts")
    screen.shot("item-analysis")


def test_journey6_the_manager_exports_the_register_and_revokes_a_certificate(screens, clinic, exam_taker):
    code = current_certificate(clinic, exam_taker).code
    screen = signed_in(screens, clinic, *MANAGER, Role.MANAGER)
    screen.go("Certification register")
    screen.shot("register")
    workbook = screen.download("Register (Excel)", ARTIFACTS / "journey6-register.xlsx")
    book = openpyxl.load_workbook(workbook, read_only=True)
    try:
        rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    finally:
        book.close()  # a read-only workbook keeps its file open until closed
    header = rows[0]
    records = [dict(zip(header, row)) for row in rows[1:]]
    holder = next(r for r in records if r["Name"] == TECHNICIAN[1])
    assert holder["Certificate code"] == code and holder["Status"].lower().startswith("certified")
    assert {r["Username"] for r in records} >= {TECHNICIAN[0], MANAGER[0]}

    form = screen.main.get_by_test_id("stForm")
    screen.choose(form.get_by_role("combobox", name="Certificate"), f"{code} — {TECHNICIAN[1]}", in_form=True)
    form.get_by_label("Reason for revoking", exact=True).fill("Exam taken with help")
    with screen.rerun():
        form.get_by_role("button", name="Revoke certificate").click()
    # Nothing is revoked until the manager confirms a question that repeats who, which certificate and why.
    screen.see(f"Revoke {TECHNICIAN[1]}'s certificate {code} because 'Exam taken with help'?")
    screen.shot("revoke-confirmation")
    assert current_certificate(clinic, exam_taker).code == code
    screen.press("Confirm: revoke it")
    screen.see(f"Certificate {code} is revoked.")
    assert current_certificate(clinic, exam_taker) is None
    screen.shot("revoked")

    # Anyone holding the printed certificate scans its QR code: a plain page, no account, no WebSocket.
    public = screens()
    public.page.goto(verify_url(public.base_url, code))
    expect(public.page.get_by_text("Revoked: this certificate was withdrawn")).to_be_visible()
    expect(public.page.get_by_text(TECHNICIAN[1], exact=True)).to_be_visible()
    public.page.screenshot(path=str(ARTIFACTS / "journey6-public-verify-page-revoked.png"))
    # The app's own verify page takes the code from its address too.
    public.open(f"verify?code={code}")
    expect(public.heading("Verify a certificate")).to_be_visible()
    expect(public.main.get_by_label("Certificate code")).to_have_value(code)
    public.see("Revoked: this certificate was withdrawn")
    public.see(TECHNICIAN[1])
    expect(public.sidebar.get_by_role("button", name="Sign out")).to_have_count(0)
    public.shot("public-verify-revoked")


def test_journey7_on_a_phone_a_technician_answers_a_practice_question(screens, clinic):
    screen = signed_in(screens, clinic, "pia", "Pia Phone", Role.TECHNICIAN,
                       viewport={"width": 390, "height": 844}, mobile=True)
    screen.shot("home")
    screen.go("Practice")
    screen.press("Start practice")
    screen.see("Question 1 of", exact=False)
    question = screen.question_in(screen.main, clinic.banks)
    screen.answer(screen.main, question)
    screen.press("Check answer")
    screen.see("Correct.")
    screen.shot("practice-feedback")
    width = screen.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px wide)"
    box = screen.button("Next question").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
