"""Item analysis: which questions most people miss, which do not tell strong from weak, with Moodle's figures."""

import streamlit as st

from modules import exports, team
from modules.analytics import format_stat
from modules.core.types import AttemptKind, Role
from modules.pages import common, trainer_common

common.require(Role.TRAINER, Role.MANAGER)
FEW_ATTEMPTS = 10
bank_set = common.banks()
st.title("Item analysis")
st.caption("The figures follow Moodle's quiz statistics report. \"n/a\" means the figure is undefined "
           "(too few attempts, or everyone scored the same).")

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

test = analysis.test
cols = st.columns(4)
cols[0].metric("Attempts", test.n)
cols[1].metric("Average mark", f"{format_stat(test.average)} of {test.items}"
               if module_id else format_stat(test.average))
alpha = format_stat(test.cic, 1)
cols[2].metric("Cronbach's alpha", alpha if alpha == "n/a" else f"{alpha}%")
cols[3].metric("Reliability", test.reliability)
with st.expander("Whole-test statistics"):
    st.dataframe(team.test_figures(test), hide_index=True)

sort_label = st.selectbox("Sort by", list(team.FIGURES.values()))
sort_by = next(column for column, label in team.FIGURES.items() if label == sort_label)
display = team.item_display(analysis.table, sort_by)
flagged = display[display["Flags"] != ""]
if analysis.attempts < FEW_ATTEMPTS:
    st.info(f"Only {analysis.attempts} attempt(s) so far: with fewer than {FEW_ATTEMPTS}, a flag says little about "
            "the question itself. Read the flags again once more technicians have taken it.")
if len(flagged):
    st.warning(f"{len(flagged)} question(s) flagged: see \"What to do\".")
else:
    st.success("No question is flagged.")
st.dataframe(display, hide_index=True, placeholder="n/a",
             column_config={label: st.column_config.NumberColumn(label, format="%.1f")
                            for label in team.FIGURES.values()})
name = f"item-analysis-{module_id or 'exam'}-{'first' if scope == 'First attempts' else 'all'}.csv"
st.download_button("Download as CSV", file_name=name, mime="text/csv",
                   data=lambda: exports.to_csv_bytes(team.item_display(analysis.table, sort_by, as_text=True)))

with st.expander("Options chosen (distractor analysis)"):
    options = analysis.options.assign(share=analysis.options["share"] * 100)
    st.dataframe(options, hide_index=True, placeholder="n/a", column_config={
        "question_id": "Question", "option": "Option", "is_key": "Key", "times_shown": "Shown",
        "times_chosen": "Chosen", "share": st.column_config.NumberColumn("Chosen %", format="%.1f"),
        "unpicked_distractor": "Nobody picks it"})
