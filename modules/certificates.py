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
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote

import segno
from fpdf import FPDF
from fpdf.enums import Align, RenderStyle, XPos, YPos

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
    spaced = re.sub(r"\s", " ", str(text)).strip()  # tabs and newlines would break the line
    if _all_drawable(spaced):  # most text, decided at once
        return spaced
    out: list[str] = []
    for ch in spaced:
        if _encodable(ch):
            out.append(ch)
            continue
        base = "".join(
            b for b in unicodedata.normalize("NFKD", ch.translate(_NO_DECOMPOSITION))
            if not unicodedata.combining(b)
        )
        out.append(base if base and _encodable(base) else "?")
    return "".join(out)


def _all_drawable(text: str) -> bool:
    try:
        text.encode(_PDF_ENCODING)
    except UnicodeEncodeError:
        return False
    return text.isprintable()  # false for any control character, and for a few drawable ones left to the long way


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


# The page: landscape A4 in mm, its margins, and where the QR code and the code block sit (bottom right, left).
_PAGE_WIDTH, _PAGE_HEIGHT = 297.0, 210.0
_MARGIN_SIDE, _MARGIN_TOP = 25.0, 20.0
_LINE_WIDTH = _PAGE_WIDTH - 2 * _MARGIN_SIDE
_QR_SIZE = 38.0
_QR_X, _QR_Y = _PAGE_WIDTH - _MARGIN_SIDE - _QR_SIZE, _PAGE_HEIGHT - 20 - _QR_SIZE
# QR mask pattern 5, always: every reader reads all eight (ISO/IEC 18004), and scoring the eight for each code,
# as segno does unless told, took 2.5 ms, more than all the rest of a certificate. For verify addresses mask 5 is
# the one segno picks most often and scores best on average, within 4% of each code's best.
_QR_MASK = 5
_NAVY, _RED, _BLACK, _GREY = (40, 70, 110), (180, 20, 20), (0, 0, 0), (110, 110, 110)
_SMALLEST_PT = 10  # a centred line shrinks down to this size before it wraps
_CELL_PADDING = 1.0  # fpdf2's c_margin at these margins: left-aligned text starts this far into its cell


class _Line(NamedTuple):
    """One centred line, fitted: its PDF-safe text at the size that fits the page width."""

    text: str
    style: str
    size: float
    width: float | None  # None: too wide even at _SMALLEST_PT, so it wraps
    height: float
    colour: tuple[int, int, int]


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

    The clinic's lines are fitted once per clinic (`_template`); per certificate only the holder's lines, the QR
    code and the code block are measured, and everything is drawn as plain text and rectangles.
    """
    issued = display_date(certificate.issued_at, timezone_name)
    expires = display_date(certificate.expires_at, timezone_name)
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.core_fonts_encoding = _PDF_ENCODING
    pdf.set_compression(compress)
    pdf.set_title(pdf_safe_text(f"Certificate {certificate.code}"))
    pdf.set_author(pdf_safe_text(clinic_name))
    pdf.set_auto_page_break(False)
    pdf.set_margins(_MARGIN_SIDE, _MARGIN_TOP, _MARGIN_SIDE)
    pdf.add_page()

    pdf.set_draw_color(*_NAVY)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, _PAGE_WIDTH - 16, _PAGE_HEIGHT - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, _PAGE_WIDTH - 22, _PAGE_HEIGHT - 22)

    clinic, heading, certifies, completed = _template(clinic_name)
    y = _draw_centred(pdf, clinic, 22.0) + 6
    y = _draw_centred(pdf, heading, y) + 4
    y = _draw_centred(pdf, certifies, y)
    y = _draw_centred(pdf, _fit(pdf, certificate.holder_name, "B", 28, 14), y)
    y = _draw_centred(pdf, completed, y)
    y = _draw_centred(pdf, _fit(pdf, certificate.title, "B", 20, 11), y) + 6
    y = _draw_centred(pdf, _fit(pdf, f"Issued {issued}  |  Valid until {expires}", "", 13, 8), y)
    if certificate.revoked:
        y = _draw_centred(pdf, _fit(pdf, "REVOKED", "B", 30, 13, _RED), y + 3)
        if certificate.revoked_reason:
            _draw_centred(pdf, _fit(pdf, certificate.revoked_reason, "", 11, 6, _RED), y)

    _draw_qr(pdf, verify_url)
    _draw_code_block(pdf, certificate.code, verify_url)
    if anchor:
        pdf.set_font("Courier", "", 6)
        pdf.set_text_color(*_GREY)
        pdf.text(_MARGIN_SIDE + _CELL_PADDING, _baseline(pdf, _PAGE_HEIGHT - 15, 3),
                 pdf_safe_text(f"Audit anchor {anchor}"))
    return bytes(pdf.output())


@lru_cache(maxsize=16)
def _template(clinic_name: str) -> tuple[_Line, _Line, _Line, _Line]:
    """The lines every certificate of a clinic shares, fitted once: measuring text is most of a line's cost."""
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.core_fonts_encoding = _PDF_ENCODING
    return (_fit(pdf, clinic_name, "B", 16, 9, _NAVY), _fit(pdf, "CERTIFICATE", "B", 34, 15),
            _fit(pdf, "This certifies that", "", 14, 9), _fit(pdf, "has completed the requirements for", "", 14, 9))


