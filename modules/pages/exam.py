"""Certification exam: timed on the server, every answer saved as it is given, resumable after a reload."""

import streamlit as st

from modules import certification
from modules.core.types import Role
from modules.grading import is_complete
from modules.pages import common

user = common.require(Role.TECHNICIAN)
bank_set = common.banks()
policy, _ = common.policy()
store = common.store()
st.title("Certification exam")

outcome = st.session_state.get("exam_outcome")
if outcome is not None:
    if outcome.passed:
        st.success(f"You passed with {outcome.score:.0%}. Your certificate code is **{outcome.certificate_code}**.")
        st.page_link("modules/pages/my_progress.py", label="Download your certificate in My progress", icon="📄")
    else:
        st.error(f"Not passed this time: {outcome.score:.0%} (pass mark {policy.exam_pass_percent}%).")
        if outcome.to_revisit:
            titles = [module.title if (module := bank_set.module(m)) else m for m in outcome.to_revisit]
            st.markdown("**Revisit these modules before your next try:**\n" + "\n".join(f"- {t}" for t in titles))
    # Per module only: the exam's questions and keys stay secret, so the next sitting still tests knowledge.
    st.markdown("**Your result per module**")
    st.table([{"Module": module.title if (module := bank_set.module(m)) else m, "Score": f"{share:.0%}"}
              for m, share in outcome.module_scores.items()])
    st.caption("The exam's questions and answers are not shown, so that every sitting tests what you know.")
    if st.button("Done"):
        del st.session_state["exam_outcome"]
        st.rerun()
    st.stop()

with common.plain_errors():
    sitting = certification.running_exam(store, user)
    if sitting is not None:
        closed = certification.close_if_expired(store, user, sitting, policy, common.clock())
        if closed is not None:
            st.session_state["exam_outcome"] = closed
            st.info("The time for your exam ran out; it was marked with the answers saved by the deadline.")
            st.rerun()

if sitting is None:
    with common.plain_errors():
        missing = certification.exam_missing(store, user, bank_set, policy)
    size = policy.exam_size([m.id for m in bank_set.modules])
    st.write(f"The exam draws {size} questions from every module's exam questions, lasts "
             f"{policy.exam_minutes} minutes and needs {policy.exam_pass_percent}% to pass. Your answers are saved "
             "as you give them; if the page reloads, you carry on where you were.")
    if missing:
        st.warning("The exam unlocks when everything below is done:\n" + "\n".join(f"- {m}" for m in missing))
        st.stop()
    if st.button("Start the exam", type="primary"):
        with common.plain_errors():
            certification.start_or_resume_exam(store, user, bank_set, policy, common.clock())
        st.rerun()
    st.stop()

now = common.clock()
remaining = max(0, int((sitting.deadline - now).total_seconds() // 60))
st.info(f"Time left: about **{remaining} min** (ends {common.local_time(sitting.deadline, '%H:%M')}). "
        "Every answer is saved as you give it.")
saved = certification.saved_exam_answers(store, user, sitting, policy)
answers = {}
for position, shown in enumerate(sitting.shown):
    key = f"exam-{sitting.attempt.id}-{position}"
    common.preset_answer(shown, key, saved.get(position))
    with st.container(border=True):
        st.caption(f"Question {position + 1} of {len(sitting.shown)}")
        answers[position] = common.question_input(shown, key)
    if is_complete(shown, answers[position]) and answers[position] != saved.get(position):
        with common.plain_errors():
            certification.save_exam_answer(store, user, sitting, position, answers[position], policy, now)
        saved[position] = answers[position]
st.caption(f"{len(saved)} of {len(sitting.shown)} answered.")
if st.button("Submit the exam", type="primary"):
    with common.plain_errors():
        st.session_state["exam_outcome"] = certification.finish_exam(store, user, sitting, policy, common.clock())
    st.rerun()
