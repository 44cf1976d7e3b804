"""Learn: one module's lesson, with its diagrams. Feedback links here as `learn?module=ID#section`."""

import streamlit as st

from modules.core.types import Role
from modules.pages import common

user = common.require()
# A lesson link names its module: choose it once, then the select box is the person's again.
linked = st.query_params.get("module")
if linked and st.session_state.get("learn_link_followed") != linked:
    st.session_state["learn_module"] = st.session_state["learn_link_followed"] = linked
module = common.choose_module(common.banks(), remember="learn_module")

st.title(module.title)
common.render_lesson(module.lesson)
st.divider()
# Record the first reading once: a rerun of this page must not append another row each time.
read = st.session_state.setdefault("lessons_marked", set())
if user.role is Role.TECHNICIAN and module.id not in read:
    with common.plain_errors():
        if module.id not in common.store().lessons.read_by(user.id):
            common.store().lessons.mark_read(user.id, module.id)
    read.add(module.id)
if st.button("Practise this module", type="primary"):
    st.session_state["practice_module"] = module.id
    st.switch_page("modules/pages/practice.py")
