"""Review: the questions a technician missed come back just before they would be forgotten (FSRS)."""

import streamlit as st
from fsrs import Rating

from modules.core.types import AttemptKind, Role
from modules.grading import show
from modules.learning import due_cards, feed_review
from modules.pages import common
from modules.practice import response_record

user = common.require(Role.TECHNICIAN)
bank_set = common.banks()
st.title("Review")
st.caption("Questions you missed come back here on the day you are about to forget them. Review never counts "
           "towards certification.")

state = st.session_state.get("review")
if state is None:
    with common.plain_errors():
        due = due_cards(common.store(), user.id, common.practice_ids(), common.clock(), common.tz_name())
    st.metric("Due today", len(due))
    if not due:
        st.success("Nothing is due today. Well done — come back tomorrow, or practise a module.")
        st.stop()
    if st.button(f"Review {len(due)} question(s)", type="primary"):
        with common.plain_errors():
            attempt_id = common.store().attempts.start(user.id, AttemptKind.REVIEW)
        # due_cards keeps only questions still in the bank, so every id below is found.
        questions = [q for c in due if (q := bank_set.question(c.question_id)) is not None]
        st.session_state["review"] = {"queue": [show(q) for q in questions],
                                      "index": 0, "answers": {}, "scores": {}, "attempt_id": attempt_id}
        st.rerun()
    st.stop()

queue, index = state["queue"], state["index"]
if index >= len(queue):
    right = sum(1 for s in state["scores"].values() if s == 1.0)
    st.success(f"Review done: {right} of {len(queue)} right. Missed ones come back tomorrow.")
    if st.button("Back to review"):
        del st.session_state["review"]
        st.rerun()
    st.stop()

shown = queue[index]


def next_card(run: dict, rating: Rating | None = None):
    record = response_record(index, shown, run["answers"][index])
    with common.plain_errors():
        common.store().attempts.record_response(run["attempt_id"], record)
        feed_review(common.store(), user.id, [(shown.question_id, record.correct)], common.clock(), rating)
    run["index"] = index + 1


score = common.ask(state, shown, len(queue), f"review-{index}-{shown.question_id}")
if score == 1.0:
    st.write("How did that feel?")
    hard, good, easy = st.columns(3)
    for column, label, rating in ((hard, "Hard", Rating.Hard), (good, "Good", Rating.Good),
                                  (easy, "Easy", Rating.Easy)):
        if column.button(label, key=f"rate-{label}", type="primary" if label == "Good" else "secondary"):
            next_card(state, rating)
            st.rerun()
elif score is not None and st.button("Next", type="primary"):
    next_card(state)
    st.rerun()
