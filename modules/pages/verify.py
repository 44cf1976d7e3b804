"""Public certificate check: no sign-in. Shows status, holder's name, certificate title and dates; nothing else."""

import streamlit as st

from modules.certificates import display_date
from modules.pages import common
from modules.register import verify_code

st.title("Verify a certificate")
st.write("Type the code printed on the certificate, or scan its QR code.")
code = st.text_input("Certificate code", value=str(st.query_params.get("code", "")),
                     placeholder="XXXX-XXXX-XXXX-XXXX", max_chars=64)

if code.strip():
    with common.plain_errors():
        record = verify_code(common.store(), code, common.clock())
    if record is None:
        st.error("No certificate matches this code. Check that it was typed exactly as printed.")
        st.stop()
    if record.verdict == "valid":
        st.success("Valid: this certificate is genuine and current.")
    elif record.verdict == "expired":
        st.warning("Expired: this certificate is genuine but no longer current.")
    else:
        st.error("Revoked: this certificate was withdrawn by the clinic and is not valid.")
    zone = common.tz_name()
    st.markdown(f"**Holder:** {common.plain(record.holder_name)}  \n**Certificate:** {common.plain(record.title)}  \n"
                f"**Code:** {common.plain(record.code)}  \n**Issued:** {display_date(record.issued_at, zone)}  \n"
                f"**Valid until:** {display_date(record.expires_at, zone)}")
