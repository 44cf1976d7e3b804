"""Team: where every technician stands (a count per group, one click to list a group), a page of people at a time,
who has gone quiet, and the questions the people on the page keep missing. A row opens that person on Technician."""

import altair as alt
import streamlit as st

from modules import team_progress
from modules.core.types import Role
from modules.pages import common, trainer_common
from modules.team import module_label
from modules.team_progress import Group

QUIET_NAMED = 10  # a warning naming hundreds of people is read by nobody: the "behind" group lists them all
EVERYONE = "everyone"
# This session's filters, kept apart from the widgets' own keys: Streamlit forgets a widget's value on a run that
# does not draw it (a visit to Technician), and these seed the widgets again on the way back.
KEPT = "team_filters"
LOCATIONS, GROUP, NAME, ORDER, PAGE = "team_locations", "team_group", "team_name", "team_order", "team_page"

st.set_page_config(layout="wide")
common.require(Role.TRAINER, Role.MANAGER)
bank_set = common.banks()
st.title("Team")
store, actor = common.store(), common.actor()
policy = common.policy()[0]  # its problems are shown on Bank health
with common.plain_errors():
    table = team_progress.load_team(store, actor, bank_set, common.clock(), trainer_common.graded_results(), policy)
if table.empty:
    st.info("No technicians yet. A manager adds them on the Accounts page.")
    st.stop()


def kept(key: str, default, valid=lambda value: True) -> str:
    """Seed the widget `key` with this session's last choice, if it still makes sense."""
    if key not in st.session_state:
        remembered = st.session_state.get(KEPT, {}).get(key, default)
        st.session_state[key] = remembered if valid(remembered) else default
    return key


place_names = sorted(table["location"].unique())
left, right = st.columns([2, 1])
locations = left.multiselect("Location", place_names, placeholder="All locations",
                             key=kept(LOCATIONS, [], lambda chosen: set(chosen) <= set(place_names)))
name = right.text_input("Name contains", placeholder="Any name", key=kept(NAME, ""))
nearby = team_progress.filter_team(table, locations, name=name)
counts = team_progress.group_counts(nearby)
labels = {EVERYONE: f"Everyone · {len(nearby)}"} | {g.value: f"{g.value.capitalize()} · {n}" for g, n in counts.items()}
group = st.segmented_control(
    "Group", list(labels), format_func=labels.__getitem__, key=kept(GROUP, EVERYONE),
    help="Each person is in one group, the first that fits: a certificate still running (expiring within 30 days, "
         "or certified), the latest exam failed, a certificate lapsed, behind, ready for the exam (every module quiz "
         "and the practicals done), studying, not started. A revoked certificate counts as none.")
group = EVERYONE if group is None else group  # clicking the chosen group again clears it
shown = team_progress.filter_team(nearby, group=None if group == EVERYONE else group)

left, right = st.columns(2)
order = left.selectbox("Order", team_progress.ORDERS, key=kept(ORDER, team_progress.ORDERS[0]))
shown = team_progress.ordered(shown, order)
pages = team_progress.page_count(len(shown))
filters = (tuple(locations), name, group, order)
if st.session_state.get(KEPT, {}).get("filters") != filters or st.session_state.get(PAGE, 0) >= pages:
    st.session_state[PAGE] = 0  # new filters start again at the first page
number = right.selectbox("Rows", range(pages), format_func=lambda n: team_progress.page_label(n, len(shown)),
                         disabled=pages == 1, key=kept(PAGE, 0, lambda n: n < pages))
st.session_state[KEPT] = {LOCATIONS: locations, NAME: name, GROUP: group, ORDER: order, PAGE: number,
                          "filters": filters}
on_page = team_progress.page(shown, number)
st.caption(f"{len(shown)} of {len(table)} technician(s). Behind: not certified and no activity for "
           f"{policy.behind_after_days} days or more. M1, M2, ...: best graded quiz of each module, in percent (green: "
           "passed; point at a heading for the module). Tick a row's box to open that person on the Technician page.")

behind = shown[shown["group"] == Group.BEHIND.value]
if len(behind):
    named = ", ".join(map(common.plain, behind["name"].head(QUIET_NAMED)))
    more = (f" and {len(behind) - QUIET_NAMED:,} more (the group “{Group.BEHIND.value}” lists them)"
            if len(behind) > QUIET_NAMED else "")
    st.warning(f"Behind, no activity for {policy.behind_after_days} days or more: {named}{more}")

with common.plain_errors():
    flagged = team_progress.often_missed(store, actor, bank_set, on_page["user_id"])
display = team_progress.team_display(on_page, bank_set.modules, flagged)
zone = common.tz_name()
display["Last activity"] = display["Last activity"].dt.tz_convert(zone)
display["Certificate ends"] = display["Certificate ends"].dt.tz_convert(zone)
module_columns = {module_label(m): f"M{m.order}" for m in bank_set.modules}
passed = {module_label(m): on_page[f"passed:{m.id}"].to_numpy() for m in bank_set.modules}
quiet = (on_page["group"] == Group.BEHIND.value).to_numpy()


def _highlight(frame):
    styles = frame.copy().astype(object)
    styles.loc[:, :] = ""
    for column, flags in passed.items():
        styles.loc[flags, column] = "background-color: #d4edda"
    styles.loc[quiet, ["Name", "Group", "Last activity"]] = "background-color: #ffe5b4"
    return styles


# Short headings so the key columns fit a 1366-pixel screen; each module's title is in its heading's help.
event = st.dataframe(
    display.style.apply(_highlight, axis=None), hide_index=True, placeholder="—", key="team_table",
    on_select="rerun", selection_mode="single-row",
    column_order=["Name", "Group", "Location", "Modules passed", "Exam", "Last activity", *module_columns,
                  "Certificate ends", "Certification", "Often missed (4+)"],
    column_config={**{c: st.column_config.NumberColumn(short, help=c, format="%d%%", width=48)
                      for c, short in module_columns.items()},
                   "Modules passed": st.column_config.TextColumn("Passed", help="Module quizzes passed (which)"),
                   "Exam": st.column_config.TextColumn("Exam", help="Latest certification exam"),
                   "Last activity": st.column_config.DatetimeColumn("Last seen", format="D MMM YYYY"),
                   "Certificate ends": st.column_config.DatetimeColumn("Cert. ends", format="D MMM YYYY"),
                   "Certification": st.column_config.TextColumn("Cert."),
                   "Often missed (4+)": st.column_config.TextColumn("Missed 4+",
                                                                    help="Questions missed 4 times or more")})
if event.selection.rows:
    st.session_state[trainer_common.CHOSEN] = int(on_page["user_id"].iloc[event.selection.rows[0]])
    st.switch_page("modules/pages/technician.py")

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
on_screen = dict(zip(on_page["user_id"], on_page["name"]))
if not flagged:
    st.write("None: nobody has missed the same question four times.")
for user_id in dict.fromkeys(row[0] for row in flagged):
    with st.expander(common.plain(on_screen[user_id])):
        for _, question_id, misses in (row for row in flagged if row[0] == user_id):
            question = bank_set.question(question_id)
            st.markdown(f"- **{question_id}** ({misses} times): {question.prompt if question else ''}")
