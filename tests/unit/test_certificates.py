"""Certificate codes, expiry, status rules, the PDF and the ZIP: what managers, holders and verifiers rely on."""

from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta, timezone

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st

from modules.certificates import (
    CODE_ALPHABET,
    certificate_filename,
    certificate_pdf,
    certificate_status,
    certificates_zip,
    current_certificate,
    current_status,
    display_date,
    expiry_for,
    new_certificate_code,
    normalise_code,
    pdf_safe_text,
    verify_url,
)
from modules.core.records import Certificate
from modules.core.types import CertificateCode, CertificateId, CertificateStatus, UserId

UTC = UTC
ISSUED = datetime(2025, 11, 23, 10, 0, tzinfo=UTC)
EXPIRES = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CODE_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def view(**changes) -> Certificate:
    values = dict(id=CertificateId(1), code=CertificateCode("7KQ2-M9XD-4TPR-8BNC"), user_id=UserId(1),
                  attempt_id=None, title="Microdermabrasion Technician", issued_at=ISSUED, expires_at=EXPIRES,
                  score=0.9, full_name="Anna Smith")
    values.update(changes)
    return Certificate(**values)


# ------------------------------------------------------------------------------------------- codes


def test_code_has_four_groups_of_four_from_the_unambiguous_alphabet():
    code = new_certificate_code()
    assert CODE_PATTERN.match(code), code
    assert not set("ILOU") & set(code)


def test_alphabet_is_crockford_base32_without_ambiguous_letters():
    assert len(CODE_ALPHABET) == len(set(CODE_ALPHABET)) == 32  # 5 bits a symbol, 80 bits a code
    assert not set("ILOU") & set(CODE_ALPHABET)


def test_thousand_codes_are_unique_and_use_the_whole_alphabet():
    codes = [new_certificate_code() for _ in range(1000)]
    assert len(set(codes)) == 1000
    assert set("".join(codes).replace("-", "")) == set(CODE_ALPHABET)


def test_code_generator_takes_an_injected_rng():
    assert new_certificate_code(random.Random(7)) == new_certificate_code(random.Random(7))
    assert new_certificate_code(random.Random(7)) != new_certificate_code(random.Random(8))


def test_normalise_round_trips_a_fresh_code():
    for _ in range(50):
        code = new_certificate_code()
        assert normalise_code(code) == code


@pytest.mark.parametrize(
    "typed",
    ["7kq2-m9xd-4tpr-8bnc", "7KQ2M9XD4TPR8BNC", " 7KQ2 M9XD 4TPR 8BNC ", "7kq2m9xd-4tpr 8bnc", "7KQ2--M9XD-4TPR-8BNC"],
)
def test_normalise_accepts_what_people_type(typed):
    assert normalise_code(typed) == "7KQ2-M9XD-4TPR-8BNC"


def test_normalise_reads_look_alike_letters_as_digits():
    assert normalise_code("O0Il-1111-2222-3333") == "0011-1111-2222-3333"
    assert normalise_code("oiL0 1111 2222 3333") == "0110-1111-2222-3333"


@pytest.mark.parametrize(
    "typed",
    ["", "7KQ2-M9XD-4TPR", "7KQ2-M9XD-4TPR-8BNC-A", "7KQ2-M9XD-4TPR-8BNU", "7KQ2-M9XD-4TPR-8BN!",
     "7KQ2_M9XD_4TPR_8BNC", "7KQ2-M9XD-4TPR-8BNÇ", None, 1234, "7" * 10_000],
)
def test_normalise_rejects_malformed_codes(typed):
    assert normalise_code(typed) is None


def test_verify_url_joins_base_and_quotes_the_code():
    assert verify_url("https://clinic.example/", "7KQ2-M9XD-4TPR-8BNC") == (
        "https://clinic.example/verify/7KQ2-M9XD-4TPR-8BNC"
    )
    assert verify_url("https://clinic.example", "a b/c?d") == "https://clinic.example/verify/a%20b%2Fc%3Fd"
    assert verify_url("https://clinic.example/training", "X") == "https://clinic.example/training/verify/X"


# ------------------------------------------------------------------------------------------ expiry


