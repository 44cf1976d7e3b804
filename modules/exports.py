"""Any table as a CSV or Excel download that a spreadsheet opens safely and correctly.

Safely: a cell a user typed (a name, a location) can never run as a formula in Excel or LibreOffice
(OWASP "CSV injection"). Text is cleaned first (control characters dropped: XML cannot hold them and a reader may
skip them), then anything that could read as a formula gets a leading apostrophe, and Excel cells are written as
stated string cells, never left for the writer to guess. Correctly: accents survive (UTF-8 with BOM for Excel),
dates are real dates.

Two ways in: a pandas DataFrame (`to_csv_bytes`, `to_xlsx_bytes`), or a header and rows of plain Python values
(`csv_chunks`, `xlsx_bytes`), written as they come, so a 50,000-row register never becomes one big table first.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from itertools import chain, islice
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import xlsxwriter  # type: ignore[import-untyped]
from xlsxwriter.format import Format  # type: ignore[import-untyped]
from xlsxwriter.worksheet import Worksheet  # type: ignore[import-untyped]

from modules.core import timezones

__all__ = ["csv_chunks", "neutralise_cell", "to_csv_bytes", "to_xlsx_bytes", "xlsx_bytes"]

# A spreadsheet reads a cell starting with one of these as a formula (tab and CR can hide one).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_SIGNS = ("=", "+", "-", "@")
# Every control character but tab, LF and CR: a superset of what XML refuses.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
EXCEL_CELL_LIMIT = 32_767  # longer text makes Excel "repair" the whole file
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_WIDTH_SAMPLE_ROWS = 2_000  # widths from a sample: measuring 50,000 rows costs more than it earns
# Widths go in as pixels, 7 to a character (the default font's digit), so the file stores the width asked for;
# set_column() would add Excel's 5 pixels of padding to each.
_PIXELS_PER_CHARACTER = 7
CSV_CHUNK_ROWS = 2_000  # rows written and encoded at a time: a piece of about 250 KB for a register
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"


def neutralise_cell(value: Any) -> Any:
    """A string cleaned of control characters and, if a spreadsheet could run it as a formula, given a leading
    apostrophe; anything that is not a string is returned unchanged.

    Cleaning comes first: "\\x01=HYPERLINK(...)" must be judged as the "=HYPERLINK(...)" it becomes.
    """
    return _neutralised_text(value) if isinstance(value, str) else value


def _neutralised_text(value: str) -> str:
    # isprintable() is false for every control character, so most text skips the (slower) substitution.
    text = value if value.isprintable() else _CONTROL_CHARACTERS.sub("", value)
    first = text[:1]
    if first.isascii() and first.isalnum():  # most names: decided at once
        return text
    return "'" + text if _looks_like_formula(text) else text


def _looks_like_formula(text: str) -> bool:
    """True for a formula sign after any spaces or invisible characters (some programs trim them), counting
    look-alikes such as the fullwidth "＝" that NFKC folds to "="; and for a leading tab or CR."""
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


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]], timezone_name: str = "UTC") -> Iterator[bytes]:
    """Rows of plain values as CSV, the way `to_csv_bytes` writes a frame, in pieces of CSV_CHUNK_ROWS rows.

    Text is neutralised; None and NaN are empty cells; dates are yyyy-mm-dd; aware datetimes are written in the
    clinic's zone with their offset. One piece at a time is held as text, never the whole file.
    """
    zone = timezones.zone(timezone_name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise_cell(str(name)) for name in header])
    yield codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
    rows = iter(rows)
    while piece := list(islice(rows, CSV_CHUNK_ROWS)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_neutralised_text(value) if type(value) is str
                          else value if type(value) in _CSV_AS_IS
                          else _csv_cell(value, zone) for value in row] for row in piece)
        yield buffer.getvalue().encode("utf-8")


# csv.writer prints these as they should read: None as an empty cell, the rest with str().
_CSV_AS_IS = frozenset({type(None), int, bool, date, Decimal})


def _csv_cell(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, str):
        return neutralise_cell(value)
    if _missing(value):
        return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(zone).isoformat(" ", "seconds")
    return value


# ----------------------------------------------------------------------------------------------- Excel


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "Register", timezone_name: str = "UTC",
                  anchor: str | None = None) -> bytes:
    """The frame as one Excel sheet: bold frozen header, real dates, formula-proof text, fitted columns.

    Excel has no time zones, so aware datetimes are shown as wall-clock time in `timezone_name`.
    """
    frame = _excel_ready(df, timezones.zone(timezone_name))
    return xlsx_bytes([str(name) for name in df.columns], frame.itertuples(index=False, name=None), sheet_name,
                      timezone_name, anchor)


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], sheet_name: str = "Register",
               timezone_name: str = "UTC", anchor: str | None = None) -> bytes:
    """Rows of plain values as one Excel sheet, written row by row (XlsxWriter's constant_memory mode keeps only
    the current row in memory). With `anchor`, the audit chain's head goes in an "Audit anchor" sheet."""
    zone = timezones.zone(timezone_name)
    rows = iter(rows)
    sample = list(islice(rows, _WIDTH_SAMPLE_ROWS))
    buffer = io.BytesIO()
    # closed on the way out even after an error, so its temporary files never outlive the call
    with xlsxwriter.Workbook(buffer, {"constant_memory": True}) as workbook:
        sheet = workbook.add_worksheet(_safe_sheet_name(sheet_name))
        formats = _CellFormats(workbook)
        # Column settings and the frozen pane must come before the first row in constant_memory mode.
        for column, width in enumerate(_column_widths(header, sample)):
            sheet.set_column_pixels(column, column, round(width * _PIXELS_PER_CHARACTER))
        sheet.freeze_panes(1, 0)
        for column, name in enumerate(header):
            _write_text(sheet, 0, column, name, formats.bold)
        _write_rows(sheet, chain(sample, rows), zone, formats)
        if anchor:  # the audit chain's head when the file was made, for `audit-verify --anchor`
            about = workbook.add_worksheet("Audit anchor")
            _write_text(about, 0, 0, "Audit anchor")
            _write_text(about, 0, 1, anchor)
    return buffer.getvalue()


