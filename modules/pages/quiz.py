"""Module quiz: a graded attempt; right and wrong stay hidden until the technician submits."""

import streamlit as st

from modules import certification
from modules.core.types import Role
from modules.grading import describe_answer, is_complete
from modules.pages import common

user = common.require(Role.TECHNICIAN)
bank_set = common.banks()
policy, _ = common.policy()
st.title("Module quiz")

outcome = st.session_state.get("quiz_outcome")
if outcome is not None:
    st.subheader("Passed" if outcome.passed else "Not passed yet")
    st.metric("Score", f"{outcome.score:.0%}", help=f"Pass mark {policy.quiz_pass_percent}%")
    if outcome.passed:
        st.success("Well done. This module counts as passed.")
    else:
        st.warning(f"The pass mark is {policy.quiz_pass_percent}%. Read the explanations below, revisit the "
                   "lesson and practise before your next try.")
    for number, (shown, answer, score) in enumerate(outcome.per_question, start=1):
        with st.expander(f"{'✅' if score == 1 else '❌'} Question {number}: {shown.prompt}"):
            st.write(f"Your answer: {describe_answer(shown, answer)}")
            st.write(f"Right answer: {describe_answer(shown, shown.key)}")
            st.markdown(f"**Why:** {shown.explanation}")
            st.caption(f"Source: {shown.source}")
    if st.button("Back to quizzes"):
        del st.session_state["quiz_outcome"]
        st.rerun()
    st.stop()

sitting = st.session_state.get("quiz_sitting")
if sitting is None:
    st.write(f"Each quiz draws {policy.quiz_questions} questions from the module. Pass mark "
             f"{policy.quiz_pass_percent}%; up to {policy.quiz_attempts_per_day} graded attempts per module a day. "
             "You see your results after you submit.")
    module = common.choose_module(bank_set)
    if st.button("Start graded quiz", type="primary"):
        with common.plain_errors():
            st.session_state["quiz_sitting"] = certification.start_quiz(
                common.store(), user, bank_set, policy, module.id, common.clock(), common.tz_name())
        st.rerun()
    st.stop()

quiz_module = bank_set.module(sitting.attempt.module_id)
if quiz_module is None:  # the bank was edited during the quiz; the questions shown are kept with the attempt
    st.warning("This quiz's module is no longer in the question bank. You can still answer every question and "
               "submit.")
else:
    st.caption(f"{quiz_module.title} — answer every question, then submit.")
answers = {}
for position, shown in enumerate(sitting.shown):
    with st.container(border=True):
        st.caption(f"Question {position + 1} of {len(sitting.shown)}")
        answers[position] = common.question_input(shown, f"quiz-{sitting.attempt.id}-{position}")
complete = {p: a for p, a in answers.items() if is_complete(sitting.shown[p], a)}
if len(complete) < len(sitting.shown):
    st.caption(f"{len(sitting.shown) - len(complete)} question(s) not fully answered yet; they score 0 if "
               "you submit now.")
if st.button("Submit quiz", type="primary"):
    with common.plain_errors():
        st.session_state["quiz_outcome"] = certification.submit_quiz(
            common.store(), user, sitting, complete, policy, common.clock())
    del st.session_state["quiz_sitting"]
    st.rerun()
