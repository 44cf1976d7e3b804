"""The reworked workspaces (#16) in a real browser, one journey per role, each step photographed at a desktop's
1366x768 and a phone's 390x844 (tests/e2e/artifacts/workspace-<role>-<step>-<width>.png):

- a technician's Home names the stage and the next step, whose button opens the quiz on the first module not
  passed with the attempts left; submitting with a gap asks first; the results say right or not right in words,
  with the client case;
- a trainer's Team counts each group, lists one group, opens a person on the Technician page, replays the wrong
  answers only, and comes back to Team with the group still chosen;
- a manager filters the register by location and role, revokes only after a confirmation naming the person and the
  reason, reads the audit log in words (refused actions too) and the expiring certificates by window.

The journeys share one app on a database of their own, seeded through the domain (module fixture `office`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from modules import team
from modules.core.clock import system_clock
from modules.core.errors import AuthError
from modules.core.records import Actor
from modules.core.types import AttemptKind, QuestionType, Role
from tests.e2e.conftest import PASSWORD, Site, clinic_on, running_app
from tests.e2e.screen import Screen

HOME = "Microdermabrasion training"
SIZES = ({"width": 1366, "height": 768}, {"width": 390, "height": 844})
DESKTOP = SIZES[0]
# username: (full name, role, location). Where each technician stands is seeded by `office`.
PEOPLE = {
    "mara": ("Mara Manager", Role.MANAGER, "North"),
    "trent": ("Trent Trainer", Role.TRAINER, "North"),
    "wren": ("Wren Studying", Role.TECHNICIAN, "North"),  # module 1 passed, module 2's lesson read
    "sam": ("Sam Struggling", Role.TECHNICIAN, "North"),  # module 1 passed, module 2's quiz failed
    "nina": ("Nina New", Role.TECHNICIAN, "South"),  # nothing done yet
    "fay": ("Fay Failed", Role.TECHNICIAN, "South"),  # every quiz passed, the exam failed
    "cora": ("Cora Certified", Role.TECHNICIAN, "South"),
    "gina": ("Gina Sixty", Role.TECHNICIAN, "South"),  # certified, expires in about 50 days
    "ezio": ("Ezio Expiring", Role.TECHNICIAN, "North"),  # certified, expires in about 20 days
}
REVOKED = ("rory", "Rory Revoked")  # made by the manager's journey, which revokes his certificate
SAM_MISSED = 10  # the questions Sam left unanswered in module 2's quiz (of 25: not passed)


@pytest.fixture(scope="module")
def office(browser, tmp_path_factory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("workspaces")
    db_url = f"sqlite:///{folder / 'workspaces.db'}"
    with running_app(db_url, folder) as started, clinic_on(db_url) as clinic:
        people = {username: clinic.ensure_user(username, name, role, location)
                  for username, (name, role, location) in PEOPLE.items()}
        first, second = (m.id for m in clinic.banks.modules[:2])
        clinic.pass_quizzes(people["wren"], [first])
        clinic.store.lessons.mark_read(people["wren"].id, second)
        clinic.pass_quizzes(people["sam"], [first])
        assert not clinic.take_quiz(people["sam"], second, wrong=SAM_MISSED).passed
        clinic.sit_exam(people["fay"], passing=False, trainer="trent")
        code = clinic.pass_exam(people["cora"], trainer="trent")
        now = system_clock()
        clinic.pass_exam(people["gina"], trainer="trent", now=now - timedelta(days=315))
        clinic.pass_exam(people["ezio"], trainer="trent", now=now - timedelta(days=345))
        # A sign-off signed with the wrong password: refused, and kept in the audit log.
        today = now.date()
        with pytest.raises(AuthError):
            team.sign_off(clinic.store, people["trent"], people["sam"].id, today,
                          {item: True for item in clinic.policy.checklist}, "", "not my password",
                          clinic.policy.checklist, today)
        yield Site(started, clinic, code)


def signed_in(screens, office: Site, username: str, role: str) -> Screen:
    screen = screens(base_url=office.url, viewport=DESKTOP)
    screen.journey = f"workspace-{role}"
    screen.open()
    screen.sign_in(username, PASSWORD)
    expect(screen.heading(HOME)).to_be_visible()
    return screen


def photograph(screen: Screen, step: str) -> None:
    """The page as it is now, at each size; at a phone's width it must not scroll sideways."""
    for size in SIZES:
        screen.resize(size)
        screen.shot(f"{step}-{size['width']}")
        width = screen.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= size["width"], f"{step} scrolls sideways at {size['width']} px ({width} px wide)"
    screen.resize(DESKTOP)


