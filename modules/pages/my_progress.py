"""My progress: each module, exam attempts, and the current certificate with its PDF."""

import streamlit as st

from modules import clinic, credentials, team
from modules.certificates import STATUS_LABELS, certificate_filename, certificate_pdf, verify_url
from modules.core.records import Certificate
from modules.core.types import CertificateStatus, Role
from modules.pages import common
from modules.workspace import Stage, workspace_for

user = common.require(Role.TECHNICIAN)
st.title("My progress")
policy, _ = common.policy()
with common.plain_errors():
    due = common.due_review_count(user)
    workspace = workspace_for(common.store(), user, common.banks(), policy, common.clock(), common.tz_name(), due)
progress = workspace.progress

if due:
    st.info(f"{due} question(s) due for review today.")
rows = [{"Module": m.title, "Lesson read": "Yes" if m.lesson_read else "Not yet",
         "Practice answered": m.practice_answered,
         "Best graded score": "—" if m.best_score is None else f"{m.best_score:.0%}",
         "Graded attempts": m.graded_attempts, "Passed": "Yes" if m.passed else "Not yet"} for m in progress.modules]
st.dataframe(rows, hide_index=True, width="stretch")

st.subheader("Supervised practicals")
with common.plain_errors():
    practicals = common.store().signoffs.for_user(user.id)
    trainers: dict[int, str] = {u.id: u.full_name for u in common.store().accounts.list_users()}
competent = team.competent_count(practicals)
if policy.signoffs_required:
    st.write(f"{competent} of {policy.signoffs_required} practical treatments signed off as competent "
             "(needed before the exam).")
if practicals:
    records = team.signoff_history(practicals, trainers).drop(columns=["Signed at"])
    records["Treated on"] = records["Treated on"].map(lambda d: d.strftime("%d %b %Y"))
    st.dataframe(records, hide_index=True)

st.subheader("Certification exam")
if not progress.exams:
    st.write("No exam attempts yet.")
for exam in progress.exams:
    if exam.result is None:
        st.write(f"Started {common.local_time(exam.started_at)}: in progress.")
    else:
        verdict = "passed" if exam.result.passed else "not passed"
        st.write(f"{common.local_time(exam.started_at)}: {exam.result.score:.0%}, {verdict}.")

st.subheader("Certificate")
st.markdown(f"**Status:** {STATUS_LABELS[progress.status].capitalize()}")
view = progress.certificate
# Anyone not comfortably certified is told what comes next, with the way there.
if workspace.stage is not Stage.CERTIFIED:
    st.info(f"**{workspace.headline}.** {workspace.advice}")
    if workspace.still_required and workspace.next_step is not None:  # otherwise the advice lists them
        st.markdown("**Still required before the exam:**\n" + "\n".join(f"- {m}" for m in workspace.still_required))
    step = workspace.next_step
    common.next_step_button(step)


def pdf_of(certificate: Certificate):
    store = common.store()
    return lambda: certificate_pdf(certificate, clinic.clinic_name(store),
                                   verify_url(clinic.public_address(store), certificate.code), common.tz_name(),
                                   anchor=store.audit.head())


def credential_of(certificate: Certificate):
    store = common.store()
    return lambda: credentials.issue(certificate, clinic.clinic_name(store), clinic.public_address(store)).encode()


# An old certificate stays downloadable (the record is the person's), but says plainly that it no longer counts.
LAPSED = {CertificateStatus.EXPIRED: "expired", CertificateStatus.REVOKED: "revoked"}
if view is not None:
    lapsed = LAPSED.get(progress.status)
    ends = "expired" if progress.status is CertificateStatus.EXPIRED else "expires"
    heading = "Certificate" if lapsed is None else f"Certificate ({lapsed}, no longer valid)"
    st.write(f"{heading}: code **{view.code}** · issued {common.local_time(view.issued_at, '%d %b %Y')} · "
             f"{ends} {common.local_time(view.expires_at, '%d %b %Y')}")
    # Every download is made on the click and needs no rerun (on_click="ignore"): a rerun racing the file's request
    # could leave the button spinning with no file (seen in CI on a busy machine).
    st.download_button(
        "Download my certificate (PDF)" if lapsed is None else f"Download my {lapsed} certificate (PDF)",
        data=pdf_of(view),
        file_name=certificate_filename(view), on_click="ignore", mime="application/pdf")
    if lapsed is None:  # a lapsed certificate's credential would only say so: the PDF keeps the record
        st.download_button(
            "Download my digital credential (Open Badges 3.0)", data=credential_of(view),
            file_name=certificate_filename(view).removesuffix(".pdf") + ".jwt", on_click="ignore",
            mime=credentials.MEDIA_TYPE)
        st.caption("A .jwt file holding your certificate as an Open Badges 3.0 credential, signed by the clinic: add "
                   "it to a digital wallet or send it to an employer, who can check it against the clinic's "
                   "published key.")
