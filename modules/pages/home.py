"""Home: the modules in order with their objectives and a clear way in."""

import streamlit as st

from modules.pages import common

user = common.require()
bank_set = common.banks()

st.title("Microdermabrasion training")
st.write(f"Welcome, {common.plain(user.full_name)}. Work through the modules in order: read the lesson, practise until "
         "the answers feel easy, then take the graded quiz.")
if user.role.value == "technician":
    due = common.due_review_count(user)
    if due:
        st.info(f"**{due} question(s) due for review today.** A few minutes now keeps them fresh.")
        st.page_link("modules/pages/review.py", label="Start review", icon="🔁")
if bank_set.problems and user.role.value != "technician":
    st.warning(f"{len(bank_set.problems)} problem(s) in the question banks keep some modules offline. "
               "See Bank health.")
if not bank_set.modules:
    st.info("No modules are available yet.")
for module in bank_set.modules:
    with st.container(border=True):
        st.subheader(f"{module.order}. {module.title}")
        st.markdown("\n".join(f"- {objective}" for objective in module.objectives))
        left, right = st.columns(2)
        if left.button("Read the lesson", key=f"learn-{module.id}"):
            st.session_state["learn_module"] = module.id
            st.switch_page("modules/pages/learn.py")
        if right.button("Practise", key=f"practise-{module.id}"):
            st.session_state["practice_module"] = module.id
            st.switch_page("modules/pages/practice.py")
