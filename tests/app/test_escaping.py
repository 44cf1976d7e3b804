"""Issue #13: whatever people type (names, usernames, locations, comments, reasons, file contents, codes) shows
as text on every page, never as a link, an image, HTML, a colour or maths.

Streamlit renders Markdown in st.markdown, st.write, captions, titles, alerts and in widget, expander, tab and
metric labels and radio options; AppTest gives the Markdown source. A source is safe when, once its backslash
escapes are blanked out, no link, image, HTML, directive, maths or autolink syntax is left around the text a
person typed. (Select box and multiselect options are shown as plain text by Streamlit, so they are not checked.)
"""

from __future__ import annotations

import random
import re
from datetime import date, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from modules import auth
from modules.banks import load_banks
from modules.core.records import AttemptResult, ResponseRecord
from modules.core.types import AttemptKind, Role
from modules.grading import answer_key, show
from modules.pages.trainer_common import CHOSEN
from modules.quiz import score_responses
from tests.app.conftest import PASSWORD, ROOT, signed_in
from tests.helpers import FIXTURE_BANKS, record_attempt, wrong_answer

BANKS = load_banks(FIXTURE_BANKS)
SKIN = "skin-science"
MARKER = "evil"  # in every hostile string, so the sources that show one can be found
HOSTILE = {
    "link": "[Certificate valid - download here](https://evil.example)",
    "image": "![t](http://evil.example/pixel.png)",
    "html": "<img src=http://evil.example/x.png>",
    "colour": ":red[Revoked] evil :material/warning:",
    "maths": "$evil^2$",
    "autolink": "Eve www.evil.example",
    "email": "eve@evil.example",
}
HOSTILE_USERNAME = "![u](http://evil.example/u.png)"  # no spaces, so it is a valid username
# What must not be left once escapes are blanked: links and images, HTML and autolinks, Streamlit's directives
# (:red[...]), maths, entities, code spans, tables, strikethrough, bare-URL and e-mail autolinks.
HAZARDS = ("[", "]", "<", ">", "$", "&", "`", "|", "~", "://", "www.", "@")
MARKDOWN_VALUES = {"markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success",
                   "toast"}
PAGES = {
    "manager": ["home.py", "learn.py", "practice.py", "team.py", "technician.py", "item_analysis.py",
                "bank_health.py", "signoff.py", "register.py", "accounts.py", "audit.py", "verify.py", "account.py"],
    "trainer": ["home.py", "learn.py", "practice.py", "team.py", "technician.py", "item_analysis.py",
                "bank_health.py", "signoff.py", "verify.py", "account.py"],
    "technician": ["home.py", "learn.py", "practice.py", "review.py", "quiz.py", "exam.py", "my_progress.py",
                   "verify.py", "account.py"],
}


def markdown_sources(at: AppTest) -> list[str]:
    """Every string on the page that Streamlit renders as Markdown, sidebar included."""
    found: list[str] = []
    for node in at._tree:
        kind = getattr(node, "type", "")
        if kind in MARKDOWN_VALUES:
            found.append(str(node.value))
        label = getattr(node, "label", None)
        if isinstance(label, str):
            found.append(label)
        if kind == "radio":
            found.extend(str(option) for option in node.options)
    return found


def unsafe(at: AppTest) -> list[str]:
    """The sources that show typed text with Markdown syntax left live around it."""
    bad = []
    for source in markdown_sources(at):
        if MARKER in source.lower():
            live = re.sub(r"\\.", "\0", source, flags=re.S)  # an escaped character is inert: blank it
            if any(hazard in live for hazard in HAZARDS):
                bad.append(source)
    return bad


def shown(at: AppTest) -> list[str]:
    return [s for s in markdown_sources(at) if MARKER in s.lower()]


def take_quiz(store, user_id, n_right: int, when: datetime, n: int = 10) -> None:
    questions = BANKS.module(SKIN).questions[:n]
    views = [show(q, random.Random(i)) for i, q in enumerate(questions)]
    answers = {i: answer_key(q) if i < n_right else wrong_answer(q) for i, q in enumerate(questions)}
    records, score, _ = score_responses(views, answers)
    records = [ResponseRecord(**{**r.__dict__, "answered_at": when, "seconds_taken": 12.0}) for r in records]
    record_attempt(store, user_id, AttemptKind.QUIZ, SKIN, records, AttemptResult(score, score >= 0.8,
                                                                                   finished_at=when),
                   started_at=when)


@pytest.fixture
def hostile(app_store):
    """Staff whose names, usernames and locations are Markdown, with the records that put them on every page."""
    def make(username, name, role, location):
        return app_store.accounts.get(auth.create_user(app_store, username, name, role, PASSWORD, location=location))

    people = {
        "manager": make("boss", HOSTILE["link"], Role.MANAGER, HOSTILE["image"]),
        "trainer": make("trainer", HOSTILE["html"], Role.TRAINER, HOSTILE["colour"]),
    }
    technicians = [make(f"tech-{key}", text, Role.TECHNICIAN, HOSTILE["image"]) for key, text in HOSTILE.items()]
    technicians.append(make(HOSTILE_USERNAME, "Tess " + HOSTILE["maths"], Role.TECHNICIAN, HOSTILE["email"]))
    now = app_store.clock()
    for tech in technicians:
        app_store.signoffs.record(tech.id, people["trainer"].actor, date(2026, 1, 5), {"steps": True},
                                  comment=HOSTILE["image"])
        cert = app_store.certificates.issue(tech.id, None, "Microdermabrasion technician", 0.9,
                                            now + timedelta(days=200))
    app_store.certificates.revoke(cert.id, people["manager"].actor, HOSTILE["link"])
    quiet = technicians[-1]  # the image name: quiet for 20 days, and keeps missing one question
    for day in range(4):
        take_quiz(app_store, quiet.id, 9, now - timedelta(days=23 - day))
    people["technician"] = technicians[0]
    people["technicians"] = technicians
    people["revoked"] = cert
    return people


