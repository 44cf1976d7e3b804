"""Bank health: what is wrong in the question banks, how the questions spread, and which nobody has met yet."""

import streamlit as st

from modules import bank_health, gift, reliability, team
from modules.core.errors import ImportRejected
from modules.core.types import Role
from modules.pages import common


def gift_preview() -> None:
    """What a Moodle GIFT file would give, before anything is written: nothing here touches the banks."""
    st.subheader("Import from Moodle (GIFT): preview")
    st.caption("Upload a GIFT file (Moodle's question bank export) to see the questions it would give, the ones "
               "that cannot be mapped and why, and the module YAML. Nothing is written: download the YAML, complete "
               "what it marks TODO, add it to the question banks and run the bank check.")
    upload = st.file_uploader("GIFT file", type=["txt", "gift"])
    if upload is None:
        return
    module_id = st.text_input("Module id for the new file", value=gift.suggested_module_id(upload.name))
    with common.plain_errors():
        try:
            imported = gift.import_gift(upload.name, upload.getvalue(), module_id.strip(),
                                        frozenset(bank_set.questions))
        except ImportRejected as rejected:
            st.error(common.plain(str(rejected)))
            st.markdown("\n".join(f"- {common.plain(problem)}" for problem in rejected.problems))  # file's lines
            return
    module = imported.module
    count = len(module.questions) if module is not None else 0
    st.info(f"{count} question(s) would be imported; {len(imported.skipped)} skipped.")
    if module is not None and module.questions:
        st.dataframe(gift.preview_rows(module), hide_index=True)
    if imported.notes:
        st.dataframe([{"Line": n.line, "What": n.kind, "Why": n.message} for n in imported.notes], hide_index=True)
    if module is None:
        st.error("This YAML would not pass the bank check, so it cannot be added as it is:")
        st.markdown("\n".join(f"- line {p.line}: {common.plain(p.message)}" for p in imported.problems))
        return
    st.code(imported.yaml, language="yaml")
    st.download_button("Download the YAML", data=lambda: imported.yaml.encode("utf-8"),
                       file_name=f"{module.id}.yaml", on_click="ignore", mime="application/x-yaml")


common.require(Role.TRAINER, Role.MANAGER)
bank_set = common.banks()
policy, policy_problems = common.policy()
st.title("Bank health")

st.subheader("Validation problems")
problems = team.problems_table([*bank_set.problems, *policy_problems])
if problems.empty:
    st.success("Every bank and the certification policy load without problems.")
else:
    st.error(f"{len(problems)} problem(s). A module file with problems is left out until it is fixed; "
             "an invalid policy file falls back to the default rules.")
    st.dataframe(problems, hide_index=True)

st.subheader("Questions per module")
if not bank_set.modules:
    st.info("No module loads right now.")
    gift_preview()
    st.stop()
st.caption(f"{len(bank_set.modules)} module(s), {len(bank_set.questions)} question(s).")
by_type, by_difficulty, by_pool = st.tabs(["By type", "By difficulty", "By pool"])
by_type.dataframe(team.question_counts(bank_set, "type"), hide_index=True)
by_difficulty.dataframe(team.question_counts(bank_set, "difficulty"), hide_index=True)
by_pool.dataframe(team.question_counts(bank_set, "pool"), hide_index=True)

st.subheader("Pools and the exam blueprint")
st.caption("Practice, review and module quizzes draw only from the practice pool; the exam draws only from the exam "
           "pool, as the blueprint says. A test-wise guesser (longest option, 'true', the refer-type option) should "
           "score under 50% on every pool.")
st.dataframe(bank_health.pool_table(bank_set, policy), hide_index=True)

st.subheader("How far a pass can be trusted")
for decision in reliability.decisions(policy, [m.id for m in bank_set.modules]):
    (st.success if decision.meets_rule else st.warning)(decision.sentence())

st.subheader("Exam items drawn")
with common.plain_errors():
    drawn = common.store().reports.exam_draw_counts()
st.caption("How many exam sittings have drawn each exam item. An item drawn far more than others is worth "
           "replacing before it becomes known.")
st.dataframe(bank_health.exam_exposure(bank_set, drawn), hide_index=True)

st.subheader("Cue warnings")
warnings = bank_health.lint_table(bank_set, common.banks_dir())
if warnings.empty:
    st.success("No cue a test-wise guesser could use was found.")
else:
    st.caption(f"{len(warnings)} warning(s); they never stop a bank loading, but each is worth a look.")
    st.dataframe(warnings, hide_index=True)

st.subheader("Never answered yet")
with common.plain_errors():
    answered = common.store().reports.answered_question_ids()
never = team.never_answered(bank_set, answered)
if never.empty:
    st.success("Every question has been answered at least once.")
else:
    st.caption(f"{len(never)} question(s) nobody has answered in practice, a quiz, review or the exam: "
               "item figures for them will appear once they have been.")
    st.dataframe(never, hide_index=True)

gift_preview()
