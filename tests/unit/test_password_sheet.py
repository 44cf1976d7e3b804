"""The one-time password sheet: exactly the accounts it is given, with the change-at-first-sign-in notice."""

from __future__ import annotations

import csv
import io
import re

from modules.password_sheet import CHANGE_NOTICE, CSV_COLUMNS, SheetEntry, merged, sheet_csv, sheet_pdf

ANN = SheetEntry("Ann Able", "ann", "AAAAA-BBBBB-CCCCC")
BOB = SheetEntry("Bob Brown", "bob", "DDDDD-EEEEE-FFFFF")


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, so Excel shows accents
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_csv_has_name_username_password_and_the_notice_for_each_listed_account():
    rows = read_csv(sheet_csv([ANN, BOB]))
    assert list(rows[0]) == CSV_COLUMNS == ["name", "username", "one_time_password", "note"]
    assert [(r["name"], r["username"], r["one_time_password"]) for r in rows] == [
        ("Ann Able", "ann", "AAAAA-BBBBB-CCCCC"), ("Bob Brown", "bob", "DDDDD-EEEEE-FFFFF")]
    assert {r["note"] for r in rows} == {CHANGE_NOTICE}
    assert "first sign in" in CHANGE_NOTICE


def test_the_sheet_holds_only_the_accounts_it_is_given():
    rows = read_csv(sheet_csv([BOB]))
    assert [r["username"] for r in rows] == ["bob"]
    pdf = sheet_pdf([BOB], "Glow Skin Clinic", "https://training.clinic.example", compress=False)
    assert b"DDDDD-EEEEE-FFFFF" in pdf and b"Bob Brown" in pdf and b"Ann Able" not in pdf
    assert b"AAAAA-BBBBB-CCCCC" not in pdf and b"AAAAA-BBBBB-CCCCC" not in sheet_csv([BOB])
    assert read_csv(sheet_csv([])) == []


def test_the_pdf_shows_each_slip_with_the_notice_and_where_to_sign_in():
    pdf = sheet_pdf([ANN, BOB], "Glow Skin Clinic", "https://training.clinic.example", compress=False)
    assert pdf.startswith(b"%PDF-")
    for text in (b"Ann Able", b"AAAAA-BBBBB-CCCCC", b"Bob Brown", b"DDDDD-EEEEE-FFFFF", b"Glow Skin Clinic",
                 b"Sign in at https://training.clinic.example", b"you must choose your own password"):
        assert text in pdf, text


def test_a_long_list_runs_onto_more_pages():
    many = [SheetEntry(f"Person {i}", f"p{i}", f"{i:05d}-XXXXX-YYYYY") for i in range(20)]
    pdf = sheet_pdf(many, "Glow", compress=False)
    assert re.search(rb"/Count (\d+)", pdf)[1] == b"4"  # 5 slips under the heading, then 6 a page
    assert all(entry.one_time_password.encode() in pdf for entry in many)


def test_a_name_that_looks_like_a_formula_is_neutralised_in_the_csv():
    rows = read_csv(sheet_csv([SheetEntry("=HYPERLINK(\"x\")", "eve", "GGGGG-HHHHH-IIIII")]))
    assert rows[0]["name"].startswith("'=")


def test_a_newer_password_for_the_same_person_replaces_the_older_in_place():
    ann_again = SheetEntry("Ann Able", "ann", "ZZZZZ-ZZZZZ-ZZZZZ")
    assert merged([ANN, BOB], [ann_again]) == [ann_again, BOB]
    assert merged([], [ANN]) == [ANN]


def test_the_password_never_shows_in_a_repr():
    assert "AAAAA" not in repr(ANN) and "AAAAA" not in repr([ANN])
