"""Audit log: every recorded event, filtered by who, action and date, with a CSV export and a chain check."""

import pandas as pd
import streamlit as st

from modules.core.types import Role
from modules.exports import to_csv_bytes
from modules.pages import common, manager_common

common.require(Role.MANAGER)
st.title("Audit log")
store, actor, zone = common.store(), common.actor(), common.tz_name()
ANY = "(anyone)"

with common.plain_errors():
    broken = store.audit.verify_chain()
    names, actions = store.audit.choices(actor)
if broken is None:
    st.success("The log is intact: every entry links to the one before it.")
else:
    st.error(f"The log was changed outside the app: entry {broken}, or one just before it, was edited or removed.")

left, middle, right = st.columns(3)
who = left.selectbox("Who", [ANY] + names)
action = middle.selectbox("Action", [ANY] + actions, format_func=lambda a: "(any action)" if a == ANY else a)
first, last = manager_common.picked_dates(right.date_input("Between", value=[], format="DD/MM/YYYY"))
since, until = manager_common.utc_bounds(first, last)
limit = 2000

with common.plain_errors():
    entries = store.audit.rows(actor, who=None if who == ANY else who, action=None if action == ANY else action,
                               since=since, until=until, limit=limit)
frame = pd.DataFrame(
    {"Entry": [e.id for e in entries], "When": [common.local_time(e.at, "%Y-%m-%d %H:%M:%S") for e in entries],
     "Who": [e.actor_username for e in entries], "Action": [e.action for e in entries],
     "Target": [e.target for e in entries], "Detail": [e.detail for e in entries]},
    columns=["Entry", "When", "Who", "Action", "Target", "Detail"])
note = f" (the newest {limit}; narrow the filters to see older ones)" if len(entries) == limit else ""
st.caption(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, newest first{note}. Times in {zone}.")
st.dataframe(frame, hide_index=True, width="stretch")

filters = {"who": who, "action": action, "from": str(first or ""), "to": str(last or "")}


def audit_csv() -> bytes:
    full = store.audit.rows(actor, who=None if who == ANY else who, action=None if action == ANY else action,
                            since=since, until=until, limit=None)
    data = to_csv_bytes(pd.DataFrame(
        {"entry": [e.id for e in full], "at_utc": [e.at.isoformat() for e in full],
         "who": [e.actor_username for e in full], "action": [e.action for e in full],
         "target": [e.target for e in full], "detail": [e.detail for e in full],
         "hash": [e.hash for e in full]}, columns=["entry", "at_utc", "who", "action", "target", "detail", "hash"]))
    store.audit.record(actor, "export", "audit:csv", {"rows": len(full), "filters": filters})
    return data


st.download_button("Export as CSV", data=audit_csv, file_name="audit-log.csv", mime="text/csv")
