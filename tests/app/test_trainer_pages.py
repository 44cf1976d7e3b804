"""Trainer pages in the app: team, technician, item analysis, bank health, practical sign-off."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from modules import auth
from modules.banks import load_banks
from modules.core.clock import FixedClock
from modules.core.records import AttemptResult, ResponseRecord
from modules.core.types import AttemptKind, PracticalOutcome, Role
from modules.grading import answer_key, show
from modules.quiz import score_responses
from tests.app.conftest import PASSWORD, ROOT, open_app, signed_in, texts
from tests.helpers import FIXTURE_BANKS, record_attempt, wrong_answer

BANKS = load_banks(FIXTURE_BANKS)
SKIN = "skin-science"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PAGES = ["team.py", "technician.py", "item_analysis.py", "bank_health.py", "signoff.py"]


def take_quiz(store, user_id, n_right, when, n=10):
    """A finished graded quiz of the skin-science module with the first `n_right` questions right."""
    questions = BANKS.module(SKIN).questions[:n]
    shown = [show(q, random.Random(i)) for i, q in enumerate(questions)]
    answers = {i: answer_key(q) if i < n_right else wrong_answer(q) for i, q in enumerate(questions)}
    records, score, _ = score_responses(shown, answers)
    records = [ResponseRecord(**{**r.__dict__, "answered_at": when, "seconds_taken": 12.0}) for r in records]
    return record_attempt(store, user_id, AttemptKind.QUIZ, SKIN, records,
                                AttemptResult(score, score >= 0.8, finished_at=when), started_at=when)


@pytest.fixture
def seeded(app_store, users):
    """Tess passes skin science; Quinn (South) last did anything 20 days ago and keeps missing question 10."""
    tess = users["technician"]
    take_quiz(app_store, tess.id, 9, NOW - timedelta(days=1))
    quinn_id = auth.create_user(app_store, "quinn", "Quinn Quiet", Role.TECHNICIAN, PASSWORD, location="South")
    for day in range(4):
        take_quiz(app_store, quinn_id, 9, NOW - timedelta(days=23 - day))
    return tess, app_store.accounts.get(quinn_id)


@pytest.mark.parametrize("page", PAGES)
def test_a_technician_is_refused_every_trainer_page(users, seeded, page):
    at = open_app(users["technician"], page, clock=FixedClock(NOW))  # its address typed: the page opens, and refuses
    assert not at.exception
    assert [e.value for e in at.error] == ["You do not have access to this page."]
    assert not at.dataframe and "Quinn Quiet" not in texts(at)
    # Opened directly (a bookmarked URL, a page not in their menu), the page itself refuses.
    direct = AppTest.from_file(str(ROOT / "modules" / "pages" / page), default_timeout=30)
    signed_in(direct, users["technician"])
    direct.run()
    assert not direct.exception
    assert [e.value for e in direct.error] == ["You do not have access to this page."]
    assert not direct.dataframe and "Quinn Quiet" not in texts(direct)


def test_team_shows_progress_the_inactive_and_questions_missed_four_times(users, seeded):
    at = open_app(users["trainer"], "team.py", clock=FixedClock(NOW))
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Name"]) == ["Quinn Quiet", "Tess Technician"]
    skin = [c for c in table.columns if c.startswith("1. ")][0]
    assert list(table[skin]) == [90, 90]
    assert "Behind, no activity for 14 days or more: Quinn Quiet" in texts(at)
    assert len(at.get("vega_lite_chart")) == 1
    assert [e.label for e in at.expander] == ["Quinn Quiet"]
    tenth = BANKS.module(SKIN).questions[9]
    assert f"**{tenth.id}** (4 times): {tenth.prompt}" in texts(at)

    at.multiselect[0].set_value(["North"]).run()
    assert list(at.dataframe[0].value["Name"]) == ["Tess Technician"]
    at.multiselect[0].set_value([]).run()
    at.segmented_control[0].set_value("behind").run()
    assert list(at.dataframe[0].value["Name"]) == ["Quinn Quiet"]


def test_a_manager_sees_the_team_too(users, seeded):
    at = open_app(users["manager"], "team.py", clock=FixedClock(NOW))
    assert not at.exception and len(at.dataframe[0].value) == 2


def test_a_newly_finished_quiz_shows_on_the_team_page_at_once(users, seeded, app_store):
    """The graded results are kept between runs until an attempt is finished; then they are read again."""
    at = open_app(users["trainer"], "team.py", clock=FixedClock(NOW))
    skin = next(c for c in at.dataframe[0].value.columns if c.startswith("1. "))
    assert at.dataframe[0].value.set_index("Name").loc["Tess Technician", skin] == 90
    take_quiz(app_store, users["technician"].id, 10, NOW)
    at.run()
    assert at.dataframe[0].value.set_index("Name").loc["Tess Technician", skin] == 100


def widget(widgets, label):
    return next(w for w in widgets if w.label == label)


def test_team_shows_a_page_of_people_at_a_time_and_the_filters_apply_to_all_of_them(users, app_store):
    """150 technicians (North even, South odd) besides Tess: 100 a page, by name; Tech 120 keeps missing question 10."""
    hashed = auth.hash_password(PASSWORD)
    app_store.accounts.create_many([auth.new_account(f"tech{n:03d}", f"Tech {n:03d}", Role.TECHNICIAN, hashed,
                                                     "South" if n % 2 else "North") for n in range(150)], None)
    by_name = {u.full_name: u for u in app_store.accounts.list_users(Role.TECHNICIAN)}
    for day in range(4):
        take_quiz(app_store, by_name["Tech 120"].id, 9, NOW - timedelta(days=23 - day))
    later = FixedClock(datetime.now(UTC) + timedelta(days=20))  # nobody has done anything for 20 days
    at = open_app(users["trainer"], "team.py", clock=later)
    assert not at.exception
    everyone = [f"Tech {n:03d}" for n in range(150)] + ["Tess Technician"]
    assert list(at.dataframe[0].value["Name"]) == everyone[:100]
    assert "151 of 151 technician(s)" in texts(at)
    assert [e.label for e in at.expander] == []  # Tech 120 is on the next page
    quiet = next(w.value for w in at.warning if w.value.startswith("Behind, no activity for 14 days or more"))
    assert quiet.startswith("Behind, no activity for 14 days or more: Tech 000, Tech 001") and "and 141 more" in quiet

    rows = widget(at.selectbox, "Rows")
    assert rows.options == ["1–100", "101–151"]
    rows.set_value(1).run()
    assert list(at.dataframe[0].value["Name"]) == everyone[100:]
    assert [e.label for e in at.expander] == ["Tech 120"]
    often = at.dataframe[0].value.set_index("Name")["Often missed (4+)"]
    assert often["Tech 120"] == f"{BANKS.module(SKIN).questions[9].id} (4×)" and often["Tech 121"] == ""

    at.multiselect[0].set_value(["South"]).run()  # 75 people: one page, from the first row again
    assert list(at.dataframe[0].value["Name"]) == [f"Tech {n:03d}" for n in range(1, 150, 2)]
    assert widget(at.selectbox, "Rows").disabled and "75 of 151 technician(s)" in texts(at)
    widget(at.text_input, "Name contains").input("tech 14").run()
    assert list(at.dataframe[0].value["Name"]) == ["Tech 141", "Tech 143", "Tech 145", "Tech 147", "Tech 149"]
    at.multiselect[0].set_value([]).run()
    widget(at.text_input, "Name contains").input("tech 12").run()
    widget(at.selectbox, "Order").set_value("Fewest modules passed first").run()  # Tech 120 passed skin science
    assert list(at.dataframe[0].value["Name"]) == [f"Tech {n}" for n in range(121, 130)] + ["Tech 120"]
    widget(at.text_input, "Name contains").input("nobody").run()
    assert not at.exception and at.dataframe[0].value.empty and "0 of 151 technician(s)" in texts(at)


def test_technician_page_replays_an_attempt_answer_by_answer(users, seeded):
    at = open_app(users["trainer"], "technician.py", clock=FixedClock(NOW))
    assert not at.exception
    at.selectbox[0].select(seeded[1].id).run()
    timeline = at.dataframe[0].value
    assert len(timeline) == 4 and set(timeline["verdict"]) == {"passed"}
    shown = texts(at)
    tenth = BANKS.module(SKIN).questions[9]
    assert "9 of 10 right" in shown
    assert f"**10. {tenth.prompt}**" in shown
    # Choice questions say the key in a line; the matching and the ordering question lay it out in a table.
    assert sum(m.value.startswith("**Key:**") for m in at.markdown) == 8 and len(at.table) == 2
    verdicts = [e.value for e in at.success] + [e.value for e in at.error]
    assert sum(v.startswith("Right") for v in verdicts) == 9 and sum(v.startswith("Wrong") for v in verdicts) == 1
    assert all(v.endswith("12 s") for v in verdicts)
    assert "Quinn Quiet has missed these questions 4 times or more" in shown
    assert f"`{tenth.id}` (4×): {tenth.prompt}" in shown


def test_technician_page_shows_no_flag_below_four_misses(users, seeded):
    at = open_app(users["trainer"], "technician.py", clock=FixedClock(NOW))
    at.selectbox[0].select(seeded[0].id).run()
    assert "4 times or more" not in texts(at)


def test_item_analysis_page_shows_figures_flags_and_a_csv(users, seeded):
    at = open_app(users["trainer"], "item_analysis.py", clock=FixedClock(NOW))
    assert not at.exception
    table = at.dataframe[1].value  # [0] is the whole-test statistics
    assert len(table) == 10 and "Facility %" in table.columns
    assert list(table["Question"])[0] == BANKS.module(SKIN).questions[9].id  # hardest first
    assert "10 of 10 question(s) have fewer than 30 responses" in texts(at)
    assert set(table["What to do"]) == {"2 of 30 responses needed: no verdict yet"}
    assert at.get("download_button")
    at.radio[1].set_value("All attempts").run()
    assert at.dataframe[1].value.set_index("Question").loc[BANKS.module(SKIN).questions[9].id, "Attempts"] == 5
    at.radio[0].set_value("Certification exam").run()
    assert not at.exception and "No finished attempts yet" in texts(at)


def test_bank_health_shows_counts_and_questions_never_answered(users, seeded):
    at = open_app(users["trainer"], "bank_health.py", clock=FixedClock(NOW))
    assert not at.exception
    assert "Every bank and the certification policy load without problems." in texts(at)
    counts = at.dataframe[0].value.set_index("Module")
    assert counts.loc["Total", "Total"] == len(BANKS.questions)
    never = at.dataframe[-1].value
    assert len(never) == len(BANKS.questions) - 10
    pools = next(d.value for d in at.dataframe if "Exam pool" in d.value.columns).set_index("Module")
    assert list(pools["Practice pool"]) == [12, 12, 12] and list(pools["Exam pool"]) == [3, 3, 3]
    assert list(pools["Exam draws"]) == [2, 2, 2]
    exposure = next(d.value for d in at.dataframe if "Sittings drawn" in d.value.columns)
    assert len(exposure) == 9 and set(exposure["Sittings drawn"]) == {0}
    decisions = [w.value for w in at.warning] + [s.value for s in at.success]
    assert any(d.startswith("Module quiz: 10 questions, pass mark 80% (8 right)") for d in decisions)


def test_a_sign_off_needs_the_trainers_password_and_shows_who_signed(users, seeded, app_store):
    tess = users["technician"]
    at = open_app(users["trainer"], "signoff.py", clock=FixedClock(NOW))
    assert not at.exception
    at.selectbox[0].select(tess.id).run()
    for box in at.checkbox:
        box.check()
    at.text_area[0].input("Calm and thorough.")
    at.text_input[0].input("not my password")
    next(b for b in at.button if b.label == "Sign").click().run()
    assert "That is not your password: enter your own password to sign." in texts(at)
    assert app_store.signoffs.for_user(tess.id) == []

    at.text_input[0].input(PASSWORD)
    next(b for b in at.button if b.label == "Sign").click().run()
    assert not at.exception
    assert any(s.value.startswith("Signed: supervised treatment of Tess Technician") for s in at.success)
    (signed,) = app_store.signoffs.for_user(tess.id)
    assert signed.trainer_id == users["trainer"].id and signed.comment == "Calm and thorough."
    assert all(signed.checklist.values()) and len(signed.checklist) == len(at.checkbox)
    history = at.dataframe[0].value
    assert list(history["Signed by"]) == ["Tom Trainer"] and list(history["Comment"]) == ["Calm and thorough."]
    assert at.text_input[0].value == "" and not any(box.value for box in at.checkbox)


def test_a_not_yet_competent_practical_is_recorded_with_what_was_missed(users, seeded, app_store):
    tess = users["technician"]
    at = open_app(users["trainer"], "signoff.py", clock=FixedClock(NOW))
    at.selectbox[0].select(tess.id).run()
    for box in at.checkbox[:-1]:
        box.check()
    at.radio[0].set_value(PracticalOutcome.NOT_YET_COMPETENT).run()
    at.text_area[0].input("Work on disinfecting the tip.")
    at.text_input[0].input(PASSWORD)
    next(b for b in at.button if b.label == "Sign").click().run()
    assert not at.exception
    assert any(s.value.endswith("not yet competent.") for s in at.success)
    (record,) = app_store.signoffs.for_user(tess.id)
    assert not record.competent and record.missed == (at.checkbox[-1].label,)
    history = at.dataframe[0].value
    assert list(history["Outcome"]) == ["Not yet competent"] and list(history["Not met"]) == [record.missed[0]]
    # The form is empty again: no ticks, no comment, no password, outcome back to competent.
    assert at.text_input[0].value == "" and at.text_area[0].value == "" and not any(b.value for b in at.checkbox)
    assert at.radio[0].value is PracticalOutcome.COMPETENT
    mine = open_app(tess, "my_progress.py", clock=FixedClock(NOW))
    assert "Not yet competent" in list(mine.dataframe[1].value["Outcome"])


def test_a_sign_off_with_an_item_unticked_is_refused(users, seeded, app_store):
    at = open_app(users["trainer"], "signoff.py", clock=FixedClock(NOW))
    at.selectbox[0].select(users["technician"].id).run()
    at.text_input[0].input(PASSWORD)
    next(b for b in at.button if b.label == "Sign").click().run()
    assert any("Competent means every checklist item was met" in e.value for e in at.error)
    assert app_store.signoffs.for_user(users["technician"].id) == []
