"""The router: page config, the sign-in gate, and navigation over the pages the signed-in role may see."""

import streamlit as st

from modules.core.types import Role
from modules.pages import common

st.set_page_config(page_title="Microdermabrasion training", page_icon="🩺", layout="centered")

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


common.check_start()
user = common.current_user()
if user is None:
    pages = [st.Page(PAGES + "sign_in.py", title="Sign in", url_path="sign-in", default=True),
             st.Page(PAGES + "verify.py", title="Verify a certificate", url_path="verify")]
    st.navigation(pages).run()
else:
    if user.must_change_password:
        st.navigation([st.Page(PAGES + "account.py", title="My account", url_path="account", default=True)]).run()
    else:
        with st.sidebar:
            st.caption(f"Signed in as **{common.plain(user.full_name)}** ({user.role.value})")
            if st.button("Sign out"):
                common.sign_out()
                st.rerun()
        st.navigation(menu_for(user.role), expanded=True).run()
