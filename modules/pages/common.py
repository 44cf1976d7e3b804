"""Helpers shared by every page: the store, the banks, the signed-in user, role checks and question widgets.

Pages stay short and call the domain; only this package imports streamlit.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from modules import learning, lesson_links, sessions, settings
from modules.banks import BankSet, Module, lesson_parts, load_banks
from modules.core import timezones
from modules.core.clock import system_clock
from modules.core.errors import TrainingError
from modules.core.records import Actor, ResponseRecord
from modules.core.types import AttemptId, Pool, QuestionType, Role
from modules.grading import (
    ShownQuestion,
    describe_answer,
    is_complete,
    marked_answer,
    repeated_steps,
    response_record,
)
from modules.policy import Policy, load_policy
from modules.store import Store
from modules.team import module_label
from modules.workspace import Destination

PAGES_DIR = Path(__file__).resolve().parent
TOKEN_KEY = "_session_token"
# What typed text could switch on in Streamlit's Markdown, each closed with a backslash (CommonMark lets one escape
# any ASCII punctuation). Anywhere: emphasis, code, links and images, HTML and <autolinks>, tables, strikethrough,
# entities, maths ($) and e-mail autolinks (@).
_INLINE_SYNTAX = re.compile(r"([\\`*\[\]<>|~$&@]|(?<![^\W_])_|_(?![^\W_]))")  # "_" inside a word is inert
# A dot or colon with a letter or slash after it: what a bare link (www.x, http://, mailto:) and Streamlit's
# directives (:red[...]) need. Other dots and colons ("St. John", "10:30") are left as they are.
_LINK_PUNCTUATION = re.compile(r"([.:])(?=[^\s\d.:])")
# At the start of a line: a heading, a list item, a setext underline.
_LINE_START = re.compile(r"^([#=+\-]|\d+(?=[.)]))")


@st.cache_resource(show_spinner=False)
def _open_store(url: str) -> Store:
    return Store.open(url, audit_key=settings.audit_key())


def store() -> Store:
    """The record store, asked of Streamlit's cache once per run (each ask hashes the URL; a run asks several
    times). Kept in the session's state with the run it was asked in, as current_user keeps the user."""
    context = get_script_run_ctx()
    this_run = context.cursors if context is not None else None
    memo = st.session_state.get("_store_this_run") if this_run is not None else None
    if memo is not None and memo[0] is this_run:
        return memo[1]
    opened = _open_store(settings.get("TRAINING_DB_URL"))
    if this_run is not None:
        st.session_state["_store_this_run"] = (this_run, opened)
    return opened


def check_start() -> None:
    """Valid settings and a reachable, up-to-date store, or one plain sentence instead of a traceback."""
    with plain_errors():
        settings.current()
        store()


def banks_dir() -> Path:
    return Path(settings.get("TRAINING_BANKS_DIR"))


def banks() -> BankSet:
    # load_banks caches by each file's stat and content, so edits to the YAML show up on the next rerun.
    return load_banks(banks_dir())


def policy() -> tuple[Policy, list]:
    # load_policy keeps its last answer while the policy file and the bank set are unchanged.
    return load_policy(banks_dir(), banks())


def choose_module(bank_set: BankSet, remember: str | None = None) -> Module:
    """The "Module" select box, modules in course order; the page stops with a note when there are none.

    `remember` names a session key: the module stored there is chosen first and the choice is stored back, so
    a module can be handed from page to page (Learn's "Practise this module" sets `practice_module`).
    """
    if not bank_set.modules:
        st.info("No modules are available yet.")
        st.stop()
    by_id: dict[str, Module] = {m.id: m for m in bank_set.modules}
    ids = list(by_id)
    remembered = st.session_state.get(remember) if remember else None
    module_id = st.selectbox("Module", ids, index=ids.index(remembered) if remembered in ids else 0,
                             format_func=lambda i: module_label(by_id[i]))
    if remember:
        st.session_state[remember] = module_id
    return by_id[module_id]


