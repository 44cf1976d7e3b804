"""Accounts: add one or import many from CSV, deactivate or reactivate, reset a password, change a role or an
e-mail address.

One-time passwords (a new account, an import, a reset) stay on this page, with a sheet to print or download, until
the manager dismisses them or the session ends; they are never written to the database or a log.
"""

import streamlit as st

from modules import auth, clinic, password_sheet, register, sessions
from modules.core.errors import ImportRejected
from modules.core.types import Role
from modules.pages import common, manager_common
from modules.password_sheet import SheetEntry

# No leading underscore, like manager_common.FLASH_KEY: sign-out and a session's end forget it with the rest.
PASSWORDS_KEY = "one_time_passwords"

common.require(Role.MANAGER)
st.title("Accounts")
manager_common.show_flash()
store, actor = common.store(), common.actor()


def keep_passwords(entries: list[SheetEntry]) -> None:
    st.session_state[PASSWORDS_KEY] = password_sheet.merged(st.session_state.get(PASSWORDS_KEY, []), entries)


def sheet_file(pending: list[SheetEntry], form: str):
    """The sheet, made when the manager clicks; the download is audited (how many accounts, never a password)."""
    def make() -> bytes:
        store.audit.record(actor, "export", f"one-time-passwords:{form}", {"accounts": len(pending)})
        if form == "csv":
            return password_sheet.sheet_csv(pending)
        return password_sheet.sheet_pdf(pending, clinic.clinic_name(store), clinic.public_address(store))
    return make


pending: list[SheetEntry] = st.session_state.get(PASSWORDS_KEY, [])
if pending:
    with st.container(border=True):
        st.subheader("One-time passwords to hand out")
        st.warning("Warning: these are kept only on this page until you choose Done or sign out, and are never "
                   "stored. Print or download the sheet now; each person must change their password at first "
                   "sign-in.")
        st.dataframe([{"Name": e.full_name, "Username": e.username, "One-time password": e.one_time_password}
                      for e in pending], hide_index=True, width="stretch")
        pdf_column, csv_column, done_column = st.columns(3)
        pdf_column.download_button("Password sheet (PDF, to print)", data=sheet_file(pending, "pdf"),
                                   file_name="one-time-passwords.pdf", on_click="ignore", mime="application/pdf")
        csv_column.download_button("Password sheet (CSV)", data=sheet_file(pending, "csv"),
                                   file_name="one-time-passwords.csv", on_click="ignore", mime="text/csv")
        if done_column.button("Done: forget these passwords", type="primary",
                              help="Once handed out, the passwords are no longer needed here. A lost one is "
                                   "replaced with Reset password."):
            st.session_state.pop(PASSWORDS_KEY, None)
            manager_common.flash("info", "The one-time passwords are forgotten. Reset a password to make a new one.")
            st.rerun()
with common.plain_errors():
    people = store.accounts.list_users()

st.dataframe([{"Name": p.full_name, "Username": p.username, "Role": p.role.value, "Location": p.location or "",
               "E-mail": p.email or "", "Active": "yes" if p.active else "no",
               "Must change password": "yes" if p.must_change_password else ""} for p in people],
             hide_index=True, width="stretch")
ROLES = [role.value for role in Role]

st.subheader("Add a user")
with st.form("add-user", clear_on_submit=True):
    username = st.text_input("Username")
    full_name = st.text_input("Full name")
    role = st.selectbox("Role", ROLES)
    location = st.text_input("Location")
    email = st.text_input("E-mail address (optional)", help="Where their own certificate expiry reminders go.")
    add = st.form_submit_button("Add user", type="primary")
if add:
    with common.plain_errors():
        made = register.add_user(store, actor, username, full_name, role, location.strip() or None, email)
    keep_passwords([SheetEntry(made.full_name, made.username, made.one_time_password)])
    manager_common.flash("success", f"Account {common.plain(made.username)} created. Give "
                         f"{common.plain(made.full_name)} the one-time password below; it must be changed at first "
                         "sign-in.")
    st.rerun()

st.subheader("Import from CSV")
st.caption("Columns: username, full_name, role, location, and optionally email. A file with any bad row is "
           "rejected whole.")
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
    keep_passwords([SheetEntry(a.full_name, a.username, a.one_time_password) for a in created])
    manager_common.flash("success", f"{len(created)} account(s) imported. Hand out the one-time passwords below.")
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
            keep_passwords([SheetEntry(person.full_name, person.username, password)])
            manager_common.flash("success", f"New one-time password for {common.plain(person.full_name)} below.")
            st.rerun()
        if end_sessions:
            ended = sessions.end_for(store, person.id, actor, common.clock())
            manager_common.flash("success", f"{ended} session(s) of {common.plain(person.full_name)} ended.")
            st.rerun()
        if change_role:
            store.accounts.set_role(person.id, Role(new_role), actor)
            manager_common.flash("success", f"{common.plain(person.full_name)} is now a {new_role}.")
            st.rerun()
    with st.form(f"email-{person.id}"):
        new_email = st.text_input("E-mail address", value=person.email or "",
                                  help="Where their own certificate expiry reminders go; leave blank for none.")
        save_email = st.form_submit_button("Save e-mail address")
    if save_email:
        with common.plain_errors():
            stored = auth.set_email(store, person.id, new_email, actor)
        done = f"is now {stored}" if stored else "is cleared"
        manager_common.flash("success", common.plain(f"The e-mail address of {person.full_name} {done}."))
        st.rerun()
