"""Every page each role's menu offers, photographed whole at a desktop's 1366x768 and a phone's 390x844:
tests/e2e/artifacts/<role>-<page>-<width>.png, kept with the run's artefacts (git-ignored) for a person to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SITE_PEOPLE, menu_paths, open_signed_in

SIZES = {"desktop": ({"width": 1366, "height": 768}, False), "phone": ({"width": 390, "height": 844}, True)}


def page_name(path: str) -> str:
    return path.strip("/") or "home"


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("role", list(SITE_PEOPLE))
def test_every_page_of_every_role_is_photographed_on_a_desktop_and_a_phone(screens, site, role, size):
    viewport, phone = SIZES[size]
    screen = open_signed_in(screens, site, role, viewport=viewport, mobile=phone)
    screen.journey = role
    paths = menu_paths(screen)
    assert paths, f"the {role}'s menu is empty"
    sideways = []
    for path in paths:
        screen.follow(path)
        # What the picture must show: the page's title, and no error box in place of the page.
        expect(screen.main.locator("h1").first).to_be_visible()
        expect(screen.page.get_by_test_id("stException")).to_have_count(0)
        shot = screen.shot(f"{page_name(path)}-{viewport['width']}")
        assert shot.name == f"{role}-{page_name(path)}-{viewport['width']}.png" and shot.stat().st_size > 0
        width = screen.page.evaluate("() => document.documentElement.scrollWidth")
        if width > viewport["width"]:
            sideways.append(f"{path} is {width}px wide")
    assert not sideways, f"pages scroll sideways at {viewport['width']}px: {sideways}"
