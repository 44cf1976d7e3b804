"""Practical sign-off: a trainer records a supervised treatment, signing with their own password."""

import streamlit as st

from modules import team
from modules.core.errors import TrainingError
from modules.core.types import Role
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

st.subheader("New sign-off")
treated_on = st.date_input("Date of the treatment", value=today, max_value=today, format="DD/MM/YYYY",
                           key="signoff-date")
if policy.checklist:
    st.markdown("**Checklist** (tick each item you saw done correctly)")
ticked = {item: st.checkbox(item, key=f"signoff-item-{i}") for i, item in enumerate(policy.checklist)}
comment = st.text_area("Comment", key="signoff-comment", placeholder="What went well, what to practise next")
password = st.text_input("Your password, to sign", type="password", key="signoff-password")
if st.button("Sign off", type="primary"):
    try:
        team.sign_off(common.store(), user, person.id, treated_on, ticked, comment, password, policy.checklist,
                      today)
    except TrainingError as error:
        st.error(str(error))
    else:
        for key in [k for k in st.session_state if str(k).startswith("signoff-")]:
            del st.session_state[key]
        st.session_state["signoff_done"] = (f"Signed: supervised treatment of {common.plain(person.full_name)} on "
                                            f"{treated_on:%d %b %Y}.")
        st.rerun()

st.subheader(f"Signed treatments of {common.plain(person.full_name)}")
with common.plain_errors():
    signoffs = common.store().signoffs.for_user(person.id)
    names: dict[int, str] = {u.id: u.full_name for u in common.store().accounts.list_users()}
if policy.signoffs_required:
    st.caption(f"{len(signoffs)} of {policy.signoffs_required} required before the exam.")
if not signoffs:
    st.write("None yet.")
else:
    history = team.signoff_history(signoffs, names)
    history["Treated on"] = history["Treated on"].map(lambda d: d.strftime("%d %b %Y"))
    history["Signed at"] = history["Signed at"].map(lambda t: common.local_time(t))
    st.dataframe(history, hide_index=True)