@pytest.mark.parametrize(
    ("issued", "months", "expected"),
    [
        (datetime(2025, 1, 31, 9, 30, tzinfo=UTC), 1, datetime(2025, 2, 28, 9, 30, tzinfo=UTC)),
        (datetime(2024, 1, 31, 9, 30, tzinfo=UTC), 1, datetime(2024, 2, 29, 9, 30, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), 12, datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), 48, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2025, 11, 30, tzinfo=UTC), 3, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2025, 12, 15, tzinfo=UTC), 1, datetime(2026, 1, 15, tzinfo=UTC)),
        (datetime(2025, 3, 31, tzinfo=UTC), 1, datetime(2025, 4, 30, tzinfo=UTC)),
        (ISSUED, 12, EXPIRES),
        (ISSUED, 25, datetime(2027, 12, 23, 10, tzinfo=UTC)),
    ],
)
def test_expiry_adds_calendar_months(issued, months, expected):
    assert expiry_for(issued, months) == expected


@pytest.mark.parametrize("months", [0, -1, True, 1.5, "12"])
def test_expiry_refuses_a_validity_that_is_not_a_positive_whole_number(months):
    with pytest.raises(ValueError):
        expiry_for(ISSUED, months)


def test_expiry_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        expiry_for(datetime(2025, 1, 31), 12)


# ------------------------------------------------------------------------------------------ status


@pytest.mark.parametrize(
    ("before_expiry", "expected"),
    [
        (timedelta(days=365), CertificateStatus.CERTIFIED),
        (timedelta(days=31), CertificateStatus.CERTIFIED),
        (timedelta(days=30, microseconds=1), CertificateStatus.CERTIFIED),
        (timedelta(days=30), CertificateStatus.EXPIRING),
        (timedelta(days=29), CertificateStatus.EXPIRING),
        (timedelta(microseconds=1), CertificateStatus.EXPIRING),
        (timedelta(0), CertificateStatus.EXPIRED),
        (-timedelta(days=1), CertificateStatus.EXPIRED),
    ],
)
def test_status_on_the_boundary_days(before_expiry, expected):
    assert certificate_status(ISSUED, EXPIRES, False, EXPIRES - before_expiry) is expected


@pytest.mark.parametrize("before_expiry", [timedelta(days=200), timedelta(days=10), -timedelta(days=10)])
def test_revoked_beats_every_other_status(before_expiry):
    assert certificate_status(ISSUED, EXPIRES, True, EXPIRES - before_expiry) is CertificateStatus.REVOKED


@pytest.mark.parametrize(
    "now", [datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))]
)
def test_status_refuses_naive_or_non_utc_now(now):
    with pytest.raises(ValueError):
        certificate_status(ISSUED, EXPIRES, False, now)


def test_status_refuses_a_certificate_that_expires_before_it_is_issued():
    with pytest.raises(ValueError):
        certificate_status(EXPIRES, ISSUED, False, ISSUED)


def test_certificate_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        view(issued_at=datetime(2025, 11, 23))
    with pytest.raises(ValueError):
        view(revoked_at=datetime(2026, 1, 1))


def test_person_with_no_certificate_is_not_certified():
    assert current_status([], ISSUED) is CertificateStatus.NOT_CERTIFIED
    assert current_certificate([], ISSUED) is None


def test_person_with_only_revoked_certificates_is_revoked():
    first = view(code="A", revoked_at=ISSUED + timedelta(days=5))
    second = view(code="B", issued_at=ISSUED + timedelta(days=50), expires_at=EXPIRES + timedelta(days=50),
                  revoked_at=ISSUED + timedelta(days=60))
    assert current_status([first, second], ISSUED + timedelta(days=100)) is CertificateStatus.REVOKED
    assert current_certificate([first, second], ISSUED + timedelta(days=100)).code == "B"


def test_a_valid_certificate_wins_over_a_later_revoked_one():
    older = view(code="OLD")
    newer_revoked = view(code="NEW", issued_at=ISSUED + timedelta(days=100),
                         expires_at=EXPIRES + timedelta(days=100), revoked_at=ISSUED + timedelta(days=101))
    now = ISSUED + timedelta(days=120)
    assert current_certificate([newer_revoked, older], now).code == "OLD"
    assert current_status([newer_revoked, older], now) is CertificateStatus.CERTIFIED


