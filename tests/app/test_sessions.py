"""Open sessions keep no powers of their own: every run re-reads the account's role, status and password."""

from modules import auth
from modules.core.types import Role
from tests.app.conftest import open_app, open_page_directly, texts


def test_a_demoted_manager_is_refused_the_accounts_page_on_the_next_run(users, app_store):
    maya, spare = users["manager"], users["trainer"]
    app_store.accounts.set_role(spare.id, Role.MANAGER, maya.actor)  # someone must stay a manager
    at = open_app(maya, "accounts.py")
    assert "You do not have access to this page." not in [e.value for e in at.error]
    app_store.accounts.set_role(maya.id, Role.TRAINER, app_store.accounts.get(spare.id).actor)
    at.run()
    assert not at.exception
    assert "You do not have access to this page." in [e.value for e in at.error]  # the session follows the account
    assert "Signed in as **Maya Manager** (trainer)" in texts(at)
    # The page itself refuses, even when run with the manager the session was opened as.
    page = open_page_directly(maya, "accounts.py")
    assert "You do not have access to this page." in [e.value for e in page.error]
    assert not page.button and not page.dataframe


def test_a_deactivated_trainers_open_session_is_signed_out(users, app_store):
    at = open_app(users["trainer"], "team.py")
    assert "Signed in as **Tom Trainer** (trainer)" in texts(at)
    app_store.accounts.set_active(users["trainer"].id, False, users["manager"].actor)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Sign in"
    assert "You were signed out because the account was deactivated." in texts(at)
    for page in ("team.py", "signoff.py"):
        direct = open_page_directly(users["trainer"], page)
        assert "Please sign in to see this page." in [w.value for w in direct.warning]
        assert not direct.dataframe


def test_a_password_reset_ends_the_other_session(users, app_store):
    at = open_app(users["technician"])
    assert "Signed in as **Tess Technician**" in texts(at)
    auth.set_password(app_store, users["technician"].id, "a fresh temporary phrase", users["manager"].actor,
                      must_change_password=True)
    at.run()
    assert at.title[0].value == "Sign in"
    assert "You were signed out because the account's password was changed." in texts(at)


def test_a_role_change_shows_in_the_menu_without_signing_out(users, app_store):
    at = open_app(users["technician"])
    app_store.accounts.set_role(users["technician"].id, Role.TRAINER, users["manager"].actor)
    at.run()
    assert "Signed in as **Tess Technician** (trainer)" in texts(at)
    at.switch_page("modules/pages/team.py").run()
    assert not at.exception and "You do not have access to this page." not in [e.value for e in at.error]