def test_technician_home_gives_the_next_step_and_the_quiz_asks_before_a_gap(screens, office):
    clinic = office.clinic
    user = clinic.user("wren")
    first, second = clinic.banks.modules[:2]
    total_modules = len(clinic.banks.modules)
    screen = signed_in(screens, office, "wren", "technician")

    # Home: where she stands and one button for what comes next (module 2's quiz: its lesson is read).
    screen.see(f"1 of {total_modules} module quizzes passed.")
    screen.see(f"Next: the graded quiz for 2. {second.title}.")
    next_step = screen.button(f"Take the quiz: 2. {second.title}")
    expect(next_step).to_be_visible()
    photograph(screen, "home")

    # The button opens the quiz page on that module, with the attempts used and left today.
    with screen.rerun():
        next_step.click()
    expect(screen.heading("Module quiz")).to_be_visible()
    expect(screen.main.get_by_role("combobox", name="Module")).to_have_value(f"2. {second.title}")
    per_day = clinic.policy.quiz_attempts_per_day
    screen.see(f"Graded attempts today for this module: 0 used, {per_day} left (of {per_day} a day).")
    screen.see(f"Modules passed: 1 of {total_modules}")
    # Each module's line ("1. Skin science...: passed"); the page writes its number as a list's, so read the rest.
    screen.see(f"{first.title}: passed", exact=True)
    screen.see(f"{second.title}: not passed yet", exact=True)
    photograph(screen, "quiz-start")

    # Answer all but one question; the first one with a client case is answered wrong.
    screen.press("Start graded quiz")
    total = clinic.policy.quiz_questions
    shown = [screen.question_in(screen.question_block(n, total), clinic.banks) for n in range(1, total + 1)]
    case = next(n for n, q in enumerate(shown, start=1)
                if q.scenario and q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE))
    gap = total if case != total else total - 1
    for number, question in enumerate(shown, start=1):
        if number != gap:
            screen.answer(screen.question_block(number, total), question, right=number != case)
    screen.see("1 question(s) not fully answered yet; they score 0 if you submit now.")

    # Submitting with a gap asks first, naming it; nothing is graded until the technician says so.
    screen.press("Submit quiz")
    screen.see(f"Not answered yet: question(s) {gap}. They score 0 if you submit now. Submit anyway?")
    expect(screen.button("Keep answering")).to_be_visible()
    photograph(screen, "quiz-gap-question")
    assert clinic.store.attempts.open_one(user.id, AttemptKind.QUIZ) is not None
    screen.press("Submit anyway")
    assert clinic.store.attempts.open_one(user.id, AttemptKind.QUIZ) is None

    # Results in words, each question with its verdict; the case question shows the case and every option marked.
    right = total - 2
    expect(screen.main.get_by_test_id("stMetricValue")).to_have_text(f"{right / total:.0%}")
    for number in range(1, total + 1):
        verdict = "not right" if number in (case, gap) else "right"
        expect(screen.main.get_by_text(f"Question {number} ({verdict}): ")).to_have_count(1)
    details = screen.expand(f"Question {case} (not right): ")
    question = shown[case - 1]
    expect(details.get_by_text(f"Client case: {question.scenario}")).to_be_visible()
    expect(details.get_by_text("Not quite. The right answer:")).to_be_visible()
    expect(details.get_by_text("Your answer: not correct")).to_be_visible()
    expect(details.get_by_text("Correct answer · you did not pick it").first).to_be_visible()
    expect(details.get_by_text(f"Why: {question.explanation}")).to_be_visible()
    photograph(screen, "quiz-results")


