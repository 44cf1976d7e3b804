"""Bank health: what is wrong in the question banks, how the questions spread, and which nobody has met yet."""

import streamlit as st

from modules import team
from modules.core.types import Role
from modules.pages import common

common.require(Role.TRAINER, Role.MANAGER)
bank_set = common.banks()
_, policy_problems = common.policy()
st.title("Bank health")

st.subheader("Validation problems")
problems = team.problems_table([*bank_set.problems, *policy_problems])
if problems.empty:
    st.success("Every bank and the certification policy load without problems.")
else:
    st.error(f"{len(problems)} problem(s). A module file with problems is left out until it is fixed; "
             "an invalid policy file falls back to the default rules.")
    st.dataframe(problems, hide_index=True)

st.subheader("Questions per module")
if not bank_set.modules:
    st.info("No module loads right now.")
    st.stop()
st.caption(f"{len(bank_set.modules)} module(s), {len(bank_set.questions)} question(s).")
by_type, by_difficulty = st.tabs(["By type", "By difficulty"])
by_type.dataframe(team.question_counts(bank_set, "type"), hide_index=True)
by_difficulty.dataframe(team.question_counts(bank_set, "difficulty"), hide_index=True)

st.subheader("Never answered yet")
with common.plain_errors():
    answered = common.store().reports.answered_question_ids()
never = team.never_answered(bank_set, answered)
if never.empty:
    st.success("Every question has been answered at least once.")
else:
    st.caption(f"{len(never)} question(s) nobody has answered in practice, a quiz, review or the exam: "
               "item figures for them will appear once they have been.")
    st.dataframe(never, hide_index=True)
