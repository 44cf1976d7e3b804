"""Learn: one module's lesson, with its diagrams."""

import streamlit as st

from modules.core.types import Role
from modules.pages import common

user = common.require()
bank_set = common.banks()
if not bank_set.modules:
    st.info("No modules are available yet.")
    st.stop()

ids = [m.id for m in bank_set.modules]
chosen = st.session_state.get("learn_module")
module_id = st.selectbox("Module", ids, index=ids.index(chosen) if chosen in ids else 0,
                         format_func=lambda i: f"{bank_set.module(i).order}. {bank_set.module(i).title}")
st.session_state["learn_module"] = module_id
module = bank_set.module(module_id)

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
