"""Practice: one question at a time with instant feedback, the explanation and the source."""

import streamlit as st

from modules.core.types import AttemptKind, Role
from modules.grading import is_complete
from modules.pages import common
from modules.practice import draw, response_record, summarise

user = common.require()
bank_set = common.banks()
st.title("Practice")
st.caption("Practice never counts towards certification. Take your time and read each explanation.")
if not bank_set.modules:
    st.info("No modules are available yet.")
    st.stop()

state = st.session_state.get("practice")
if state is None:
    ids = [m.id for m in bank_set.modules]
    chosen = st.session_state.get("practice_module")
    module_id = st.selectbox("Module", ids, index=ids.index(chosen) if chosen in ids else 0,
                             format_func=lambda i: f"{bank_set.module(i).order}. {bank_set.module(i).title}")
    size = len(bank_set.module(module_id).questions)
    count = st.number_input("Number of questions", min_value=1, max_value=size, value=min(10, size))
    if st.button("Start practice", type="primary"):
        round_ = draw(bank_set, module_id, int(count))
        attempt_id = None
        if user.role is Role.TECHNICIAN:
            with common.plain_errors():
                attempt_id = common.store().attempts.start(user.id, AttemptKind.PRACTICE, module_id)
        st.session_state["practice"] = {"module_id": module_id, "round": round_, "index": 0, "scores": {},
                                        "answers": {}, "attempt_id": attempt_id, "seed": id(round_)}
        st.rerun()
    st.stop()

round_, index, scores = state["round"], state["index"], state["scores"]
if index >= len(round_):
    summary = summarise(round_, scores)
    st.subheader("Round complete")
    st.metric("Correct", f"{summary.correct} of {summary.answered}", f"{summary.share:.0%}")
    if summary.to_revisit:
        st.markdown("**Worth revisiting** (read these parts of the lesson again):")
        for shown in summary.to_revisit:
            st.markdown(f"- {shown.prompt} — *{shown.source}*")
    else:
        st.success("Everything right. When this feels easy every time, try the graded module quiz.")
    if st.button("New round", type="primary"):
        st.session_state["practice_module"] = state["module_id"]
        del st.session_state["practice"]
        st.rerun()
    st.stop()

shown = round_[index]
st.progress(index / len(round_), text=f"Question {index + 1} of {len(round_)}")
key = f"practice-{state['seed']}-{index}"
answered = index in scores
answer = common.question_input(shown, key, disabled=answered)
if not answered:
    if st.button("Check answer", type="primary", disabled=not is_complete(shown, answer)):
        record = response_record(index, shown, answer)
        if state["attempt_id"] is not None:
            with common.plain_errors():
                common.record_practice_answer(user, state["attempt_id"], record)
        scores[index] = record.score
        state["answers"][index] = answer
        st.rerun()
else:
    common.show_feedback(shown, state["answers"][index], scores[index])
    if st.button("Next question" if index + 1 < len(round_) else "See summary", type="primary"):
        state["index"] = index + 1
        st.rerun()
