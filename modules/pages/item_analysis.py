"""Item analysis: which questions most people miss, which do not tell strong from weak, with Moodle's figures."""

import altair as alt
import streamlit as st

from modules import exports, team
from modules.analytics import format_stat
from modules.core.types import AttemptKind, Role
from modules.pages import common, trainer_common

common.require(Role.TRAINER, Role.MANAGER)
bank_set = common.banks()
min_responses = common.policy()[0].item_analysis_min_responses
st.title("Item analysis")
st.caption("The figures follow Moodle's quiz statistics report. \"n/a\" means the figure is undefined "
           f"(everyone scored the same) or withheld: a question gets no verdict before {min_responses} responses.")

left, right = st.columns(2)
what = left.radio("Analyse", ["Module quiz", "Certification exam"], horizontal=True)
scope = right.radio("Attempts", ["First attempts", "All attempts"], horizontal=True,
                    help="First attempts show how well the lesson teaches; all attempts include retakes.")
module_id = None
if what == "Module quiz":
    module_id = common.choose_module(bank_set).id
kind = AttemptKind.QUIZ if module_id else AttemptKind.EXAM
analysis = trainer_common.item_analysis(kind, module_id, scope == "First attempts")
if analysis.attempts == 0:
    st.info("No finished attempts yet: the figures appear once technicians have taken this "
            f"{'quiz' if module_id else 'exam'}.")
    st.stop()
report = team.item_report(analysis.table, min_responses, team.question_texts(bank_set))

test = analysis.test
cols = st.columns(3)
cols[0].metric("Attempts", test.n)
cols[1].metric("Average mark", team.average_mark(test),
               help="The average total mark, one mark per question of the "
                    f"{'quiz' if module_id else 'exam'}.")
alpha = format_stat(test.cic, 1)
cols[2].metric("Cronbach's alpha", alpha if alpha == "n/a" else f"{alpha}%")
st.markdown(team.reliability_text(test))
with st.expander("Whole-test statistics"):
    st.dataframe(team.test_figures(test), hide_index=True)

waiting = int((~report["enough"]).sum())
flagged = int((report["flags"] != "").sum())
if waiting:
    st.info(f"{waiting} of {len(report)} question(s) have fewer than {min_responses} responses: no flag and no "
            "discrimination figures for them yet (on so few answers they are noise). Facility is counted as it is.")
if flagged:
    st.warning(f"{flagged} question(s) flagged: see \"What to do\".")
elif waiting < len(report):
    st.success("No question with enough responses is flagged.")

sort_label = st.selectbox("Sort by", list(team.FIGURES.values()))
sort_by = next(column for column, label in team.FIGURES.items() if label == sort_label)
display = team.item_display(report, sort_by)
st.dataframe(display, hide_index=True, placeholder="n/a", column_config={
    "Question": st.column_config.TextColumn(width="small"),
    "Flags": st.column_config.TextColumn(width="medium"),
    "What to do": st.column_config.TextColumn(width="large"),
    "Prompt": st.column_config.TextColumn(width="large"),
    **{label: st.column_config.NumberColumn(label, format="%.1f", help=team.FIGURE_HELP[column])
       for column, label in team.FIGURES.items()}})
name = f"item-analysis-{module_id or 'exam'}-{'first' if scope == 'First attempts' else 'all'}.csv"
st.download_button("Download as CSV", file_name=name, on_click="ignore", mime="text/csv",
                   data=lambda: exports.to_csv_bytes(team.item_display(report, sort_by)))

st.subheader("Facility against discrimination")
points = team.chart_points(report)
if points.empty:
    st.info(f"Nothing to plot yet: a question appears here once it has {min_responses} responses and not everyone "
            "scored the same on it.")
else:
    zones = alt.Chart(team.flag_zones()).mark_rect(opacity=0.25).encode(
        x="x0:Q", x2="x1", y="y0:Q", y2="y1",
        color=alt.Color("zone:N", title="Flag zone", scale=alt.Scale(range=["#ef9a9a", "#ffcc80", "#b0bec5"])))
    dots = alt.Chart(points).mark_point(filled=True, size=70, color="#263238").encode(
        x=alt.X("facility:Q", title="Facility % (share right)", scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("discrimination:Q", title="Discriminative efficiency %", scale=alt.Scale(domain=[-100, 100])),
        shape=alt.Shape("verdict:N", title="Question"),
        tooltip=[alt.Tooltip("question:N", title="Question"), alt.Tooltip("text:N", title="Prompt"),
                 alt.Tooltip("attempts:Q", title="Attempts"), alt.Tooltip("facility:Q", title="Facility %"),
                 alt.Tooltip("discrimination:Q", title="Efficiency %"), alt.Tooltip("flags:N", title="Flags")])
    st.altair_chart(alt.layer(zones, dots), width="stretch")
    left_out = len(report) - len(points)
    st.caption(f"One point per question; a point in a shaded zone is flagged. {left_out} question(s) not plotted: "
               f"fewer than {min_responses} responses, or everyone scored the same." if left_out else
               "One point per question; a point in a shaded zone is flagged.")

st.subheader("One question")
by_id = display.set_index("Question")
question_id = st.selectbox("Question", list(display["Question"]),
                           format_func=lambda q: f"{q}: {by_id.loc[q, 'Prompt']}")
question = bank_set.questions.get(question_id)
if question is not None and question.scenario:
    st.info(f"**Client case:** {common.plain(question.scenario)}")
st.markdown(f"**{common.plain(question.prompt if question else by_id.loc[question_id, 'Prompt'])}**")
row = by_id.loc[question_id]
facility, discrimination = (format_stat(row[label], 1) for label in ("Facility %", "Discrimination %"))
st.markdown(common.plain(
    f"{row['Attempts']} response(s); facility {facility}{'' if facility == 'n/a' else '%'}; discrimination "
    f"{discrimination}{'' if discrimination == 'n/a' else '%'}. Flags: {row['Flags'] or 'none'}."
    + (f" What to do: {row['What to do']}" if row["What to do"] else "")))
shares = team.option_shares(analysis.options, question_id)
if shares.empty:
    st.caption("Ordering and matching questions have no options to count.")
else:
    bars = alt.Chart(shares).mark_bar().encode(
        x=alt.X("chosen:Q", title="Chosen, % of the times shown", scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("option:N", title=None, sort=None),
        color=alt.Color("role:N", title="Option", scale=alt.Scale(
            domain=["key", "wrong option", "wrong option nobody picks"], range=["#2e7d32", "#90a4ae", "#ef6c00"])),
        tooltip=[alt.Tooltip("option:N", title="Option"), alt.Tooltip("chosen:Q", title="Chosen %"),
                 alt.Tooltip("times_chosen:Q", title="Chosen"), alt.Tooltip("times_shown:Q", title="Shown")])
    st.altair_chart(bars, width="stretch")
    st.dataframe(shares, hide_index=True, column_config={
        "option": "Option", "chosen": st.column_config.NumberColumn("Chosen %", format="%.1f"),
        "times_chosen": "Chosen", "times_shown": "Shown", "role": "What it is"})
