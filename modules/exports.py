"""Any table as a CSV or Excel download that a spreadsheet opens safely and correctly.

Safely: a cell a user typed (a name, a location) can never run as a formula in Excel or LibreOffice
(OWASP "CSV injection"). Text is cleaned first (control characters dropped: XML cannot hold them and a reader may
skip them), then anything that could read as a formula gets a leading apostrophe, and Excel cells are written as
stated string cells, never left for openpyxl to guess. Correctly: accents survive (UTF-8 with BOM for Excel),
dates are real dates.

Generic over pandas DataFrames; the caller builds the frame (the certification register, a progress table).
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from modules.core import timezones

__all__ = ["neutralise_cell", "to_csv_bytes", "to_xlsx_bytes"]

# A spreadsheet reads a cell starting with one of these as a formula (tab and CR can hide one).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_SIGNS = ("=", "+", "-", "@")
# Every control character but tab, LF and CR: a superset of what XML (and so openpyxl) refuses.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
EXCEL_CELL_LIMIT = 32_767  # longer text makes Excel "repair" the whole file
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_WIDTH_SAMPLE_ROWS = 2_000  # widths from a sample: measuring 50,000 rows costs more than it earns


def neutralise_cell(value: Any) -> Any:
    """A string cleaned of control characters and, if a spreadsheet could run it as a formula, given a leading
    apostrophe; anything that is not a string is returned unchanged.

    Cleaning comes first: "\\x01=HYPERLINK(...)" must be judged as the "=HYPERLINK(...)" it becomes.
    """
    if not isinstance(value, str):
        return value
    text = _CONTROL_CHARACTERS.sub("", value)
    return "'" + text if _looks_like_formula(text) else text


def _looks_like_formula(text: str) -> bool:
    """True for a formula sign after any spaces or invisible characters (some programs trim them), counting
    look-alikes such as the fullwidth "＝" that NFKC folds to "="; and for a leading tab or CR."""
    first = text[:1]
    if first.isascii() and first.isalnum():  # most names: decided at once
        return False
    if text.startswith(FORMULA_TRIGGERS):
        return True
    for char in text:
        if char.isspace() or unicodedata.category(char) == "Cf":  # Cf: zero-width space, BOM, direction marks
            continue
        return unicodedata.normalize("NFKC", char)[:1] in _FORMULA_SIGNS
    return False


def _neutralised(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df`, text cells neutralised and the header too (a column can be named "=1+1")."""
    out = df.copy()
    for column in df.columns:
        if _is_text_column(df[column]):
            out[column] = df[column].map(neutralise_cell, na_action="ignore")
    out.columns = [neutralise_cell(name) for name in df.columns]
    return out


def _is_text_column(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)


# ------------------------------------------------------------------------------------------------ CSV


def to_csv_bytes(df: pd.DataFrame, timezone_name: str = "UTC") -> bytes:
    """The frame as CSV: UTF-8 with a BOM (so Excel shows accents), CRLF rows, no index.

    Timezone-aware datetimes are written in `timezone_name` with their offset, e.g.
    `2026-11-23 10:00:00+00:00`, so the file is unambiguous wherever it is opened.
    """
    zone = timezones.zone(timezone_name)
    frame = _neutralised(df)
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = _local_iso(frame[column], zone)
    text = frame.to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def _local_iso(series: pd.Series, zone: ZoneInfo) -> pd.Series:
    """`2026-06-01 11:00:00+01:00` for each moment, to the second.

    Done column-wise: pandas formats zoned timestamps one by one, which tripled the CSV time.
    """
    local = series.dt.tz_convert(zone).dt.tz_localize(None)
    minutes = (local - series.dt.tz_convert("UTC").dt.tz_localize(None)) / pd.Timedelta(minutes=1)
    sign = np.where(minutes < 0, "-", "+")
    hours, mins = np.divmod(np.abs(minutes.fillna(0).to_numpy()).astype(int), 60)
    offsets = [f"{s}{h:02d}:{m:02d}" for s, h, m in zip(sign, hours, mins)]
    text: pd.Series = (local.dt.strftime("%Y-%m-%d %H:%M:%S") + pd.Series(offsets, index=series.index))
    return text.where(series.notna())


