"""Home: for a technician, where they stand and the next step; for everyone, the modules in order."""

import streamlit as st

from modules.core.types import Role
from modules.pages import common
from modules.workspace import Destination, Stage, workspace_for

ALERT = {Stage.EXPIRED: st.error, Stage.REVOKED: st.error, Stage.EXPIRING: st.warning, Stage.CERTIFIED: st.success,
         Stage.READY_FOR_EXAM: st.success}

user = common.require()
bank_set = common.banks()

st.title("Microdermabrasion training")
st.write(f"Welcome, {common.plain(user.full_name)}.")
if user.role is Role.TECHNICIAN:
    policy, _ = common.policy()
    with common.plain_errors():
        workspace = workspace_for(common.store(), user, bank_set, policy, common.clock(), common.tz_name(),
                                  common.due_review_count(user))
    ALERT.get(workspace.stage, st.info)(f"**{workspace.headline}.** {workspace.advice}")
    step = workspace.next_step
    common.next_step_button(step)
    if workspace.reviews_due and (step is None or step.destination is not Destination.REVIEW):
        st.info(f"**{workspace.reviews_due} question(s) due for review today.** A few minutes now keeps them fresh.")
        st.page_link("modules/pages/review.py", label="Start review", icon="🔁")
    if workspace.certificate is not None:
        st.page_link("modules/pages/my_progress.py", label="My progress and certificate", icon="📄")
    if workspace.modules:
        total = len(workspace.modules)
        st.progress(workspace.quizzes_passed / total,
                    text=f"{workspace.quizzes_passed} of {total} module quizzes passed")
        st.dataframe([{"Module": f"{m.order}. {m.title}", "Lesson": "Read" if m.lesson_read else "Not read yet",
                       "Quiz": "Passed" if m.passed else "Not passed yet"} for m in workspace.modules],
                     hide_index=True, width="stretch")
else:
    st.write("Work through the modules in order: read the lesson, practise until the answers feel easy, then take "
             "the graded quiz.")
    if bank_set.problems:
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
