"""One-time passwords as a sheet to hand out: a CSV, and a printable PDF of one cut-out slip per account.

A sheet holds exactly the accounts it is given and nothing else. It is made when the manager asks for it and
never stored: the passwords live only in the manager's session until they dismiss them or the session ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from fpdf import FPDF

from modules.certificates import pdf_safe_text
from modules.exports import to_csv_bytes

__all__ = ["CHANGE_NOTICE", "CSV_COLUMNS", "SheetEntry", "merged", "sheet_csv", "sheet_pdf"]

CHANGE_NOTICE = "This password works only once: you must choose your own password when you first sign in."
CSV_COLUMNS = ["name", "username", "one_time_password", "note"]

_PAGE_HEIGHT, _MARGIN, _SLIP_HEIGHT = 297.0, 15.0, 40.0
_WIDTH = 210.0 - 2 * _MARGIN
_SMALLEST_PT = 8


@dataclass(frozen=True)
class SheetEntry:
    """One account's line on the sheet. The password is left out of repr, so it never lands in a log by accident."""

    full_name: str
    username: str
    one_time_password: str = field(repr=False)


def merged(pending: Iterable[SheetEntry], new: Iterable[SheetEntry]) -> list[SheetEntry]:
    """`pending` with `new` added; a newer password for the same username replaces the older (which no longer
    works), keeping its place."""
    by_username = {entry.username: entry for entry in pending}
    for entry in new:
        by_username[entry.username] = entry
    return list(by_username.values())


def sheet_csv(entries: Sequence[SheetEntry]) -> bytes:
    """The sheet as CSV: one row per account, the columns of CSV_COLUMNS (cells that could run as formulas are
    neutralised like every export)."""
    return to_csv_bytes(pd.DataFrame(
        [[e.full_name, e.username, e.one_time_password, CHANGE_NOTICE] for e in entries], columns=CSV_COLUMNS))


def sheet_pdf(entries: Sequence[SheetEntry], clinic_name: str, sign_in_address: str = "",
              compress: bool = True) -> bytes:
    """A4 pages of slips, each with the name, username, one-time password and the notice, between cut lines.

    `compress=False` leaves the page streams readable, so tests can find the text in the bytes."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.core_fonts_encoding = "cp1252"
    pdf.set_compression(compress)
    pdf.set_title("One-time passwords")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.text(_MARGIN, _MARGIN + 6, _fitted(pdf, f"One-time passwords: {clinic_name}", "B", 16))
    pdf.set_font("Helvetica", "", 10)
    pdf.text(_MARGIN, _MARGIN + 13, "Cut along the dashed lines and give each person only their own slip.")
    top = _MARGIN + 18
    for entry in entries:
        if top + _SLIP_HEIGHT > _PAGE_HEIGHT - _MARGIN:
            pdf.add_page()
            top = _MARGIN
        _slip(pdf, entry, top, sign_in_address)
        top += _SLIP_HEIGHT
    _cut_line(pdf, top)
    return bytes(pdf.output())


def _slip(pdf: FPDF, entry: SheetEntry, top: float, sign_in_address: str) -> None:
    _cut_line(pdf, top)
    x = _MARGIN + 2
    pdf.set_font("Helvetica", "B", 13)
    pdf.text(x, top + 8, _fitted(pdf, entry.full_name, "B", 13))
    pdf.set_font("Helvetica", "", 10)
    pdf.text(x, top + 15, "Username:")
    pdf.text(x, top + 23, "One-time password:")
    pdf.set_font("Courier", "B", 13)
    pdf.text(x + 38, top + 15, _fitted(pdf, entry.username, "B", 13, "Courier", _WIDTH - 40))
    pdf.text(x + 38, top + 23, pdf_safe_text(entry.one_time_password))
    pdf.set_font("Helvetica", "", 9)
    pdf.text(x, top + 31, CHANGE_NOTICE)
    if sign_in_address:
        pdf.text(x, top + 36, _fitted(pdf, f"Sign in at {sign_in_address}", "", 9))


def _cut_line(pdf: FPDF, y: float) -> None:
    pdf.set_draw_color(150, 150, 150)
    pdf.set_dash_pattern(dash=2, gap=2)
    pdf.line(_MARGIN, y, _MARGIN + _WIDTH, y)
    pdf.set_dash_pattern()


def _fitted(pdf: FPDF, text: str, style: str, size: float, family: str = "Helvetica",
            width: float = _WIDTH - 4) -> str:
    """`text` made PDF-safe at the largest size down to _SMALLEST_PT that fits `width` (font left set to it);
    still too long, it is cut short with '...'."""
    safe = pdf_safe_text(text)
    while True:
        pdf.set_font(family, style, size)
        if pdf.get_string_width(safe) <= width:
            return safe
        if size > _SMALLEST_PT:
            size -= 1
            continue
        while safe and pdf.get_string_width(safe + "...") > width:
            safe = safe[:-1]
        return safe + "..."
