"""Module quiz: a graded attempt; right and wrong stay hidden until the technician submits."""

import streamlit as st

from modules import certification
from modules.core.types import Role
from modules.grading import describe_answer, is_complete
from modules.pages import common

user = common.require(Role.TECHNICIAN)
bank_set = common.banks()
policy, _ = common.policy()
store = common.store()
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

with common.plain_errors():
    sitting = certification.unfinished_quiz(store, user)
if sitting is None:
    st.write(f"Each quiz draws {policy.quiz_questions} questions from the module. Pass mark "
             f"{policy.quiz_pass_percent}%; up to {policy.quiz_attempts_per_day} graded attempts per module a day. "
             "Your answers are saved as you give them, and you see your results after you submit.")
    module = common.choose_module(bank_set)
    if st.button("Start graded quiz", type="primary"):
        with common.plain_errors():
            started = certification.start_quiz(store, user, bank_set, policy, module.id, common.clock(),
                                               common.tz_name())
        st.session_state["quiz_started"] = started.attempt.id
        st.rerun()
    st.stop()

module_id = sitting.attempt.module_id or ""  # every quiz has one (only the exam has none)
quiz_module = bank_set.module(module_id)
if st.session_state.get("quiz_started") != sitting.attempt.id:  # started in an earlier session: a reload
    title = quiz_module.title if quiz_module else module_id
    st.info(f"You have an unfinished quiz of {title}: your answers so far are kept.")
if quiz_module is None:  # the bank was edited during the quiz; the questions shown are kept with the attempt
    st.warning("This quiz's module is no longer in the question bank. You can still answer every question and "
               "submit.")
else:
    st.caption(f"{quiz_module.title} — answer every question, then submit. Each answer is saved as you give it.")
now = common.clock()
saved = certification.saved_quiz_answers(store, user, sitting)
for position, shown in enumerate(sitting.shown):
    key = f"quiz-{sitting.attempt.id}-{position}"
    common.preset_answer(shown, key, saved.get(position))
    with st.container(border=True):
        st.caption(f"Question {position + 1} of {len(sitting.shown)}")
        on_screen = common.question_input(shown, key)
    # What is on screen is what counts: an answer made incomplete again is saved as cleared (None).
    given = on_screen if is_complete(shown, on_screen) else None
    if given != saved.get(position):
        with common.plain_errors():
            certification.save_quiz_answer(store, user, sitting, position, given, now)
        saved[position] = given
unanswered = sum(1 for position in range(len(sitting.shown)) if saved.get(position) is None)
if unanswered:
    st.caption(f"{unanswered} question(s) not fully answered yet; they score 0 if you submit now.")
if st.button("Submit quiz", type="primary"):
    with common.plain_errors():
        st.session_state["quiz_outcome"] = certification.finish_quiz(store, user, sitting, policy, common.clock())
    st.rerun()
