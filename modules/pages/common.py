"""Helpers shared by every page: the store, the banks, the signed-in user, role checks and question widgets.

Pages stay short and call the domain; only this package imports streamlit.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import streamlit as st

from modules import learning, settings
from modules.banks import BankSet, load_banks
from modules.core.clock import system_clock
from modules.core.types import QuestionType, Role
from modules.core.errors import TrainingError
from modules.grading import ShownQuestion, describe_answer
from modules.policy import Policy, load_policy
from modules.core.records import Actor
from modules.store import Store

PAGES_DIR = Path(__file__).resolve().parent
IDLE_LIMIT = timedelta(minutes=30)
DIAGRAM_LINE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<path>diagrams/[\w.-]+\.svg)\)\s*$")


@st.cache_resource(show_spinner=False)
def _open_store(url: str) -> Store:
    return Store.open(url)


def store() -> Store:
    return _open_store(settings.get("TRAINING_DB_URL"))


def banks_dir() -> Path:
    return Path(settings.get("TRAINING_BANKS_DIR"))


def banks() -> BankSet:
    # load_banks caches by file content, so edits to the YAML show up on the next rerun.
    return load_banks(banks_dir())


def policy() -> tuple[Policy, list]:
    return load_policy(banks_dir(), banks())


def clock():
    return st.session_state.get("_clock", system_clock)()


def local_time(moment, fmt: str = "%d %b %Y %H:%M") -> str:
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(settings.get("TRAINING_TIMEZONE"))).strftime(fmt)


def tz_name() -> str:
    return settings.get("TRAINING_TIMEZONE")


def record_practice_answer(user, attempt_id: int, record) -> None:
    learning.record_practice_answer(store(), user.id, attempt_id, record, clock())


def due_review_count(user) -> int:
    return len(learning.due_cards(store(), user.id, set(banks().questions), clock(), tz_name()))


def sign_in_as(user) -> None:
    st.session_state["user"] = user
    st.session_state["last_seen"] = clock()


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        if not key.startswith("_"):
            del st.session_state[key]


def current_user():
    """The signed-in user, or None; a session idle for 30 minutes is signed out."""
    user = st.session_state.get("user")
    if user is None:
        return None
    now = clock()
    if now - st.session_state.get("last_seen", now) > IDLE_LIMIT:
        sign_out()
        st.session_state["_signed_out_idle"] = True
        return None
    st.session_state["last_seen"] = now
    return user


def actor():
    user = current_user()
    return Actor(user.id, user.role) if user else None


def require(*roles: Role):
    """Every page calls this first: hiding a page from the menu is not access control."""
    user = current_user()
    if user is None:
        st.warning("Please sign in to see this page.")
        st.stop()
    if roles and user.role not in roles:
        st.error("You do not have access to this page.")
        st.stop()
    return user


@contextmanager
def plain_errors():
    """Show a TrainingError as one plain sentence instead of a traceback."""
    try:
        yield
    except TrainingError as error:
        st.error(str(error))
        st.stop()


def render_lesson(text: str) -> None:
    """Markdown with our own SVG diagrams: a line `![alt](diagrams/x.svg)` becomes an image."""
    chunk: list[str] = []
    for line in text.splitlines():
        match = DIAGRAM_LINE.match(line.strip())
        if not match:
            chunk.append(line)
            continue
        st.markdown("\n".join(chunk))
        chunk = []
        svg = banks_dir() / match["path"]
        if svg.is_file():
            st.image(svg.read_text(encoding="utf-8"), caption=match["alt"], width="stretch")
        else:
            st.caption(f"(diagram missing: {match['path']})")
    st.markdown("\n".join(chunk))


def question_input(shown: ShownQuestion, key: str, disabled: bool = False):
    """The widget that suits the question type; returns the answer in grading's form."""
    if shown.scenario:
        st.info(f"**Client case:** {shown.scenario}")
    st.markdown(f"**{shown.prompt}**")
    if shown.type is QuestionType.SINGLE:
        return st.radio("Choose one answer", shown.options, index=None, key=key, disabled=disabled)
    if shown.type is QuestionType.TRUE_FALSE:
        choice = st.radio("True or false?", ["True", "False"], index=None, key=key, disabled=disabled,
                          horizontal=True)
        return None if choice is None else choice == "True"
    if shown.type is QuestionType.MULTIPLE:
        if "select all" not in shown.prompt.lower():
            st.caption("Select all that apply.")
        return [option for i, option in enumerate(shown.options)
                if st.checkbox(option, key=f"{key}-{i}", disabled=disabled)]
    if shown.type is QuestionType.ORDERING:
        st.caption("Put the steps in order: choose the step for each position.")
        return [st.selectbox(f"Step {i + 1}", shown.options, index=None, key=f"{key}-{i}", disabled=disabled,
                             placeholder="Choose a step")
                for i in range(len(shown.options))]
    st.caption("Match each item on the left with one on the right.")
    return {left: st.selectbox(left, shown.rights, index=None, key=f"{key}-{i}", disabled=disabled,
                               placeholder="Choose a match")
            for i, left in enumerate(shown.lefts)}


def preset_answer(shown: ShownQuestion, key: str, answer) -> None:
    """Put a saved answer back into the widgets (after a reload) without overriding what is on screen."""
    if answer is None:
        return
    if shown.type is QuestionType.SINGLE:
        st.session_state.setdefault(key, answer)
    elif shown.type is QuestionType.TRUE_FALSE:
        st.session_state.setdefault(key, "True" if answer else "False")
    elif shown.type is QuestionType.MULTIPLE:
        for i, option in enumerate(shown.options):
            st.session_state.setdefault(f"{key}-{i}", option in answer)
    elif shown.type is QuestionType.ORDERING:
        for i, item in enumerate(answer):
            st.session_state.setdefault(f"{key}-{i}", item)
    else:
        for i, left in enumerate(shown.lefts):
            st.session_state.setdefault(f"{key}-{i}", answer.get(left))


def show_feedback(shown: ShownQuestion, answer, score: float) -> None:
    if score == 1.0:
        st.success("Correct.")
    elif score > 0:
        st.warning(f"Partly right ({score:.0%}). The full answer: {describe_answer(shown, shown.key)}")
    else:
        st.error(f"Not quite. The right answer: {describe_answer(shown, shown.key)}")
    st.markdown(f"**Why:** {shown.explanation}")
    st.caption(f"Source: {shown.source}")
