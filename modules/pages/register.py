"""Certification register: who is certified, expiring or lapsed; exports, bulk certificates and revocation; the
clinic's name and public address printed on certificates."""

import streamlit as st

from modules import clinic, register
from modules.certificates import STATUS_LABELS
from modules.core.types import CertificateStatus, Role
from modules.pages import common, manager_common

common.require(Role.MANAGER)
st.title("Certification register")
manager_common.show_flash()
store, actor, now, zone = common.store(), common.actor(), common.clock(), common.tz_name()
with common.plain_errors():
    rows = register.register_rows(store, actor, now)
    clinic_name, address = clinic.clinic_name(store), clinic.public_address(store)
if warning := clinic.loopback_warning(address):
    st.warning(common.plain(warning))

counts = register.status_counts(rows)
for column, status in zip(st.columns(len(CertificateStatus)), CertificateStatus):
    column.metric(STATUS_LABELS[status].capitalize(), counts[status])

with st.expander("Filters", expanded=True):
    locations = sorted({row.location or "" for row in rows})
    chosen_locations = st.multiselect("Location", locations, format_func=lambda place: place or "(no location)")
    chosen_statuses = st.multiselect("Status", list(CertificateStatus),
                                     format_func=lambda status: STATUS_LABELS[status])
    left, right = st.columns(2)
    date_field = left.radio("Date range applies to", ["expires", "issued"], horizontal=True,
                            format_func=lambda field: "Expiry date" if field == "expires" else "Issue date")
    date_from, date_to = manager_common.picked_dates(right.date_input("Between", value=[], format="DD/MM/YYYY"))
    include_inactive = st.checkbox("Include deactivated accounts", value=True)

wanted = register.RegisterFilter(frozenset(chosen_locations), frozenset(chosen_statuses), date_field, date_from,
                                 date_to, include_inactive)
shown = register.filter_rows(rows, wanted, zone)
frame = register.register_frame(shown, zone)
st.caption(f"{len(shown)} of {len(rows)} staff shown.")
st.dataframe(frame, hide_index=True, width="stretch")

st.subheader("Export")
filters = {"locations": sorted(chosen_locations), "statuses": sorted(s.value for s in chosen_statuses),
           "date_field": date_field, "from": str(date_from or ""), "to": str(date_to or "")}
stamp = now.strftime("%Y-%m-%d")
mimes = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def register_file(fmt: str):
    return lambda: register.export_register(store, actor, fmt, shown, zone, filters)


def attempts_file(fmt: str):
    return lambda: register.export(store, actor, "attempts", fmt, register.attempts_frame(store, actor), zone)


columns = st.columns(4)
columns[0].download_button("Register (CSV)", data=register_file("csv"), file_name=f"register-{stamp}.csv",
                           mime=mimes["csv"])
columns[1].download_button("Register (Excel)", data=register_file("xlsx"), file_name=f"register-{stamp}.xlsx",
                           mime=mimes["xlsx"])
columns[2].download_button("All attempts (CSV)", data=attempts_file("csv"), file_name=f"attempts-{stamp}.csv",
                           mime=mimes["csv"])
columns[3].download_button("All attempts (Excel)", data=attempts_file("xlsx"), file_name=f"attempts-{stamp}.xlsx",
                           mime=mimes["xlsx"])

st.subheader("Certificates (PDF)")
current = {view.code: view for view in register.current_views(shown, now)}
picked = st.multiselect("Current certificates to include", list(current), default=list(current),
                        format_func=lambda code: f"{code} — {current[code].holder_name}")
selected = [current[code] for code in picked]
st.download_button(
    f"Download {len(selected)} certificate(s) as one ZIP", disabled=not selected, file_name=f"certificates-{stamp}.zip",
    mime="application/zip",
    data=lambda: register.certificates_zip_export(store, actor, selected, clinic_name, address, zone))

st.subheader("Revoke a certificate")
revocable = {row.deciding.id: (row.deciding.code, row.full_name) for row in rows  # id -> (code, holder)
             if row.deciding is not None and row.status is not CertificateStatus.REVOKED}
with st.form("revoke", clear_on_submit=True):
    target = st.selectbox("Certificate", list(revocable), index=None, placeholder="Choose a certificate",
                          format_func=lambda cid: f"{revocable[cid][0]} — {revocable[cid][1]}")
    reason = st.text_input("Reason for revoking")
    revoke = st.form_submit_button("Revoke certificate", type="primary")
if revoke:
    if target is None:
        st.error("Choose the certificate to revoke.")
    else:
        with common.plain_errors():
            store.certificates.revoke(target, actor, reason)
        manager_common.flash("success", f"Certificate {revocable[target][0]} is revoked.")
        st.rerun()

st.subheader("Clinic name and public address")
with st.form("clinic"):
    new_name = st.text_input("Clinic name", value=clinic_name, help="Printed on every certificate.")
    new_address = st.text_input("Public address", value=address,
                                help="The address people reach this app at, such as https://training.clinic.example: "
                                     "certificates' QR codes and links point to its verify page.")
    save = st.form_submit_button("Save clinic details")
if save:
    with common.plain_errors():
        changed = clinic.update(store, actor, new_name, new_address)
    manager_common.flash("success", "Clinic details saved." if changed else "Nothing changed.")
    st.rerun()
