"""What a person does in the browser, in words the journeys can read: sign in, open a menu page, answer a question.

Streamlit reruns the script after every interaction, so nothing here sleeps. A step that sets off a rerun waits for
the server to report that run finished (the `script_finished` message on the app's websocket), then for what the
person would see next (a checked box, a chosen value, a count of saved answers).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from modules.banks import BankSet, Question
from modules.core.types import QuestionType
from modules.grading import answer_key

CASE_PREFIX = "Client case:"
FINISHED = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
MAX_SHOT_HEIGHT = 12_000
PHONE_MAX_WIDTH = 768  # Streamlit folds the menu away when the window narrows to this or less
_CONTENT_HEIGHT = """() => Math.max(...Array.from(
    document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebarContent"]'), e => e.scrollHeight), 0)"""
# The bold lines and the info boxes of one question, read in one round trip (a page of 40 questions is slow to query
# element by element).
_READ_QUESTION = """block => [
    Array.from(block.querySelectorAll('p > strong'), e => e.innerText),
    Array.from(block.querySelectorAll('[data-testid="stAlertContentInfo"]'), e => e.innerText)]"""


# st.dataframe's geometry in pixels (Streamlit's defaults): the heading row, each row, the selection box's middle.
_GRID_HEADER, _GRID_ROW, _ROW_MARKER_X = 36, 35, 15
_READ_GRID = """table => {
    const text = cell => cell.textContent.trim();
    return [Array.from(table.querySelectorAll('thead th'), text),
            Array.from(table.querySelectorAll('tbody tr'), row => Array.from(row.querySelectorAll('td'), text))];
}"""


def _run_finished(payload) -> bool:
    """Whether a websocket frame from the server says a script run finished (not one cut short for a rerun)."""
    if isinstance(payload, str):
        return False
    message = ForwardMsg.FromString(payload)
    return message.WhichOneof("type") == "script_finished" and message.script_finished == FINISHED


class Screen:
    """One browser tab on the app, with the journey's name for its screenshots."""

    def __init__(self, page: Page, base_url: str, artifacts: Path, journey: str):
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.artifacts = artifacts
        self.journey = journey
        self.socket = None
        page.on("websocket", self._connected)

    def _connected(self, socket) -> None:
        if socket.url.endswith("/_stcore/stream"):
            self.socket = socket

    # ------------------------------------------------------------------------------------------ waiting, looking

    def settle(self) -> None:
        """Wait until the script run the last interaction asked for has finished and nothing is pending."""
        expect(self.page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
        expect(self.page.get_by_test_id("stStatusWidget")).to_have_count(0)

    @contextmanager
    def rerun(self):
        """Around an action that reruns the script: wait until that run has finished and the page is idle."""
        with self.socket.expect_event("framereceived", predicate=_run_finished):
            yield
        self.settle()

    def shot(self, name: str) -> Path:
        """Save the whole page as tests/e2e/artifacts/<journey>-<name>.png.

        Streamlit scrolls inside its main area, so a "full page" screenshot would stop at the window's edge: the
        window is made as tall as the content for the picture, then put back.
        """
        path = self.artifacts / f"{self.journey}-{name}.png"
        size = self.page.viewport_size
        self.drawn()
        height = self.page.evaluate(_CONTENT_HEIGHT)
        if height > size["height"]:
            self.resize({"width": size["width"], "height": min(height, MAX_SHOT_HEIGHT)})
        try:
            self.page.screenshot(path=str(path), animations="disabled")
        finally:
            self.resize(size)
        return path

    def drawn(self) -> None:
        """Wait until every element is drawn: tables and charts show a grey placeholder (a skeleton) for a moment
        after they arrive and after the window changes size."""
        expect(self.page.get_by_test_id("stSkeleton")).to_have_count(0)

    def resize(self, viewport: dict) -> None:
        """Make the window `viewport` big (as a person turning a tablet or narrowing a window) and wait for the
        page to be drawn again at that size."""
        narrow_before = self.page.viewport_size["width"] <= PHONE_MAX_WIDTH
        self.page.set_viewport_size(viewport)
        if narrow_before and viewport["width"] > PHONE_MAX_WIDTH and self.sidebar.count():
            # Narrowing the window folded the menu away; widening it unfolds it again, a moment later.
            expect(self.sidebar).to_have_attribute("data-collapsed", "false")
        self.drawn()

    def open_menu(self) -> None:
        """Unfold the sidebar menu if it is folded away (as on a phone), and see it open."""
        if self.sidebar.get_attribute("data-collapsed") == "true":
            self.page.get_by_test_id("stExpandSidebarButton").click()
        expect(self.sidebar).to_have_attribute("data-collapsed", "false")

    @property
    def main(self) -> Locator:
        return self.page.get_by_test_id("stMain")

    @property
    def sidebar(self) -> Locator:
        return self.page.get_by_test_id("stSidebar")

    def button(self, name: str) -> Locator:
        return self.main.get_by_role("button", name=name, exact=True)

    def heading(self, text: str) -> Locator:
        return self.main.get_by_role("heading", name=text, exact=True)

    def see(self, text: str, exact: bool = False) -> Locator:
        found = self.main.get_by_text(text, exact=exact).first
        expect(found).to_be_visible()
        return found

    # ----------------------------------------------------------------------------------------------- navigating

    def open(self, path: str = "") -> None:
        """Type an address: a new page load. Without a live session the app answers with its sign-in form."""
        self.page.goto(f"{self.base_url}/{path.lstrip('/')}")
        self.loaded()

    def loaded(self) -> None:
        """Wait for what a page load shows: the plain sign-in form, or the app connected and its run finished."""
        if self.on_sign_in_form():
            expect(self.page.get_by_role("button", name="Sign in")).to_be_visible()
            return
        expect(self.page.get_by_test_id("stApp")).to_have_attribute("data-test-connection-state", "CONNECTED")
        self.settle()

    def on_sign_in_form(self) -> bool:
        return self.page.url.split("?")[0].endswith("/signin")

    def sign_in(self, username: str, password: str) -> None:
        """Sign in on the sign-in form (a plain HTML page, posted to the server), then wait for the app."""
        assert self.on_sign_in_form(), f"not on the sign-in form but {self.page.url}"
        self.page.get_by_label("Username", exact=True).fill(username)
        self.page.get_by_label("Password", exact=True).fill(password)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Sign in").click()
        self.loaded()
        assert not self.on_sign_in_form(), self.page.locator("[role=status]").all_inner_texts()

    def sign_in_again(self) -> None:
        """From the app's "signed out" view, follow its link to the sign-in form."""
        with self.page.expect_navigation():
            self.main.get_by_role("link", name="Sign in", exact=True).click()
        self.loaded()

    def change_one_time_password(self, one_time: str, new: str) -> None:
        """First sign-in with a one-time password lands on My account until the person picks their own; the change
        ends every session of the account, so they sign in again with it."""
        self.see("Choose your own password to continue")
        form = self.main.get_by_test_id("stForm")
        form.get_by_label("Current password", exact=True).fill(one_time)
        form.get_by_label("New password", exact=True).fill(new)
        form.get_by_label("Confirm new password", exact=True).fill(new)
        with self.rerun():
            form.get_by_role("button", name="Change password").click()
        self.see("Your password is changed. Sign in with your new password.")

    def sign_out(self) -> None:
        with self.page.expect_navigation():
            self.sidebar.get_by_role("button", name="Sign out").click()
        self.loaded()
        expect(self.page.get_by_text("You signed out.")).to_be_visible()

    def follow(self, path: str) -> None:
        """Go to an address within the signed-in session, as the browser's back and forward buttons do."""
        with self.rerun():
            self.page.evaluate("path => { history.pushState({}, '', path);"
                               " window.dispatchEvent(new PopStateEvent('popstate')); }", f"/{path.lstrip('/')}")

    def menu_link(self, title: str) -> Locator:
        return self.page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True)

    def go(self, title: str, heading: str | None = None) -> None:
        """Open a page from the sidebar menu (within the session) and wait for its title."""
        self.open_menu()  # on a phone the menu starts folded away
        with self.rerun():
            self.menu_link(title).click()
        expect(self.heading(heading or title)).to_be_visible()

    def tick(self, control: Locator) -> None:
        """Tick a radio button or checkbox by its label, as a person does (the input itself is hidden)."""
        with self.rerun():
            control.locator("xpath=ancestor::label[1]").click()
        expect(control).to_be_checked()

    def open_list(self, combobox: Locator, tries: int = 3) -> None:
        """Open a selectbox's list. A redraw landing between press and release can swallow the click (the box
        takes focus but stays shut); then, like a person, click it again."""
        for attempt in range(tries):
            expect(self.page.get_by_role("listbox")).to_have_count(0)
            combobox.click()
            try:
                expect(combobox).to_have_attribute("aria-expanded", "true", timeout=2_000)
                return
            except AssertionError:
                if attempt == tries - 1:
                    raise
                self.page.keyboard.press("Escape")

    def choose(self, combobox: Locator, value: str, in_form: bool = False) -> None:
        """Pick `value` in a selectbox: open it, click the option, see it chosen (inside a form: no rerun)."""
        if combobox.input_value() == value:
            return  # already chosen: picking it again changes nothing and reruns nothing
        self.open_list(combobox)
        option = self.page.get_by_role("option", name=value, exact=True)
        if in_form:
            option.click()
        else:
            with self.rerun():
                option.click()
        expect(combobox).to_have_value(value)

    def add_choice(self, combobox: Locator, value: str) -> None:
        """Add `value` to a multiselect: open it, click the option, close the list, see the value's chip."""
        self.open_list(combobox)
        with self.rerun():
            self.page.get_by_role("option", name=value, exact=True).click()
        if self.page.get_by_role("listbox").count():
            self.page.keyboard.press("Escape")
        expect(self.page.get_by_role("listbox")).to_have_count(0)
        chosen = combobox.locator("xpath=ancestor::*[@data-testid='stMultiSelect'][1]").get_by_role(
            "group", name="Selected values")
        expect(chosen.get_by_label(value, exact=True)).to_have_count(1)

    def download(self, name: str, path: Path, tries: int = 2) -> Path:
        """Click a download button and keep the file. The file is made on the click and the page does not rerun.
        A redraw landing on the click can swallow it (seen once in CI on a busy machine): then, like a person, wait
        for the button to be ready again and click again."""
        button = self.main.get_by_role("button", name=name, exact=True)
        for attempt in range(tries):
            expect(button).to_be_enabled()  # it spins, disabled, while a file it asked for is being made
            try:
                with self.page.expect_download(timeout=15_000) as download:
                    button.click()
                break
            except PlaywrightTimeoutError:
                if attempt + 1 == tries:
                    raise
        download.value.save_as(path)
        self.settle()
        return path

    def press(self, name: str) -> None:
        """Click a button of the page and wait for the run it sets off."""
        with self.rerun():
            self.button(name).click()

    def segment(self, label: str) -> Locator:
        """Choose the segment `label` of a segmented control (such as Team's groups) and see it chosen."""
        segment = self.main.get_by_role("radio", name=label, exact=True)
        with self.rerun():
            segment.click()
        expect(segment).to_have_attribute("aria-checked", "true")
        return segment

    def expand(self, title: str) -> Locator:
        """Open the expander whose title starts with `title` (no rerun: its content is already on the page)."""
        expander = self.main.get_by_test_id("stExpander").filter(
            has=self.page.locator("summary").get_by_text(title)).first
        expander.locator("summary").click()
        details = expander.get_by_test_id("stExpanderDetails")
        expect(details).to_be_visible()
        return details

    # ------------------------------------------------------------------------------------------------- tables

    def tables(self) -> Locator:
        """The page's st.dataframe grids, in page order."""
        return self.main.get_by_test_id("stDataFrame")

    def grid_rows(self, grid: Locator, count: int, showing: str | None = None) -> list[dict[str, str]]:
        """The `count` rows of an st.dataframe as a person reads them, by column heading. The grid is drawn on a
        canvas; what it draws is also written as a table inside it for screen readers, which is what is read here
        (rows and columns scrolled out of sight are not in it). That table follows the data a moment after the run
        that changed it, so this waits until it holds `count` rows and, when a rerun keeps the count but changes
        the data, until it shows the text `showing`."""
        self.drawn()
        table = grid.get_by_test_id("data-grid-canvas").locator("table")
        expect(table).to_have_attribute("aria-rowcount", str(count + 1))  # the heading row counts too
        if showing is not None:
            expect(table).to_contain_text(showing)
        heads, rows = table.evaluate(_READ_GRID)
        return [dict(zip(heads, row)) for row in rows]

    def tick_row(self, grid: Locator, row: int) -> None:
        """Tick the selection box of the grid's `row` (0 is the first row under the headings), as a person does
        with the mouse: the box is drawn at the left end of the row."""
        canvas = grid.get_by_test_id("data-grid-canvas")
        canvas.scroll_into_view_if_needed()
        self.drawn()
        box = canvas.bounding_box()
        assert box is not None, "the grid is not on screen"
        with self.rerun():
            self.page.mouse.click(box["x"] + _ROW_MARKER_X, box["y"] + _GRID_HEADER + _GRID_ROW * (row + 0.5))

    # ------------------------------------------------------------------------------------------------ questions

    def question_block(self, number: int, total: int) -> Locator:
        """The bordered box of a quiz or exam question; the innermost block holding its caption."""
        caption = self.page.get_by_test_id("stCaptionContainer").get_by_text(f"Question {number} of {total}",
                                                                              exact=True)
        return self.main.get_by_test_id("stVerticalBlock").filter(has=caption).last

    def question_in(self, block: Locator, banks: BankSet) -> Question:
        """The bank question shown in `block`, told apart by its prompt and its client case."""
        expect(block.locator("p > strong").first).to_be_visible()
        bold, cases = block.evaluate(_READ_QUESTION)
        scenarios = [c.strip().removeprefix(CASE_PREFIX).strip() for c in cases if c.strip().startswith(CASE_PREFIX)]
        scenario = scenarios[0] if scenarios else None
        bold = {text.strip() for text in bold}
        matches = [q for q in banks.questions.values() if q.prompt in bold and q.scenario == scenario]
        assert len(matches) == 1, f"cannot tell which question is shown: {sorted(bold)} / {scenario}"
        return matches[0]

    def answer(self, block: Locator, question: Question, right: bool = True) -> None:
        """Answer `question` in `block` with its key, or (right=False) with an answer that scores nothing."""
        key = answer_key(question)
        kind = question.type
        if kind is QuestionType.SINGLE:
            choice = key if right else next(o for o in question.options if o != key)
            self.tick(block.get_by_role("radio", name=choice, exact=True))
        elif kind is QuestionType.TRUE_FALSE:
            self.tick(block.get_by_role("radio", name="True" if key == right else "False", exact=True))
        elif kind is QuestionType.MULTIPLE:
            wanted = key if right else [next(o for o in question.options if o not in key)]
            for option in wanted:
                self.tick(block.get_by_role("checkbox", name=option, exact=True))
        elif kind is QuestionType.ORDERING:
            order = key if right else key[1:] + key[:1]
            for step, item in enumerate(order, start=1):
                self.choose(block.get_by_role("combobox", name=f"Step {step}", exact=True), item)
        else:
            rights = list(key.values())
            wanted = key if right else dict(zip(key, rights[1:] + rights[:1]))
            for left, match in wanted.items():
                self.choose(block.get_by_role("combobox", name=left, exact=True), match)

    def expect_answered(self, block: Locator, question: Question) -> None:
        """`block` shows `question` answered with its key (as `answer` gave it), e.g. after a reload."""
        key = answer_key(question)
        kind = question.type
        if kind is QuestionType.SINGLE:
            expect(block.get_by_role("radio", name=key, exact=True)).to_be_checked()
        elif kind is QuestionType.TRUE_FALSE:
            expect(block.get_by_role("radio", name="True" if key else "False", exact=True)).to_be_checked()
        elif kind is QuestionType.MULTIPLE:
            for option in question.options:
                box = expect(block.get_by_role("checkbox", name=option, exact=True))
                box.to_be_checked() if option in key else box.not_to_be_checked()
        elif kind is QuestionType.ORDERING:
            for step, item in enumerate(key, start=1):
                expect(block.get_by_role("combobox", name=f"Step {step}", exact=True)).to_have_value(item)
        else:
            for left, match in key.items():
                expect(block.get_by_role("combobox", name=left, exact=True)).to_have_value(match)


def certificate_code(text: str) -> str:
    """The certificate code in a sentence such as 'Your certificate code is ABCD-EFGH-JKMN-PQRS.'"""
    found = re.search(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}\b", text)
    assert found, f"no certificate code in: {text}"
    return found.group(0)
