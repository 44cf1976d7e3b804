"""Browser journeys for the server-side session: reloads keep the sign-in and the answers, a deep link survives
signing in, sign-out reaches every tab and kills a copied cookie, the cookie's flags as the browser holds them, and
two app instances on one PostgreSQL database sharing one sign-in.

They run after tests/e2e/test_journeys.py on the same server, each with people of its own.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from modules import auth, sessions, settings
from modules.banks import load_banks
from modules.core.records import Actor
from modules.core.types import AttemptKind, Role
from modules.store import Store
from tests.conftest import postgres_schema
from tests.e2e.conftest import BANKS_DIR, PASSWORD, running_app
from tests.e2e.screen import Screen

HOME = "Microdermabrasion training"


def signed_in_as(screens, clinic, username: str, full_name: str, role: Role, **options) -> Screen:
    clinic.ensure_user(username, full_name, role)
    screen = screens(**options)
    screen.open()
    screen.sign_in(username, clinic.passwords[username])
    expect(screen.heading(HOME)).to_be_visible()
    return screen


def session_cookie(screen: Screen) -> dict:
    found = [c for c in screen.page.context.cookies() if c["name"] == sessions.COOKIE]
    assert len(found) == 1, found
    return found[0]


def test_journey8_a_reload_mid_quiz_keeps_the_sign_in_the_questions_and_the_answers(screens, clinic):
    screen = signed_in_as(screens, clinic, "rhea", "Rhea Reload", Role.TECHNICIAN)
    screen.go("Module quiz")
    screen.press("Start graded quiz")
    total = clinic.policy.quiz_questions
    expect(screen.button("Submit quiz")).to_be_visible()
    shown = [screen.question_in(screen.question_block(n, total), clinic.banks) for n in (1, 2, 3)]
    for number in (1, 2):
        screen.answer(screen.question_block(number, total), shown[number - 1])

    screen.page.reload()
    screen.loaded()
    assert not screen.on_sign_in_form() and screen.page.url.endswith("/quiz")
    expect(screen.heading("Module quiz")).to_be_visible()
    screen.see("You have an unfinished quiz of")
    after = [screen.question_in(screen.question_block(n, total), clinic.banks) for n in (1, 2, 3)]
    assert [q.id for q in after] == [q.id for q in shown]  # the same questions, in the same order
    for number in (1, 2):
        screen.expect_answered(screen.question_block(number, total), shown[number - 1])
    screen.see(f"{total - 2} question(s) not fully answered yet")
    screen.shot("quiz-after-reload")


def test_journey9_a_reload_mid_exam_keeps_the_sign_in_and_the_answers(screens, clinic):
    user = clinic.ensure_user("ezra", "Ezra Exam", Role.TECHNICIAN)
    clinic.pass_quizzes(user, [m.id for m in clinic.banks.modules])
    clinic.sign_off_competent(user, clinic.policy.signoffs_required)
    screen = signed_in_as(screens, clinic, "ezra", "Ezra Exam", Role.TECHNICIAN)
    screen.go("Certification exam")
    screen.press("Start the exam")
    total = clinic.policy.exam_size([m.id for m in clinic.banks.modules])
    expect(screen.button("Submit the exam")).to_be_visible()
    shown = [screen.question_in(screen.question_block(n, total), clinic.banks) for n in (1, 2)]
    for number, question in enumerate(shown, start=1):
        screen.answer(screen.question_block(number, total), question)
    screen.see(f"2 of {total} answered.")

    # The navigator's numbers go to their questions: the last one is scrolled into view, below the timer.
    last = screen.question_block(total, total)
    expect(last).not_to_be_in_viewport()
    screen.main.get_by_role("link", name=str(total), exact=True).click()
    expect(last.get_by_text(f"Question {total} of {total}", exact=True)).to_be_in_viewport()

    screen.page.reload()
    screen.loaded()
    assert not screen.on_sign_in_form() and screen.page.url.endswith(f"/exam#question-{total}")
    screen.see("Time left: about")
    for number, question in enumerate(shown, start=1):
        screen.expect_answered(screen.question_block(number, total), question)
    screen.see(f"2 of {total} answered.")
    exams = clinic.store.attempts.for_user(Actor(user.id, user.role), user.id, AttemptKind.EXAM)
    assert len(exams) == 1 and exams[0].result is None  # still the one exam, still open
    screen.shot("exam-after-reload")


def test_journey10_a_trainers_bookmark_signs_in_to_that_page_and_a_reload_stays_there(screens, clinic):
    clinic.ensure_user("tina", "Tina Trainer", Role.TRAINER)
    screen = screens()
    screen.open("item-analysis")
    assert screen.on_sign_in_form()
    screen.sign_in("tina", clinic.passwords["tina"])
    assert screen.page.url.endswith("/item-analysis")
    expect(screen.heading("Item analysis")).to_be_visible()
    screen.page.reload()
    screen.loaded()
    expect(screen.heading("Item analysis")).to_be_visible()
    expect(screen.page.get_by_role("dialog")).to_have_count(0)  # never "Page not found"


def test_journey11_sign_out_in_one_tab_ends_the_other_tab_and_a_copied_cookie(screens, clinic):
    screen = signed_in_as(screens, clinic, "otis", "Otis Tabs", Role.TECHNICIAN)
    cookie = session_cookie(screen)
    # The flags as the browser holds them: script cannot read it, other sites' requests do not carry it.
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert cookie["secure"] is False  # the public address here is http://127.0.0.1
    assert sessions.COOKIE not in screen.page.evaluate("document.cookie")
    assert cookie["value"] not in screen.page.url

    other_tab = Screen(screen.page.context.new_page(), screen.base_url, screen.artifacts, screen.journey)
    other_tab.open("practice")
    expect(other_tab.heading("Practice")).to_be_visible()

    screen.sign_out()
    with other_tab.rerun():  # its next action
        other_tab.menu_link("Learn").click()
    expect(other_tab.heading("Sign in")).to_be_visible()
    other_tab.see("You signed out.")
    expect(other_tab.main.get_by_role("heading", name="Learn")).to_have_count(0)
    other_tab.shot("other-tab-signed-out")

    copied = screens()
    copied.page.context.add_cookies([cookie])
    copied.open("home")
    assert copied.on_sign_in_form()
    expect(copied.page.get_by_text("You signed out.")).to_be_visible()


@pytest.fixture
def shared_postgres(postgres_server_url):
    """A fresh PostgreSQL schema for two app instances, dropped afterwards."""
    with postgres_schema(postgres_server_url) as url:
        yield url


def test_journey12_two_instances_on_one_postgresql_share_the_sign_in(screens, shared_postgres, tmp_path):
    store = Store.open(shared_postgres, audit_key=settings.audit_key())
    try:
        auth.create_user(store, "maya", "Maya Manager", Role.MANAGER, PASSWORD)
        pat = store.accounts.get(auth.create_user(store, "pat", "Pat Postgres", Role.TECHNICIAN, PASSWORD))
        with running_app(shared_postgres, tmp_path / "first") as first, \
                running_app(shared_postgres, tmp_path / "second") as second:
            screen = screens(base_url=first.url)
            screen.open()
            screen.sign_in("pat", PASSWORD)
            expect(screen.heading(HOME)).to_be_visible()

            screen.base_url = second.url  # the load balancer sends the next request to the other instance
            screen.open("practice")
            assert not screen.on_sign_in_form()
            expect(screen.heading("Practice")).to_be_visible()
            expect(screen.sidebar.get_by_text("Pat Postgres")).to_be_visible()
            screen.press("Start practice")
            question = screen.question_in(screen.main, load_banks(BANKS_DIR))
            screen.answer(screen.main, question)
            screen.press("Check answer")
            screen.see("Correct.")
            practice = store.attempts.for_user(pat.actor, pat.id, AttemptKind.PRACTICE)
            assert len(store.attempts.current_responses(pat.actor, practice[-1].id)) == 1

            screen.sign_out()  # on the second instance: the first no longer knows her either
            screen.base_url = first.url
            screen.open("home")
            assert screen.on_sign_in_form()
    finally:
        store.close()

