"""My progress: each module, exam attempts, and the current certificate with its PDF."""

import streamlit as st

from modules import clinic, team
from modules.certificates import STATUS_LABELS, certificate_filename, certificate_pdf, verify_url
from modules.core.records import Certificate
from modules.core.types import CertificateStatus, Role
from modules.pages import common
from modules.progress import progress_for

user = common.require(Role.TECHNICIAN)
st.title("My progress")
with common.plain_errors():
    progress = progress_for(common.store(), user, common.banks(), common.clock())
    due = common.due_review_count(user)

if due:
    st.info(f"{due} question(s) due for review today.")
rows = [{"Module": m.title, "Lesson read": "✓" if m.lesson_read else "", "Practice answered": m.practice_answered,
         "Best graded score": "—" if m.best_score is None else f"{m.best_score:.0%}",
         "Graded attempts": m.graded_attempts, "Passed": "✓" if m.passed else ""} for m in progress.modules]
st.dataframe(rows, hide_index=True, width="stretch")

st.subheader("Supervised practicals")
policy, _ = common.policy()
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


def pdf_of(certificate: Certificate):
    store = common.store()
    return lambda: certificate_pdf(certificate, clinic.clinic_name(store),
                                   verify_url(clinic.public_address(store), certificate.code), common.tz_name(),
                                   anchor=store.audit.head())


if view is not None:
    st.write(f"Code **{view.code}** · issued {common.local_time(view.issued_at, '%d %b %Y')} · "
             f"expires {common.local_time(view.expires_at, '%d %b %Y')}")
    st.download_button(
        "Download my certificate (PDF)",
        data=pdf_of(view),
        file_name=certificate_filename(view), mime="application/pdf")
    if progress.status is CertificateStatus.EXPIRING:
        st.warning("Your certificate expires soon: take the exam again to recertify.")
