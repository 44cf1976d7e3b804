"""Expiring certificates: who holds a current certificate ending within each of the policy's reminder windows,
whether their reminder has gone out, and whether e-mail reminders are on at all."""

import streamlit as st

from modules import reminders
from modules.core.types import Role
from modules.pages import common

common.require(Role.MANAGER)
st.title("Expiring certificates")
store, actor, now, zone = common.store(), common.actor(), common.clock(), common.tz_name()
policy, _ = common.policy()
windows = reminders.windows(policy.reminder_days)
with common.plain_errors():
    found = reminders.expiring_for(store, actor, now, windows)
    sent = reminders.sent_reminders(store, actor)
    config = reminders.smtp_config()

if config is None:
    st.info(reminders.NOT_CONFIGURED)
else:
    st.caption(common.plain(f"Reminders go by e-mail to {config.manager_address} when the scheduled command "
                            "python -m modules send-reminders runs, once per certificate and window."))
st.caption(reminders.NO_TECHNICIAN_ADDRESSES)

for window in windows:
    group = [entry for entry in found if entry.window_days == window]
    st.subheader(f"Within {window} days ({len(group)})")
    if group:
        st.dataframe(reminders.expiring_frame(group, now, zone, sent), hide_index=True, width="stretch")
    else:
        st.caption(f"No current certificate ends within {window} days.")