def test_trainer_team_groups_drill_down_wrong_answers_only_and_back_with_the_filter(screens, office):
    clinic = office.clinic
    screen = signed_in(screens, office, "trent", "trainer")
    screen.go("Team")

    # A count per group, as seeded (the manager's journey adds a person to none of these).
    for label in ("Not started · 1", "Studying · 2", "Failed the exam · 1", "Certified · 2", "Expiring · 1"):
        expect(screen.main.get_by_role("radio", name=label, exact=True)).to_be_visible()
    photograph(screen, "team")

    # One group: only its people are listed.
    screen.segment("Studying · 2")
    screen.see(re.compile(r"^2 of \d+ technician\(s\)\."))
    grid = screen.tables().first
    listed = screen.grid_rows(grid, 2)
    assert [row["Name"] for row in listed] == ["Sam Struggling", "Wren Studying"]
    assert {row["Group"] for row in listed} == {"studying"}
    photograph(screen, "team-studying")

    # Ticking Sam's row opens him on the Technician page, on his newest attempt: module 2's quiz.
    screen.tick_row(grid, 0)
    expect(screen.heading("Technician")).to_be_visible()
    expect(screen.main.get_by_role("combobox", name="Technician")).to_have_value("Sam Struggling (North)")
    sam = clinic.user("sam")
    quiz = clinic.store.attempts.for_user(Actor(sam.id, sam.role), sam.id, AttemptKind.QUIZ)[-1]
    records = sorted(clinic.store.attempts.current_responses(Actor(sam.id, sam.role), quiz.id),
                     key=lambda r: r.position)
    wrong = [r for r in records if not r.correct]
    assert len(wrong) == SAM_MISSED
    expect(screen.main.get_by_role("heading", name=f"Attempt {quiz.id}: {len(records) - len(wrong)} of "
                                                   f"{len(records)} right")).to_be_visible()
    photograph(screen, "technician-replay")

    # Wrong answers only: just the missed ones, in the order they were shown.
    screen.tick(screen.main.get_by_role("switch", name="Wrong answers only"))
    prompts = [" ".join(t.split()) for t in screen.main.locator("p > strong").all_inner_texts()
               if re.match(r"^\d+\. ", t)]
    assert prompts == [" ".join(f"{r.position + 1}. {r.snapshot['prompt']}".split()) for r in wrong]
    expect(screen.main.get_by_test_id("stAlertContentError")).to_have_count(len(wrong))
    expect(screen.main.get_by_test_id("stAlertContentSuccess")).to_have_count(0)
    photograph(screen, "technician-wrong-only")

    # Back to Team: the group chosen before is still chosen.
    with screen.rerun():
        screen.main.get_by_role("link", name="Back to Team (your filters are kept)").click()
    expect(screen.heading("Team")).to_be_visible()
    expect(screen.main.get_by_role("radio", name="Studying · 2", exact=True)).to_have_attribute(
        "aria-checked", "true")
    assert [row["Name"] for row in screen.grid_rows(screen.tables().first, 2)] == ["Sam Struggling", "Wren Studying"]
    photograph(screen, "team-kept-filter")


