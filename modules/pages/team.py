"""Team: every technician's progress at a glance, who has gone quiet, and the questions each keeps missing."""

import altair as alt
import streamlit as st

from modules import team
from modules.core.types import CertificateStatus, Role
from modules.pages import common

common.require(Role.TRAINER, Role.MANAGER)
bank_set = common.banks()
st.title("Team")
with common.plain_errors():
    report = team.load_team(common.store(), common.actor(), bank_set, common.clock())
table = report.table
if table.empty:
    st.info("No technicians yet. A manager adds them on the Accounts page.")
    st.stop()

left, right = st.columns(2)
locations = left.multiselect("Location", sorted(table["location"].unique()), placeholder="All locations")
statuses = right.multiselect("Status", [s.value for s in CertificateStatus] + [team.INACTIVE_FILTER],
                             placeholder="Any status")
shown = team.filter_team(table, locations, statuses)
st.caption(f"{len(shown)} of {len(table)} technician(s). Click a column header to sort; scores are the best "
           "graded module quiz, in percent (green: passed).")

quiet = shown[shown["inactive"]]
if len(quiet):
    st.warning(f"No activity for {team.INACTIVE_AFTER.days} days or more: "
               + ", ".join(map(common.plain, quiet["name"])))

display = team.team_display(shown, bank_set.modules)
display["Last activity"] = display["Last activity"].dt.tz_convert(common.tz_name())
module_columns = [team.module_label(m) for m in bank_set.modules]
passed = {team.module_label(m): shown[f"passed:{m.id}"].to_numpy() for m in bank_set.modules}


def _highlight(frame):
    styles = frame.copy().astype(object)
    styles.loc[:, :] = ""
    for column, flags in passed.items():
        styles.loc[flags, column] = "background-color: #d4edda"
    styles.loc[frame["Inactive 14+ days"].to_numpy(), ["Name", "Last activity"]] = "background-color: #ffe5b4"
    return styles


st.dataframe(
    display.style.apply(_highlight, axis=None), hide_index=True, placeholder="—",
    column_config={**{c: st.column_config.NumberColumn(c, format="%d%%") for c in module_columns},
                   "Last activity": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
                   "Inactive 14+ days": st.column_config.CheckboxColumn()})

st.subheader("Progress by module")
progress = team.module_progress(shown, bank_set.modules)
chart = alt.Chart(progress).mark_bar().encode(
    x=alt.X("technicians:Q", title="Technicians", stack="zero"),
    y=alt.Y("module:N", title=None, sort=alt.EncodingSortField("order")),
    color=alt.Color("state:N", title=None, sort=list(team.MODULE_STATES),
                    scale=alt.Scale(domain=list(team.MODULE_STATES), range=["#2e7d32", "#f9a825", "#cfd8dc"])),
    order=alt.Order("state_rank:Q"),
    tooltip=["module", "state", "technicians"],
).transform_calculate(state_rank=f"indexof({list(team.MODULE_STATES)}, datum.state)")
st.altair_chart(chart, width="stretch")

st.subheader("Questions missed 4 times or more")
names = dict(zip(table["user_id"], table["name"]))
visible = set(shown["user_id"])
flagged = [row for row in report.flagged if row[0] in visible]
if not flagged:
    st.write("None: nobody has missed the same question four times.")
for user_id in dict.fromkeys(row[0] for row in flagged):
    with st.expander(common.plain(names[user_id])):
        for _, question_id, misses in (row for row in flagged if row[0] == user_id):
            question = bank_set.question(question_id)
            st.markdown(f"- **{question_id}** ({misses} times): {question.prompt if question else ''}")
