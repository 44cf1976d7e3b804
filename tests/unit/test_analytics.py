"""Item analysis reproduces Moodle's quiz statistics, flags the questions a trainer must look at, never crashes."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modules import analytics as an

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "moodle-quiz-statistics"  # see its README: source, licence
NULL = "**NULL**"

QSTATS_COLUMNS = {
    "s": "s",
    "facility": "facility",
    "sd": "sd",
    "effectiveweight": "effective_weight",
    "covariance": "covariance",
    "markvariance": "mark_variance",
    "othermarkvariance": "other_mark_variance",
    "discriminationindex": "discrimination_index",
    "covariancemax": "covariance_max",
    "discriminativeefficiency": "discriminative_efficiency",
}


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / name, dtype=str, keep_default_na=False)


def _results00_marks() -> pd.DataFrame:
    results = pd.read_csv(REFERENCE / "results00.csv")
    slots = [c for c in results.columns if c.startswith("slots.")]
    long = results.melt(id_vars="quizattempt", value_vars=slots, var_name="slot", value_name="mark")
    return pd.DataFrame(
        {
            "attempt_id": long["quizattempt"],
            "question_id": long["slot"].str.split(".").str[1].astype(int),
            "mark": long["mark"].astype(float),
            "max_mark": 1.0,
        }
    )


def _legacy_marks() -> tuple[pd.DataFrame, pd.Series]:
    states = pd.read_csv(REFERENCE / "mdl_question_states.csv")
    questions = pd.read_csv(REFERENCE / "mdl_question.csv")
    states["attempt_id"] = (states["slot"] == 1).cumsum()  # each attempt starts at its slot-1 row
    max_marks = questions.set_index("slot")["maxmark"].astype(float)
    marks = pd.DataFrame(
        {
            "attempt_id": states["attempt_id"],
            "question_id": states["slot"],
            "mark": states["mark"].astype(float),
            "max_mark": states["slot"].map(max_marks),
        }
    )
    totals = states.groupby("attempt_id")["sumgrades"].first().astype(float)
    return marks, totals


def _assert_figure(actual, expected: str, rel: float, undefined_may_be_zero: bool = False) -> None:
    if expected == NULL:
        undefined = actual is None or (isinstance(actual, float) and math.isnan(actual))
        assert undefined or (undefined_may_be_zero and actual == 0), f"expected undefined, got {actual}"
    else:
        assert actual == pytest.approx(float(expected), rel=rel, abs=1e-12)


def _warnings_are_errors():
    return warnings.catch_warnings(action="error")


# --- Moodle's fixtures ---------------------------------------------------------------------------------------


_QSTATS = _csv("qstats00.csv")
_QSTATS = _QSTATS[(_QSTATS["subqname"] == "") & (_QSTATS["variant"] == "")]


@pytest.mark.parametrize("row", _QSTATS.to_dict("records"), ids=lambda r: f"slot{r['slot']}")
def test_item_statistics_match_moodle_qstats00(row):
    stats = an.item_statistics(_results00_marks()).loc[int(row["slot"])]
    for moodle_name, ours in QSTATS_COLUMNS.items():
        _assert_figure(float(stats[ours]), row[moodle_name], rel=1e-5)


def test_qstats00_has_all_seven_slots():
    assert sorted(_QSTATS["slot"].astype(int)) == list(range(1, 8))


@pytest.mark.parametrize("row", _csv("expected_quizstats00.csv").to_dict("records"), ids=lambda r: r["statname"])
def test_quiz_statistics_match_moodle_quizstats00(row):
    stats = an.test_statistics(_results00_marks())
    ours = {
        "median": stats.median,
        "firstattemptsavg": stats.average,
        "allattemptsavg": stats.average,
        "firstattemptscount": stats.n,
        "allattemptscount": stats.n,
        "standarddeviation": stats.sd,
        "skewness": stats.skewness,
        "kurtosis": stats.kurtosis,
        "cic": stats.cic,
        "errorratio": stats.error_ratio,
        "standarderror": stats.standard_error,
    }[row["statname"]]
    _assert_figure(ours, row["expected"], rel=float(row["relative_tolerance"]))


@pytest.mark.parametrize("row", _csv("expected_legacy_qstats.csv").to_dict("records"), ids=lambda r: f"slot{r['slot']}")
def test_legacy_statistics_use_sumgrades_as_total(row):
    marks, totals = _legacy_marks()
    with _warnings_are_errors():
        stats = an.item_statistics(marks, totals).loc[int(row["slot"])]
    figures = {
        "facility_x100": stats["facility"] * 100,
        "sd_x1000": stats["sd"] * 1000,
        "effectiveweight": stats["effective_weight"],
        "discriminationindex": stats["discrimination_index"],
        "discriminativeefficiency": stats["discriminative_efficiency"],
    }
    for name, actual in figures.items():
        _assert_figure(float(actual), row[name], rel=1e-5, undefined_may_be_zero=True)


def test_legacy_case_has_22_attempts_of_20_slots():
    marks, totals = _legacy_marks()
    stats = an.item_statistics(marks, totals)
    assert len(stats) == 20 and set(stats["s"]) == {22} and len(totals) == 22


def test_given_totals_replace_the_sum_of_listed_marks():
    # A total that includes an item we were not given must give the figures of the full table.
    marks = _results00_marks()
    listed = marks[marks["question_id"] != 7]
    totals = marks.groupby("attempt_id")["mark"].sum()
    full = an.item_statistics(marks).drop(index=7)
    from_totals = an.item_statistics(listed, totals)
    for column in ("covariance", "discrimination_index", "discriminative_efficiency", "covariance_with_total"):
        assert from_totals[column].tolist() == pytest.approx(full[column].tolist(), rel=1e-12), column
    assert an.item_statistics(listed).loc[1, "covariance"] != pytest.approx(full.loc[1, "covariance"], rel=1e-3)


def test_totals_missing_an_attempt_is_refused():
    marks = _results00_marks()
    with pytest.raises(ValueError, match="totals"):
        an.item_statistics(marks, pd.Series({1: 6.0}))


# --- undefined cases ----------------------------------------------------------------------------------------


def _marks(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["attempt_id", "question_id", "mark", "max_mark"])


def test_single_attempt_gives_undefined_spread_not_an_error():
    with _warnings_are_errors():
        stats = an.item_statistics(_marks([(1, "q1", 1.0, 1.0), (1, "q2", 0.0, 1.0)]))
        quiz = an.test_statistics(_marks([(1, "q1", 1.0, 1.0), (1, "q2", 0.0, 1.0)]))
    assert list(stats["facility"]) == [1.0, 0.0]
    for column in ("sd", "discrimination_index", "discriminative_efficiency", "effective_weight"):
        assert stats[column].isna().all(), column
    assert quiz.n == 1 and quiz.average == 1.0
    assert all(math.isnan(v) for v in (quiz.sd, quiz.skewness, quiz.kurtosis, quiz.cic, quiz.standard_error))
    assert quiz.reliability == "n/a"


def test_item_everyone_gets_right_has_no_discrimination_figure():
    rows = [(a, "easy", 1.0, 1.0) for a in range(5)] + [(a, "q2", float(a % 2), 1.0) for a in range(5)]
    with _warnings_are_errors():
        stats = an.item_statistics(_marks(rows))
    easy = stats.loc["easy"]
    assert easy["facility"] == 1.0 and easy["sd"] == 0.0
    assert math.isnan(easy["discrimination_index"]) and math.isnan(easy["discriminative_efficiency"])
    assert easy["effective_weight"] == 0.0


def test_same_partial_mark_for_everyone_is_no_variance_not_rounding_noise():
    # 0.1 + 0.1 + 0.1 is not 0.3 in floating point: the mean differs from each mark by ~1e-17.
    rows = [(a, "partial", 0.1, 1.0) for a in range(3)] + [(a, "q", float(a), 2.0) for a in range(3)]
    with _warnings_are_errors():
        stats = an.item_statistics(_marks(rows))
        quiz = an.test_statistics(_marks(rows))
    assert stats.loc["partial", "sd"] == 0.0 and stats.loc["partial", "covariance"] == 0.0
    assert math.isnan(stats.loc["partial", "discrimination_index"])
    assert stats.loc["partial", "effective_weight"] == 0.0
    assert quiz.cic == pytest.approx(100 * 2 * (1 - 1 / 1))  # all the spread is in one item


def test_zero_mark_item_has_undefined_facility():
    rows = [(a, "info", 0.0, 0.0) for a in range(3)] + [(a, "q", float(a), 2.0) for a in range(3)]
    with _warnings_are_errors():
        stats = an.item_statistics(_marks(rows))
    assert math.isnan(stats.loc["info", "facility"]) and stats.loc["q", "facility"] == pytest.approx(0.5)


def test_everyone_scoring_the_same_leaves_reliability_undefined():
    rows = [(a, q, 1.0, 1.0) for a in range(4) for q in ("a", "b")]
    with _warnings_are_errors():
        quiz = an.test_statistics(_marks(rows))
    assert quiz.sd == 0.0 and math.isnan(quiz.cic) and math.isnan(quiz.skewness) and math.isnan(quiz.error_ratio)


def test_no_marks_at_all():
    with _warnings_are_errors():
        stats = an.item_statistics(_marks([]))
        quiz = an.test_statistics(_marks([]))
    assert len(stats) == 0 and quiz.n == 0 and math.isnan(quiz.average)


def test_ungraded_marks_are_left_out():
    rows = [(1, "q", 1.0, 1.0), (2, "q", None, 1.0), (3, "q", 0.0, 1.0)]
    stats = an.item_statistics(_marks(rows))
    assert stats.loc["q", "s"] == 2 and stats.loc["q", "facility"] == 0.5


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "n/a"), (float("nan"), "n/a"), (np.nan, "n/a"), (pd.NA, "n/a"), (float("inf"), "n/a"),
     (0.70412, "0.70"), (np.float64(-9.4555), "-9.46"), (25, "25"), (np.int64(7), "7")],
)
def test_format_stat(value, shown):
    assert an.format_stat(value) == shown


def test_reliability_reading_follows_moodle_thresholds():
    base = dict(n=30, items=10, average=7.0, median=7.0, sd=1.0, skewness=0.0, kurtosis=0.0,
                error_ratio=50.0, standard_error=0.5)
    assert an.QuizStatistics(cic=80.0, **base).reliability == "satisfactory"
    assert an.QuizStatistics(cic=70.0, **base).reliability == "borderline"
    assert an.QuizStatistics(cic=50.0, **base).reliability == "unsatisfactory"
    assert an.QuizStatistics(cic=80.0, **base).to_dict()["reliability"] == "satisfactory"


# --- flags -------------------------------------------------------------------------------------------------------


def _stats(**columns) -> pd.DataFrame:
    ids = pd.Index([f"q{i}" for i in range(len(next(iter(columns.values()))))], name="question_id")
    return pd.DataFrame(columns, index=ids)


def test_flags_and_hints():
    stats = _stats(facility=[0.1, 0.97, 0.6, 0.6, float("nan")],
                   discriminative_efficiency=[30.0, 40.0, 10.0, 50.0, float("nan")])
    options = pd.DataFrame({"question_id": ["q3", "q3", "q3"], "option": ["Steam", "Ice", "Right"],
                            "unpicked_distractor": [True, True, False]})
    flagged = an.flag_items(stats, options)
    assert flagged.loc["q0", "flags"] == "too hard"
    assert flagged.loc["q0", "hint"] == "Most people miss this: check the lesson covers it and the key is right."
    assert flagged.loc["q1", "flags"] == "too easy"
    assert flagged.loc["q2", "flags"] == "does not discriminate"
    assert flagged.loc["q3", "flags"] == "distractor nobody picks"
    assert '"Steam", "Ice"' in flagged.loc["q3", "hint"] and "Right" not in flagged.loc["q3", "hint"]
    assert flagged.loc["q4", "flags"] == "" and flagged.loc["q4", "hint"] == ""  # n/a is not evidence


def test_several_flags_on_one_item_list_every_hint():
    flagged = an.flag_items(_stats(facility=[0.05], discriminative_efficiency=[-20.0]))
    assert flagged.loc["q0", "flags"] == "too hard, does not discriminate"
    assert flagged.loc["q0", "hint"].count(":") == 2


def test_flag_thresholds_are_strict():
    flagged = an.flag_items(_stats(facility=[0.2, 0.95], discriminative_efficiency=[15.0, 15.0]))
    assert (flagged["flags"] == "").all()


# --- whole-test statistics from the store's responses ---------------------------------------------------------


def test_quiz_statistics_uses_questions_for_a_fixed_quiz():
    marks = _results00_marks()
    responses = marks.rename(columns={"mark": "score"}).drop(columns="max_mark").sample(frac=1, random_state=3)
    assert an.quiz_statistics(responses).cic == pytest.approx(-87.2230935542, rel=1.5e-5)


def test_quiz_statistics_uses_positions_when_questions_are_drawn_from_a_bank():
    rng = np.random.default_rng(7)
    rows = []
    for attempt in range(40):
        ability = rng.normal()
        for question in rng.choice(12, size=4, replace=False):
            rows.append((attempt, f"q{question}", float(rng.random() < 1 / (1 + np.exp(-ability)))))
    responses = pd.DataFrame(rows, columns=["attempt_id", "question_id", "score"])
    quiz = an.quiz_statistics(responses)
    assert quiz.items == 4 and quiz.n == 40
    by_slot = an.test_statistics(an.responses_to_marks(responses, slots=True), item_column="slot")
    assert quiz.cic == pytest.approx(by_slot.cic)
    # The store's `position` column names the slot whatever order the rows come back in.
    positioned = responses.assign(position=responses.groupby("attempt_id").cumcount() + 1)
    assert an.quiz_statistics(positioned.sample(frac=1, random_state=1)).cic == pytest.approx(quiz.cic)
    assert not math.isnan(quiz.cic)


def test_test_statistics_is_not_collected_as_a_test():
    assert an.test_statistics.__test__ is False


# --- properties -----------------------------------------------------------------------------------------------


@st.composite
def mark_tables(draw):
    attempts = draw(st.integers(1, 7))
    items = draw(st.integers(1, 5))
    max_marks = draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, 8.0]), min_size=items, max_size=items))
    fractions = st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0, 1))
    rows = []
    for a in range(attempts):
        for q in range(items):
            if (a == 0 and q == 0) or draw(st.booleans()):
                rows.append((a, f"q{q}", draw(fractions) * max_marks[q], max_marks[q]))
    return _marks(rows)


@settings(max_examples=150, deadline=None)
@given(mark_tables())
def test_figures_stay_in_range_and_never_raise(marks):
    with _warnings_are_errors():
        stats = an.item_statistics(marks)
        quiz = an.test_statistics(marks)
        an.flag_items(stats)
        [an.format_stat(v) for v in stats.to_numpy().ravel()]
    facility = stats["facility"].dropna()
    assert ((facility >= 0) & (facility <= 1)).all()
    assert (stats["discrimination_index"].dropna().abs() <= 100 + 1e-6).all()
    assert (stats["discriminative_efficiency"].dropna() <= 100 + 1e-6).all()
    weights = stats["effective_weight"].dropna()
    assert ((weights >= 0) & (weights <= 100 + 1e-6)).all()
    assert quiz.n == marks["attempt_id"].nunique()


@settings(max_examples=100, deadline=None)
@given(mark_tables(), st.randoms(use_true_random=False))
def test_row_order_does_not_change_results(marks, random):
    order = list(range(len(marks)))
    random.shuffle(order)
    shuffled = marks.iloc[order]
    pd.testing.assert_frame_equal(an.item_statistics(marks), an.item_statistics(shuffled),
                                  check_exact=False, rtol=1e-9, atol=1e-9)
    before, after = an.test_statistics(marks).to_dict(), an.test_statistics(shuffled).to_dict()
    assert before.keys() == after.keys()
    for name, value in before.items():
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(after[name]), name
        elif isinstance(value, str):
            assert value == after[name]
        else:
            assert after[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name
