"""Practical sign-off: a trainer records a supervised treatment as competent or not yet competent, signing with
their own password. After a record is signed the form is emptied, password included."""

import streamlit as st

from modules import team
from modules.core.errors import TrainingError
from modules.core.types import PracticalOutcome, Role
from modules.pages import common, trainer_common

user = common.require(Role.TRAINER, Role.MANAGER)
policy, _ = common.policy()
st.title("Practical sign-off")
st.caption("Record a supervised treatment you watched. Signed records cannot be changed or deleted.")
person = trainer_common.choose_technician()
today = common.today()

done = st.session_state.pop("signoff_done", None)
if done:
    st.success(done)

st.subheader("New practical record")
# Each signed record starts a new round of widget keys: the browser then shows a truly empty form (no ticks, no
# comment, no password), so one more click can never sign off the next technician without a password.
form = f"signoff-{st.session_state.setdefault('signoff_round', 0)}"
treated_on = st.date_input("Date of the treatment", value=today, max_value=today, format="DD/MM/YYYY",
                           key=f"{form}-date")
if policy.checklist:
    st.markdown("**Checklist** (tick each item you saw done correctly)")
ticked = {item: st.checkbox(item, key=f"{form}-item-{i}") for i, item in enumerate(policy.checklist)}
outcome = st.radio("Outcome", list(PracticalOutcome), format_func=team.OUTCOME_LABELS.get, key=f"{form}-outcome",
                   horizontal=True, help="Not yet competent: untick what was not met and say what to work on.",
                   ) or PracticalOutcome.COMPETENT
comment = st.text_area("Comment", key=f"{form}-comment", placeholder="What went well, what to practise next")
password = st.text_input("Your password, to sign", type="password", key=f"{form}-password")
if st.button("Sign", type="primary"):
    try:
        team.sign_off(common.store(), user, person.id, treated_on, ticked, comment, password, policy.checklist,
                      today, outcome)
    except TrainingError as error:
        st.error(common.plain(str(error)))
    else:
        for key in [k for k in st.session_state if str(k).startswith(f"{form}-")]:
            del st.session_state[key]
        st.session_state["signoff_round"] += 1
        verdict = "competent" if outcome is PracticalOutcome.COMPETENT else "not yet competent"
        st.session_state["signoff_done"] = (f"Signed: supervised treatment of {common.plain(person.full_name)} on "
                                            f"{treated_on:%d %b %Y}, {verdict}.")
        st.rerun()

st.subheader(f"Practical records of {common.plain(person.full_name)}")
with common.plain_errors():
    signoffs = common.store().signoffs.for_user(person.id)
    names: dict[int, str] = {u.id: u.full_name for u in common.store().accounts.list_users()}
if policy.signoffs_required:
    st.caption(f"{team.competent_count(signoffs)} competent of {policy.signoffs_required} required before the "
               "exam (not-yet-competent records do not count).")
if not signoffs:
    st.write("None yet.")
else:
    history = team.signoff_history(signoffs, names)
    history["Treated on"] = history["Treated on"].map(lambda d: d.strftime("%d %b %Y"))
    history["Signed at"] = history["Signed at"].map(lambda t: common.local_time(t))
    st.dataframe(history, hide_index=True)
