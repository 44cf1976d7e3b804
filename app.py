"""The entry point. `streamlit run app.py` finds `app` (an `st.App`) and serves it: the HTTP layer (security
headers, the WebSocket origin check, /healthz) from `modules.web`, around this same file run as the Streamlit
script for every session: page config, the sign-in gate, and navigation over the pages the signed-in role may see.
"""

import streamlit as st
from starlette.middleware import Middleware
from streamlit.runtime.scriptrunner import get_script_run_ctx

from modules import web
from modules.core.types import Role
from modules.pages import common

app = st.App(__file__, routes=web.ROUTES, middleware=[Middleware(web.SecurityMiddleware)])

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
    ("accounts.py", "Accounts", "accounts", {MANAGER}, "Manager"),
    ("audit.py", "Audit log", "audit", {MANAGER}, "Manager"),
    ("verify.py", "Verify a certificate", "verify", EVERYONE, "Help"),
    ("account.py", "My account", "account", EVERYONE, "Help"),
]


def menu_for(role: Role) -> dict[str, list]:
    sections: dict[str, list] = {}
    for file, title, path, roles, section in MENU:
        if role in roles:
            sections.setdefault(section, []).append(
                st.Page(PAGES + file, title=title, url_path=path, default=(path == "home")))
    return sections


def route() -> None:
    """One run of the page script: every run re-checks the signed-in account (common.current_user)."""
    st.set_page_config(page_title="Microdermabrasion training", page_icon="🩺", layout="centered")
    common.check_start()
    user = common.current_user()
    if user is None:
        pages = [st.Page(PAGES + "sign_in.py", title="Sign in", url_path="sign-in", default=True),
                 st.Page(PAGES + "verify.py", title="Verify a certificate", url_path="verify")]
        st.navigation(pages).run()
    elif user.must_change_password:
        st.navigation([st.Page(PAGES + "account.py", title="My account", url_path="account", default=True)]).run()
    else:
        with st.sidebar:
            st.caption(f"Signed in as **{common.plain(user.full_name)}** ({user.role.value})")
            if st.button("Sign out"):
                common.sign_out()
                st.rerun()
        st.navigation(menu_for(user.role), expanded=True).run()


# The server imports this file once to find `app`; the page script runs inside a session, with a run context.
if get_script_run_ctx() is not None:
    route()
