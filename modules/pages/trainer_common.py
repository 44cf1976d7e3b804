"""Helpers shared by the trainer pages: choosing a technician, and the cached item analysis.

The cache is shared by every session, which is fine here: only trainers and managers reach these pages and
the figures are about questions, not one person. It is keyed by the database URL and the count and latest id
of finished attempts, so a newly finished attempt gives a fresh analysis on the next view.
"""

from __future__ import annotations

import streamlit as st

from modules import settings, team
from modules.core.types import AttemptKind, Role
from modules.pages import common

CHOSEN = "trainer_technician"


def choose_technician(label: str = "Technician"):
    """A select box of technicians (remembered across the trainer pages); stops the page if there are none."""
    with common.plain_errors():
        people = common.store().accounts.list_users(Role.TECHNICIAN)
    if not people:
        st.info("No technicians yet. A manager adds them on the Accounts page.")
        st.stop()
    ids = [p.id for p in people]
    by_id = {p.id: p for p in people}
    remembered = st.session_state.get(CHOSEN)
    chosen = st.selectbox(label, ids, index=ids.index(remembered) if remembered in ids else 0,
                          format_func=lambda i: f"{by_id[i].full_name} ({by_id[i].location or 'no location'})"
                          + ("" if by_id[i].active else " — inactive account"))
    st.session_state[CHOSEN] = chosen
    return by_id[chosen]


@st.cache_data(show_spinner="Computing the item analysis…", max_entries=64)
def _item_analysis(db_url: str, version: tuple[int, int], kind: str, module_id: str | None, first_only: bool,
                   prompts: tuple[tuple[str, str], ...]) -> team.ItemAnalysis:
    return team.load_item_analysis(common.store(), AttemptKind(kind), module_id, first_only, dict(prompts))


def item_analysis(kind: AttemptKind, module_id: str | None, first_only: bool) -> team.ItemAnalysis:
    with common.plain_errors():
        version = common.store().reports.results_version()
        prompts = tuple(sorted((q.id, q.prompt) for q in common.banks().questions.values()))
        return _item_analysis(settings.get("TRAINING_DB_URL"), version, AttemptKind(kind).value, module_id,
                              first_only, prompts)