def open_as(user, page: str, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    signed_in(at, user)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(f"modules/pages/{page}").run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("role, page", [(role, page) for role, pages in PAGES.items() for page in pages])
def test_every_page_shows_typed_text_as_text(hostile, role, page):
    at = open_as(hostile[role], page)
    assert shown(at), "the signed-in person's name is in the sidebar at least"
    assert unsafe(at) == []


@pytest.mark.parametrize("page", ["technician.py", "signoff.py"])
def test_the_trainer_pages_show_each_technician_as_text(hostile, page):
    for tech in hostile["technicians"]:
        at = open_as(hostile["manager"], page, **{CHOSEN: tech.id})
        assert any(tech.full_name[:6] in s or MARKER in s for s in shown(at) if "Signed in as" not in s)
        assert unsafe(at) == [], tech.full_name


def test_the_team_page_names_a_quiet_technician_in_its_warning_and_an_expander_as_text(hostile):
    at = open_as(hostile["trainer"], "team.py")
    expanders = [e.label for e in at.get("expander")]
    assert any(MARKER in label for label in expanders)
    assert any(MARKER in w.value for w in at.warning)
    assert unsafe(at) == []


def test_import_problems_quote_the_file_as_text(hostile):
    at = open_as(hostile["manager"], "accounts.py")
    data = ("username,full_name,role,location\n"
            f"{HOSTILE_USERNAME},Ann,technician,North\n"
            "bob,Bob,[admin](http://evil.example),North\n").encode()
    at.file_uploader[0].set_value(("staff.csv", data, "text/csv"))
    at.run()
    next(b for b in at.button if b.label == "Import accounts").click().run()
    assert not at.exception
    assert len([s for s in shown(at) if "line" in s]) >= 1
    assert unsafe(at) == []


def test_account_messages_show_names_and_usernames_as_text(hostile, app_store):
    at = open_as(hostile["manager"], "accounts.py")
    form = {t.label: t for t in at.text_input}
    form["Username"].input(HOSTILE_USERNAME)  # taken: the refusal quotes it
    form["Full name"].input(HOSTILE["image"])
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception and any(MARKER in e.value for e in at.error)
    assert unsafe(at) == []
    form = {t.label: t for t in at.text_input}
    form["Username"].input("newbie")
    form["Full name"].input(HOSTILE["colour"])
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception and any(MARKER in s.value for s in at.success)
    assert unsafe(at) == []
    tech = hostile["technicians"][2]
    next(s for s in at.selectbox if s.label == "Account").set_value(tech.id).run()
    next(b for b in at.button if b.label == "Deactivate").click().run()
    assert not at.exception and any(MARKER in s.value for s in at.success)
    assert unsafe(at) == []


def test_a_signed_practical_names_the_technician_as_text(hostile):
    tech = hostile["technicians"][3]
    at = open_as(hostile["trainer"], "signoff.py", **{CHOSEN: tech.id})
    for box in at.checkbox:
        box.check()
    next(t for t in at.text_area if t.label == "Comment").input(HOSTILE["link"])
    next(t for t in at.text_input if t.label == "Your password, to sign").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign").click().run()
    assert not at.exception and any(MARKER in s.value for s in at.success)
    assert unsafe(at) == []


@pytest.mark.parametrize("which", range(len(HOSTILE) + 1))
def test_the_public_verify_page_shows_the_holder_as_text(hostile, app_store, which):
    tech = hostile["technicians"][which]
    code = next(c.code for c in app_store.certificates.every(hostile["manager"].actor) if c.user_id == tech.id)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["code"] = code
    at.run()
    at.switch_page("modules/pages/verify.py").run()
    assert not at.exception and shown(at)
    assert unsafe(at) == []


def test_a_typed_code_is_never_echoed(hostile):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["code"] = "[valid](http://evil.example)"
    at.run()
    at.switch_page("modules/pages/verify.py").run()
    assert not at.exception and not shown(at)


def test_the_check_itself_catches_live_markdown():
    """The checker must flag what the issue reported, and pass what is escaped."""
    class Page:
        def __init__(self, value):
            self._tree = [type("Node", (), {"type": "markdown", "value": value})()]

    assert unsafe(Page(f"**Holder:** {HOSTILE['link']}"))  # type: ignore[arg-type]
    assert unsafe(Page(HOSTILE["image"]))  # type: ignore[arg-type]
    assert unsafe(Page(r"\[x\](http://evil.example)"))  # type: ignore[arg-type]  # the bare URL autolinks
    assert not unsafe(Page(r"**Holder:** \[Certificate\](https\://evil\.example)"))  # type: ignore[arg-type]
