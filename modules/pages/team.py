"""Team: every technician's progress at a glance, a page of people at a time, who has gone quiet, and the questions
the people on the page keep missing."""

import altair as alt
import streamlit as st

from modules import team_progress
from modules.core.types import CertificateStatus, Role
from modules.pages import common, trainer_common
from modules.team import module_label

QUIET_NAMED = 10  # a warning naming hundreds of people is read by nobody: the Status filter lists them all

common.require(Role.TRAINER, Role.MANAGER)
bank_set = common.banks()
st.title("Team")
store, actor = common.store(), common.actor()
with common.plain_errors():
    table = team_progress.load_team(store, actor, bank_set, common.clock(), trainer_common.graded_results())
if table.empty:
    st.info("No technicians yet. A manager adds them on the Accounts page.")
    st.stop()

left, middle, right = st.columns(3)
locations = left.multiselect("Location", sorted(table["location"].unique()), placeholder="All locations")
statuses = middle.multiselect("Status", [s.value for s in CertificateStatus] + [team_progress.INACTIVE_FILTER],
                              placeholder="Any status")
name = right.text_input("Name contains", placeholder="Any name")
shown = team_progress.filter_team(table, locations, statuses, name)
left, right = st.columns(2)
shown = team_progress.ordered(shown, left.selectbox("Order", team_progress.ORDERS))
pages = team_progress.page_count(len(shown))
# The page choice starts again at the first page whenever the filters change how many pages there are.
number = right.selectbox("Rows", range(pages), format_func=lambda n: team_progress.page_label(n, len(shown)),
                         disabled=pages == 1)
on_page = team_progress.page(shown, number)
st.caption(f"{len(shown)} of {len(table)} technician(s). Scores are the best graded module quiz, in percent "
           "(green: passed); a column header sorts the rows on screen.")

quiet = shown[shown["inactive"]]
if len(quiet):
    named = ", ".join(map(common.plain, quiet["name"].head(QUIET_NAMED)))
    more = (f" and {len(quiet) - QUIET_NAMED:,} more (the status “{team_progress.INACTIVE_FILTER}” lists them)"
            if len(quiet) > QUIET_NAMED else "")
    st.warning(f"No activity for {team_progress.INACTIVE_AFTER.days} days or more: {named}{more}")

with common.plain_errors():
    flagged = team_progress.often_missed(store, actor, bank_set, on_page["user_id"])
display = team_progress.team_display(on_page, bank_set.modules, flagged)
display["Last activity"] = display["Last activity"].dt.tz_convert(common.tz_name())
module_columns = [module_label(m) for m in bank_set.modules]
passed = {module_label(m): on_page[f"passed:{m.id}"].to_numpy() for m in bank_set.modules}


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
progress = team_progress.module_progress(shown, bank_set.modules)
chart = alt.Chart(progress).mark_bar().encode(
    x=alt.X("technicians:Q", title="Technicians", stack="zero"),
    y=alt.Y("module:N", title=None, sort=alt.EncodingSortField("order")),
    color=alt.Color("state:N", title=None, sort=list(team_progress.MODULE_STATES),
                    scale=alt.Scale(domain=list(team_progress.MODULE_STATES), range=["#2e7d32", "#f9a825", "#cfd8dc"])),
    order=alt.Order("state_rank:Q"),
    tooltip=["module", "state", "technicians"],
).transform_calculate(state_rank=f"indexof({list(team_progress.MODULE_STATES)}, datum.state)")
st.altair_chart(chart, width="stretch")

st.subheader("Questions missed 4 times or more")
if pages > 1:
    st.caption(f"By the technicians in rows {team_progress.page_label(number, len(shown))} above.")
names = dict(zip(on_page["user_id"], on_page["name"]))
if not flagged:
    st.write("None: nobody has missed the same question four times.")
for user_id in dict.fromkeys(row[0] for row in flagged):
    with st.expander(common.plain(names[user_id])):
        for _, question_id, misses in (row for row in flagged if row[0] == user_id):
            question = bank_set.question(question_id)
            st.markdown(f"- **{question_id}** ({misses} times): {question.prompt if question else ''}")
