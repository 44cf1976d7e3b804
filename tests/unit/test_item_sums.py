"""Item analysis from running sums gives Moodle's figures, and the same figures as from every response."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modules import analytics as an
from modules.core.item_sums import Mark, ScopeSums, accumulate, contribution, option_tallies
from tests.unit.test_analytics import (
    _QSTATS,
    QSTATS_COLUMNS,
    _assert_figure,
    _csv,
    _legacy_marks,
    _marks,
    _results00_marks,
)


def sums_of(marks: pd.DataFrame, totals: pd.Series | None = None) -> ScopeSums:
    """Each attempt's marks added as one contribution, as the store adds a finished attempt."""
    marks = marks[marks["mark"].notna()]
    parts = []
    for attempt_id, rows in marks.groupby("attempt_id", sort=False):
        position = rows["slot"] if "slot" in rows else pd.Series(range(len(rows)), index=rows.index)
        listed = [Mark(str(q), int(p), float(m), float(mm))
                  for q, p, m, mm in zip(rows["question_id"], position, rows["mark"], rows["max_mark"])]
        parts.append(contribution(listed, None if totals is None else float(totals[attempt_id])))
    return accumulate(parts)


@pytest.mark.parametrize("row", _QSTATS.to_dict("records"), ids=lambda r: f"slot{r['slot']}")
def test_item_figures_from_sums_match_moodle_qstats00(row):
    stats = an.item_statistics_from_sums(sums_of(_results00_marks())).loc[str(int(row["slot"]))]
    for moodle_name, ours in QSTATS_COLUMNS.items():
        _assert_figure(float(stats[ours]), row[moodle_name], rel=1e-5)


@pytest.mark.parametrize("row", _csv("expected_quizstats00.csv").to_dict("records"), ids=lambda r: r["statname"])
def test_test_figures_from_sums_match_moodle_quizstats00(row):
    stats = an.test_statistics_from_sums(sums_of(_results00_marks()))
    ours = {"median": stats.median, "firstattemptsavg": stats.average, "allattemptsavg": stats.average,
            "firstattemptscount": stats.n, "allattemptscount": stats.n, "standarddeviation": stats.sd,
            "skewness": stats.skewness, "kurtosis": stats.kurtosis, "cic": stats.cic,
            "errorratio": stats.error_ratio, "standarderror": stats.standard_error}[row["statname"]]
    _assert_figure(ours, row["expected"], rel=float(row["relative_tolerance"]))


@pytest.mark.parametrize("row", _csv("expected_legacy_qstats.csv").to_dict("records"), ids=lambda r: f"slot{r['slot']}")
def test_legacy_figures_from_sums_use_sumgrades_as_total(row):
    marks, totals = _legacy_marks()
    stats = an.item_statistics_from_sums(sums_of(marks, totals)).loc[str(int(row["slot"]))]
    figures = {"facility_x100": stats["facility"] * 100, "sd_x1000": stats["sd"] * 1000,
               "effectiveweight": stats["effective_weight"], "discriminationindex": stats["discrimination_index"],
               "discriminativeefficiency": stats["discriminative_efficiency"]}
    for name, actual in figures.items():
        _assert_figure(float(actual), row[name], rel=1e-5, undefined_may_be_zero=True)


def assert_same_figures(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    expected = expected.set_axis(expected.index.astype(str))
    pd.testing.assert_frame_equal(expected, actual, check_exact=False, rtol=1e-7, atol=1e-9, check_names=False)


@st.composite
def dyadic_mark_tables(draw):
    """Marks as the app gives them (fractions of a question's marks), kept to quarters so that a total minus a
    mark is exact in binary: arbitrary floats make "O varies" a question of rounding noise in the last bit."""
    attempts = draw(st.integers(1, 8))
    items = draw(st.integers(1, 5))
    max_marks = draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, 8.0]), min_size=items, max_size=items))
    rows = []
    for a in range(attempts):
        for q in range(items):
            if (a == 0 and q == 0) or draw(st.booleans()):
                rows.append((a, f"q{q}", draw(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])) * max_marks[q],
                             max_marks[q]))
    return _marks(rows)


@settings(max_examples=200, deadline=None)
@given(dyadic_mark_tables())
def test_sums_give_the_figures_every_response_gives(marks):
    assert_same_figures(an.item_statistics(marks), an.item_statistics_from_sums(sums_of(marks)))
    slots = marks.assign(slot=marks.groupby("attempt_id").cumcount())
    complete = len(marks) == marks["attempt_id"].nunique() * marks["question_id"].nunique()
    expected = an.test_statistics(slots, item_column="question_id" if complete else "slot").to_dict()
    actual = an.test_statistics_from_sums(sums_of(slots)).to_dict()
    for name, value in expected.items():
        if name in ("error_ratio", "standard_error") and abs(expected["cic"] - 100) < 1e-6:
            continue  # alpha is 100 up to rounding: sqrt(1 - alpha) is rounding noise, or NaN, either way
        if name == "reliability" and min(abs(expected["cic"] - t) for t in (an.CIC_SATISFACTORY,
                                                                        an.CIC_UNSATISFACTORY)) < 1e-6:
            continue  # alpha sits on a threshold up to rounding: either reading is right
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(actual[name]), name
        elif isinstance(value, str):
            assert value == actual[name], name
        else:
            assert actual[name] == pytest.approx(value, rel=1e-7, abs=1e-9), name


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two():
    sums = accumulate(contribution([Mark("q", 0, t)]) for t in (1.0, 2.0, 2.0, 7.0))
    assert an.test_statistics_from_sums(sums).median == 2.0
    sums.add(contribution([Mark("q", 0, 9.0)]))
    sums.add(contribution([Mark("q", 0, 9.0)]))
    assert an.test_statistics_from_sums(sums).median == 4.5


def test_an_item_everyone_gets_right_is_undefined_not_rounding_noise():
    sums = accumulate(contribution([Mark("same", 0, 1 / 3), Mark("varies", 1, m)]) for m in (0.0, 1.0, 0.5))
    same = an.item_statistics_from_sums(sums).loc["same"]
    assert same["mark_variance"] == 0.0 and np.isnan(same["discrimination_index"])


def test_options_are_counted_as_shown_and_chosen():
    single = {"type": "single", "options": ["Stop", "Go on", "Ask"], "key": "Stop"}
    multiple = {"type": "multiple", "options": ["A", "B", "C"], "key": ["A", "B"]}
    parts = [contribution([Mark("s", 0, 1.0)], options=option_tallies("s", single, "Stop")),
             contribution([Mark("s", 0, 0.0)], options=option_tallies("s", single, "Go on")),
             contribution([Mark("m", 0, 0.5)], options=option_tallies("m", multiple, ["A", "C"])),
             contribution([Mark("t", 0, 1.0)], options=option_tallies("t", {"type": "true_false", "key": False},
                                                                       False))]
    counted = {(o.question_id, o.option): (o.is_key, o.shown, o.chosen) for o in accumulate(parts).options.values()}
    assert counted == {("s", "Stop"): (True, 2, 1), ("s", "Go on"): (False, 2, 1), ("s", "Ask"): (False, 2, 0),
                       ("m", "A"): (True, 1, 1), ("m", "B"): (True, 1, 0), ("m", "C"): (False, 1, 1),
                       ("t", "True"): (False, 1, 0), ("t", "False"): (True, 1, 1)}
