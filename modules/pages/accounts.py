"""Accounts: add one or import many from CSV, deactivate or reactivate, reset a password, change a role."""

import streamlit as st

from modules import register, sessions
from modules.core.errors import ImportRejected
from modules.core.types import Role
from modules.pages import common, manager_common

common.require(Role.MANAGER)
st.title("Accounts")
manager_common.show_flash()
store, actor = common.store(), common.actor()
with common.plain_errors():
    people = store.accounts.list_users()

st.dataframe([{"Name": p.full_name, "Username": p.username, "Role": p.role.value, "Location": p.location or "",
               "Active": "yes" if p.active else "no",
               "Must change password": "yes" if p.must_change_password else ""} for p in people],
             hide_index=True, width="stretch")
ROLES = [role.value for role in Role]

st.subheader("Add a user")
with st.form("add-user", clear_on_submit=True):
    username = st.text_input("Username")
    full_name = st.text_input("Full name")
    role = st.selectbox("Role", ROLES)
    location = st.text_input("Location")
    add = st.form_submit_button("Add user", type="primary")
if add:
    with common.plain_errors():
        made = register.add_user(store, actor, username, full_name, role, location.strip() or None)
    manager_common.flash("success", f"Account {common.plain(made.username)} created. Give "
                         f"{common.plain(made.full_name)} this one-time password; it is shown only now and must be "
                         "changed at first sign-in:",
                         code=made.one_time_password)
    st.rerun()

st.subheader("Import from CSV")
st.caption("Columns: username, full_name, role, location. A file with any bad row is rejected whole.")
upload = st.file_uploader("CSV file of accounts", type=["csv"])
if st.button("Import accounts", disabled=upload is None):
    if upload is None:  # the file was removed just as the button was pressed
        st.warning("Choose a CSV file to import.")
        st.stop()
    with common.plain_errors():
        try:
            with st.spinner("Importing: each account gets its one-time password…"):
                created = register.import_users(store, actor, upload.getvalue())
        except ImportRejected as rejected:
            st.error(common.plain(str(rejected)))
            st.markdown("\n".join(f"- {common.plain(problem)}" for problem in rejected.problems))  # lines of the file
            st.stop()
    table = [{"Username": a.username, "Name": a.full_name, "Role": a.role.value,
              "One-time password": a.one_time_password} for a in created]
    manager_common.flash("success", f"{len(created)} account(s) imported. Hand out these one-time passwords; "
                         "they are shown only now.", table=table)
    st.rerun()

st.subheader("Change an account")
by_id = {p.id: p for p in people}
chosen = st.selectbox("Account", list(by_id), index=None, placeholder="Choose an account",
                      format_func=lambda uid: f"{by_id[uid].full_name} ({by_id[uid].username}, "
                                              f"{by_id[uid].role.value})")
if chosen is not None:
    person = by_id[chosen]
    left, middle, right = st.columns(3)
    toggle = left.button("Reactivate" if not person.active else "Deactivate")
    reset = middle.button("Reset password")
    with common.plain_errors():
        open_sessions = sessions.open_count(store, person.id, common.clock())
    end_sessions = middle.button("End their sessions", disabled=not open_sessions,
                                 help=f"{open_sessions} open session(s): signs them out everywhere at their next "
                                      "click.")
    new_role = right.selectbox("New role", ROLES, index=ROLES.index(person.role.value))
    change_role = right.button("Change role", disabled=new_role == person.role.value)
    with common.plain_errors():
        if toggle:
            store.accounts.set_active(person.id, not person.active, actor)
            state = "reactivated" if not person.active else "deactivated; their records are kept"
            manager_common.flash("success", f"{common.plain(person.full_name)} is {state}.")
            st.rerun()
        if reset:
            password = register.reset_password(store, actor, person.id)
            manager_common.flash("success",
                                 f"New one-time password for {common.plain(person.full_name)}, shown only now:",
                                 code=password)
            st.rerun()
        if end_sessions:
            ended = sessions.end_for(store, person.id, actor, common.clock())
            manager_common.flash("success", f"{ended} session(s) of {common.plain(person.full_name)} ended.")
            st.rerun()
        if change_role:
            store.accounts.set_role(person.id, Role(new_role), actor)
            manager_common.flash("success", f"{common.plain(person.full_name)} is now a {new_role}.")
            st.rerun()