# ----------------------------------------------------------------------------------------------- Excel


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "Register", timezone_name: str = "UTC",
                  anchor: str | None = None) -> bytes:
    """The frame as one Excel sheet: bold frozen header, real dates, formula-proof text, fitted columns.

    Excel has no time zones, so aware datetimes are shown as wall-clock time in `timezone_name`.
    """
    zone = timezones.zone(timezone_name)
    workbook = Workbook(write_only=True)  # streams rows: a 50,000-row register stays fast and small
    sheet = workbook.create_sheet(_safe_sheet_name(sheet_name))
    sheet.freeze_panes = "A2"
    frame = _excel_ready(df, zone)
    # a write-only sheet takes column settings only before its first row
    for index, width in enumerate(_column_widths(frame), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    bold = Font(bold=True)
    header = [_string_cell(sheet, str(name)) for name in df.columns]
    for cell in header:
        cell.font = bold
    sheet.append(header)

    for row in frame.itertuples(index=False, name=None):
        sheet.append([_excel_cell(sheet, value, zone) for value in row])

    if anchor:  # the audit chain's head when the file was made, for `audit-verify --anchor`
        about = workbook.create_sheet("Audit anchor")
        about.append([_string_cell(about, "Audit anchor"), _string_cell(about, anchor)])

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _excel_ready(df: pd.DataFrame, zone: ZoneInfo) -> pd.DataFrame:
    """Whole-column conversions done once by pandas, so the per-cell work stays small."""
    frame = df.copy()
    for column in frame.columns:
        series = frame[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert(zone).dt.tz_localize(None)
        if pd.api.types.is_datetime64_any_dtype(series):
            frame[column] = series.astype(object)  # per-cell Timestamps, so midnight can become a date
    return frame


def _excel_cell(sheet: Any, value: Any, zone: ZoneInfo) -> Any:
    """A value openpyxl stores as-is, or a cell whose type or format must be stated."""
    if isinstance(value, str):
        return _string_cell(sheet, value)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, datetime):
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        if value.tzinfo is not None:
            value = value.astimezone(zone).replace(tzinfo=None)
        # openpyxl gives plain dates and datetimes a date number format itself; a cell object
        # per date with our own format would cost a fifth of the export time.
        return value.date() if value.time() == time(0) else value
    if isinstance(value, date):
        return value
    if isinstance(value, (int, Decimal)):
        return value
    if hasattr(value, "item"):  # numpy scalars: plain Python numbers for openpyxl
        return _excel_cell(sheet, value.item(), zone)
    return _string_cell(sheet, str(value))  # enums, timedeltas, anything else: shown as its text


def _string_cell(sheet: Any, text: str) -> WriteOnlyCell:
    """Text cleaned, neutralised and cut to Excel's limit, in a cell stated to be a string: openpyxl left to
    itself makes any text starting with "=" a formula and "#N/A" an error."""
    cell = WriteOnlyCell(sheet, value=neutralise_cell(text)[:EXCEL_CELL_LIMIT])
    cell.data_type = "s"
    return cell


def _safe_sheet_name(name: str) -> str:
    cleaned = _SHEET_NAME_FORBIDDEN.sub(" ", name).strip().strip("'")[:31]
    return cleaned or "Sheet1"


def _column_widths(frame: pd.DataFrame) -> list[float]:
    """Roughly the longest entry (header or a sampled value), clamped to 8-60 characters."""
    sample = frame.head(_WIDTH_SAMPLE_ROWS)
    widths = []
    for column in frame.columns:
        lengths = sample[column].map(_display_length, na_action="ignore")
        longest = max(int(lengths.max()) if lengths.notna().any() else 0, len(str(column)))
        widths.append(min(60.0, max(8.0, longest + 2.0)))
    return widths


def _display_length(value: Any) -> int:
    if isinstance(value, datetime):
        return 10 if value.time() == time(0) else 19  # yyyy-mm-dd [h:mm:ss]
    if isinstance(value, float):
        return min(len(repr(value)), 11)  # Excel's General format shows about ten digits
    return len(str(value))
