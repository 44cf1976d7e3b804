"""Module quiz: a graded attempt; right and wrong stay hidden until the technician submits."""

import streamlit as st

from modules import certification
from modules.core.types import Role
from modules.grading import is_complete
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
        verdict = "right" if score == 1 else ("partly right" if score > 0 else "not right")
        with st.expander(f"Question {number} ({verdict}): {shown.prompt}"):
            common.show_feedback(shown, answer, score, show_question=True)
    if st.button("Back to quizzes"):
        del st.session_state["quiz_outcome"]
        st.session_state.pop("quiz_module", None)  # so the next unpassed module comes up first
        st.rerun()
    st.stop()

with common.plain_errors():
    sitting = certification.unfinished_quiz(store, user)
if sitting is None:
    st.write(f"Each quiz draws {policy.quiz_questions} questions from the module. Pass mark "
             f"{policy.quiz_pass_percent}%; up to {policy.quiz_attempts_per_day} graded attempts per module a day. "
             "Your answers are saved as you give them, and you see your results after you submit.")
    with common.plain_errors():
        standing = certification.quiz_standing(store, user, bank_set, policy, common.clock(), common.tz_name())
    st.markdown(f"**Modules passed: {len(standing.passed)} of {len(bank_set.modules)}**\n\n" + "\n".join(
        f"{m.order}. {m.title}: {'passed' if m.id in standing.passed else 'not passed yet'}"
        for m in bank_set.modules))
    if "quiz_module" not in st.session_state:  # open on the first module still to pass (Home may have chosen one)
        st.session_state["quiz_module"] = standing.first_unpassed([m.id for m in bank_set.modules])
    module = common.choose_module(bank_set, remember="quiz_module")
    refusal = standing.refusals.get(module.id)
    if refusal:
        st.warning(refusal)
    else:
        left = standing.left_today(module.id)
        st.caption(f"Graded attempts today for this module: {standing.used_today.get(module.id, 0)} used, "
                   f"{left} left (of {standing.per_day} a day).")
    if st.button("Start graded quiz", type="primary", disabled=refusal is not None):
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
unanswered = certification.unanswered_numbers(sitting, saved)
if unanswered:
    st.caption(f"{len(unanswered)} question(s) not fully answered yet; they score 0 if you submit now.")
submit = common.submit_button("Submit quiz", unanswered, "quiz_confirm", sitting.attempt.id)
if submit:
    with common.plain_errors():
        st.session_state["quiz_outcome"] = certification.finish_quiz(store, user, sitting, policy, common.clock())
    st.session_state.pop("quiz_confirm", None)
    st.rerun()
