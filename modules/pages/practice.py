"""Practice: one question at a time with instant feedback, the explanation and the source."""

import streamlit as st

from modules.core.types import AttemptId, AttemptKind, Role
from modules.pages import common
from modules.practice import change_in_points, draw, summarise

user = common.require()
bank_set = common.banks()
st.title("Practice")
st.caption("Practice never counts towards certification. Take your time and read each explanation.")

state = st.session_state.get("practice")
if state is None:
    module = common.choose_module(bank_set, remember="practice_module")
    size = len(module.questions)
    count = st.number_input("Number of questions", min_value=1, max_value=size, value=min(10, size))
    if st.button("Start practice", type="primary"):
        round_ = draw(bank_set, module.id, int(count))
        attempt_id = None
        if user.role is Role.TECHNICIAN:
            with common.plain_errors():
                attempt_id = common.store().attempts.start(user.id, AttemptKind.PRACTICE, module.id)
        st.session_state["practice"] = {"module_id": module.id, "round": round_, "index": 0, "scores": {},
                                        "answers": {}, "attempt_id": attempt_id, "seed": id(round_)}
        st.rerun()
    st.stop()

round_, index, scores = state["round"], state["index"], state["scores"]
if index >= len(round_):
    summary = summarise(round_, scores)
    # Each module's last finished round in this session, to compare with; practice is never a graded record.
    last_rounds = st.session_state.setdefault("practice_last_rounds", {})
    if "previous" not in state:  # the round has just finished: it becomes the one the next round is compared with
        state["previous"] = last_rounds.get(state["module_id"])
        last_rounds[state["module_id"]] = summary
    st.subheader("Round complete")
    change = change_in_points(state["previous"], summary)
    st.metric("Correct", f"{summary.correct} of {summary.answered} ({summary.share:.0%})",
              None if not change else f"{change:+d} points on your last round of this module",
              delta_color="normal")
    if summary.to_revisit:
        st.markdown("**Worth revisiting** (read these parts of the lesson again):")
        for shown in summary.to_revisit:
            with st.container(border=True):
                common.show_question_text(shown)
                common.show_lesson_link(shown)
    else:
        st.success("Everything right. When this feels easy every time, try the graded module quiz.")
    if st.button("New round", type="primary"):
        st.session_state["practice_module"] = state["module_id"]
        del st.session_state["practice"]
        st.rerun()
    st.stop()

recorded_attempt: AttemptId | None = state["attempt_id"]  # only a technician's practice is recorded


def save(record) -> None:
    if recorded_attempt is not None:
        common.record_practice_answer(user, recorded_attempt, record)


checked = common.ask(state, round_[index], len(round_), f"practice-{state['seed']}-{index}", on_check=save,
                     show_source_tag=user.role is not Role.TECHNICIAN)  # trainers still see the raw tag
if checked is not None and st.button("Next question" if index + 1 < len(round_) else "See summary", type="primary"):
    state["index"] = index + 1
    st.rerun()
