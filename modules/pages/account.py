"""My account: who you are signed in as, your e-mail address for expiry reminders, and changing your own password
(required after a one-time password)."""

import streamlit as st

from modules import auth
from modules.pages import common, gate, manager_common

user = common.require()
st.title("My account")
manager_common.show_flash()
st.markdown(f"**{common.plain(user.full_name)}** · username {common.plain(user.username)} · {user.role.value}"
            + (f" · {common.plain(user.location)}" if user.location else ""))

if user.must_change_password:
    st.info("You signed in with a one-time password. Choose your own password to continue.")

st.subheader("Your e-mail address")
store = common.store()
with common.plain_errors():
    account = store.accounts.get(user.id)  # the session's copy of the account does not carry the address
current_email = account.email if account else None
with st.form("email"):
    email = st.text_input("E-mail address", value=current_email or "",
                          help="Optional: where a reminder goes before your certificate expires. Leave blank for none.")
    save_email = st.form_submit_button("Save e-mail address")
if save_email:
    with common.plain_errors():
        stored = auth.set_email(store, user.id, email, user.actor)
    manager_common.flash("success", common.plain(f"Your e-mail address is now {stored}.") if stored
                         else "Your e-mail address is cleared: no reminders will be e-mailed to you.")
    st.rerun()

st.subheader("Change your password")
with st.form("change-password", clear_on_submit=True):
    current = st.text_input("Current password", type="password")
    new = st.text_input("New password", type="password")
    confirm = st.text_input("Confirm new password", type="password")
    st.caption(auth.PASSWORD_HINT)
    change = st.form_submit_button("Change password", type="primary")
if change:
    with common.plain_errors():
        auth.change_password(store, user.id, current, new, confirm)
    # A password change ends every session of the account, this one too: the next run shows the way to sign in.
    st.session_state[gate.NOTE_KEY] = "Your password is changed. Sign in with your new password."
    st.rerun()
