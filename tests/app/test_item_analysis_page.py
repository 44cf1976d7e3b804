"""Item analysis page (issue #16): no verdict before enough responses, said per row; what to do first; the chart;
the average "of" the questions; the reliability in words; each question with its client case."""

from __future__ import annotations

import random
import re
import shutil
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

from modules import auth
from modules.banks import load_banks
from modules.core.clock import FixedClock
from modules.core.records import AttemptResult, ResponseRecord
from modules.core.types import AttemptKind, Role
from modules.grading import answer_key, show
from modules.quiz import score_responses
from tests.app.conftest import PASSWORD, open_app, texts
from tests.helpers import FIXTURE_BANKS, record_attempt, wrong_answer

BANKS = load_banks(FIXTURE_BANKS)
SKIN = "skin-science"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MIN_RESPONSES = 4
# The fixture policy with every section spelled out, and a minimum small enough for a handful of attempts.
POLICY = f"""\
module_quiz: {{questions: 10, pass_mark_percent: 80, attempts_per_day: 3}}
exam:
  blueprint: {{skin-science: 2, mechanics: 2, safety: 2}}
  time_limit_minutes: 45
  pass_mark_percent: 85
  grace_seconds: 30
certificate: {{title: "Microdermabrasion Technician Certificate", validity_months: 12, reminder_days: [30, 60, 90]}}
practical: {{signoffs_required: 0, checklist: ["Consultation done"]}}
review: {{daily_cap: 30}}
item_analysis: {{min_responses: {MIN_RESPONSES}}}
team: {{behind_after_days: 14}}
"""


@pytest.fixture(autouse=True)
def policy_with_a_small_minimum(tmp_path, monkeypatch):
    banks = tmp_path / "banks"
    shutil.copytree(FIXTURE_BANKS, banks)
    (banks / "certification.yaml").write_text(POLICY, encoding="utf-8")
    monkeypatch.setenv("TRAINING_BANKS_DIR", str(banks))


def take(store, user_id, kind, questions, n_right, when):
    """A finished attempt at `questions`, the first `n_right` answered right."""
    shown = [show(q, random.Random(i)) for i, q in enumerate(questions)]
    answers = {i: answer_key(q) if i < n_right else wrong_answer(q) for i, q in enumerate(questions)}
    records, score, _ = score_responses(shown, answers)
    records = [ResponseRecord(**{**r.__dict__, "answered_at": when, "seconds_taken": 12.0}) for r in records]
    record_attempt(store, user_id, kind, SKIN if kind is AttemptKind.QUIZ else None, records,
                   AttemptResult(score, score >= 0.8, finished_at=when), started_at=when)


@pytest.fixture
def seeded(app_store, users):
    """Four technicians take skin science's first ten questions; a fifth takes questions 3 to 12, so the last two
    have a single response. Two of them also sit a 40-question exam."""
    skin = BANKS.module(SKIN).questions
    people = [users["technician"].id] + [
        auth.create_user(app_store, f"tech{i}", f"Tech {i}", Role.TECHNICIAN, PASSWORD) for i in range(4)]
    for person, n_right in zip(people, (2, 4, 6, 8)):
        take(app_store, person, AttemptKind.QUIZ, skin[:10], n_right, NOW - timedelta(days=1))
    take(app_store, people[4], AttemptKind.QUIZ, skin[2:12], 9, NOW - timedelta(days=1))
    exam = list(BANKS.questions.values())[:40]
    for person, n_right in zip(people[:2], (30, 36)):
        take(app_store, person, AttemptKind.EXAM, exam, n_right, NOW - timedelta(hours=2))
    return skin


def item_table(at):
    return next(d.value for d in at.dataframe if "What to do" in d.value.columns)


def test_a_question_with_too_few_responses_says_how_many_it_needs_and_gets_no_flag(users, seeded):
    at = open_app(users["trainer"], "item_analysis.py", clock=FixedClock(NOW))
    assert not at.exception
    table = item_table(at).set_index("Question")
    assert list(table.columns[:3]) == ["Flags", "What to do", "Prompt"]  # read first, without scrolling
    for question in seeded[10:12]:
        assert table.loc[question.id, "What to do"] == f"1 of {MIN_RESPONSES} responses needed: no verdict yet"
        assert table.loc[question.id, "Flags"] == ""
        assert table.loc[question.id, "Discrimination %"] != table.loc[question.id, "Discrimination %"]  # NaN
    judged = table.loc[[q.id for q in seeded[:10]]]
    assert not judged["What to do"].str.contains("no verdict yet").any()
    assert judged.loc[seeded[0].id, "Flags"].startswith("too easy")  # all four right: judged, with 4 responses
    shown = texts(at)
    assert f"2 of 12 question(s) have fewer than {MIN_RESPONSES} responses" in shown
    assert "question(s) flagged" in shown


def chart_data(chart) -> list[pd.DataFrame]:
    """The data sets of a chart, in the order its spec's layers name them."""
    frames = {d.name: convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets}
    return [frames[name] for name in re.findall(r'"data": \{"name": "(\w+)"\}', chart.proto.spec)]


def test_the_chart_plots_the_judged_questions_with_the_flag_zones(users, seeded):
    at = open_app(users["trainer"], "item_analysis.py", clock=FixedClock(NOW))
    chart = at.get("vega_lite_chart")[0]
    spec = chart.proto.spec
    assert "Flag zone" in spec and "Facility % (share right)" in spec and "Discriminative efficiency %" in spec
    zones, points = chart_data(chart)
    assert set(zones["zone"]) == {"too hard", "too easy", "does not discriminate"}
    # Not plotted: the two with one response, and the two everyone got right (no spread, no discrimination).
    assert sorted(points["question"]) == sorted(q.id for q in seeded[2:10])
    assert set(points["verdict"]) <= {"flagged", "no flag"}
    assert "4 question(s) not plotted" in texts(at)


def test_the_selected_question_shows_its_case_whole_and_a_bar_per_option(users, seeded):
    at = open_app(users["trainer"], "item_analysis.py", clock=FixedClock(NOW))
    with_case = next(q for q in seeded[:10] if q.scenario and q.type.value == "single")
    table = item_table(at).set_index("Question")
    assert table.loc[with_case.id, "Prompt"] == f"Case: {with_case.scenario} | {with_case.prompt}"
    next(s for s in at.selectbox if s.label == "Question").set_value(with_case.id).run()
    assert not at.exception
    assert f"**Client case:** {with_case.scenario}" in [i.value for i in at.info]
    assert len(at.get("vega_lite_chart")) == 2
    options = at.dataframe[-1].value.set_index("option")
    assert options.loc[f"{with_case.answer} (key)", "role"] == "key"
    assert len(options) == len(with_case.options)


def test_the_average_is_read_of_the_questions_and_the_reliability_whole(users, seeded):
    at = open_app(users["trainer"], "item_analysis.py", clock=FixedClock(NOW))
    at.radio[0].set_value("Certification exam").run()
    assert not at.exception
    average = next(m for m in at.metric if m.label == "Average mark")
    assert average.value == "33.0 of 40"
    assert "Reliability" not in [m.label for m in at.metric]  # a metric cuts a long word off; a sentence does not
    (reliability,) = [m.value for m in at.markdown if m.value.startswith("Reliability: ")]
    word = reliability.removeprefix("Reliability: ").split(".")[0]
    assert word in ("satisfactory", "borderline", "unsatisfactory", "not known yet")