def clock():
    return st.session_state.get("_clock", system_clock)()


def plain(text: str) -> str:
    """A string someone typed (a name, a comment, a line of an uploaded file), on one line and escaped so that
    Markdown shows it as it was typed: never a link, an image, HTML, a colour or maths. Ordinary text comes back
    unchanged, so escaping a whole message costs nothing."""
    text = " ".join(str(text).splitlines()).strip()
    text = _LINK_PUNCTUATION.sub(r"\\\1", _INLINE_SYNTAX.sub(r"\\\1", text))
    match = _LINE_START.match(text)
    if match:  # a number is escaped at its "." or ")", the rest at the sign itself
        end = match.end()
        text = text[:end] + "\\" + text[end:] if match[1][0].isdigit() else "\\" + text
    return text


def tz_name() -> str:
    return settings.get("TRAINING_TIMEZONE")


def local_time(moment: datetime | None, fmt: str = timezones.DEFAULT_FORMAT) -> str:
    """A UTC moment as text in the clinic's zone; "—" when there is none (None, or pandas' NaT)."""
    if moment is None or pd.isna(moment):
        return "—"
    return timezones.local_text(moment, tz_name(), fmt)


def today() -> date:
    """Today's date in the clinic's zone."""
    return timezones.local_day(clock(), tz_name())


def record_practice_answer(user, attempt_id: AttemptId, record) -> None:
    learning.record_practice_answer(store(), user.id, attempt_id, record, clock())


def due_review_count(user) -> int:
    """What the Review page offers today: questions being relearnt plus due ones within the daily cap."""
    plan = learning.plan_review(store(), Actor(user.id, user.role), user.id, practice_ids(), clock(), tz_name(),
                                policy()[0].review_daily_cap)
    return len(plan.cards)


def practice_ids() -> set[str]:
    """The questions review may show with their keys: the practice pool (never an exam item)."""
    return {q.id for q in banks().pool(Pool.PRACTICE)}


def forget_session_state() -> None:
    """Drop what the signed-out session held (answers on screen, a one-time password in a message)."""
    for key in list(st.session_state.keys()):
        if not str(key).startswith("_"):
            del st.session_state[key]


def session_token() -> str | None:
    """The session token from the cookie the browser sent when this connection opened. Cookies cannot change during
    a connection, so it is read once and kept in the session's state (where AppTest, which cannot send cookies,
    puts one too; a browser cannot write there)."""
    token = st.session_state.get(TOKEN_KEY)
    if token is None:
        cookie = st.context.cookies.get(sessions.COOKIE)
        if isinstance(cookie, str) and cookie:
            token = st.session_state[TOKEN_KEY] = cookie
    return token


def current_user():
    """The signed-in user as the store has them now, or None.

    Every run resolves the session from the store (modules.sessions) and re-reads the account, so a new role
    applies at once, and sign-out elsewhere, a password change, deactivation, a manager's "end sessions", 30 idle
    minutes and the 12-hour limit each end the session at its next run, on any instance. The answer is kept for the
    rest of the run only (the router and the page both ask): Streamlit gives every run a fresh `cursors` dict, and
    the memo holds on to the one it was made in, so a later run can never match it.
    """
    context = get_script_run_ctx()
    this_run = context.cursors if context is not None else None
    memo = st.session_state.get("_signed_in_this_run")
    if memo is not None and this_run is not None and memo[0] is this_run:
        return memo[1]
    outcome = sessions.resolve(store(), session_token(), clock())
    user = outcome.user if isinstance(outcome, sessions.Signed) else None
    if isinstance(outcome, sessions.Ended):
        st.session_state["_session_ended"] = outcome.reason
    st.session_state["_signed_in_this_run"] = (this_run, user)
    return user


def ended_message() -> str:
    """Why the last run found no session, in words."""
    return sessions.ended_message(st.session_state.get("_session_ended"))


