"""Bank health: what is wrong in the question banks, how the questions spread, and which nobody has met yet."""

import streamlit as st

from modules import bank_health, reliability, team
from modules.core.types import Role
from modules.pages import common

common.require(Role.TRAINER, Role.MANAGER)
bank_set = common.banks()
policy, policy_problems = common.policy()
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
by_type, by_difficulty, by_pool = st.tabs(["By type", "By difficulty", "By pool"])
by_type.dataframe(team.question_counts(bank_set, "type"), hide_index=True)
by_difficulty.dataframe(team.question_counts(bank_set, "difficulty"), hide_index=True)
by_pool.dataframe(team.question_counts(bank_set, "pool"), hide_index=True)

st.subheader("Pools and the exam blueprint")
st.caption("Practice, review and module quizzes draw only from the practice pool; the exam draws only from the exam "
           "pool, as the blueprint says. A test-wise guesser (longest option, 'true', the refer-type option) should "
           "score under 50% on every pool.")
st.dataframe(bank_health.pool_table(bank_set, policy), hide_index=True)

st.subheader("How far a pass can be trusted")
for decision in reliability.decisions(policy, [m.id for m in bank_set.modules]):
    (st.success if decision.meets_rule else st.warning)(decision.sentence())

st.subheader("Exam items drawn")
with common.plain_errors():
    drawn = common.store().reports.exam_draw_counts()
st.caption("How many exam sittings have drawn each exam item. An item drawn far more than others is worth "
           "replacing before it becomes known.")
st.dataframe(bank_health.exam_exposure(bank_set, drawn), hide_index=True)

st.subheader("Cue warnings")
warnings = bank_health.lint_table(bank_set, common.banks_dir())
if warnings.empty:
    st.success("No cue a test-wise guesser could use was found.")
else:
    st.caption(f"{len(warnings)} warning(s); they never stop a bank loading, but each is worth a look.")
    st.dataframe(warnings, hide_index=True)

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