class _CellFormats:
    def __init__(self, workbook: xlsxwriter.Workbook):
        self.bold = workbook.add_format({"bold": True})
        self.date = workbook.add_format({"num_format": _DATE_FORMAT})
        self.datetime = workbook.add_format({"num_format": _DATETIME_FORMAT})


def _write_rows(sheet: Worksheet, rows: Iterable[Sequence[Any]], zone: ZoneInfo, formats: _CellFormats) -> None:
    """Every row from the second on. The types a register holds are written here without a call each (this loop
    runs for every cell); the rest go through `_write_cell`."""
    write_string, write_number, write_datetime = sheet.write_string, sheet.write_number, sheet.write_datetime
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            kind = type(value)
            if kind is str:
                if text := _neutralised_text(value)[:EXCEL_CELL_LIMIT]:
                    write_string(number, column, text)
            elif value is None:
                continue
            elif kind is int or (kind is float and math.isfinite(value)):
                write_number(number, column, value)
            elif kind is date:
                write_datetime(number, column, value, formats.date)
            else:
                _write_cell(sheet, number, column, value, zone, formats)


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


def _write_cell(sheet: Worksheet, row: int, column: int, value: Any, zone: ZoneInfo, formats: _CellFormats) -> None:
    """One value as the cell type it is: text (always a string cell), number, true/false or date; nothing for a
    missing value."""
    if isinstance(value, str):
        _write_text(sheet, row, column, value)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, (int, float, Decimal)):
        if math.isfinite(value):
            sheet.write_number(row, column, value)
        elif not math.isnan(value):
            _write_text(sheet, row, column, str(value))  # Excel has no infinity
    elif value is None or value is pd.NaT or value is pd.NA:
        return
    elif isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(zone).replace(tzinfo=None)
        moment = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
        if moment.time() == time(0):  # a date at midnight shows as a plain date
            sheet.write_datetime(row, column, moment.date(), formats.date)
        else:
            sheet.write_datetime(row, column, moment, formats.datetime)
    elif isinstance(value, date):
        sheet.write_datetime(row, column, value, formats.date)
    elif isinstance(value, np.generic):  # numpy scalars: plain Python values
        _write_cell(sheet, row, column, value.item(), zone, formats)
    else:
        _write_text(sheet, row, column, str(value))  # enums, timedeltas, anything else: shown as its text


def _write_text(sheet: Worksheet, row: int, column: int, text: str, cell_format: Format | None = None) -> None:
    """Text cleaned, neutralised and cut to Excel's limit, in a string cell: never a formula, number or error.
    Empty text is an empty cell."""
    if cleaned := neutralise_cell(text)[:EXCEL_CELL_LIMIT]:
        sheet.write_string(row, column, cleaned, cell_format)


def _safe_sheet_name(name: str) -> str:
    cleaned = _SHEET_NAME_FORBIDDEN.sub(" ", name).strip().strip("'")[:31]
    return cleaned or "Sheet1"


def _column_widths(header: Sequence[str], sample: list[Sequence[Any]]) -> list[float]:
    """Roughly the longest entry (header or a sampled value), clamped to 8-60 characters."""
    widths = []
    for column, name in enumerate(header):
        lengths = [_display_length(row[column]) for row in sample if not _missing(row[column])]
        longest = max(max(lengths, default=0), len(str(name)))
        widths.append(min(60.0, max(8.0, longest + 2.0)))
    return widths


def _missing(value: Any) -> bool:
    return value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _display_length(value: Any) -> int:
    if isinstance(value, datetime):
        return 10 if value.time() == time(0) else 19  # yyyy-mm-dd [h:mm:ss]
    if isinstance(value, float):
        return min(len(repr(value)), 11)  # Excel's General format shows about ten digits
    return len(str(value))
