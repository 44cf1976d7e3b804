"""The layout on a phone and a desktop, in a real browser: the menu folds away after a choice on a phone, and no
page title is ever split inside a word."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import menu_paths, open_signed_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}

# For each word of the page's title, the tops of the lines its letters sit on: a word on two lines was split.
_TITLE_WORD_LINES = """() => {
    const title = document.querySelector('[data-testid="stMain"] h1 [data-heading-text]')
        || document.querySelector('[data-testid="stMain"] h1');
    if (!title) return null;
    const words = [];
    const walker = document.createTreeWalker(title, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const match of node.data.matchAll(/\\S+/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const tops = new Set(Array.from(range.getClientRects(), rect => Math.round(rect.top)));
            words.push([match[0], tops.size]);
        }
    }
    return {text: title.innerText, words};
}"""


@pytest.mark.parametrize("phone_user_agent", [False, True], ids=["narrow-window", "phone"])
def test_on_a_phone_the_menu_folds_away_after_choosing_a_page(screens, site, phone_user_agent):
    """Streamlit folds it only for a phone's user agent; a narrow desktop window (or a phone in desktop mode) kept
    the menu open over the page. Both must end with the menu folded and the chosen page in view."""
    screen = open_signed_in(screens, site, "technician", viewport=PHONE, mobile=phone_user_agent)
    expect(screen.sidebar).to_have_attribute("data-collapsed", "true")
    screen.page.get_by_test_id("stExpandSidebarButton").click()
    expect(screen.sidebar).to_have_attribute("data-collapsed", "false")
    with screen.rerun():
        screen.menu_link("Practice").click()
    expect(screen.sidebar).to_have_attribute("data-collapsed", "true")
    expect(screen.page.get_by_test_id("stExpandSidebarButton")).to_be_visible()
    heading = screen.heading("Practice")
    expect(heading).to_be_in_viewport()
    box, menu = heading.bounding_box(), screen.sidebar.bounding_box()
    assert menu is None or menu["x"] + menu["width"] <= box["x"], f"the menu {menu} still covers the page {box}"
    # A second choice folds it again: the fold is remembered, not toggled.
    screen.page.get_by_test_id("stExpandSidebarButton").click()
    with screen.rerun():
        screen.menu_link("My account").click()
    expect(screen.sidebar).to_have_attribute("data-collapsed", "true")
    expect(screen.heading("My account")).to_be_in_viewport()


def test_on_a_wide_screen_the_menu_stays_open_after_choosing_a_page(screens, site):
    screen = open_signed_in(screens, site, "technician", viewport=DESKTOP)
    with screen.rerun():
        screen.menu_link("Practice").click()
    expect(screen.heading("Practice")).to_be_visible()
    expect(screen.sidebar).to_have_attribute("data-collapsed", "false")


@pytest.mark.parametrize("role", ["technician", "manager"])
def test_no_page_title_is_split_inside_a_word_on_a_phone_or_a_desktop(screens, site, role):
    screen = open_signed_in(screens, site, role, viewport=PHONE)
    split = []
    for path in menu_paths(screen):
        screen.follow(path)
        for viewport in (PHONE, DESKTOP):
            screen.page.set_viewport_size(viewport)
            title = screen.page.evaluate(_TITLE_WORD_LINES)
            assert title is not None, f"{path} shows no title"
            split += [f"{path} at {viewport['width']}px: '{word}' of '{title['text']}' is on {lines} lines"
                      for word, lines in title["words"] if lines > 1]
        screen.page.set_viewport_size(PHONE)
    assert not split, "\n".join(split)
