"""Issue #16: in exports, numbers stay numbers (a negative figure is never "'-17.2") and typed text is still
neutralised, in the item analysis CSV and in the register's CSV and Excel."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from modules import auth, register, team
from modules.core.item_sums import Mark, accumulate, contribution
from modules.core.types import Role
from modules.exports import csv_chunks, neutralise_cell, to_csv_bytes, to_xlsx_bytes, xlsx_bytes

TYPED_FORMULA = "=1+1"


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("number", [-17.2, -3, np.float64(-17.2), np.int64(-4), Decimal("-1.5"), -0.0])
def test_the_guard_never_touches_a_number(number):
    assert neutralise_cell(number) is number


@pytest.mark.parametrize("text", [TYPED_FORMULA, "-17.2", "+44 20 7946 0958", "@SUM(A1)"])
def test_the_guard_still_neutralises_text_that_looks_like_a_formula(text):
    assert neutralise_cell(text) == "'" + text


def test_negative_numbers_in_a_csv_have_no_apostrophe_in_every_way_in():
    frame = pd.DataFrame({"figure": [-17.2, 3.5], "mixed": [-2.5, "-2.5"], "count": [-3, 4]})
    rows = csv_rows(to_csv_bytes(frame))
    assert [r["figure"] for r in rows] == ["-17.2", "3.5"] and [r["count"] for r in rows] == ["-3", "4"]
    assert [r["mixed"] for r in rows] == ["-2.5", "'-2.5"]  # the number stays one; the typed text is guarded
    streamed = csv_rows(b"".join(csv_chunks(["figure", "text"], [(-17.2, TYPED_FORMULA), (np.float64(-1.5), "ok")])))
    assert [(r["figure"], r["text"]) for r in streamed] == [("-17.2", "'" + TYPED_FORMULA), ("-1.5", "ok")]


def test_negative_numbers_in_excel_are_number_cells_and_typed_text_a_string_cell():
    for data in (to_xlsx_bytes(pd.DataFrame({"figure": [-17.2], "text": [TYPED_FORMULA]})),
                 xlsx_bytes(["figure", "text"], [(np.float64(-17.2), TYPED_FORMULA)])):
        sheet = load_workbook(io.BytesIO(data)).active
        figure, text = sheet["A2"], sheet["B2"]
        assert (figure.data_type, figure.value) == ("n", -17.2)
        assert (text.data_type, text.value) == ("s", "'" + TYPED_FORMULA)


# ---- the item analysis CSV ----------------------------------------------------------------------------------------


def item_csv_rows(prompts: dict[str, str]) -> dict[str, dict[str, str]]:
    """The CSV the page offers, for answers where "reversed" is answered best by the weakest (negative figures)."""
    marks = [[Mark("rises", 0, float(i >= 3)), Mark("steady", 1, float(i >= 2)), Mark("reversed", 2, float(i < 2))]
             for i in range(6)]
    analysis = team.item_analysis(accumulate(contribution(m) for m in marks), prompts)
    report = team.item_report(analysis.table, 5)
    assert report.set_index("question_id").loc["reversed", "discrimination_index"] < 0
    return {row["Question"]: row for row in csv_rows(to_csv_bytes(team.item_display(report)))}


def test_the_item_analysis_csv_keeps_negative_figures_as_numbers():
    rows = item_csv_rows({})
    reversed_row = rows["reversed"]
    for label in ("Discrimination %", "Efficiency %"):
        assert not reversed_row[label].startswith("'")
        assert float(reversed_row[label]) < 0
    assert float(reversed_row["Facility %"]) == pytest.approx(33.3) and reversed_row["Attempts"] == "6"


def test_the_item_analysis_csv_leaves_an_undefined_figure_empty_and_still_guards_text():
    rows = item_csv_rows({"rises": TYPED_FORMULA})
    assert rows["rises"]["Prompt"] == "'" + TYPED_FORMULA
    withheld = csv_rows(to_csv_bytes(team.item_display(team.item_report(
        team.item_analysis(accumulate(contribution([Mark("once", 0, 1.0)]) for _ in range(1)), {}).table, 30))))
    assert withheld[0]["Discrimination %"] == "" and withheld[0]["What to do"] == "1 of 30 responses needed: no " \
                                                                                "verdict yet"


# ---- the register ---------------------------------------------------------------------------------------------


@pytest.fixture
def typed_register(store, clock):
    manager = store.accounts.get(auth.create_user(store, "mona", "Mona", Role.MANAGER, "correct horse battery"))
    tech = auth.create_user(store, "tess", TYPED_FORMULA, Role.TECHNICIAN, "correct horse battery",
                            location="-2+3")
    store.certificates.issue(tech, None, "Certificate", 0.925, expires_at=clock() + timedelta(days=200))
    return register.register_rows(store, manager.actor, clock())


def test_the_register_csv_guards_typed_text_and_keeps_the_score_a_number(typed_register):
    for data in (register.register_file(typed_register, "csv", "UTC"),
                 register.file_bytes(register.register_frame(typed_register, "UTC"), "csv", "UTC", "Register")):
        row = next(r for r in csv_rows(data) if r["Username"] == "tess")
        assert (row["Name"], row["Location"]) == ("'" + TYPED_FORMULA, "'-2+3")
        assert float(row["Exam score (%)"]) == 92.5


def test_the_register_excel_guards_typed_text_and_keeps_the_score_a_number(typed_register):
    for data in (register.register_file(typed_register, "xlsx", "UTC"),
                 register.file_bytes(register.register_frame(typed_register, "UTC"), "xlsx", "UTC", "Register")):
        sheet = load_workbook(io.BytesIO(data)).active
        header = [c.value for c in sheet[1]]
        row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("Username")].value == "tess")
        name, location = row[header.index("Name")], row[header.index("Location")]
        score = row[header.index("Exam score (%)")]
        assert (name.data_type, name.value) == ("s", "'" + TYPED_FORMULA)
        assert (location.data_type, location.value) == ("s", "'-2+3")
        assert (score.data_type, score.value) == ("n", 92.5)
