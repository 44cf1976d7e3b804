"""The entry point. `streamlit run app.py` finds `app` (an `st.App`) and serves it: the HTTP layer from
`modules.web` (security headers, the WebSocket origin check, /healthz, the public verify page) and
`modules.web_sessions` (sign-in and sign-out as HTTP POSTs, and the gate that sends a signed-out page request to the
sign-in form), around this same file run as the Streamlit script for every session: page config, the session
resolved from its cookie, and navigation over every page, with the menu showing those the role may use.
"""

import streamlit as st
from starlette.middleware import Middleware
from streamlit.runtime.scriptrunner import get_script_run_ctx

from modules import web, web_sessions
from modules.core.types import Role
from modules.pages import common, gate, theme

app = st.App(__file__, routes=web.ROUTES + web_sessions.ROUTES,
             middleware=[Middleware(web.SecurityMiddleware), Middleware(web_sessions.SessionGate)])

PAGES = "modules/pages/"
TECHNICIAN, TRAINER, MANAGER = Role.TECHNICIAN, Role.TRAINER, Role.MANAGER
STAFF = {TRAINER, MANAGER}
EVERYONE = {TECHNICIAN, TRAINER, MANAGER}

# (file, title, url path, roles that see it, menu section)
MENU = [
    ("home.py", "Home", "home", EVERYONE, "Study"),
    ("learn.py", "Learn", "learn", EVERYONE, "Study"),
    ("practice.py", "Practice", "practice", EVERYONE, "Study"),
    ("review.py", "Review", "review", {TECHNICIAN}, "Study"),
    ("quiz.py", "Module quiz", "quiz", {TECHNICIAN}, "Certification"),
    ("exam.py", "Certification exam", "exam", {TECHNICIAN}, "Certification"),
    ("my_progress.py", "My progress", "my-progress", {TECHNICIAN}, "Certification"),
    ("team.py", "Team", "team", STAFF, "Trainer"),
    ("technician.py", "Technician", "technician", STAFF, "Trainer"),
    ("item_analysis.py", "Item analysis", "item-analysis", STAFF, "Trainer"),
    ("bank_health.py", "Bank health", "bank-health", STAFF, "Trainer"),
    ("signoff.py", "Practical sign-off", "signoff", STAFF, "Trainer"),
    ("register.py", "Certification register", "register", {MANAGER}, "Manager"),
    ("expiring.py", "Expiring certificates", "expiring", {MANAGER}, "Manager"),
    ("accounts.py", "Accounts", "accounts", {MANAGER}, "Manager"),
    ("audit.py", "Audit log", "audit", {MANAGER}, "Manager"),
    ("verify.py", "Verify a certificate", "verify", EVERYONE, "Help"),
    ("account.py", "My account", "account", EVERYONE, "Help"),
]


PUBLIC = {"verify"}
web_sessions.set_pages(path for _, _, path, _, _ in MENU if path not in PUBLIC)


def pages_for(user) -> dict[str, list]:
    """Every page, so that any page's address opens it (never "Page not found"); those the person may not use
    are hidden from the menu, and each page checks the role again itself."""
    sections: dict[str, list] = {"": []}
    for file, title, path, roles, section in MENU:
        if user is None:
            visible = False
        elif user.must_change_password:
            visible = path == "account"
        else:
            visible = user.role in roles
        page = st.Page(PAGES + file, title=title, url_path=path, default=(path == "home"),
                       visibility="visible" if visible else "hidden")
        sections.setdefault(section if visible else "", []).append(page)
    return sections


def route() -> None:
    """One run of the page script: every run resolves the session from the store (common.current_user)."""
    st.set_page_config(page_title="Microdermabrasion training", page_icon="🩺", layout="centered")
    theme.style()
    common.check_start()
    user = common.current_user()
    page = st.navigation(pages_for(user), position="sidebar" if user else "hidden", expanded=True)
    if user is None:
        if page.url_path in PUBLIC:
            page.run()
        else:
            gate.signed_out(page.url_path)
        return
    if user.must_change_password and page.url_path != "account":
        st.switch_page(PAGES + "account.py")
    with st.sidebar:
        st.caption(f"Signed in as **{common.plain(user.full_name)}** ({user.role.value})")
        gate.sign_out_button(common.session_token())
        theme.menu_folds_after_choice()
    page.run()


# The server imports this file once to find `app`; the page script runs inside a session, with a run context.
if get_script_run_ctx() is not None:
    route()
