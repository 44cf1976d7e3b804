"""Helpers shared by the trainer pages: choosing a technician, the cached item analysis and the team's cached graded
results.

The caches are shared by every session, which is fine here: only trainers and managers reach these pages (each
page checks the role on every run before it asks), the item analysis is about questions, not one person, and every
trainer and manager sees the whole team. Both are keyed by the database URL and the count and latest id of finished
attempts, so a newly finished attempt gives fresh figures on the next view.
"""

from __future__ import annotations

import streamlit as st

from modules import settings, team, team_progress
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


@st.cache_data(show_spinner=False, max_entries=4)
def _graded(db_url: str, version: tuple[int, int]) -> team_progress.Graded:
    return team_progress.graded(common.store())


def graded_results() -> team_progress.Graded:
    """Every technician's best quiz scores and exam results, read again only once an attempt has been finished."""
    with common.plain_errors():
        return _graded(settings.get("TRAINING_DB_URL"), common.store().reports.results_version())
