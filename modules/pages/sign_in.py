"""Sign in, or on the very first run create the first manager account and record the clinic's name and address."""

import streamlit as st

from modules import auth, clinic, settings
from modules.core.errors import AuthError, SettingsError, StoreError
from modules.pages import common

with common.plain_errors():
    first_run = auth.needs_first_manager(common.store())

if first_run:
    st.title("Create the first manager account")
    st.write("Nobody has an account yet. The first account manages the others.")
    with st.form("first-manager"):
        full_name = st.text_input("Full name")
        username = st.text_input("Username")
        password = st.text_input("Password", type="password")
        confirm = st.text_input("Confirm password", type="password")
        st.caption(auth.PASSWORD_HINT)
        clinic_name = st.text_input("Clinic name", value=settings.get("TRAINING_CLINIC_NAME"),
                                    help="Printed on every certificate.")
        address = st.text_input("Public address", value=settings.get("TRAINING_BASE_URL"),
                                help="The address people reach this app at, such as https://training.clinic.example: "
                                     "certificates' QR codes point to it.")
        create = st.form_submit_button("Create account", type="primary")
    if create:
        try:
            clinic.checked_name(clinic_name)  # a bad name or address is refused before the account exists
            clinic.checked_address(address)
            user_id = auth.create_first_manager(common.store(), full_name, username, password, confirm)
            clinic.update(common.store(), None, clinic_name, address)
            user = common.store().accounts.get(user_id)
        except (AuthError, SettingsError, StoreError) as error:
            st.error(str(error))
        else:
            common.sign_in_as(user)
            st.rerun()
    st.stop()

st.title("Sign in")
if st.session_state.pop("_signed_out_idle", False):
    st.info("You were signed out after 30 minutes without activity.")
if st.session_state.pop("_signed_out_changed", False):
    st.info("You were signed out because your account changed (its password, or it was deactivated).")
with st.form("sign-in"):
    username = st.text_input("Username")
    password = st.text_input("Password", type="password")
    submitted = st.form_submit_button("Sign in", type="primary")
if submitted:
    try:
        user = auth.sign_in(common.store(), username, password, clock=common.clock, address=common.client_address())
    except (AuthError, StoreError) as error:
        st.error(str(error))
    else:
        common.sign_in_as(user)
        st.rerun()
st.caption("Checking a certificate? Use *Verify a certificate* in the menu; no account needed.")
