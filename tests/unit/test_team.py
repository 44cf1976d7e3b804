"""The trainer's reports: team progress, attempt replay, item analysis from the store, bank health, sign-off."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from modules import analytics, auth, certification, team, team_progress
from modules.banks import BankSet, Problem, load_banks
from modules.core.errors import AuthError, PermissionDenied
from modules.core.item_sums import Mark, accumulate, contribution, option_tallies
from modules.core.records import AttemptResult, ResponseRecord
from modules.core.types import AttemptKind, CertificateStatus, PracticalOutcome, QuestionType, Role
from modules.grading import answer_key, response_record, show
from modules.policy import load_policy
from modules.quiz import score_responses
from tests.helpers import FIXTURE_BANKS, record_attempt, wrong_answer

BANKS = load_banks(FIXTURE_BANKS)
PASSWORD = "correct horse battery"
SKIN = "skin-science"


# ---- seeding helpers ------------------------------------------------------------------------------------


def person(store, username, role=Role.TECHNICIAN, location="North"):
    return store.accounts.get(auth.create_user(store, username, username.title(), role, PASSWORD, location=location))


def take(store, user_id, kind, question_ids, right, when, module_id=SKIN, finished=True, seconds=5.0):
    """Record a finished attempt: each question answered with its key if `right(question_id)`, else wrongly."""
    shown = [show(BANKS.question(q), random.Random(i)) for i, q in enumerate(question_ids)]
    answers = {i: answer_key(BANKS.question(q)) if right(q) else wrong_answer(BANKS.question(q))
               for i, q in enumerate(question_ids)}
    records, score, _ = score_responses(shown, answers)
    records = [ResponseRecord(**{**r.__dict__, "answered_at": when, "seconds_taken": seconds}) for r in records]
    result = AttemptResult(score, score >= 0.8, finished_at=when + timedelta(minutes=5)) if finished else None
    if result is None:
        attempt_id = store.attempts.start(user_id, kind, module_id)
        for record in records:
            store.attempts.record_response(attempt_id, record)
        return attempt_id
    return record_attempt(store, user_id, kind, module_id, records, result, started_at=when)


def skin_ids(n=10):
    return [q.id for q in BANKS.module(SKIN).questions[:n]]


@pytest.fixture
def staff(store):
    return person(store, "trent", Role.TRAINER), person(store, "mona", Role.MANAGER)


# ---- team progress --------------------------------------------------------------------------------------


def test_team_table_shows_best_scores_passes_exam_certificate_activity_and_misses(store, clock, staff):
    trainer, manager = staff
    ann, bob = person(store, "ann", location="North"), person(store, "bob", location="South")
    now = clock()
    ids = skin_ids()
    take(store, ann.id, AttemptKind.QUIZ, ids, lambda q: q not in ids[:4], now - timedelta(days=3))  # 60%
    take(store, ann.id, AttemptKind.QUIZ, ids, lambda q: True, now - timedelta(days=2))             # 100%
    take(store, ann.id, AttemptKind.EXAM, ids, lambda q: True, now - timedelta(days=1), module_id=None)
    store.certificates.issue(ann.id, None, "Certificate", 1.0, expires_at=now + timedelta(days=300), issued_at=now)
    # Bob misses the same question four times, then goes quiet for 20 days.
    for day in range(4):
        take(store, bob.id, AttemptKind.QUIZ, ids[:5], lambda q: q != ids[0], now - timedelta(days=30 - day))

    table = team_progress.load_team(store, trainer.actor, BANKS, now)
    rows = table.set_index("name")
    assert list(rows.index) == ["Ann", "Bob"]
    assert rows.loc["Ann", f"score:{SKIN}"] == 1.0 and rows.loc["Ann", f"passed:{SKIN}"]
    assert rows.loc["Bob", f"score:{SKIN}"] == pytest.approx(0.8) and rows.loc["Bob", "modules_passed"] == 1
    assert np.isnan(rows.loc["Ann", "score:mechanics"]) and not rows.loc["Ann", "passed:mechanics"]
    assert rows.loc["Ann", "exam_score"] == 1.0 and rows.loc["Ann", "exam_passed"]
    assert rows.loc["Ann", "certification"] == CertificateStatus.CERTIFIED.value
    assert rows.loc["Bob", "certification"] == CertificateStatus.NOT_CERTIFIED.value
    assert rows.loc["Ann", "last_activity"] == pd.Timestamp(now - timedelta(days=1) + timedelta(minutes=5))
    assert not rows.loc["Ann", "inactive"] and rows.loc["Bob", "inactive"]
    flagged = team_progress.often_missed(store, trainer.actor, BANKS, table["user_id"])
    assert flagged == [(bob.id, ids[0], 4)]
    assert team_progress.often_missed(store, manager.actor, BANKS, [ann.id]) == []

    assert list(team_progress.filter_team(table, ["South"])["name"]) == ["Bob"]
    assert list(team_progress.filter_team(table, statuses=["certified"])["name"]) == ["Ann"]
    assert list(team_progress.filter_team(table, statuses=[team_progress.INACTIVE_FILTER])["name"]) == ["Bob"]
    assert team_progress.filter_team(table, ["North"], [team_progress.INACTIVE_FILTER]).empty
    assert list(team_progress.filter_team(table, name=" BO ")["name"]) == ["Bob"]

    progress = team_progress.module_progress(table, BANKS.modules)
    skin = progress[progress["order"] == 1].set_index("state")["technicians"]
    assert skin.to_dict() == {"passed": 2, "attempted, not passed": 0, "not attempted": 0}
    assert progress.groupby("module")["technicians"].sum().eq(2).all()
    shown = team_progress.team_display(table, BANKS.modules, flagged)
    assert shown.loc[0, "Exam"] == "100% passed" and shown.loc[1, "Exam"] == "—"
    assert shown.loc[0, "Modules passed"].startswith(f"1 of {len(BANKS.modules)}")
    assert list(shown["Often missed (4+)"]) == ["", f"{ids[0]} (4×)"]


def test_last_activity_is_the_latest_answer_start_finish_or_lesson_read(store, clock, staff):
    ann, bob, cy = person(store, "ann"), person(store, "bob"), person(store, "cy")
    now = clock()
    # Ann's practice round has no result: her latest answer is her last activity.
    practice = store.attempts.start(ann.id, AttemptKind.PRACTICE, SKIN, started_at=now - timedelta(days=9))
    for minutes, question_id in enumerate(skin_ids(3)):
        question = BANKS.question(question_id)
        record = response_record(0, show(question, random.Random(0)), answer_key(question),
                                 answered_at=now - timedelta(days=9) + timedelta(minutes=minutes))
        store.attempts.record_response(practice, record)
    # Bob finished a quiz, then read a lesson; Cy only started an exam.
    take(store, bob.id, AttemptKind.QUIZ, skin_ids(2), lambda q: True, now - timedelta(days=5))
    clock.now = now - timedelta(days=4)
    store.lessons.mark_read(bob.id, SKIN)
    clock.now = now
    store.attempts.start(cy.id, AttemptKind.EXAM, started_at=now - timedelta(days=2))

    seen = store.reports.last_activity().set_index("user_id")["last_activity"]
    assert seen[ann.id] == pd.Timestamp(now - timedelta(days=9) + timedelta(minutes=2))
    assert seen[bob.id] == pd.Timestamp(now - timedelta(days=4))
    assert seen[cy.id] == pd.Timestamp(now - timedelta(days=2))


def test_the_team_can_be_ordered_and_cut_into_pages(store, clock, staff):
    now = clock()
    names = ["Cy", "Ann", "Bob", "Dee", "Eve"]
    people = {name: person(store, name.lower(), location=place) for name, place in zip(names, "SNSNS")}
    take(store, people["Bob"].id, AttemptKind.QUIZ, skin_ids(), lambda q: True, now - timedelta(days=1))
    take(store, people["Eve"].id, AttemptKind.QUIZ, skin_ids(), lambda q: True, now - timedelta(days=20))
    table = team_progress.load_team(store, staff[0].actor, BANKS, now)
    assert list(table["name"]) == ["Ann", "Bob", "Cy", "Dee", "Eve"]
    by = {order: list(team_progress.ordered(table, order)["name"]) for order in team_progress.ORDERS}
    assert by["Name"] == ["Ann", "Bob", "Cy", "Dee", "Eve"]
    assert by["Fewest modules passed first"] == ["Ann", "Cy", "Dee", "Bob", "Eve"]
    assert by["Longest inactive first"] == ["Eve", "Bob", "Ann", "Cy", "Dee"]  # the others' accounts are new today
    assert by["Location"] == ["Ann", "Dee", "Bob", "Cy", "Eve"]  # N then S, by name within each
    with pytest.raises(ValueError):
        team_progress.ordered(table, "Shoe size")

    assert team_progress.page_count(0, 2) == 1 and team_progress.page_count(5, 2) == 3
    assert [list(team_progress.page(table, n, 2)["name"]) for n in range(3)] == [["Ann", "Bob"], ["Cy", "Dee"],
                                                                                 ["Eve"]]
    assert team_progress.page_label(2, 5, 2) == "5–5" and team_progress.page_label(0, 2500) == "1–100"
    assert team_progress.page_label(0, 0) == "none"


def test_a_technician_never_active_counts_from_account_creation(store, clock, staff):
    person(store, "new")
    clock.advance(days=15)
    table = team_progress.load_team(store, staff[0].actor, BANKS, clock())
    assert table.loc[0, "inactive"] and pd.isna(table.loc[0, "last_activity"])


def test_a_technician_cannot_read_the_team(store, clock):
    ann = person(store, "ann")
    with pytest.raises(PermissionDenied):
        team_progress.load_team(store, ann.actor, BANKS, clock())
    with pytest.raises(PermissionDenied):
        team_progress.often_missed(store, ann.actor, BANKS, [ann.id])


# ---- a technician's attempts ----------------------------------------------------------------------------


def test_an_attempt_replays_from_its_snapshot_even_after_the_bank_changed(store, clock, staff):
    ann = person(store, "ann")
    question = BANKS.question(skin_ids(1)[0])
    shown = show(question, random.Random(3))
    snapshot = shown.to_snapshot() | {"prompt": "The prompt as it read last year"}
    record = ResponseRecord(0, question.id, SKIN, shown.content_hash, snapshot, wrong_answer(question), 0.0, False,
                            clock(), 42.0)
    attempt_id = record_attempt(store, ann.id, AttemptKind.QUIZ, SKIN, [record], AttemptResult(0.0, False))
    (item,) = team.reviewed_answers(store.attempts.current_responses(staff[0].actor, attempt_id))
    assert item.shown.prompt == "The prompt as it read last year"
    assert item.shown.options == shown.options  # in the shuffled order shown
    assert (item.verdict, item.seconds_taken, item.correct) == ("wrong", 42.0, False)
    assert item.key == str(answer_key(question)) and item.given != item.key
    if question.type is QuestionType.SINGLE:
        choices = team.shown_choices(item)
        assert [c[0] for c in choices] == list(shown.options)
        assert sum(c[1] for c in choices) == 1 and [c[0] for c in choices if c[2]] == [question.answer]


def test_timeline_counts_only_the_answer_that_counts_in_an_exam(store, clock, staff):
    ann = person(store, "ann")
    ids = skin_ids(3)
    quiz = take(store, ann.id, AttemptKind.QUIZ, ids, lambda q: True, clock(), seconds=30)
    exam = store.attempts.start(ann.id, AttemptKind.EXAM)
    q = BANKS.question(ids[0])
    s = show(q)
    for answer, score in ((wrong_answer(q), 0.0), (answer_key(q), 1.0)):  # changed the answer: two rows
        record = ResponseRecord(0, q.id, SKIN, s.content_hash, s.to_snapshot(), answer, score, score == 1.0, clock(),
                                20.0)
        store.attempts.record_response(exam, record)
    attempts = store.attempts.for_user(staff[0].actor, ann.id)
    rows = team.timeline(attempts, store.reports.attempt_summaries(ann.id), {SKIN: "1. Skin"})
    by_id = rows.set_index("attempt_id")
    assert list(rows["attempt_id"]) == [exam, quiz]  # newest first
    assert by_id.loc[exam, "verdict"] == "in progress" and by_id.loc[exam, "module"] == "All modules"
    assert (by_id.loc[exam, "answered"], by_id.loc[exam, "right"], by_id.loc[exam, "minutes"]) == (1, 1, 0.3)
    assert (by_id.loc[quiz, "answered"], by_id.loc[quiz, "verdict"], by_id.loc[quiz, "minutes"]) == (3, "passed", 1.5)


# ---- item analysis from the store -----------------------------------------------------------------------


def seeded_quizzes(store, clock, technicians=6):
    """Each technician takes the quiz twice; question 0 is always missed, question 3 (single choice) by the
    weaker half only, a few others now and then."""
    ids = skin_ids(8)
    assert BANKS.question(ids[3]).type is QuestionType.SINGLE
    users = [person(store, f"tech{i}") for i in range(technicians)]
    for attempt in range(2):
        for i, user in enumerate(users):
            def right(q, i=i, attempt=attempt):
                if q == ids[0]:
                    return False
                return i >= technicians // 2 or q not in (*ids[3:4], *ids[4: 5 + i - attempt])
            take(store, user.id, AttemptKind.QUIZ, ids, right, clock() + timedelta(days=attempt, minutes=i))
    return ids, users


def test_item_analysis_from_the_store_matches_the_analytics_of_the_same_answers(store, clock):
    ids, users = seeded_quizzes(store, clock)
    analysis = team.load_item_analysis(store, AttemptKind.QUIZ, SKIN, False, {})
    answers = store.reports.item_responses(AttemptKind.QUIZ, SKIN)
    expected = analytics.item_statistics(analytics.responses_to_marks(answers[["attempt_id", "question_id", "score"]]))
    got = analysis.table.set_index("question_id")
    for column in ("attempts", "facility", "sd", "discrimination_index", "discriminative_efficiency"):
        wanted = expected["s" if column == "attempts" else column]
        pd.testing.assert_series_equal(got[column], wanted, check_names=False)
    assert analysis.attempts == 12 and got.loc[ids[0], "facility"] == 0.0
    assert "too hard" in got.loc[ids[0], "flags"] and got.loc[ids[0], "hint"]
    assert analysis.test.n == 12 and analysis.test.items == 8

    first = team.load_item_analysis(store, AttemptKind.QUIZ, SKIN, True, {})
    assert first.attempts == len(users)
    assert first.table.set_index("question_id").loc[ids[3], "facility"] == pytest.approx(3 / 6)


def test_options_chosen_are_counted_and_an_unpicked_distractor_is_flagged(store, clock):
    ids, _ = seeded_quizzes(store, clock)
    analysis = team.load_item_analysis(store, AttemptKind.QUIZ, SKIN, False, {})
    options = analysis.options
    for question_id in ids:
        question = BANKS.question(question_id)
        mine = options[options["question_id"] == question_id].set_index("option")
        if question.type is QuestionType.SINGLE:
            assert set(mine.index) == set(question.options)
            assert (mine["times_shown"] == 12).all()
            assert mine["times_chosen"].sum() == 12  # one option per answer
            assert mine.loc[question.answer, "is_key"] and mine["is_key"].sum() == 1
            key_share = analysis.table.set_index("question_id").loc[question_id, "facility"]
            assert mine.loc[question.answer, "share"] == pytest.approx(key_share)
            # wrong_answer() always picks the first wrong option, so the others are never picked
            if mine["times_chosen"].gt(0).sum() < len(mine):
                assert "distractor nobody picks" in analysis.table.set_index("question_id").loc[question_id, "flags"]
        elif question.type is QuestionType.TRUE_FALSE:
            assert set(mine.index) == {"True", "False"} and mine["times_chosen"].sum() == 12
        elif question.type in (QuestionType.ORDERING, QuestionType.MATCHING):
            assert mine.empty


def _single_choice(chosen: list[str], key: str = "Sunscreen", options=("Sunscreen", "Retinol", "Steam")):
    """The sums of answers to one single-choice question "key", each its own attempt."""
    snapshot = {"type": QuestionType.SINGLE.value, "options": list(options), "key": key}
    return accumulate(contribution([Mark("key", 0, float(c == key))], options=option_tallies("key", snapshot, c))
                      for c in chosen)


def test_options_table_counts_shown_and_chosen():
    counted = team.options_table(_single_choice(["Sunscreen", "Sunscreen", "Sunscreen", "Retinol"]))
    assert list(counted.columns) == list(team.OPTION_COLUMNS)
    table = counted.set_index("option")
    assert table.loc["Sunscreen", ["times_shown", "times_chosen"]].tolist() == [4, 3]
    assert table.loc["Sunscreen", "share"] == 0.75 and table.loc["Sunscreen", "is_key"]
    assert table.loc["Retinol", "share"] == 0.25 and not table.loc["Retinol", "unpicked_distractor"]
    assert table.loc["Steam", "unpicked_distractor"] and table.loc["Steam", "times_chosen"] == 0


def test_unchosen_key_is_not_an_unpicked_distractor():
    sums = _single_choice(["Wrong"], key="Right", options=("Right", "Wrong"))
    assert not team.options_table(sums)["unpicked_distractor"].any()


def test_no_answers_give_an_empty_option_table():
    empty = team.options_table(accumulate([]))
    assert empty.empty and list(empty.columns) == list(team.OPTION_COLUMNS)


def test_exam_analysis_counts_the_final_answer_and_only_finished_attempts(store, clock):
    ann, bob = person(store, "ann"), person(store, "bob")
    q = BANKS.question(skin_ids(1)[0])
    s = show(q)
    exam = store.attempts.start(ann.id, AttemptKind.EXAM)
    for answer, score in ((wrong_answer(q), 0.0), (answer_key(q), 1.0)):
        record = ResponseRecord(0, q.id, SKIN, s.content_hash, s.to_snapshot(), answer, score, score == 1.0, clock())
        store.attempts.record_response(exam, record)
    empty = team.load_item_analysis(store, AttemptKind.EXAM, None, False, {})
    assert empty.attempts == 0 and empty.table.empty  # not finished yet
    store.attempts.finish(exam, AttemptResult(1.0, True))
    take(store, bob.id, AttemptKind.EXAM, [q.id], lambda _: False, clock(), module_id=None, finished=False)
    analysis = team.load_item_analysis(store, AttemptKind.EXAM, None, False, {q.id: q.prompt})
    row = analysis.table.iloc[0]
    assert (analysis.attempts, row["attempts"], row["facility"], row["prompt"]) == (1, 1, 1.0, q.prompt)
    # One attempt: no spread, so discrimination is undefined and reads "n/a", never a division error.
    assert np.isnan(row["discrimination_index"])
    shown = team.item_display(analysis.table)
    assert np.isnan(shown.loc[0, "Discrimination %"]) and shown.loc[0, "Facility %"] == 100.0
    assert team.test_figures(analysis.test).set_index("Figure").loc["Standard deviation", "Value"] == "n/a"


def test_quiz_analysis_counts_a_changed_answer_once_the_latest(store, clock):
    # Quiz answers are saved as given (a change is a new row), as the exam's are: only the latest one counts.
    ann = person(store, "ann")
    policy, _ = load_policy(FIXTURE_BANKS, BANKS)
    sitting = certification.start_quiz(store, ann, BANKS, policy, SKIN, clock(), "UTC", random.Random(5))
    changed = sitting.shown[0].question_id
    certification.save_quiz_answer(store, ann, sitting, 0, wrong_answer(BANKS.question(changed)), clock())
    for position, shown in enumerate(sitting.shown):
        certification.save_quiz_answer(store, ann, sitting, position, answer_key(BANKS.question(shown.question_id)),
                                       clock())
    certification.finish_quiz(store, ann, sitting, policy, clock())
    answers = store.reports.item_responses(AttemptKind.QUIZ, SKIN)
    assert len(answers) == len(sitting.shown) and answers["question_id"].is_unique
    analysis = team.load_item_analysis(store, AttemptKind.QUIZ, SKIN, False, {})
    row = analysis.table.set_index("question_id").loc[changed]
    assert (analysis.attempts, row["attempts"], row["facility"]) == (1, 1, 1.0)


def test_results_version_changes_when_an_attempt_is_finished(store, clock):
    ann = person(store, "ann")
    before = store.reports.results_version()
    attempt = store.attempts.start(ann.id, AttemptKind.EXAM)
    assert store.reports.results_version() == before
    store.attempts.finish(attempt, AttemptResult(0.5, False))
    assert store.reports.results_version() != before


@hypothesis_settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=3, max_size=3), min_size=1, max_size=8))
def test_facility_stays_within_zero_and_one_and_undefined_figures_stay_undefined(scores):
    sums = accumulate(contribution([Mark(f"q{p}", p, score) for p, score in enumerate(row)]) for row in scores)
    analysis = team.item_analysis(sums, {})
    facility = analysis.table["facility"]
    assert facility.between(0, 1).all()
    shown = team.item_display(analysis.table).set_index("Question")
    undefined = analysis.table["discrimination_index"].isna().to_numpy()
    assert shown.loc[analysis.table["question_id"][undefined], "Discrimination %"].isna().all()


# ---- bank health ----------------------------------------------------------------------------------------


def test_bank_health_counts_questions_and_lists_those_never_answered(store, clock):
    by_type = team.question_counts(BANKS, "type").set_index("Module")
    assert by_type.loc["Total", "Total"] == len(BANKS.questions)
    assert by_type.loc[team.module_label(BANKS.module(SKIN)), "Total"] == len(BANKS.module(SKIN).questions)
    by_difficulty = team.question_counts(BANKS, "difficulty").set_index("Module")
    assert by_difficulty.loc["Total", "Total"] == len(BANKS.questions)
    ann = person(store, "ann")
    take(store, ann.id, AttemptKind.QUIZ, skin_ids(3), lambda q: True, clock())
    never = team.never_answered(BANKS, store.reports.answered_question_ids())
    assert len(never) == len(BANKS.questions) - 3 and not set(skin_ids(3)) & set(never["Question"])
    assert team.question_counts(BankSet(), "type").empty
    problems = team.problems_table([Problem("01-skin.yaml", 7, "duplicate id 'skin-001'")])
    assert problems.to_dict("records") == [{"File": "01-skin.yaml", "Line": 7, "Problem": "duplicate id 'skin-001'"}]


# ---- practical sign-off ---------------------------------------------------------------------------------

CHECKLIST = ("Consultation done", "Skin cleansed", "Tip disinfected")


def test_a_sign_off_needs_the_trainers_own_password_and_every_item(store, clock, staff):
    trainer, manager = staff
    ann = person(store, "ann")
    today = date(2025, 3, 3)
    everything = {item: True for item in CHECKLIST}
    with pytest.raises(AuthError):
        team.sign_off(store, trainer, ann.id, today, everything, "", "wrong password!", CHECKLIST, today)
    with pytest.raises(AuthError):  # the manager's password does not sign for the trainer
        team.sign_off(store, trainer, ann.id, today, everything, "", "", CHECKLIST, today)
    with pytest.raises(team.SignoffRejected, match="Competent means every checklist item.*Tip disinfected"):
        team.sign_off(store, trainer, ann.id, today, {**everything, "Tip disinfected": False}, "", PASSWORD,
                      CHECKLIST, today)
    with pytest.raises(team.SignoffRejected, match="future"):
        team.sign_off(store, trainer, ann.id, today + timedelta(days=1), everything, "", PASSWORD, CHECKLIST, today)
    with pytest.raises(team.SignoffRejected):
        team.sign_off(store, trainer, manager.id, today, everything, "", PASSWORD, CHECKLIST, today)
    with pytest.raises(PermissionDenied):
        team.sign_off(store, ann, ann.id, today, everything, "", PASSWORD, CHECKLIST, today)
    assert store.signoffs.for_user(ann.id) == []

    team.sign_off(store, trainer, ann.id, today - timedelta(days=1), everything, "  steady hand ", PASSWORD,
                  CHECKLIST, today)
    (signed,) = store.signoffs.for_user(ann.id)
    assert (signed.trainer_id, signed.treated_on, signed.checklist, signed.comment) == (
        trainer.id, date(2025, 3, 2), everything, "steady hand")
    history = team.signoff_history([signed], {trainer.id: "Trent"})
    assert history.loc[0, "Signed by"] == "Trent" and history.loc[0, "Signed at"] == clock()
    assert history.loc[0, "Met"] == "; ".join(CHECKLIST) and history.loc[0, "Outcome"] == "Competent"


def test_a_wrong_signing_password_is_audited_as_a_refused_sign_off_without_the_password(store, staff):
    trainer, manager = staff
    ann = person(store, "ann")
    today = date(2025, 3, 3)
    everything = {item: True for item in CHECKLIST}
    with pytest.raises(AuthError, match="That is not your password"):
        team.sign_off(store, trainer, ann.id, today, everything, "", "wrong password!", CHECKLIST, today)
    (refused,) = store.audit.rows(manager.actor, action="signoff_refused")
    assert (refused.actor_id, refused.actor_username, refused.target) == (trainer.id, "trent", f"user:{ann.id}")
    assert json.loads(refused.detail) == {"reason": "wrong password"}
    assert not any("wrong password!" in f"{row.target} {row.detail}" for row in store.audit.rows(manager.actor))
    assert store.audit.verify_chain() is None
    # A rule broken before the signature is checked refuses without an audit row; a good signature adds none.
    with pytest.raises(team.SignoffRejected):
        team.sign_off(store, trainer, ann.id, today + timedelta(days=1), everything, "", "wrong", CHECKLIST, today)
    team.sign_off(store, trainer, ann.id, today, everything, "", PASSWORD, CHECKLIST, today)
    assert len(store.audit.rows(manager.actor, action="signoff_refused")) == 1


def test_a_not_yet_competent_practical_is_kept_with_what_was_missed_and_does_not_count(store, staff):
    trainer, _ = staff
    ann = person(store, "ann")
    today = date(2025, 3, 3)
    missed = {**{item: True for item in CHECKLIST}, "Tip disinfected": False}
    nyc = PracticalOutcome.NOT_YET_COMPETENT
    with pytest.raises(team.SignoffRejected, match="comment"):
        team.sign_off(store, trainer, ann.id, today, missed, "  ", PASSWORD, CHECKLIST, today, nyc)
    with pytest.raises(team.SignoffRejected, match="Untick"):
        team.sign_off(store, trainer, ann.id, today, {item: True for item in CHECKLIST}, "ok", PASSWORD, CHECKLIST,
                      today, nyc)
    team.sign_off(store, trainer, ann.id, today, missed, "Forgot to disinfect the tip.", PASSWORD, CHECKLIST, today,
                  nyc)
    (record,) = store.signoffs.for_user(ann.id)
    assert record.outcome is nyc and record.missed == ("Tip disinfected",) and not record.checklist["Tip disinfected"]
    assert team.competent_count([record]) == 0
    team.sign_off(store, trainer, ann.id, today, {item: True for item in CHECKLIST}, "", PASSWORD, CHECKLIST, today)
    records = store.signoffs.for_user(ann.id)
    assert [r.outcome for r in records] == [nyc, PracticalOutcome.COMPETENT] and team.competent_count(records) == 1
    history = team.signoff_history(records, {trainer.id: "Trent"})
    assert list(history["Outcome"]) == ["Competent", "Not yet competent"]  # newest first
    assert list(history["Not met"]) == ["", "Tip disinfected"]
    assert store.reports.signoff_counts() == {ann.id: 1}
