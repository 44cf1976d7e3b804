"""Helpers shared by the manager's pages: one-shot messages that survive a rerun, and local date ranges."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from modules.core import timezones
from modules.pages import common

# No leading underscore: sign-out clears these, so a one-time password never outlives the session.
FLASH_KEY = "manager_flash"


def flash(kind: str, message: str, code: str | None = None, table=None) -> None:
    """Show `message` once, on the next run (after st.rerun has refreshed the data on screen)."""
    st.session_state[FLASH_KEY] = (kind, message, code, table)


def show_flash() -> None:
    kind, message, code, table = st.session_state.pop(FLASH_KEY, (None, None, None, None))
    if kind is None:
        return
    getattr(st, kind)(message)
    if code:
        st.code(code, language=None)
    if table is not None:
        st.dataframe(table, hide_index=True, width="stretch")


def picked_dates(value) -> tuple[date | None, date | None]:
    """st.date_input's range value (empty, one day or two) as (from, to)."""
    days = list(value) if isinstance(value, (tuple, list)) else ([value] if value else [])
    if not days:
        return None, None
    return days[0], days[-1] if len(days) > 1 else days[0]


def utc_bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """Clinic-local calendar days [first, last] as a UTC half-open interval for queries."""
    return timezones.day_bounds_utc(first, last, common.tz_name())
