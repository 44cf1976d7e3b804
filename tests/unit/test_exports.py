"""CSV and Excel exports: they open with accents and real dates, and no cell can run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from modules.exports import CSV_CHUNK_ROWS, csv_chunks, neutralise_cell, to_csv_bytes, to_xlsx_bytes, xlsx_bytes

UTC = UTC
HYPERLINK = '=HYPERLINK("http://x","y")'


def register() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["Zoë Łukasz", HYPERLINK, "Anna Smith"],
            "location": ["Leeds", "@SUM(A1)", None],
            "issued": [datetime(2026, 6, 1, 10, 0, tzinfo=UTC), datetime(2026, 1, 15, tzinfo=UTC), pd.NaT],
            "score": [0.92, -3.0, np.nan],
            "attempts": [1, 2, 3],
        }
    )


# ---------------------------------------------------------------------------------------- neutralise


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1", HYPERLINK])
def test_formula_triggers_get_a_leading_apostrophe(text):
    assert neutralise_cell(text) == "'" + text


# Each hides a formula from a check of the first character: a control character (dropped later, as XML cannot
# hold it), spaces some spreadsheets trim, an invisible format character, or a fullwidth sign that an IME
# or a spreadsheet may read as its ASCII twin.
DISGUISED = {
    "control character": "\x01" + HYPERLINK,
    "NUL": "\x00=1+1",
    "unit separator": "\x1f@SUM(A1)",
    "DEL": "\x7f=1+1",
    "C1 control": "\x85=1+1",
    "space": " =1+1",
    "newline": "\n=1+1",
    "no-break space": "\u00a0=1+1",
    "ideographic space": "\u3000=1+1",
    "zero-width space": "\u200b=1+1",
    "byte-order mark": "\ufeff=1+1",
    "fullwidth equals": "\uff1d1+1",
    "small equals": "\ufe661+1",
    "fullwidth plus": "\uff0b1",
    "fullwidth minus": "\uff0d1",
    "fullwidth at": "\uff20SUM(A1)",
    "controls then space": "\x01\x02 \t=1+1",
}


@pytest.mark.parametrize("text", DISGUISED.values(), ids=DISGUISED.keys())
def test_a_disguised_formula_is_cleaned_then_neutralised(text):
    cleaned = neutralise_cell(text)
    assert cleaned.startswith("'")
    assert not any(0 < ord(c) < 32 and c not in "\t\n\r" or ord(c) in (0, 0x7f) or 0x80 <= ord(c) < 0xa0
                   for c in cleaned)


@pytest.mark.parametrize("value", ["Anna", "", "a=b", "'=1", "Zoë Łukasz", "李 伟", 5, -3, 1.5, None,
                                   date(2026, 1, 1)])
def test_everything_else_is_unchanged(value):
    assert neutralise_cell(value) == value


def test_control_characters_inside_text_are_dropped_but_tabs_and_newlines_kept():
    assert neutralise_cell("Ann\x07a\x00 Smith") == "Anna Smith"
    assert neutralise_cell("line one\nline two\tend") == "line one\nline two\tend"


# ----------------------------------------------------------------------------------------------- CSV


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_starts_with_a_bom_and_keeps_accents():
    data = to_csv_bytes(register())
    assert data.startswith(b"\xef\xbb\xbf")
    assert read_csv(data)[1][0] == "Zoë Łukasz"


def test_csv_neutralises_text_cells_but_not_numbers():
    rows = read_csv(to_csv_bytes(register()))
    assert rows[0] == ["name", "location", "issued", "score", "attempts"]
    assert rows[2][0] == "'" + HYPERLINK
    assert rows[2][1] == "'@SUM(A1)"
    assert rows[2][3] == "-3.0"  # a real negative number is data, not an attack


@pytest.mark.parametrize("text", DISGUISED.values(), ids=DISGUISED.keys())
def test_csv_neutralises_a_disguised_formula_after_cleaning(text):
    rows = read_csv(to_csv_bytes(pd.DataFrame({text: [text], "n": [1]})))
    assert rows[0][0].startswith("'") and rows[1][0].startswith("'")
    assert rows[1][0] == neutralise_cell(text)


def test_csv_neutralises_a_formula_looking_header():
    rows = read_csv(to_csv_bytes(pd.DataFrame({"=cmd|' /C calc'!A0": ["x"]})))
    assert rows[0] == ["'=cmd|' /C calc'!A0"]


def test_csv_rows_end_with_crlf_and_text_with_newlines_stays_one_cell():
    data = to_csv_bytes(pd.DataFrame({"note": ["line one\nline two"], "n": [1]}))
    assert data.count(b"\r\n") == 2
    assert read_csv(data)[1] == ["line one\nline two", "1"]


def test_csv_writes_aware_datetimes_in_the_clinic_zone_with_offset():
    rows = read_csv(to_csv_bytes(register(), timezone_name="Europe/London"))
    assert rows[1][2] == "2026-06-01 11:00:00+01:00"
    assert rows[2][2] == "2026-01-15 00:00:00+00:00"
    assert rows[3][2] == ""  # no date is an empty cell, not "NaT"
    new_york = read_csv(to_csv_bytes(register(), timezone_name="America/New_York"))
    assert new_york[1][2] == "2026-06-01 06:00:00-04:00"
    assert read_csv(to_csv_bytes(register(), timezone_name="Asia/Kolkata"))[1][2] == "2026-06-01 15:30:00+05:30"


def test_csv_does_not_change_the_callers_frame():
    frame = register()
    to_csv_bytes(frame)
    assert frame.loc[1, "name"] == HYPERLINK


def plain_rows(frame: pd.DataFrame) -> list[tuple]:
    """The frame's rows as plain Python values, as a store read gives them: aware datetimes, floats, text."""
    columns = [frame[c].dt.to_pydatetime() if isinstance(frame[c].dtype, pd.DatetimeTZDtype) else frame[c].tolist()
               for c in frame.columns]
    return list(zip(*columns))


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata"])
def test_streamed_csv_is_the_csv_of_the_frame(zone):
    frame = register()
    frame.loc[3] = [DISGUISED["control character"], "\u200b=1+1", datetime(2026, 3, 29, 0, 30, tzinfo=UTC), 1e-9, 4]
    streamed = b"".join(csv_chunks([str(c) for c in frame.columns], plain_rows(frame), zone))
    assert streamed == to_csv_bytes(frame, zone)


