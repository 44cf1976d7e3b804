"""Audit log: every recorded event in words, filtered by who, action, refused actions and date, with a CSV export
and a chain check."""

import pandas as pd
import streamlit as st

from modules import audit_words
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
    people = store.accounts.list_users()  # deactivated ones too: the log keeps naming them
accounts = audit_words.account_names(people)
by_username = {person.username: accounts[person.id] for person in people}
if broken is None:
    st.success("The log is intact: every entry links to the one before it.")
else:
    st.error(f"The log was changed outside the app: entry {broken}, or one just before it, was edited or removed.")

left, middle, right = st.columns(3)
who = left.selectbox("Who", [ANY] + names, format_func=lambda name: by_username.get(name, name))
action = middle.selectbox("Action", [ANY] + actions,
                          format_func=lambda a: "(any action)" if a == ANY else audit_words.action_label(a))
first, last = manager_common.picked_dates(right.date_input("Between", value=[], format="DD/MM/YYYY"))
refused_only = st.checkbox("Refused actions only",
                           help="Sign-ins refused, imports rejected, sign-offs with a wrong signing password, and "
                                "changes refused because they would leave no active manager.")
since, until = manager_common.utc_bounds(first, last)
limit = 2000


def matching(most: int | None):
    return store.audit.rows(actor, who=None if who == ANY else who, action=None if action == ANY else action,
                            since=since, until=until, limit=most,
                            actions=audit_words.REFUSED_ACTIONS if refused_only else None)


with common.plain_errors():
    entries = matching(limit)
    holders = store.certificates.holders(actor, audit_words.certificate_codes(entries))
lines = [audit_words.in_words(e, accounts, zone, holders) for e in entries]
frame = pd.DataFrame(
    {"Entry": [e.id for e in entries], "When": [common.local_time(e.at, "%Y-%m-%d %H:%M:%S") for e in entries],
     "Who": [line.who for line in lines], "Action": [line.action for line in lines],
     "About": [line.about for line in lines], "What happened": [line.sentence for line in lines]},
    columns=["Entry", "When", "Who", "Action", "About", "What happened"])
note = f" (the newest {limit}; narrow the filters to see older ones)" if len(entries) == limit else ""
only = " (refused actions only)" if refused_only else ""
st.caption(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}{only}, newest first{note}. Times in {zone}.")
st.dataframe(frame, hide_index=True, width="stretch")

filters = {"who": who, "action": action, "from": str(first or ""), "to": str(last or ""),
           "refused only": refused_only}


def audit_csv() -> bytes:
    full = matching(None)
    every_holder = store.certificates.holders(actor, audit_words.certificate_codes(full))
    words = [audit_words.in_words(e, accounts, zone, every_holder) for e in full]
    data = to_csv_bytes(pd.DataFrame(
        {"entry": [e.id for e in full], "at_utc": [e.at.isoformat() for e in full],
         "who": [e.actor_username for e in full], "action": [e.action for e in full],
         "target": [e.target for e in full], "detail": [e.detail for e in full],
         "in_words": [f"{line.who}: {line.sentence}" for line in words], "hash": [e.hash for e in full]},
        columns=["entry", "at_utc", "who", "action", "target", "detail", "in_words", "hash"]))
    store.audit.record(actor, "export", "audit:csv", {"rows": len(full), "filters": filters})
    return data


st.download_button("Export as CSV", data=audit_csv, file_name="audit-log.csv", on_click="ignore", mime="text/csv")
