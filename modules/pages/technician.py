"""Technician: the timeline of one technician's attempts, and any attempt replayed answer by answer (all answers or
the wrong ones only)."""

import streamlit as st

from modules import replay, review, team
from modules.core.types import AttemptId, AttemptKind, QuestionType, Role
from modules.pages import common, trainer_common

st.set_page_config(layout="wide")
common.require(Role.TRAINER, Role.MANAGER)
bank_set = common.banks()
st.title("Technician")
st.page_link("modules/pages/team.py", label="Back to Team (your filters are kept)")
person = trainer_common.choose_technician()
with common.plain_errors():
    attempts = common.store().attempts.for_user(common.actor(), person.id)
    summaries = common.store().reports.attempt_summaries(person.id)

    flagged = review.flagged_for_trainer(common.store().reports.misses(person.id),
                                         valid_question_ids=set(bank_set.questions))
if flagged:
    st.warning(f"**{common.plain(person.full_name)} has missed these questions 4 times or more.** More drilling "
               "will not fix it: go through that part of the lesson together.")
    # flagged_for_trainer keeps only questions still in the bank, so each one is found.
    st.markdown("\n".join(f"- `{question_id}` ({misses}×): {question.prompt}" for _, question_id, misses in flagged
                          if (question := bank_set.question(question_id)) is not None))

st.subheader("Supervised practicals")
with common.plain_errors():
    practicals = common.store().signoffs.for_user(person.id)
    trainers: dict[int, str] = {u.id: u.full_name for u in common.store().accounts.list_users()}
if practicals:
    records = team.signoff_history(practicals, trainers)
    records["Treated on"] = records["Treated on"].map(lambda d: d.strftime("%d %b %Y"))
    records["Signed at"] = records["Signed at"].map(lambda t: common.local_time(t))
    st.caption(f"{team.competent_count(practicals)} competent; not-yet-competent records are kept and do not count.")
    st.dataframe(records, hide_index=True)
else:
    st.caption("No practical recorded yet.")

everything = st.toggle("Include practice and review", value=False)
graded = {AttemptKind.QUIZ, AttemptKind.EXAM}
attempts = [a for a in attempts if everything or a.kind in graded]
titles: dict[str, str] = {m.id: team.module_label(m) for m in bank_set.modules}
rows = team.timeline(attempts, summaries, titles)
st.subheader("Timeline")
if rows.empty:
    st.info(f"{common.plain(person.full_name)} has no {'' if everything else 'graded '}attempts yet.")
    st.stop()
shown = rows.assign(started_at=rows["started_at"].map(lambda t: common.local_time(t)),
                    finished_at=rows["finished_at"].map(lambda t: common.local_time(t)),
                    score=rows["score"] * 100)
st.dataframe(shown, hide_index=True, placeholder="—", column_config={
    "attempt_id": "Attempt", "kind": "Kind", "module": "Module", "started_at": "Started", "finished_at": "Finished",
    "score": st.column_config.NumberColumn("Score", format="%d%%"), "verdict": "Result", "answered": "Answered",
    "right": "Right", "minutes": st.column_config.NumberColumn("Minutes", format="%.1f")})

# Rows as plain records (not itertuples' pandas scalars), each attempt id typed as it is read.
labels: dict[AttemptId, str] = {
    AttemptId(r["attempt_id"]): f"{common.local_time(r['started_at'])} · {r['kind']} · {r['module']} · {r['verdict']}"
    for r in rows.to_dict("records")}
attempt_id = st.selectbox("Open an attempt", list(labels), format_func=lambda attempt: labels[attempt])
with common.plain_errors():
    answers = team.reviewed_answers(common.store().attempts.current_responses(common.actor(), attempt_id))
if not answers:
    st.info("No answers were recorded in this attempt.")
    st.stop()
right = sum(a.correct for a in answers)
st.subheader(f"Attempt {attempt_id}: {right} of {len(answers)} right")
wrong_only = st.toggle("Wrong answers only", key="replay_wrong_only",
                       help="Only the answers that were not fully right (partly right ones included)")
st.caption("Each question exactly as it was shown then, in the same order, options as they were listed (from the "
           "stored snapshot), even if the bank changed since.")
items = replay.replay(answers, wrong_only)
if not items:
    st.success("Every answer in this attempt was right.")
for item in items:
    shown_q = item.shown
    with st.container(border=True):
        if shown_q.scenario:
            st.info(f"**Client case:** {shown_q.scenario}")
        st.markdown(f"**{item.position + 1}. {shown_q.prompt}**")
        choices = team.shown_choices(item)
        if choices:
            st.markdown("\n".join(
                f"- {text}" + "".join((" — their answer" if chosen else "", " — correct" if key else ""))
                for text, chosen, key in choices))
        if shown_q.type is QuestionType.MATCHING:
            st.caption("Choices as shown: " + " · ".join(shown_q.rights))
            st.table(replay.matching_table(item), hide_index=True)
        elif shown_q.type is QuestionType.ORDERING:
            st.caption("Steps as shown: " + " · ".join(shown_q.options))
            st.table(replay.ordering_table(item), hide_index=True)
        else:
            st.markdown(f"**Answer given:** {replay.answer_text(shown_q, item.answer)}")
            st.markdown(f"**Key:** {replay.answer_text(shown_q, shown_q.key)}")
        timing = "" if item.seconds_taken is None else f" · {item.seconds_taken:.0f} s"
        message = f"{item.verdict.capitalize()}{timing}"
        (st.success if item.correct else st.error)(message)
        st.caption(f"{shown_q.question_id} · source: {shown_q.source}")
