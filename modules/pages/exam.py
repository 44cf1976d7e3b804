"""Certification exam: timed on the server, every answer saved as it is given, resumable after a reload."""

from datetime import datetime, timedelta

import streamlit as st

from modules import certification, quiz
from modules.core.types import Role
from modules.grading import is_complete
from modules.pages import common
from modules.workspace import workspace_for

# The timer's box stays in view while the questions scroll beneath it (below Streamlit's 3.75rem header); opaque, so
# the questions do not show through. Our own constant CSS, never anything a person typed.
# A question the navigator jumps to stops below the header and the timer instead of under them.
STICKY_TIMER = ("<style>.st-key-exam-timer {position: sticky; top: 3.75rem; z-index: 100; background-color: #fff; "
                "padding-bottom: 0.25rem;} [id^='question-'] {scroll-margin-top: 10rem;}</style>")


def question_anchor(number: int) -> str:
    return f"question-{number}"


def question_links(numbers: list[int]) -> str:
    """The navigator's numbers, each a link to its question on this page."""
    return ", ".join(f"[{number}](#{question_anchor(number)})" for number in numbers)


@st.fragment(run_every=timedelta(seconds=20))
def countdown(deadline: datetime, last_moment: datetime) -> None:
    """Only this reruns on the timer, so answering is never interrupted."""
    now = common.clock()
    if now > last_moment:
        st.rerun(scope="app")  # the whole page then closes the exam with the answers saved in time
    seconds = (deadline - now).total_seconds()
    if seconds <= 0:
        st.error("Time is up: submit now. Answers given after the deadline are not counted.")
        return
    minutes = int(seconds // 60)
    left = f"about **{minutes} min**" if minutes else "**under 1 min**"
    alert = st.warning if minutes < 5 else st.info
    alert(f"Time left: {left} (ends {common.local_time(deadline, '%H:%M')}). Every answer is saved as you give it.")


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
        workspace = workspace_for(store, user, bank_set, policy, common.clock(), common.tz_name(), reviews_due=0)
    missing = workspace.still_required
    size = policy.exam_size([m.id for m in bank_set.modules])
    st.write(f"The exam draws {size} questions from every module's exam questions, lasts "
             f"{policy.exam_minutes} minutes and needs {policy.exam_pass_percent}% to pass. Your answers are saved "
             "as you give them; if the page reloads, you carry on where you were.")
    if workspace.exam_note:
        st.info(workspace.exam_note)
    if missing:
        st.warning("The exam unlocks when everything below is done:\n" + "\n".join(f"- {m}" for m in missing))
        st.stop()
    if st.button("Start the exam", type="primary"):
        with common.plain_errors():
            certification.start_or_resume_exam(store, user, bank_set, policy, common.clock())
        st.rerun()
    st.stop()

now = common.clock()
deadline = sitting.deadline or now  # an exam always has one; `or` only satisfies the type
st.html(STICKY_TIMER)
with st.container(key="exam-timer"):
    countdown(deadline, quiz.answer_deadline(sitting.attempt, policy) or deadline)
navigator = st.container()  # filled after the questions, so it shows this run's answers and flags
saved = certification.saved_exam_answers(store, user, sitting, policy)
answers = {}
flagged: list[int] = []
for position, shown in enumerate(sitting.shown):
    key = f"exam-{sitting.attempt.id}-{position}"
    common.preset_answer(shown, key, saved.get(position))
    with st.container(border=True):
        st.html(f'<span id="{question_anchor(position + 1)}"></span>')  # where the navigator's link jumps to
        st.caption(f"Question {position + 1} of {len(sitting.shown)}")
        answers[position] = common.question_input(shown, key)
        if st.toggle("Flag to come back to", key=f"flag-{sitting.attempt.id}-{position}"):
            flagged.append(position + 1)
    if is_complete(shown, answers[position]) and answers[position] != saved.get(position):
        with common.plain_errors():
            certification.save_exam_answer(store, user, sitting, position, answers[position], policy, now)
        saved[position] = answers[position]
unanswered = certification.unanswered_numbers(sitting, saved)
answered = [n for n in range(1, len(sitting.shown) + 1) if n not in unanswered]
with navigator:
    st.markdown("Question navigator (a number goes to that question):\n"
                f"- **Answered** ({len(answered)}): {question_links(answered) or 'none yet'}\n"
                f"- **Not answered yet** ({len(unanswered)}): {question_links(unanswered) or 'none'}\n"
                f"- **Flagged to come back to** ({len(flagged)}): {question_links(flagged) or 'none'}")
st.caption(f"{len(saved)} of {len(sitting.shown)} answered.")
# Flagged questions are left to the navigator above; gaps are named before submitting.
submit = common.submit_button("Submit the exam", unanswered, "exam_confirm", sitting.attempt.id)
if submit:
    with common.plain_errors():
        st.session_state["exam_outcome"] = certification.finish_exam(store, user, sitting, policy, common.clock())
    st.session_state.pop("exam_confirm", None)
    st.rerun()