def test_manager_filters_the_register_confirms_a_revocation_and_reads_the_audit_log_and_expiring(screens, office):
    clinic = office.clinic
    rory = clinic.ensure_user(*REVOKED, Role.TECHNICIAN, location="South")
    if not any(c.revoked_at is None for c in clinic.store.certificates.for_user(Actor(rory.id, rory.role), rory.id)):
        clinic.pass_exam(rory, trainer="trent")
    code = next(c.code for c in clinic.store.certificates.for_user(Actor(rory.id, rory.role), rory.id)
                if c.revoked_at is None)
    screen = signed_in(screens, office, "mara", "manager")
    screen.go("Certification register")

    # Filtered to the technicians of one location.
    staff = clinic.store.accounts.list_users()
    south = sorted(u.full_name for u in staff if u.location == "South" and u.role is Role.TECHNICIAN)
    screen.add_choice(screen.main.get_by_role("combobox", name="Location"), "South")
    screen.add_choice(screen.main.get_by_role("combobox", name="Role"), "Technician")
    screen.see(f"{len(south)} of {len(staff)} staff shown.")
    rows = screen.grid_rows(screen.tables().first, len(south))
    assert sorted(row["Name"] for row in rows) == south
    assert {(row["Location"], row["Role"]) for row in rows} == {("South", "technician")}
    photograph(screen, "register-filtered")

    # Revoking asks first, naming the person, the certificate and the reason; Cancel revokes nothing.
    reason = "Exam sat with a colleague's help"
    form = screen.main.get_by_test_id("stForm")  # the revoke form and the clinic's: each control is in one of them
    screen.choose(form.get_by_role("combobox", name="Certificate"), f"{code} — {REVOKED[1]}", in_form=True)
    form.get_by_label("Reason for revoking", exact=True).fill(reason)
    question = f"Revoke {REVOKED[1]}'s certificate {code} because '{reason}'?"
    with screen.rerun():
        form.get_by_role("button", name="Revoke certificate").click()
    screen.see(question)
    photograph(screen, "revoke-confirmation")
    screen.press("Cancel")
    screen.see("Nothing was revoked.")
    expect(screen.main.get_by_text(question)).to_have_count(0)
    assert all(c.revoked_at is None for c in clinic.store.certificates.for_user(Actor(rory.id, rory.role), rory.id)
               if c.code == code)

    with screen.rerun():
        form.get_by_role("button", name="Revoke certificate").click()
    screen.see(question)
    screen.press("Confirm: revoke it")
    screen.see(f"Certificate {code} is revoked.")
    revoked = next(c for c in clinic.store.certificates.for_user(Actor(rory.id, rory.role), rory.id)
                   if c.code == code)
    assert revoked.revoked_at is not None
    rows = {row["Name"]: row for row in screen.grid_rows(screen.tables().first, len(south), showing="revoked")}
    assert rows[REVOKED[1]]["Status"] == "revoked"
    photograph(screen, "register-revoked")

    # The audit log in words: the refused sign-off with names, then the revocation with its reason.
    screen.go("Audit log")
    refused_only = screen.main.get_by_role("checkbox", name="Refused actions only")
    screen.tick(refused_only)
    screen.see("1 entry (refused actions only), newest first.")
    (refused,) = screen.grid_rows(screen.tables().first, 1)
    assert refused["Who"] == "Trent Trainer (trent)" and refused["Action"] == "Sign-off refused"
    assert "Sam Struggling" in refused["About"]
    photograph(screen, "audit-refused")
    with screen.rerun():  # every action again
        refused_only.locator("xpath=ancestor::label[1]").click()
    expect(refused_only).not_to_be_checked()
    screen.choose(screen.main.get_by_role("combobox", name="Action"), "Certificate revoked")
    screen.see("1 entry, newest first.")
    # One row before and after the filter: wait for the new row, not the refused one still drawn.
    (entry,) = screen.grid_rows(screen.tables().first, 1, showing="Certificate revoked")
    holder = f"{REVOKED[1]} ({REVOKED[0]})"
    assert entry["Who"] == "Mara Manager (mara)" and entry["About"] == f"certificate {code}"
    assert entry["What happened"] == f"Revoked certificate {code} of {holder}. Reason: {reason}."
    photograph(screen, "audit-revoked")

    # Expiring certificates, by window: Ezio within 30 days, Gina within 60, nobody else.
    screen.go("Expiring certificates")
    expected = {30: ["Ezio Expiring"], 60: ["Gina Sixty"]}
    for window in clinic.policy.reminder_days:
        heading = f"Within {window} days ({len(expected.get(window, []))})"
        expect(screen.main.get_by_role("heading", name=heading)).to_be_visible()
    grids = screen.tables()  # one per window with anyone in it, narrowest first
    expect(grids).to_have_count(len(expected))
    # The audit log's one-row grid may still be drawn where the first of these goes: wait for each one's name.
    listed = [[row["Name"] for row in screen.grid_rows(grids.nth(i), 1, showing=expected[window][0])]
              for i, window in enumerate(sorted(expected))]
    assert listed == [expected[window] for window in sorted(expected)]
    screen.see("E-mail reminders are off")
    photograph(screen, "expiring")
