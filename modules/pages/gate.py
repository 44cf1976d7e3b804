"""What a run shows when nobody is signed in: on the very first run, the form that creates the first manager and
records the clinic's name and address; otherwise why the session ended and the way back to the sign-in form.

Signing in and out are HTTP requests (`modules.web_sessions`), never a Streamlit form: only they can set the cookie.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

import streamlit as st

from modules import auth, clinic, sessions, settings
from modules.core.errors import AuthError, SettingsError, StoreError
from modules.pages import common
from modules.web_sessions import SIGN_IN, SIGN_OUT

NOTE_KEY = "_signed_out_note"  # a sentence for the signed-out view, set by the page that ended the session


def signed_out(url_path: str) -> None:
    """The first-run form, or why the session ended and a link to sign in again (back to this page after)."""
    with common.plain_errors():
        first_run = auth.needs_first_manager(common.store())
    if first_run:
        first_manager_form()
        return
    common.forget_session_state()
    st.title("Sign in")
    st.info(st.session_state.pop(NOTE_KEY, None) or common.ended_message())
    # Back to the page after signing in; not to My account, whose password change is what usually signed them out.
    next_page = "/" + url_path if url_path not in ("", "account") else "/"
    address = SIGN_IN + ("?" + urlencode({"next": next_page}) if next_page != "/" else "")
    link(address, "Sign in")


def link(address: str, label: str) -> None:
    """A link that opens in this tab (Markdown links open a new one); both parts are ours, escaped anyway."""
    st.markdown(f'<a href="{html.escape(address)}" target="_self">{html.escape(label)}</a>', unsafe_allow_html=True)


def sign_out_button(token: str | None) -> None:
    """The sidebar's Sign out: a plain HTML form POSTing to /signout with the session's CSRF proof."""
    if not token:
        return
    st.html(f'<form method="post" action="{SIGN_OUT}" style="margin:0">'
            f'<input type="hidden" name="csrf" value="{html.escape(sessions.sign_out_proof(token))}">'
            '<button type="submit" style="font:inherit;padding:.35rem .8rem;border:1px solid rgba(49,51,63,.2);'
            'border-radius:.5rem;background:transparent;color:inherit;cursor:pointer">Sign out</button></form>')


def first_manager_form() -> None:
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
    if not create:
        return
    try:
        clinic.checked_name(clinic_name)  # a bad name or address is refused before the account exists
        clinic.checked_address(address)
        auth.create_first_manager(common.store(), full_name, username, password, confirm)
        clinic.update(common.store(), None, clinic_name, address)
    except (AuthError, SettingsError, StoreError) as error:
        st.error(common.plain(str(error)))
        return
    st.session_state[NOTE_KEY] = "Your manager account is ready. Sign in with it to continue."
    st.rerun()