def test_streamed_csv_turns_missing_values_into_empty_cells_and_keeps_plain_dates():
    rows = [("a", None, float("nan"), pd.NaT, date(2026, 2, 28), True, 7)]
    assert read_csv(b"".join(csv_chunks(["t", "n", "f", "d", "day", "b", "i"], rows)))[1] == [
        "a", "", "", "", "2026-02-28", "True", "7"]


def test_csv_is_streamed_a_piece_at_a_time():
    pulled = 0

    def rows():
        nonlocal pulled
        for n in range(3 * CSV_CHUNK_ROWS + 5):
            pulled += 1
            yield (f"=name {n}", n)

    pieces = csv_chunks(["name", "n"], rows())
    assert next(pieces) == "\ufeffname,n\r\n".encode() and pulled == 0  # the header goes out first
    first = next(pieces)
    assert pulled <= CSV_CHUNK_ROWS + 1 and first.count(b"\r\n") == CSV_CHUNK_ROWS
    rest = list(pieces)
    assert len(rest) == 3 and pulled == 3 * CSV_CHUNK_ROWS + 5
    lines = read_csv(b"".join([b"\xef\xbb\xbfname,n\r\n", first, *rest]))
    last = 3 * CSV_CHUNK_ROWS + 4
    assert lines[1] == ["'=name 0", "0"] and lines[-1] == [f"'=name {last}", str(last)]


# --------------------------------------------------------------------------------------------- Excel


def read_xlsx(data: bytes):
    return load_workbook(io.BytesIO(data))["Register"]


def test_xlsx_header_is_bold_and_frozen():
    sheet = read_xlsx(to_xlsx_bytes(register()))
    assert [c.value for c in sheet[1]] == ["name", "location", "issued", "score", "attempts"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 4


def test_xlsx_dates_are_real_date_cells_in_clinic_local_time():
    sheet = read_xlsx(to_xlsx_bytes(register(), timezone_name="Europe/London"))
    summer, winter_midnight, missing = sheet["C2"], sheet["C3"], sheet["C4"]
    assert summer.is_date and summer.value == datetime(2026, 6, 1, 11, 0)  # BST: UTC+1
    assert winter_midnight.is_date and winter_midnight.value == datetime(2026, 1, 15)
    assert "h" not in winter_midnight.number_format.lower()  # a date at midnight shows as a plain date
    assert missing.value is None


def test_xlsx_writes_plain_dates_and_naive_datetimes_as_dates():
    frame = pd.DataFrame({"day": [date(2026, 2, 28)], "when": [datetime(2026, 2, 28, 14, 5)]})
    sheet = load_workbook(io.BytesIO(to_xlsx_bytes(frame))).active
    assert sheet["A2"].is_date and sheet["A2"].value == datetime(2026, 2, 28)
    assert sheet["B2"].is_date and sheet["B2"].value == datetime(2026, 2, 28, 14, 5)


def test_xlsx_formula_looking_text_is_stored_as_text():
    sheet = read_xlsx(to_xlsx_bytes(register()))
    name, location = sheet["A3"], sheet["B3"]
    assert name.data_type == "s" and name.value == "'" + HYPERLINK
    assert location.data_type == "s" and location.value == "'@SUM(A1)"


def formulas(data: bytes) -> list[str]:
    """Every cell of every sheet that a spreadsheet would calculate."""
    workbook = load_workbook(io.BytesIO(data))
    return [c.coordinate for sheet in workbook for row in sheet.iter_rows() for c in row if c.data_type == "f"]


@pytest.mark.parametrize("text", DISGUISED.values(), ids=DISGUISED.keys())
def test_xlsx_has_no_formula_cell_for_a_disguised_formula(text):
    frame = pd.DataFrame({"name": [text], "location": ["Leeds"], text: [text], "n": [1]})
    data = to_xlsx_bytes(frame)
    assert formulas(data) == []
    sheet = load_workbook(io.BytesIO(data)).active
    for cell in (sheet["A2"], sheet["C1"], sheet["C2"]):
        assert cell.data_type == "s" and cell.value.startswith("'")


class Shown:
    """Anything that is not text, a number or a date is written as its text: that text is checked too."""

    def __str__(self) -> str:
        return "\x01=1+1"


def test_xlsx_every_text_cell_is_a_string_cell():
    frame = pd.DataFrame({"name": ["Anna", "\x01" + HYPERLINK, "#REF!", "TRUE"], "other": [Shown()] * 4,
                          "text": pd.array(["a", "=1", "\x02=2", None], dtype="string")})
    data = to_xlsx_bytes(frame)
    assert formulas(data) == []
    sheet = load_workbook(io.BytesIO(data)).active
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value is not None)
    assert sheet["B2"].value == "'=1+1" and sheet["C4"].value == "'=2" and sheet["C5"].value is None