def _fit(pdf: FPDF, text: str, style: str, size: float, height: float,
         colour: tuple[int, int, int] = _BLACK) -> _Line:
    """`text` at `size`, shrunk a point at a time (down to 10 pt) rather than wrapped or clipped when it is long."""
    safe = pdf_safe_text(text)
    pdf.set_font("Helvetica", style, size)
    per_point = pdf.get_string_width(safe) / size  # widths scale with the size: measured once
    while size > _SMALLEST_PT and per_point * size > _LINE_WIDTH:
        size -= 1
    width = per_point * size
    return _Line(safe, style, size, width if width <= _LINE_WIDTH else None, height, colour)


def _draw_centred(pdf: FPDF, line: _Line, top: float) -> float:
    """Draw `line` centred in a row of its height at `top`; the y below it."""
    pdf.set_font("Helvetica", line.style, line.size)
    pdf.set_text_color(*line.colour)
    if line.width is None:  # rare: a very long name or reason, wrapped by fpdf2 itself
        pdf.set_xy(_MARGIN_SIDE, top)
        pdf.multi_cell(_LINE_WIDTH, line.size * 0.45, line.text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return float(pdf.get_y())
    pdf.text(_MARGIN_SIDE + (_LINE_WIDTH - line.width) / 2, _baseline(pdf, top, line.height), line.text)
    return top + line.height


def _baseline(pdf: FPDF, top: float, height: float) -> float:
    """Where fpdf2's cell() puts the baseline of the current font in a row of `height` at `top`."""
    return top + height / 2 + 0.3 * float(pdf.font_size)


def _draw_qr(pdf: FPDF, url: str) -> None:
    """The QR code of `url` as filled rectangles: sharp at any print size, and no PNG to encode and decode again."""
    matrix = segno.make(url, error="m", micro=False, mask=_QR_MASK).matrix
    quiet = 2  # light modules around the code
    module = _QR_SIZE / (len(matrix) + 2 * quiet)
    pdf.set_fill_color(*_BLACK)
    for x, y, width, height in _dark_rectangles(matrix):
        pdf.rect(_QR_X + (x + quiet) * module, _QR_Y + (y + quiet) * module, width * module, height * module,
                 style=RenderStyle.F)


def _dark_rectangles(matrix: Sequence[Iterable[int]]) -> list[tuple[int, int, int, int]]:
    """(x, y, width, height) in modules covering the dark modules: each row's runs, a run that repeats in the rows
    below grown down over them (a fifth fewer rectangles to draw)."""
    done: list[list[int]] = []
    growing: dict[tuple[int, int], list[int]] = {}  # (x, width) of the previous row's runs -> their rectangle
    for y, row in enumerate(matrix):
        below: dict[tuple[int, int], list[int]] = {}
        for run in _dark_runs(row):
            rectangle = growing.pop(run, None)
            if rectangle is None:
                rectangle = [run[0], y, run[1], 0]
                done.append(rectangle)
            rectangle[3] += 1
            below[run] = rectangle
        growing = below
    return [(x, y, width, height) for x, y, width, height in done]


def _dark_runs(row: Iterable[int]) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in one row of a QR matrix."""
    runs: list[tuple[int, int]] = []
    start = None
    x = 0
    for x, dark in enumerate(row):
        if dark and start is None:
            start = x
        elif not dark and start is not None:
            runs.append((start, x - start))
            start = None
    if start is not None:
        runs.append((start, x + 1 - start))
    return runs


def _draw_code_block(pdf: FPDF, code: str, url: str) -> None:
    """Bottom left, beside the QR code: the code, and where to check it."""
    width = _QR_X - _MARGIN_SIDE - 5
    x, top = _MARGIN_SIDE + _CELL_PADDING, _PAGE_HEIGHT - 20 - 22
    pdf.set_text_color(*_BLACK)
    pdf.set_font("Helvetica", "", 10)
    pdf.text(x, _baseline(pdf, top, 6), "Certificate code")
    pdf.set_font("Courier", "B", 14)
    pdf.text(x, _baseline(pdf, top + 6, 7), pdf_safe_text(code))
    pdf.set_font("Helvetica", "", 9)
    check = pdf_safe_text(f"Check it is genuine and current at {url}")
    if pdf.get_string_width(check) <= width - 2 * _CELL_PADDING:
        pdf.text(x, _baseline(pdf, top + 13, 4.5), check)
    else:  # a long public address wraps under itself
        pdf.set_xy(_MARGIN_SIDE, top + 13)
        pdf.multi_cell(width, 4.5, check)


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
