"""Certificates as plain values: verification codes, expiry and status rules, the PDF and the ZIP of PDFs.

Nothing here touches the database: the store hands in `Certificate` records and a `now`, and gets back
statuses, bytes or codes; one certificate's own status is `Certificate.status`. Every datetime is
timezone-aware UTC; the clinic's zone is used only for display.
"""

from __future__ import annotations

import calendar
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote

import segno
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from modules.core.clock import require_utc
from modules.core.codes import CODE_ALPHABET, new_certificate_code, normalise_code
from modules.core.records import EXPIRING_WINDOW, Certificate, certificate_status
from modules.core.timezones import local_day
from modules.core.types import CertificateStatus

__all__ = [
    "CODE_ALPHABET", "EXPIRING_WINDOW", "STATUS_LABELS", "certificate_filename", "certificate_pdf",
    "certificate_status", "certificates_zip", "current_certificate", "current_status", "display_date", "expiry_for",
    "new_certificate_code", "normalise_code", "pdf_safe_text", "verify_url",
]

# How each status reads, lower case so it fits mid-sentence and in the register; capitalise to start a line.
STATUS_LABELS: dict[CertificateStatus, str] = {
    CertificateStatus.CERTIFIED: "certified",
    CertificateStatus.EXPIRING: f"expiring within {EXPIRING_WINDOW.days} days",
    CertificateStatus.EXPIRED: "expired",
    CertificateStatus.REVOKED: "revoked",
    CertificateStatus.NOT_CERTIFIED: "not certified",
}


def verify_url(base_url: str, code: str) -> str:
    """The public verify page for `code`, e.g. `https://clinic.example/verify/7KQ2-...`: a small HTML page served
    without Streamlit (modules.web), quick to open on any phone that scans the QR code."""
    return f"{base_url.rstrip('/')}/verify/{quote(code, safe='')}"


# --------------------------------------------------------------------------------------- expiry, status


def expiry_for(issued_at: datetime, validity_months: int) -> datetime:
    """`issued_at` plus whole calendar months; a day the target month lacks becomes its last day."""
    require_utc(issued_at)
    if isinstance(validity_months, bool) or not isinstance(validity_months, int) or validity_months < 1:
        raise ValueError(f"validity_months must be a positive whole number, got {validity_months!r}")
    months_since_year_zero = issued_at.month - 1 + validity_months
    year = issued_at.year + months_since_year_zero // 12
    month = months_since_year_zero % 12 + 1
    day = min(issued_at.day, calendar.monthrange(year, month)[1])
    return issued_at.replace(year=year, month=month, day=day)


def current_certificate(certs: Iterable[Certificate], now: datetime) -> Certificate | None:
    """The certificate that decides a person's status: the non-revoked one that runs longest,
    else (only revoked ones) the latest revoked one, else None."""
    require_utc(now)
    held = list(certs)
    live = [c for c in held if not c.revoked]
    if live:
        return max(live, key=lambda c: (c.expires_at, c.issued_at))
    if held:
        return max(held, key=lambda c: (c.issued_at, c.expires_at))
    return None


def current_status(certs: Iterable[Certificate], now: datetime) -> CertificateStatus:
    """A person's certification status from all their certificates (NOT_CERTIFIED if they have none)."""
    cert = current_certificate(certs, now)
    return CertificateStatus.NOT_CERTIFIED if cert is None else cert.status(now)


# ------------------------------------------------------------------------------------------------ PDF

_PDF_ENCODING = "cp1252"  # the widest single-byte set fpdf2's built-in fonts can show
# Letters with no decomposition to a base letter, so NFKD alone would lose them.
_NO_DECOMPOSITION = str.maketrans(
    {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŧ": "T", "ŧ": "t",
     "Ə": "E", "ə": "e", "ĸ": "k", "Ŋ": "N", "ŋ": "n", "‐": "-", "‑": "-", "‒": "-", "−": "-"}
)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")  # fixed English names: strftime %B follows the OS locale


def pdf_safe_text(text: str) -> str:
    """`text` reduced to what a built-in PDF font can draw, without ever raising.

    Characters the font has are kept (Zoë stays Zoë); accented letters outside it lose the accent
    (Łukasz -> Lukasz, Dvořák -> Dvorak); anything else (李) becomes '?'.
    """
    out: list[str] = []
    for ch in re.sub(r"\s", " ", str(text)).strip():  # tabs and newlines would break the line
        if _encodable(ch):
            out.append(ch)
            continue
        base = "".join(
            b for b in unicodedata.normalize("NFKD", ch.translate(_NO_DECOMPOSITION))
            if not unicodedata.combining(b)
        )
        out.append(base if base and _encodable(base) else "?")
    return "".join(out)


def _encodable(text: str) -> bool:
    try:
        text.encode(_PDF_ENCODING)
    except UnicodeEncodeError:
        return False
    return unicodedata.category(text[0]) != "Cc"