def actor():
    """Who is acting, with the account's role as it is now (never the role the session was opened with)."""
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
        st.error(plain(str(error)))  # messages may quote what someone typed (a username, a line of a file)
        st.stop()


def render_lesson(text: str) -> None:
    """Markdown with our own SVG diagrams: a line `![alt](diagrams/x.svg)` becomes an image.

    `lesson_parts` shows no other image and reads a diagram only if check-banks would accept it. Each `##` and
    `###` heading gets the anchor feedback links to (lesson_links.anchor), so a link opens the lesson at it.
    """
    for part in lesson_parts(banks_dir(), text):
        if part.kind == "diagram":
            st.html(diagram_html(part.body, part.alt))
        elif part.kind == "not shown":
            st.caption(f"(diagram not shown: {part.body})")
        else:
            _markdown_with_anchors(part.body)


def diagram_html(svg: str, alt: str) -> str:
    """A lesson diagram as an image with its text alternative (st.image gives the <img> no alt), captioned."""
    source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    words = html.escape(alt, quote=True)
    return (f'<figure style="margin:0 0 1rem 0"><img src="{source}" alt="{words}" style="max-width:100%">'
            f"<figcaption>{words}</figcaption></figure>")


def _markdown_with_anchors(markdown: str) -> None:
    chunk: list[str] = []

    def flush() -> None:
        if "\n".join(chunk).strip():
            st.markdown("\n".join(chunk))
        chunk.clear()

    for line in markdown.splitlines():
        found = lesson_links.heading(line)
        if found is None:
            chunk.append(line)
            continue
        flush()
        level, title = found
        (st.header if level == 2 else st.subheader)(title, anchor=lesson_links.anchor(title))
    flush()


def show_question_text(shown: ShownQuestion) -> None:
    """The client case (when there is one) and the prompt: a question is never shown without its case."""
    if shown.scenario:
        st.info(f"**Client case:** {shown.scenario}")
    st.markdown(f"**{shown.prompt}**")


def _and_join(numbers: list[int]) -> str:
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def question_input(shown: ShownQuestion, key: str, disabled: bool = False):
    """The widget that suits the question type; returns the answer in grading's form."""
    show_question_text(shown)
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
        st.caption("Put the steps in order: choose the step for each position. Each step is used once.")
        order = [st.selectbox(f"Step {i + 1}", shown.options, index=None, key=f"{key}-{i}", disabled=disabled,
                              placeholder="Choose a step")
                 for i in range(len(shown.options))]
        for item, positions in repeated_steps(order).items():
            st.warning(f"“{item}” is chosen for steps {_and_join(positions)}. Use each step once: change one of "
                       "them to a step not used yet.")
        return order
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


_YOUR_ANSWER = {QuestionType.ORDERING: "Your order", QuestionType.MATCHING: "Your matches",
                QuestionType.MULTIPLE: "You picked"}


def _marked_lines(shown: ShownQuestion, answer) -> str:
    """Each option (step, pair) on its own line with its verdict in words, coloured as well, never a symbol alone."""
    lines = []
    for line in marked_answer(shown, answer):
        verdict = line.verdict
        if verdict:
            colour = "green" if line.right else "red"
            verdict = f" — :{colour}[**{verdict}**]"
        lines.append(f"- {line.text}{verdict}")
    return "\n".join(lines)


def show_lesson_link(shown: ShownQuestion) -> bool:
    """Where the point of the question is taught: a link to its lesson section (it opens in a new tab). False when
    the module is gone and the raw source tag was shown instead."""
    text = " ".join(part for part in (shown.scenario, shown.prompt, shown.explanation) if part)
    link = lesson_links.lesson_link(banks(), shown.module_id, shown.question_id, text)
    if link is None:  # the module is no longer in the banks: the source tag is all there is
        st.caption(f"Source: {shown.source}")
        return False
    label = link.label.replace("[", "(").replace("]", ")")
    st.markdown(f"**Read it again in the lesson:** [{label}]({link.url})")
    return True