def test_recertification_replaces_an_expired_or_expiring_certificate():
    first = view(code="FIRST")
    renewal = view(code="RENEWAL", issued_at=EXPIRES - timedelta(days=10), expires_at=EXPIRES + timedelta(days=355))
    assert current_status([first], EXPIRES - timedelta(days=5)) is CertificateStatus.EXPIRING
    assert current_status([first, renewal], EXPIRES - timedelta(days=5)) is CertificateStatus.CERTIFIED
    assert current_status([renewal, first], EXPIRES + timedelta(days=30)) is CertificateStatus.CERTIFIED
    assert current_status([first], EXPIRES + timedelta(days=30)) is CertificateStatus.EXPIRED


def test_a_lapsed_person_is_expired_not_revoked():
    lapsed = view(code="LAPSED")
    revoked_earlier = view(code="X", issued_at=ISSUED - timedelta(days=400), expires_at=ISSUED - timedelta(days=35),
                           revoked_at=ISSUED - timedelta(days=300))
    assert current_status([revoked_earlier, lapsed], EXPIRES + timedelta(days=1)) is CertificateStatus.EXPIRED


# --------------------------------------------------------------------------------------------- PDF


def test_pdf_shows_holder_title_code_dates_clinic_and_verify_url():
    url = verify_url("https://clinic.example", "7KQ2-M9XD-4TPR-8BNC")
    pdf = certificate_pdf(view(), "Glow Skin Clinic", url, compress=False)
    assert pdf.startswith(b"%PDF-")
    for text in (b"Anna Smith", b"Microdermabrasion Technician", b"7KQ2-M9XD-4TPR-8BNC", b"Glow Skin Clinic",
                 b"23 November 2025", b"23 November 2026", url.encode()):
        assert text in pdf, text
    assert drawn_qr(pdf)  # the QR code
    assert b"REVOKED" not in pdf


def drawn_qr(pdf: bytes) -> list[list[int]]:
    """The QR code an uncompressed certificate draws, read back from its filled rectangles of dark modules (the
    page's frames are stroked, not filled). Each module is counted once: overlapping rectangles would show."""
    rects = [tuple(map(float, found)) for found in re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) -([\d.]+) re f", pdf)]
    module = min(h for _, _, _, h in rects)
    left, top = min(x for x, _, _, _ in rects), max(y for _, y, _, _ in rects)
    size = round((max(x + w for x, _, w, _ in rects) - left) / module)
    matrix = [[0] * size for _ in range(size)]
    for x, y, w, h in rects:
        first_row, first_column = round((top - y) / module), round((x - left) / module)
        for row in range(first_row, first_row + round(h / module)):
            for column in range(first_column, first_column + round(w / module)):
                matrix[row][column] += 1
    return matrix


@pytest.mark.parametrize("base", ["https://clinic.example", "https://training.riverside-skin-clinic.example/app"])
def test_the_qr_code_is_the_verify_address_drawn_module_by_module(base):
    url = verify_url(base, "7KQ2-M9XD-4TPR-8BNC")
    drawn = drawn_qr(certificate_pdf(view(), "Glow Skin Clinic", url, compress=False))
    # segno's own code of the address, with whichever of the eight masks was used
    assert drawn in [[list(row) for row in segno.make(url, error="m", micro=False, mask=mask).matrix]
                     for mask in range(8)]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler's pdftotext is not installed")
def test_a_pdf_reader_finds_the_holder_the_code_and_the_address(tmp_path):
    url = verify_url("https://clinic.example", "7KQ2-M9XD-4TPR-8BNC")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(certificate_pdf(view(full_name="Zoë Smith"), "Glow Skin Clinic", url, "Europe/London"))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("Glow Skin Clinic", "CERTIFICATE", "Zoë Smith", "Microdermabrasion Technician",
                     "Issued 23 November 2025 | Valid until 23 November 2026", "7KQ2-M9XD-4TPR-8BNC", url):
        assert expected in text, expected


def test_pdf_is_compressed_by_default():
    pdf = certificate_pdf(view(), "Glow Skin Clinic", "https://clinic.example/verify/x")
    assert pdf.startswith(b"%PDF-")
    assert b"Anna Smith" not in pdf
    assert len(pdf) < len(certificate_pdf(view(), "Glow Skin Clinic", "https://clinic.example", compress=False))


