"""Certification register: who is certified, expiring or lapsed, filtered to fit a laptop; one person's certificate
history; exports, bulk certificates and revocation (confirmed first); the clinic's name and public address printed
on certificates."""

import streamlit as st

from modules import clinic, register
from modules.certificates import STATUS_LABELS
from modules.core.types import CertificateStatus, Role
from modules.pages import common, manager_common

# The history's person picker lists the people shown; past this many it asks for narrower filters instead, since
# every option travels to the browser on every run.
HISTORY_PICK_MAX = 2_000
# The columns on screen; the rest ("Show every column") and the files hold everything.
COMPACT_COLUMNS = ["Name", "Location", "Role", "Certificate code", "Issued", "Expires", "Status", "Exam score (%)",
                   "Revoked on", "Revoked by", "Revocation reason"]
REVOKE_PENDING_KEY = "revoke_pending"  # (certificate id, reason) awaiting Confirm or Cancel
REVOKE_FORM_KEY = "revoke_form"  # bumped after a revocation, so the form's widgets start empty

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
st.caption("Not certified counts technicians only: trainers and managers need no certificate.")

with st.expander("Filters", expanded=True):
    name_contains = st.text_input("Name or username contains")
    first, second, third = st.columns(3)
    locations = sorted({row.location or "" for row in rows})
    chosen_locations = first.multiselect("Location", locations, format_func=lambda place: place or "(no location)")
    chosen_roles = second.multiselect("Role", list(Role), format_func=lambda role: role.value.capitalize())
    chosen_statuses = third.multiselect("Status", list(CertificateStatus),
                                        format_func=lambda status: STATUS_LABELS[status])
    left, right = st.columns(2)
    date_field = left.radio("Date range applies to", ["expires", "issued"], horizontal=True,
                            format_func=lambda field: "Expiry date" if field == "expires" else "Issue date")
    date_from, date_to = manager_common.picked_dates(right.date_input("Between", value=[], format="DD/MM/YYYY"))
    include_inactive = st.checkbox("Include deactivated accounts", value=True)

wanted = register.RegisterFilter(
    locations=frozenset(chosen_locations), statuses=frozenset(chosen_statuses), date_field=date_field,
    date_from=date_from, date_to=date_to, include_inactive=include_inactive, roles=frozenset(chosen_roles),
    name_contains=name_contains)
shown = register.filter_rows(rows, wanted, zone)
every_column = st.toggle("Show every column")
st.caption(f"{len(shown)} of {len(rows)} staff shown.")
st.dataframe(register.register_table(shown, zone), hide_index=True, width="stretch", placeholder="",
             column_order=None if every_column else COMPACT_COLUMNS)

st.subheader("One person's certificates")
if len(shown) > HISTORY_PICK_MAX:
    st.caption(f"Narrow the filters above to at most {HISTORY_PICK_MAX:,} people to choose one person.")
else:
    people = {row.user_id: row for row in shown}
    person = st.selectbox("Person", list(people), index=0 if len(people) == 1 else None,
                          placeholder="Choose a person",
                          format_func=lambda uid: f"{people[uid].full_name} ({people[uid].username})")
    if person is not None:
        with common.plain_errors():
            history = register.certificate_history(store, actor, person, now, zone)
        if history.empty:
            st.caption(common.plain(f"{people[person].full_name} has never held a certificate."))
        else:
            st.dataframe(history, hide_index=True, width="stretch", placeholder="")

st.subheader("Export")
filters = {"locations": sorted(chosen_locations), "statuses": sorted(s.value for s in chosen_statuses),
           "roles": sorted(r.value for r in chosen_roles), "name_contains": name_contains.strip(),
           "date_field": date_field, "from": str(date_from or ""), "to": str(date_to or "")}
stamp = now.strftime("%Y-%m-%d")
mimes = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def register_file(fmt: str):
    return lambda: register.export_register(store, actor, fmt, shown, zone, filters)


def attempts_file(fmt: str):
    return lambda: register.export(store, actor, "attempts", fmt, register.attempts_frame(store, actor), zone)


columns = st.columns(4)
columns[0].download_button("Register (CSV)", data=register_file("csv"), file_name=f"register-{stamp}.csv",
                           on_click="ignore", mime=mimes["csv"])
columns[1].download_button("Register (Excel)", data=register_file("xlsx"), file_name=f"register-{stamp}.xlsx",
                           on_click="ignore", mime=mimes["xlsx"])
columns[2].download_button("All attempts (CSV)", data=attempts_file("csv"), file_name=f"attempts-{stamp}.csv",
                           on_click="ignore", mime=mimes["csv"])
columns[3].download_button("All attempts (Excel)", data=attempts_file("xlsx"), file_name=f"attempts-{stamp}.xlsx",
                           on_click="ignore", mime=mimes["xlsx"])

st.subheader("Certificates (PDF)")
current = {view.code: view for view in register.current_views(shown, now)}
picked = st.multiselect("Current certificates to include", list(current), default=list(current),
                        format_func=lambda code: f"{code} — {current[code].holder_name}")
selected = [current[code] for code in picked]
st.download_button(
    f"Download {len(selected)} certificate(s) as one ZIP", disabled=not selected, file_name=f"certificates-{stamp}.zip",
    on_click="ignore", mime="application/zip",
    data=lambda: register.certificates_zip_export(store, actor, selected, clinic_name, address, zone))

st.subheader("Revoke a certificate")
revocable = {row.deciding.id: (row.deciding.code, row.full_name) for row in rows  # id -> (code, holder)
             if row.deciding is not None and row.status is not CertificateStatus.REVOKED}
generation = st.session_state.setdefault(REVOKE_FORM_KEY, 0)
with st.form("revoke"):  # not cleared on submit: after a refusal the chosen certificate stays chosen
    target = st.selectbox("Certificate", list(revocable), index=None, placeholder="Choose a certificate",
                          format_func=lambda cid: f"{revocable[cid][0]} — {revocable[cid][1]}",
                          key=f"revoke_target_{generation}")
    reason = st.text_input("Reason for revoking", key=f"revoke_reason_{generation}")
    revoke = st.form_submit_button("Revoke certificate", type="primary")
if revoke:
    st.session_state.pop(REVOKE_PENDING_KEY, None)
    if target is None:
        st.error("Choose the certificate to revoke.")
    elif not reason.strip():
        st.error("Give the reason for revoking: it is kept with the record and shown in the register.")
    else:
        st.session_state[REVOKE_PENDING_KEY] = (target, reason.strip())
pending = st.session_state.get(REVOKE_PENDING_KEY)
if pending is not None and pending[0] not in revocable:  # revoked meanwhile, perhaps in another tab
    st.session_state.pop(REVOKE_PENDING_KEY, None)
    pending = None
if pending is not None:
    certificate_id, why = pending
    code, holder = revocable[certificate_id]
    with st.container(border=True):
        st.warning(common.plain(register.revocation_question(holder, code, why)))
        confirm_column, cancel_column = st.columns(2)
        if confirm_column.button("Confirm: revoke it", type="primary"):
            st.session_state.pop(REVOKE_PENDING_KEY, None)
            with common.plain_errors():
                store.certificates.revoke(certificate_id, actor, why)
            st.session_state[REVOKE_FORM_KEY] = generation + 1
            manager_common.flash("success", f"Certificate {code} is revoked.")
            st.rerun()
        if cancel_column.button("Cancel"):
            st.session_state.pop(REVOKE_PENDING_KEY, None)
            manager_common.flash("info", "Nothing was revoked.")
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