def show_feedback(shown: ShownQuestion, answer, score: float, *, show_question: bool = False,
                  show_source_tag: bool = False) -> None:
    """Right or wrong, what was picked, every option marked in words, the explanation and the lesson to reread.

    `show_question` puts the case and prompt first (for results and replays, where no question widget is on
    screen); `show_source_tag` adds the raw source tag for trainers.
    """
    if show_question:
        show_question_text(shown)
    if score == 1.0:
        st.success("Correct.")
    elif score > 0:
        st.warning(f"Partly right ({score:.0%}). The full answer: {describe_answer(shown, shown.key)}")
    else:
        st.error(f"Not quite. The right answer: {describe_answer(shown, shown.key)}")
    st.markdown(f"{_YOUR_ANSWER.get(shown.type, 'Your answer')}: {describe_answer(shown, answer)}")
    st.markdown(_marked_lines(shown, answer))
    st.markdown(f"**Why:** {shown.explanation}")
    if show_lesson_link(shown) and show_source_tag:
        st.caption(f"Source: {shown.source}")


def ask(state: dict, shown: ShownQuestion, total: int, key: str,
        on_check: Callable[[ResponseRecord], None] | None = None, *, show_source_tag: bool = False) -> float | None:
    """One question of a Practice or Review run: the widgets, "Check answer", then feedback with the explanation.

    `state` is the run's session dict with `index`, `answers` and `scores` (keyed by position). Checking scores
    the answer, hands its record to `on_check` (which may save it), keeps it in `state` and reruns. Returns the
    score once the question is checked and its feedback is on screen (the caller then offers the way on),
    None while it is still being answered.
    """
    index = state["index"]
    st.progress(index / total, text=f"Question {index + 1} of {total}")
    answered = index in state["scores"]
    answer = question_input(shown, key, disabled=answered)
    if not answered:
        if st.button("Check answer", type="primary", disabled=not is_complete(shown, answer)):
            record = response_record(index, shown, answer)
            if on_check is not None:
                with plain_errors():
                    on_check(record)
            state["scores"][index] = record.score
            state["answers"][index] = answer
            st.rerun()
        return None
    score = state["scores"][index]
    show_feedback(shown, state["answers"][index], score, show_source_tag=show_source_tag)
    return score


# Where each of the workspace's next steps leads, and the session key that hands the chosen module to that page.
_STEP_PAGES = {
    Destination.LESSON: ("modules/pages/learn.py", "learn_module"),
    Destination.QUIZ: ("modules/pages/quiz.py", "quiz_module"),
    Destination.EXAM: ("modules/pages/exam.py", None),
    Destination.REVIEW: ("modules/pages/review.py", None),
}


def next_step_button(step, key: str = "next-step") -> None:
    """The technician's next step (modules.workspace) as one button that opens its page on its module."""
    if step is None or not st.button(step.label, type="primary", key=key):
        return
    page, module_key = _STEP_PAGES[step.destination]
    if module_key and step.module_id:
        st.session_state[module_key] = step.module_id
    st.switch_page(page)


def submit_button(label: str, unanswered: list[int], confirm_key: str, attempt_id) -> bool:
    """The submit button of a quiz or exam; with questions unanswered it first names them and asks (Submit anyway /
    Keep answering), so nobody loses marks to a question they scrolled past. True once the submission is meant."""
    if unanswered and st.session_state.get(confirm_key) == attempt_id:
        st.warning(f"Not answered yet: question(s) {', '.join(map(str, unanswered))}. They score 0 if you submit "
                   "now. Submit anyway?")
        submit_anyway, keep_answering = st.columns(2)
        submit = submit_anyway.button("Submit anyway", type="primary")
        if keep_answering.button("Keep answering"):
            del st.session_state[confirm_key]
            st.rerun()
        return submit
    submit = st.button(label, type="primary")
    if submit and unanswered:
        st.session_state[confirm_key] = attempt_id
        st.rerun()
    return submit