def display_date(moment: datetime, timezone_name: str = "UTC") -> str:
    """A UTC moment as the calendar date in the clinic's zone, e.g. '23 November 2026'."""
    day = local_day(moment, timezone_name)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def certificate_pdf(
    certificate: Certificate,
    clinic_name: str,
    verify_url: str,
    timezone_name: str = "UTC",
    compress: bool = True,
    anchor: str | None = None,
) -> bytes:
    """One landscape A4 certificate with a QR code of `verify_url`.

    `anchor` is the audit chain's head when the PDF was made (`id:hash`), printed small at the foot: a copy kept
    outside the app later proves what the records held (`audit-verify --anchor`).

    `compress=False` leaves page streams readable, so tests can find the text in the bytes.
    A revoked certificate is stamped REVOKED, so a printed copy never looks current.
    """
    issued = display_date(certificate.issued_at, timezone_name)
    expires = display_date(certificate.expires_at, timezone_name)
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.core_fonts_encoding = _PDF_ENCODING
    pdf.set_compression(compress)
    pdf.set_title(pdf_safe_text(f"Certificate {certificate.code}"))
    pdf.set_author(pdf_safe_text(clinic_name))
    pdf.set_auto_page_break(False)
    pdf.set_margins(25, 20, 25)
    pdf.add_page()

    pdf.set_draw_color(40, 70, 110)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, pdf.w - 22, pdf.h - 22)

    pdf.set_y(22)
    _centred(pdf, clinic_name, "B", 16, 9, colour=(40, 70, 110))
    pdf.ln(6)
    _centred(pdf, "CERTIFICATE", "B", 34, 15)
    pdf.ln(4)
    _centred(pdf, "This certifies that", "", 14, 9)
    _centred(pdf, certificate.holder_name, "B", 28, 14)
    _centred(pdf, "has successfully completed", "", 14, 9)
    _centred(pdf, certificate.title, "B", 20, 11)
    pdf.ln(6)
    _centred(pdf, f"Issued {issued}  |  Valid until {expires}", "", 13, 8)

    if certificate.revoked:
        pdf.ln(3)
        _centred(pdf, "REVOKED", "B", 30, 13, colour=(180, 20, 20))
        if certificate.revoked_reason:
            _centred(pdf, certificate.revoked_reason, "", 11, 6, colour=(180, 20, 20))

    qr_size = 38
    qr_x, qr_y = pdf.w - 25 - qr_size, pdf.h - 20 - qr_size
    pdf.image(_qr_png(verify_url), x=qr_x, y=qr_y, w=qr_size, h=qr_size)

    pdf.set_text_color(0, 0, 0)
    text_width = qr_x - pdf.l_margin - 5
    pdf.set_xy(pdf.l_margin, pdf.h - 20 - 22)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(text_width, 6, "Certificate code", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Courier", "B", 14)
    pdf.cell(text_width, 7, pdf_safe_text(certificate.code), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(text_width, 4.5, pdf_safe_text(f"Check it is genuine and current at {verify_url}"))
    if anchor:
        pdf.set_xy(pdf.l_margin, pdf.h - 15)
        pdf.set_font("Courier", "", 6)
        pdf.set_text_color(110, 110, 110)
        pdf.cell(pdf.w - pdf.l_margin - pdf.r_margin, 3, pdf_safe_text(f"Audit anchor {anchor}"))
    return bytes(pdf.output())


def _centred(pdf: FPDF, text: str, style: str, size: float, height: float,
             colour: tuple[int, int, int] = (0, 0, 0)) -> None:
    """One centred line, shrunk (down to 10 pt) rather than wrapped or clipped when it is long."""
    text = pdf_safe_text(text)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("Helvetica", style, size)
    while size > 10 and pdf.get_string_width(text) > width:
        size -= 1
        pdf.set_font("Helvetica", style, size)
    pdf.set_text_color(*colour)
    if pdf.get_string_width(text) > width:
        pdf.multi_cell(width, size * 0.45, text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.cell(width, height, text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _qr_png(data: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    return buffer


# ------------------------------------------------------------------------------------------------ ZIP


def certificate_filename(certificate: Certificate) -> str:
    """A file name safe on every OS: the code, then the holder's name as an ASCII slug."""
    code, holder = _slug(certificate.code, keep_case=True), _slug(certificate.holder_name)
    return f"{code or 'certificate'}-{holder or 'holder'}.pdf"


def _slug(text: str, keep_case: bool = False) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.translate(_NO_DECOMPOSITION))
    ascii_text = ascii_text.encode("ascii", "ignore").decode("ascii")
    ascii_text = ascii_text if keep_case else ascii_text.lower()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")[:80].rstrip("-")


def certificates_zip(items: Iterable[tuple[str, bytes]]) -> bytes:
    """One ZIP of PDFs from (file name, PDF bytes) pairs.

    Names are made safe (no folders, no '..', ASCII only, `.pdf`) and made unique with -2, -3, ...
    so no certificate silently overwrites another in the archive.
    """
    used: set[str] = set()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, data in items:
            base = re.split(r"[\\/]", name)[-1]
            stem = _slug(re.sub(r"\.pdf$", "", base, flags=re.IGNORECASE), keep_case=True) or "certificate"
            candidate, n = f"{stem}.pdf", 1
            while candidate.lower() in used:
                n += 1
                candidate = f"{stem}-{n}.pdf"
            used.add(candidate.lower())
            archive.writestr(candidate, data)
    return buffer.getvalue()