def test_xlsx_error_code_text_stays_text():
    sheet = load_workbook(io.BytesIO(to_xlsx_bytes(pd.DataFrame({"name": ["#N/A"]})))).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "#N/A"


def test_xlsx_keeps_numbers_numeric_and_missing_values_empty():
    sheet = read_xlsx(to_xlsx_bytes(register()))
    assert sheet["D2"].value == 0.92 and sheet["D3"].value == -3.0 and sheet["D4"].value is None
    assert sheet["E4"].value == 3 and sheet["E4"].data_type == "n"
    assert sheet["B4"].value is None


def test_xlsx_drops_control_characters_instead_of_failing():
    sheet = load_workbook(io.BytesIO(to_xlsx_bytes(pd.DataFrame({"name": ["Ann\x07a\x00"]})))).active
    assert sheet["A2"].value == "Anna"


def test_xlsx_columns_fit_their_content_within_limits():
    frame = pd.DataFrame({"n": [1], "name": ["Maximiliana Wolfeschlegelsteinhausen"], "note": ["x" * 500]})
    sheet = load_workbook(io.BytesIO(to_xlsx_bytes(frame))).active
    assert sheet.column_dimensions["A"].width == 8
    assert sheet.column_dimensions["B"].width >= len("Maximiliana Wolfeschlegelsteinhausen")
    assert sheet.column_dimensions["C"].width == 60


def test_xlsx_sheet_name_is_made_valid():
    data = to_xlsx_bytes(pd.DataFrame({"a": [1]}), sheet_name="Register [2026/11]: all staff of every clinic")
    title = load_workbook(io.BytesIO(data)).active.title
    assert len(title) <= 31 and not set("[]:*?/\\") & set(title)


def test_xlsx_of_an_empty_frame_has_just_the_header():
    sheet = load_workbook(io.BytesIO(to_xlsx_bytes(pd.DataFrame(columns=["name", "issued"])))).active
    assert [c.value for c in sheet[1]] == ["name", "issued"] and sheet.max_row == 1


def test_xlsx_refuses_an_unknown_time_zone():
    with pytest.raises(ValueError):
        to_xlsx_bytes(register(), timezone_name="Nowhere/Special")


def test_xlsx_from_plain_rows_keeps_each_type():
    rows = [("=1+1", datetime(2026, 6, 1, 10, 0, tzinfo=UTC), date(2026, 2, 28), 1.5, 7, True, None, float("inf"),
             Decimal("2.5"), np.int64(3)),
            ("", None, None, float("nan"), None, None, None, None, None, None)]
    header = ["text", "moment", "day", "float", "int", "bool", "none", "inf", "decimal", "numpy"]
    workbook = load_workbook(io.BytesIO(xlsx_bytes(header, rows, "Rows", "Europe/London", anchor="3:cafe")))
    sheet = workbook["Rows"]
    assert [c.value for c in sheet[2]] == ["'=1+1", datetime(2026, 6, 1, 11, 0), datetime(2026, 2, 28), 1.5, 7, True,
                                           None, "inf", 2.5, 3]
    assert sheet["A2"].data_type == "s" and sheet["F2"].data_type == "b" and sheet["H2"].data_type == "s"
    assert sheet["B2"].is_date and sheet["C2"].is_date and "h" not in sheet["C2"].number_format
    assert [c.value for c in sheet[3]] == [None] * 10 and sheet.max_row == 3
    assert [[c.value for c in row] for row in workbook["Audit anchor"].iter_rows()] == [["Audit anchor", "3:cafe"]]
    assert formulas(xlsx_bytes(header, rows)) == []


def test_xlsx_widths_come_from_the_first_rows_and_the_header():
    rows = [("x" * 20, 1)] + [("y", 2)] * 3_000 + [("z" * 50, 3)]  # the last row is past the sample
    sheet = load_workbook(io.BytesIO(xlsx_bytes(["name", "a longer header"], rows))).active
    assert sheet.column_dimensions["A"].width == 22 and sheet.column_dimensions["B"].width == 17
    assert sheet.max_row == 3_003 and sheet.cell(row=3_003, column=1).value == "z" * 50
