"""Item analysis a trainer can act on: no verdict before enough responses, what to do first, the chart's data."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from modules import analytics, team
from modules.banks import load_banks
from modules.core.item_sums import Mark, accumulate, contribution, option_tallies
from modules.core.types import QuestionType
from tests.helpers import FIXTURE_BANKS

BANKS = load_banks(FIXTURE_BANKS)
MIN = 30


def attempts(abilities: list[int], questions: dict[str, int | None]) -> list[list[Mark]]:
    """One attempt per ability: question q is right when the ability reaches its bar (None: always wrong)."""
    return [[Mark(q, position, float(bar is not None and ability >= bar))
             for position, (q, bar) in enumerate(questions.items())] for ability in abilities]


def analysed(*groups: list[list[Mark]]) -> team.ItemAnalysis:
    return team.item_analysis(accumulate(contribution(marks) for group in groups for marks in group), {})


def report_of(*groups: list[list[Mark]], min_responses: int = MIN) -> pd.DataFrame:
    return team.item_report(analysed(*groups).table, min_responses).set_index("question_id")


# 40 people of every ability: "sorts" separates them, "coin" does not, "hard" nobody gets right but the best.
FORTY = attempts(list(range(40)), {"sorts": 20, "coin": 0, "hard": 39})
# A question only 12 of them met, answered in reverse to the rest: -100 discrimination on its own figures.
TWELVE = [marks + [Mark("new", 3, float(i < 6))] for i, marks in enumerate(attempts(list(range(12)), {"sorts": 6}))]


# ---- the minimum-responses rule ---------------------------------------------------------------------------------


def test_a_question_with_too_few_responses_gets_no_flag_and_says_how_many_it_needs():
    raw = analysed(TWELVE).table.set_index("question_id")
    assert raw.loc["new", "flags"] != ""  # the raw analysis would flag it: noise the report must hold back
    report = report_of(TWELVE)
    assert (report["flags"] == "").all() and not report["enough"].any()
    assert report.loc["new", "hint"] == "12 of 30 responses needed: no verdict yet"
    for column in team.ESTIMATES:
        assert math.isnan(report.loc["new", column])
    assert report.loc["new", "facility"] == pytest.approx(0.5)  # a count, shown as it is


def test_a_question_is_judged_from_exactly_the_minimum():
    report = report_of(attempts(list(range(30)), {"sorts": 15, "other": 10, "hard": None}))
    assert report["enough"].all()
    assert report.loc["hard", "flags"] == analytics.ItemFlag.TOO_HARD.value
    assert report.loc["hard", "hint"] == analytics.HINTS[analytics.ItemFlag.TOO_HARD]
    assert report.loc["sorts", "flags"] == "" and report.loc["sorts", "discrimination_index"] > 0
    below = report_of(attempts(list(range(29)), {"sorts": 15, "other": 10, "hard": None}))
    assert (below["flags"] == "").all()
    assert set(below["hint"]) == {"29 of 30 responses needed: no verdict yet"}


def test_each_question_is_judged_on_its_own_count():
    report = report_of(FORTY, TWELVE)
    assert report.loc["sorts", "enough"] and report.loc["sorts", "attempts"] == 52
    assert not report.loc["new", "enough"] and report.loc["new", "flags"] == ""
    assert report.loc["hard", "flags"] == analytics.ItemFlag.TOO_HARD.value
    assert report.loc["coin", "flags"] == analytics.ItemFlag.TOO_EASY.value


def test_the_minimum_comes_from_the_policy_argument():
    assert report_of(TWELVE, min_responses=12).loc["new", "flags"] != ""


def test_the_raw_analysis_is_left_as_moodle_computes_it():
    analysis = analysed(TWELVE)
    before = analysis.table.copy()
    team.item_report(analysis.table, MIN)
    pd.testing.assert_frame_equal(analysis.table, before)


# ---- what the table shows first -----------------------------------------------------------------------------------


def test_what_to_do_and_the_flags_come_first_and_figures_stay_numbers():
    shown = team.item_display(team.item_report(analysed(FORTY, TWELVE).table, MIN))
    assert list(shown.columns[:4]) == ["Question", "Flags", "What to do", "Prompt"]
    assert all(len(label) <= 16 for label in team.FIGURES.values())
    for label in team.FIGURES.values():
        assert pd.api.types.is_float_dtype(shown[label])
    hardest = shown.iloc[0]
    assert (hardest["Question"], hardest["Facility %"]) == ("hard", 2.5)  # hardest first, in percent


def test_a_listed_question_shows_its_case_cut_short_then_the_whole_prompt():
    question = BANKS.question("skin-007")
    assert team.listed_question(question) == f"Case: {question.scenario} | {question.prompt}"
    long_case = question.__class__(**{**question.__dict__, "scenario": "A client of 52 " + "who asks a lot " * 10})
    listed = team.listed_question(long_case)
    case, prompt = listed.split(" | ")
    assert case.endswith(" …") and len(case) <= len("Case: ") + team.CASE_PREVIEW
    assert prompt == question.prompt
    assert team.listed_question(BANKS.question("skin-001")) == BANKS.question("skin-001").prompt


def test_the_report_lists_questions_with_their_case_and_keeps_a_retired_prompt():
    sums = accumulate(contribution([Mark("skin-007", 0, 1.0), Mark("gone-001", 1, 0.0)]) for _ in range(2))
    table = team.item_analysis(sums, {"skin-007": "bare prompt", "gone-001": "an old prompt"}).table
    report = team.item_report(table, MIN, team.question_texts(BANKS)).set_index("question_id")
    assert report.loc["skin-007", "prompt"] == team.listed_question(BANKS.question("skin-007"))
    assert report.loc["gone-001", "prompt"] == "an old prompt"


def test_questions_never_answered_are_listed_with_their_case():
    never = team.never_answered(BANKS, set()).set_index("Question")
    assert never.loc["skin-007", "Prompt"] == team.listed_question(BANKS.question("skin-007"))


# ---- the chart's data ---------------------------------------------------------------------------------------------


def in_zone(point: pd.Series, zones: pd.DataFrame) -> set[str]:
    """The zones a point lies in; a threshold itself is outside its zone (the flags compare strictly)."""
    x, y = point["facility"], point["discrimination"]
    inside = (((zones["x0"] == 0) | (zones["x0"] < x)) & ((zones["x1"] == 100) | (x < zones["x1"]))
              & ((zones["y0"] == -100) | (zones["y0"] < y)) & ((zones["y1"] == 100) | (y < zones["y1"])))
    return set(zones.loc[inside, "zone"])


def test_chart_points_are_the_judged_questions_in_percent():
    five = [[Mark("new", 0, float(i % 2)), Mark("newer", 1, float(i > 1))] for i in range(5)]
    report = team.item_report(analysed(FORTY, five).table, MIN)
    points = team.chart_points(report).set_index("question")
    # "new" has too few responses and "coin" nobody got wrong (no spread): neither is plotted.
    assert set(points.index) == {"sorts", "hard"}
    judged = report.set_index("question_id")
    assert points.loc["sorts", "facility"] == pytest.approx(judged.loc["sorts", "facility"] * 100, abs=0.05)
    assert points.loc["sorts", "discrimination"] == pytest.approx(
        judged.loc["sorts", "discriminative_efficiency"], abs=0.05)
    assert points.loc["hard", "verdict"] == "flagged" and points.loc["hard", "flags"] == "too hard"
    assert points.loc["sorts", "verdict"] == "no flag" and points.loc["sorts", "flags"] == "none"


def test_a_point_is_flagged_exactly_when_it_lies_in_a_shaded_zone():
    abilities = list(range(60))
    bars: dict[str, int | None] = {f"q{bar}": bar for bar in (2, *range(0, 60, 3))}  # every 5% of facility
    noisy = [marks + [Mark("odd", 99, float(i % 2))] for i, marks in enumerate(attempts(abilities, bars))]
    points = team.chart_points(team.item_report(analysed(noisy).table, MIN))
    zones = team.flag_zones()
    hit: set[str] = set()
    for _, point in points.iterrows():
        zone_names = in_zone(point, zones)
        assert (point["verdict"] == "flagged") == bool(zone_names), point["question"]
        assert set(point["flags"].split(", ")) == zone_names or (not zone_names and point["flags"] == "none")
        hit |= zone_names
    assert hit == set(zones["zone"]) and (points["verdict"] == "no flag").sum() > 10


def test_flag_zones_follow_the_analytics_thresholds():
    zones = team.flag_zones().set_index("zone")
    assert zones.loc["too hard", "x1"] == analytics.TOO_HARD_BELOW * 100
    assert zones.loc["too easy", "x0"] == analytics.TOO_EASY_ABOVE * 100
    assert zones.loc["does not discriminate", "y1"] == analytics.MIN_DISCRIMINATIVE_EFFICIENCY


def test_option_shares_mark_the_key_in_words():
    snapshot = {"type": QuestionType.SINGLE.value, "options": ["Sunscreen", "Retinol", "Steam"], "key": "Sunscreen"}
    chosen = ["Sunscreen", "Sunscreen", "Sunscreen", "Retinol"]
    sums = accumulate(contribution([Mark("key", 0, float(c == "Sunscreen"))],
                                   options=option_tallies("key", snapshot, c)) for c in chosen)
    shares = team.option_shares(team.options_table(sums), "key").set_index("option")
    assert list(shares.index) == ["Retinol", "Steam", "Sunscreen (key)"]
    assert shares.loc["Sunscreen (key)", ["chosen", "times_chosen", "role"]].tolist() == [75.0, 3, "key"]
    assert shares.loc["Retinol", "role"] == "wrong option" and shares.loc["Retinol", "chosen"] == 25.0
    assert shares.loc["Steam", "role"] == "wrong option nobody picks"
    assert team.option_shares(team.options_table(sums), "another").empty


# ---- whole-test figures in words ----------------------------------------------------------------------------------


def statistics(**figures: float) -> analytics.QuizStatistics:
    nan = float("nan")
    base = dict(n=50, items=40, average=nan, median=nan, sd=nan, skewness=nan, kurtosis=nan, cic=nan,
                error_ratio=nan, standard_error=nan)
    return analytics.QuizStatistics(**(base | figures))  # type: ignore[arg-type]


def test_the_average_is_read_out_of_the_questions():
    assert team.average_mark(statistics(average=31.24)) == "31.2 of 40"
    assert team.average_mark(statistics()) == "n/a"


@pytest.mark.parametrize(("cic", "label"), [(80.0, "satisfactory"), (70.0, "borderline"), (50.0, "unsatisfactory")])
def test_reliability_reads_as_a_whole_sentence(cic, label):
    text = team.reliability_text(statistics(cic=cic))
    assert text.startswith(f"Reliability: {label}. Cronbach's alpha is {cic:.1f}%")


def test_unknown_reliability_says_why():
    assert team.reliability_text(statistics()).startswith("Reliability: not known yet.")