def test_pdf_dates_are_the_calendar_dates_of_the_clinic_time_zone():
    late_evening_utc = view(issued_at=datetime(2025, 11, 23, 23, 30, tzinfo=UTC),
                            expires_at=datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    sydney = certificate_pdf(late_evening_utc, "Clinic", "https://x", "Australia/Sydney", compress=False)
    assert b"24 November 2025" in sydney and b"24 November 2026" in sydney
    utc = certificate_pdf(late_evening_utc, "Clinic", "https://x", compress=False)
    assert b"23 November 2025" in utc


def test_display_date_uses_english_month_names_and_refuses_unknown_zones():
    assert display_date(datetime(2026, 3, 1, 12, tzinfo=UTC)) == "1 March 2026"
    with pytest.raises(ValueError):
        display_date(ISSUED, "Mars/Olympus_Mons")


def test_pdf_with_a_name_outside_latin1_does_not_raise():
    pdf = certificate_pdf(view(full_name="Zoë Łukasz 李"), "Klinika Łódź", "https://x", compress=False)
    assert b"Zo\xeb Lukasz ?" in pdf  # ë is in the font, Ł loses its stroke, 李 has no letter to fall back on
    assert b"Klinika L\xf3dz" in pdf  # ó is in the font and stays; Ł and ź lose their marks


def test_revoked_certificate_pdf_is_stamped_revoked():
    pdf = certificate_pdf(view(revoked_at=ISSUED + timedelta(days=3), revoked_reason="Issued in error"),
                          "Clinic", "https://x", compress=False)
    assert b"REVOKED" in pdf and b"Issued in error" in pdf


def test_pdf_survives_a_very_long_name_and_url():
    pdf = certificate_pdf(view(full_name="Wolfeschlegelsteinhausenbergerdorff " * 6), "Clinic",
                          "https://training.example/" + "p/" * 200, compress=False)
    assert b"Wolfeschlegelsteinhausenbergerdorff" in pdf


@settings(max_examples=200)
@given(st.text())
def test_pdf_safe_text_is_always_drawable_by_the_builtin_fonts(text):
    safe = pdf_safe_text(text)
    safe.encode("cp1252")
    assert "\n" not in safe and "\t" not in safe


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=80))
def test_pdf_never_raises_whatever_the_name(name):
    assert certificate_pdf(view(full_name=name, title=name), name, "https://x").startswith(b"%PDF-")


# --------------------------------------------------------------------------------------------- ZIP


def test_zip_holds_one_pdf_per_certificate():
    views = [view(code=new_certificate_code(), full_name=f"Person {i}") for i in range(5)]
    items = [(certificate_filename(v), certificate_pdf(v, "Clinic", "https://x")) for v in views]
    with zipfile.ZipFile(io.BytesIO(certificates_zip(items))) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted(name for name, _ in items)
        for name, data in items:
            assert archive.read(name) == data


def test_certificate_filename_is_code_then_ascii_name_slug():
    assert certificate_filename(view(full_name="Zoë Łukasz 李")) == "7KQ2-M9XD-4TPR-8BNC-zoe-lukasz.pdf"
    assert certificate_filename(view(full_name="李")) == "7KQ2-M9XD-4TPR-8BNC-holder.pdf"


def test_zip_names_are_safe_and_never_collide():
    items = [("../../etc/passwd", b"1"), ("C:\\Users\\x\\evil.PDF", b"2"), ("a.pdf", b"3"), ("A.pdf", b"4"),
             ("a.pdf", b"5"), ("", b"6"), ("Zoë/Łukasz 李.pdf", b"7")]
    with zipfile.ZipFile(io.BytesIO(certificates_zip(items))) as archive:
        names = archive.namelist()
        assert len(names) == len(items)
        assert len({n.lower() for n in names}) == len(names)
        for name in names:
            assert re.fullmatch(r"[A-Za-z0-9-]+\.pdf", name), name
        assert [archive.read(n) for n in names] == [data for _, data in items]
        assert names[0] == "passwd.pdf" and names[1] == "evil.pdf" and names[-1] == "Lukasz.pdf"


def test_empty_zip_is_a_valid_archive():
    with zipfile.ZipFile(io.BytesIO(certificates_zip([]))) as archive:
        assert archive.namelist() == []


def test_a_certificate_carries_the_audit_chains_head_when_one_is_given():
    anchor = "42:" + "ab" * 32
    text = certificate_pdf(view(), "Clinic", "https://clinic.example/verify/X", compress=False, anchor=anchor)
    assert f"Audit anchor {anchor}".encode() in text
    assert b"Audit anchor" not in certificate_pdf(view(), "Clinic", "https://x", compress=False)
