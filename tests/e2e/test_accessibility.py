"""WCAG 2.2 AA in a real browser: axe-core on every page each role's menu offers and on the signed-out pages, and
a technician's way from the sign-in form to a checked practice answer with the keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

from modules.banks import Question
from modules.core.types import QuestionType, Role
from modules.grading import answer_key
from tests.e2e.axe import violations
from tests.e2e.conftest import SITE_PEOPLE, menu_paths, open_signed_in
from tests.e2e.screen import Screen


def test_the_signed_out_pages_pass_wcag_22_aa(screens, site):
    screen = screens(base_url=site.url)
    problems = []
    screen.open("signin")
    problems += violations(screen.page, "/signin")
    screen.open(f"verify?code={site.certificate_code}")
    screen.see("Valid")
    problems += violations(screen.page, "/verify (signed out)")
    screen.page.goto(f"{site.url}/verify/{site.certificate_code}")
    expect(screen.page.get_by_role("heading", name="Certificate check")).to_be_visible()
    problems += violations(screen.page, "/verify/<code>")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", list(SITE_PEOPLE))
def test_every_page_in_the_menu_passes_wcag_22_aa(screens, site, role):
    screen = open_signed_in(screens, site, role)
    paths = menu_paths(screen)
    assert len(paths) >= 5, f"the {role}'s menu offers only {paths}"
    problems = []
    for path in paths:
        screen.follow(path)
        problems += violations(screen.page, f"{role} {path}")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------------------ keyboard only

MAX_TABS = 80


def focused(control: Locator) -> bool:
    return control.evaluate("e => e === document.activeElement")


def tab_to(screen: Screen, control: Locator, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `control` has the focus, as a person does watching the focus ring."""
    for _ in range(MAX_TABS):
        if focused(control):
            return
        screen.page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {control}")


def press_rerunning(screen: Screen, key: str) -> None:
    with screen.rerun():
        screen.page.keyboard.press(key)


def choose_by_keyboard(screen: Screen, combobox: Locator, value: str) -> None:
    """A select box: type to narrow the list, arrow down to the option, Enter."""
    tab_to(screen, combobox)
    screen.page.keyboard.type(value)
    for _ in range(10):
        screen.page.keyboard.press("ArrowDown")
        active = combobox.get_attribute("aria-activedescendant")
        if active and screen.page.locator(f"[id='{active}']").inner_text().strip() == value:
            break
    press_rerunning(screen, "Enter")
    expect(combobox).to_have_value(value)


def answer_by_keyboard(screen: Screen, question: Question) -> None:
    key = answer_key(question)
    block = screen.main
    if question.type in (QuestionType.SINGLE, QuestionType.TRUE_FALSE):
        wanted = key if question.type is QuestionType.SINGLE else ("True" if key else "False")
        radios = block.get_by_role("radio")
        tab_to(screen, radios.first)  # Tab enters the group on its first answer; Space picks it
        press_rerunning(screen, "Space")
        for _ in range(radios.count()):
            if block.get_by_role("radio", name=wanted, exact=True).is_checked():
                break
            press_rerunning(screen, "ArrowDown")  # moves to the next answer and picks it
        expect(block.get_by_role("radio", name=wanted, exact=True)).to_be_checked()
    elif question.type is QuestionType.MULTIPLE:
        for option in key:
            box = block.get_by_role("checkbox", name=option, exact=True)
            tab_to(screen, box)
            press_rerunning(screen, "Space")
            expect(box).to_be_checked()
    elif question.type is QuestionType.ORDERING:
        for step, item in enumerate(key, start=1):
            choose_by_keyboard(screen, block.get_by_role("combobox", name=f"Step {step}", exact=True), item)
    else:
        for left, match in key.items():
            choose_by_keyboard(screen, block.get_by_role("combobox", name=left, exact=True), match)


def test_a_technician_signs_in_practises_and_checks_an_answer_with_the_keyboard_alone(screens, site):
    clinic = site.clinic
    clinic.ensure_user("kira", "Kira Keyboard", Role.TECHNICIAN)
    screen = screens(base_url=site.url)
    screen.open("signin")
    keys = screen.page.keyboard
    tab_to(screen, screen.page.get_by_label("Username", exact=True))
    keys.type("kira")
    keys.press("Tab")
    expect(screen.page.get_by_label("Password", exact=True)).to_be_focused()
    keys.type(clinic.passwords["kira"])
    with screen.page.expect_navigation():
        keys.press("Enter")
    screen.loaded()
    assert not screen.on_sign_in_form(), "the keyboard sign-in did not sign in"

    tab_to(screen, screen.menu_link("Practice"))
    press_rerunning(screen, "Enter")
    expect(screen.heading("Practice")).to_be_visible()
    tab_to(screen, screen.button("Start practice"))
    press_rerunning(screen, "Enter")
    screen.see("Question 1 of", exact=False)

    question = screen.question_in(screen.main, clinic.banks)
    answer_by_keyboard(screen, question)
    check = screen.button("Check answer")
    expect(check).to_be_enabled()
    tab_to(screen, check)
    press_rerunning(screen, "Space")
    screen.see("Correct.")
    assert not violations(screen.page, "practice feedback"), violations(screen.page, "practice feedback")
