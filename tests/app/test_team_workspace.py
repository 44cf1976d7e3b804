"""The trainer's Team page answers the Monday-morning questions (a count per group, one click to list a group, a row
opens the person), keeps its filters across a visit to Technician, and the replay shows the wrong answers alone."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from modules import auth
from modules.banks import load_banks
from modules.core.clock import FixedClock
from modules.core.records import AttemptResult, ResponseRecord
from modules.core.types import AttemptKind, QuestionType, Role
from modules.grading import answer_key, show
from modules.pages.trainer_common import CHOSEN
from modules.policy import load_policy
from modules.quiz import score_responses
from tests.app.conftest import PASSWORD, open_app, texts
from tests.helpers import FIXTURE_BANKS, record_attempt, wrong_answer

BANKS = load_banks(FIXTURE_BANKS)
NOW = datetime.now(UTC).replace(microsecond=0)  # accounts are created on the real clock
CLOCK = FixedClock(NOW)
TEAM, TECHNICIAN = "modules/pages/team.py", "modules/pages/technician.py"


def quiz(store, user_id, module, when, wrong=()):
    """A finished graded quiz of `module`'s first ten practice questions, shown shuffled; positions in `wrong`
    answered wrongly."""
    questions = [q for q in module.questions if q.pool.value == "practice"][:10]
    shown = [show(q, random.Random(i)) for i, q in enumerate(questions)]
    answers = {i: wrong_answer(q) if i in wrong else answer_key(q) for i, q in enumerate(questions)}
    records, score, _ = score_responses(shown, answers)
    records = [ResponseRecord(**{**r.__dict__, "answered_at": when, "seconds_taken": 8.0}) for r in records]
    return record_attempt(store, user_id, AttemptKind.QUIZ, module.id, records,
                          AttemptResult(score, score >= 0.8, finished_at=when), started_at=when)


def exam(store, user_id, when, passed):
    question = next(q for q in BANKS.questions.values() if q.pool.value == "exam")
    shown = show(question, random.Random(0))
    records, score, _ = score_responses([shown], {0: answer_key(question) if passed else wrong_answer(question)})
    return record_attempt(store, user_id, AttemptKind.EXAM, None, records,
                          AttemptResult(score, passed, finished_at=when), started_at=when)


@pytest.fixture
def team(app_store, users):
    """One technician in each group (Tess, from `users`, has not started), two of them in the South."""
    def person(name, location="North"):
        return auth.create_user(app_store, name.split()[0].lower(), name, Role.TECHNICIAN, PASSWORD,
                                location=location)

    day = timedelta(days=1)
    made = {name: person(name, place) for name, place in (
        ("Sam Studying", "North"), ("Bea Behind", "South"), ("Rita Ready", "South"), ("Fay Failed", "North"),
        ("Cora Certified", "North"), ("Eve Expiring", "North"), ("Ed Expired", "North"))}
    quiz(app_store, made["Sam Studying"], BANKS.modules[0], NOW - day, wrong=(1, 7))
    quiz(app_store, made["Bea Behind"], BANKS.modules[0], NOW - 20 * day)
    for name in ("Rita Ready", "Fay Failed", "Cora Certified", "Eve Expiring", "Ed Expired"):
        for module in BANKS.modules:
            quiz(app_store, made[name], module, NOW - 2 * day)
    trainer = users["trainer"]
    for _ in range(load_policy(FIXTURE_BANKS, BANKS)[0].signoffs_required):  # what the page's policy asks for
        app_store.signoffs.record(made["Rita Ready"], trainer.actor, (NOW - day).date(), {"Gloves": True})
    exam(app_store, made["Fay Failed"], NOW - day, passed=False)
    for name, ends in (("Cora Certified", 200), ("Eve Expiring", 10), ("Ed Expired", -3)):
        exam(app_store, made[name], NOW - day, passed=True)
        app_store.certificates.issue(made[name], None, "Certificate", 1.0, expires_at=NOW + ends * day,
                                     issued_at=NOW - 400 * day)
    return made


def names(at) -> list[str]:
    return list(at.dataframe[0].value["Name"])


def test_every_group_has_a_count_and_one_click_lists_it(users, team):
    at = open_app(users["trainer"], "team.py", clock=CLOCK)
    assert not at.exception
    assert at.segmented_control[0].options == [
        "Everyone · 8", "Not started · 1", "Studying · 1", "Behind · 1", "Ready for the exam · 1",
        "Failed the exam · 1", "Certified · 1", "Expiring · 1", "Expired · 1"]
    groups = at.dataframe[0].value.set_index("Name")["Group"].to_dict()
    assert groups == {"Bea Behind": "behind", "Cora Certified": "certified", "Ed Expired": "expired",
                      "Eve Expiring": "expiring", "Fay Failed": "failed the exam", "Rita Ready": "ready for the exam",
                      "Sam Studying": "studying", "Tess Technician": "not started"}

    at.segmented_control[0].set_value("ready for the exam").run()
    assert names(at) == ["Rita Ready"] and "1 of 8 technician(s)" in texts(at)
    at.segmented_control[0].set_value("failed the exam").run()
    assert names(at) == ["Fay Failed"]
    # The counts follow the location: a trainer at one clinic sees that clinic's Monday.
    at.multiselect[0].set_value(["South"]).run()
    assert at.segmented_control[0].options[:5] == ["Everyone · 2", "Not started · 0", "Studying · 0", "Behind · 1",
                                                   "Ready for the exam · 1"]
    at.segmented_control[0].set_value("behind").run()
    assert names(at) == ["Bea Behind"]
    assert any(w.value.startswith("Behind, no activity for 14 days or more: Bea Behind") for w in at.warning)


def test_filters_are_kept_after_visiting_the_technician_page(users, team):
    at = open_app(users["trainer"], "team.py", clock=CLOCK)
    at.multiselect[0].set_value(["North"]).run()
    at.segmented_control[0].set_value("certified").run()
    next(t for t in at.text_input if t.label == "Name contains").input("cora").run()
    assert names(at) == ["Cora Certified"]

    at.switch_page(TECHNICIAN).run()
    assert not at.exception and at.title[0].value == "Technician"
    at.switch_page(TEAM).run()
    assert not at.exception
    assert at.multiselect[0].value == ["North"] and at.segmented_control[0].value == "certified"
    assert next(t for t in at.text_input if t.label == "Name contains").value == "cora"
    assert names(at) == ["Cora Certified"]


def test_a_row_opens_that_technician_and_the_way_back_keeps_the_group(users, team):
    at = open_app(users["trainer"], "team.py", clock=CLOCK)
    at.segmented_control[0].set_value("studying").run()
    assert names(at) == ["Sam Studying"]
    at.session_state["team_table"] = {"selection": {"rows": [0], "columns": []}}  # a click on Sam's row
    at.run()
    assert not at.exception and at.title[0].value == "Technician"
    assert at.session_state[CHOSEN] == team["Sam Studying"] and at.selectbox[0].value == team["Sam Studying"]
    assert "Attempt" in texts(at) and "8 of 10 right" in texts(at)

    at.switch_page(TEAM).run()  # back, and not thrown forward again by the old selection
    assert not at.exception and at.title[0].value == "Team"
    assert at.segmented_control[0].value == "studying" and names(at) == ["Sam Studying"]


def test_the_replay_shows_the_wrong_answers_only_with_the_case_and_a_matching_table(users, team):
    at = open_app(users["trainer"], "technician.py", clock=CLOCK)
    at.selectbox[0].select(team["Sam Studying"]).run()
    assert not at.exception
    everything = [m.value for m in at.markdown if m.value.startswith("**") and m.value[2].isdigit()]
    assert len(everything) == 10 and everything[0].startswith("**1. ")
    practice = [q for q in BANKS.modules[0].questions if q.pool.value == "practice"][:10]
    scenario = next(q for q in practice if q.scenario)
    assert f"**Client case:** {scenario.scenario}" in [i.value for i in at.info]

    # Only the wrong answers: the ordering (2) and the matching (8) question.
    next(t for t in at.toggle if t.label == "Wrong answers only").set_value(True).run()
    assert not at.exception
    prompts = [m.value for m in at.markdown if m.value.startswith("**") and m.value[2].isdigit()]
    assert prompts == [f"**2. {practice[1].prompt}**", f"**8. {practice[7].prompt}**"]
    assert practice[7].type is QuestionType.MATCHING
    matching = next(t.value for t in at.table if "Their match" in t.value.columns)
    shown = show(practice[7], random.Random(7))
    assert list(matching["Item"]) == list(shown.lefts)  # in the order shown, not alphabetical
    key, given = dict(practice[7].pairs), wrong_answer(practice[7])
    assert list(matching["Correct match"]) == [key[left] for left in shown.lefts]
    assert list(matching["Their match"]) == [given[left] for left in shown.lefts]
    assert set(matching["Result"]) == {"wrong"}
    assert len(at.error) == 2 and not any(s.value.startswith("Right") for s in at.success)
