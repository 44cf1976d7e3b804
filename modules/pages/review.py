"""Review: missed questions come back after a short relearning step, then just before they would be forgotten
(FSRS, as Anki schedules them), at most the policy's daily cap of due questions a day."""

import streamlit as st
from fsrs import Rating

from modules.core.types import AttemptKind, Role
from modules.grading import show
from modules.learning import feed_review, next_intervals, plan_review
from modules.pages import common
from modules.practice import response_record
from modules.review import ReviewSession, interval_words

user = common.require(Role.TECHNICIAN)
bank_set = common.banks()
policy, _ = common.policy()
st.title("Review")
st.caption("Questions you missed come back here: a missed one again a few minutes later, then on the day you are "
           "about to forget it. Review never counts towards certification.")

state = st.session_state.get("review")
if state is None:
    with common.plain_errors():
        plan = plan_review(common.store(), common.actor(), user.id, common.practice_ids(), common.clock(),
                           common.tz_name(), policy.review_daily_cap)
    cards = plan.cards
    st.metric("Due today", len(cards))
    if plan.relearn:
        st.caption(f"{len(plan.relearn)} of them you missed recently: they come back on top of the daily limit "
                   f"of {policy.review_daily_cap}.")
    if plan.held_back:
        st.info(f"{plan.held_back} more question(s) are due, over today's limit of {policy.review_daily_cap}. "
                "They wait for another day.")
    if not cards:
        if not plan.held_back:
            st.success("Nothing is due today. Well done — come back tomorrow, or practise a module.")
        st.stop()
    if st.button(f"Review {len(cards)} question(s)", type="primary"):
        with common.plain_errors():
            attempt_id = common.store().attempts.start(user.id, AttemptKind.REVIEW)
        # plan_review keeps only questions still in the bank, so every id below is found.
        by_id = {c.question_id: show(q) for c in cards if (q := bank_set.question(c.question_id)) is not None}
        st.session_state["review"] = {"session": ReviewSession.start(plan), "shown": by_id, "index": 0,
                                      "answers": {}, "scores": {}, "attempt_id": attempt_id}
        st.rerun()
    st.stop()

session: ReviewSession = state["session"]
if session.finished:
    st.success(f"Review done: {session.right_first_time} of {session.questions} right the first time.")
    if session.relearnt:
        st.write(f"{session.relearnt} question(s) you missed came back and you got them right.")
    if session.stopped and session.left:
        st.info(f"You stopped for today: {session.left} question(s) wait for your next review.")
    if st.button("Back to review"):
        del st.session_state["review"]
        st.rerun()
    st.stop()

index = session.index
question_id = session.current or ""
shown = state["shown"][question_id]


def next_card(run: dict, correct: bool, rating: Rating | None = None) -> None:
    record = response_record(index, shown, run["answers"][index])
    with common.plain_errors():
        common.store().attempts.record_response(run["attempt_id"], record)
        feed_review(common.store(), user.id, [(shown.question_id, correct)], common.clock(), rating)
    run["session"] = run["session"].answer(correct)
    run["index"] = run["session"].index


score = common.ask(state, shown, len(session.steps), f"review-{index}-{shown.question_id}")
if score == 1.0:
    st.write("How hard was it to remember? Each button says when the question comes back.")
    with common.plain_errors():
        intervals = next_intervals(common.store(), user.id, shown.question_id, common.clock())
    for column, rating in zip(st.columns(3), (Rating.Hard, Rating.Good, Rating.Easy)):
        label = rating.name + (f" · {interval_words(intervals[rating])}" if rating in intervals else "")
        if column.button(label, key=f"rate-{rating.name}", type="primary" if rating is Rating.Good else "secondary",
                         width="stretch"):
            next_card(state, True, rating)
            st.rerun()
elif score is not None:
    st.caption("This question comes back at the end of this review, so you can try it again.")
    if st.button("Next", type="primary"):
        next_card(state, False)
        st.rerun()
st.divider()
if st.button("Stop for today", help="End this review now; what is left waits for your next review."):
    state["session"] = session.stop()
    st.rerun()
