"""Item analysis's running sums in the store: kept in the transaction that finishes an attempt, equal to a rebuild
from the raw answers and to the figures computed from every response. On SQLite and PostgreSQL."""

from __future__ import annotations

import math
import random
import threading
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import text

from modules import analytics, certification, settings, team
from modules.__main__ import main
from modules.core.records import AttemptResult, ResponseRecord
from modules.core.types import AttemptKind, ClosedBy
from modules.grading import answer_key, show
from modules.policy import load_policy
from modules.store import Store
from tests.helpers import FIXTURE_BANKS, wrong_answer
from tests.unit.test_team import BANKS, SKIN, person, seeded_quizzes, skin_ids, take

POLICY, _ = load_policy(FIXTURE_BANKS, BANKS)
SCOPES = [(AttemptKind.QUIZ, SKIN, False), (AttemptKind.QUIZ, SKIN, True), (AttemptKind.EXAM, None, False),
          (AttemptKind.EXAM, None, True)]


def figures(store, kind, module_id, first_only):
    sums = store.item_sums.read(kind, module_id, first_only)
    return analytics.item_statistics_from_sums(sums), analytics.test_statistics_from_sums(sums), sums


def from_every_response(store, kind, module_id, first_only):
    """Today's figures the long way: every counted answer read back and analysed (the Moodle oracle's path)."""
    answers = store.reports.item_responses(kind, module_id, first_only)
    marks = analytics.responses_to_marks(answers[["attempt_id", "question_id", "score"]])
    return analytics.item_statistics(marks), analytics.quiz_statistics(answers[["attempt_id", "question_id",
                                                                                  "position", "score"]])


def assert_same_test(expected, actual):
    for name, value in expected.to_dict().items():
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(actual.to_dict()[name]), name
        elif isinstance(value, str):
            assert value == actual.to_dict()[name], name
        else:
            assert actual.to_dict()[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name


def a_varied_history(store, clock):
    """Quizzes through every path the app has (submitted whole, saved answer by answer with a change, the
    helpers' start + submit), exams finished on submit and at the deadline, and work that must not count."""
    ids, users = seeded_quizzes(store, clock)
    ann = person(store, "ann")
    sitting = certification.start_quiz(store, ann, BANKS, POLICY, SKIN, clock(), "UTC", random.Random(5))
    first = BANKS.question(sitting.shown[0].question_id)
    certification.save_quiz_answer(store, ann, sitting, 0, wrong_answer(first), clock())
    certification.save_quiz_answer(store, ann, sitting, 0, answer_key(first), clock())  # changed: the latest counts
    certification.finish_quiz(store, ann, sitting, POLICY, clock())
    quiz = certification.start_quiz(store, ann, BANKS, POLICY, SKIN, clock() + timedelta(hours=1), "UTC",
                                    random.Random(6))
    certification.submit_quiz(store, ann, quiz, {i: wrong_answer(BANKS.question(s.question_id))
                                                 for i, s in enumerate(quiz.shown) if i % 2}, POLICY, clock())
    q = BANKS.question(skin_ids(1)[0])
    shown = show(q)
    sittings = ((users[0], ClosedBy.SUBMITTED), (users[1], ClosedBy.DEADLINE), (users[0], ClosedBy.SUBMITTED))
    for who, closed_by in sittings:
        exam = store.attempts.start(who.id, AttemptKind.EXAM)
        for answer, score in ((wrong_answer(q), 0.0), (answer_key(q), 1.0))[: 2 if who is users[0] else 1]:
            store.attempts.record_response(exam, ResponseRecord(0, q.id, SKIN, shown.content_hash, shown.to_snapshot(),
                                                                answer, score, score == 1.0, clock()))
        store.exams.finish(exam, AttemptResult(1.0 if who is users[0] else 0.0, who is users[0], closed_by),
                           "Certificate", clock() + timedelta(days=365))
    take(store, ann.id, AttemptKind.PRACTICE, ids[:3], lambda _: True, clock())  # practice never counts
    take(store, ann.id, AttemptKind.QUIZ, ids[:3], lambda _: True, clock(), finished=False)  # nor an open quiz
    return ids, users


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: f"{s[0].value}-{'first' if s[2] else 'all'}")
def test_the_sums_kept_as_attempts_finish_give_the_figures_of_every_response(store, clock, scope):
    a_varied_history(store, clock)
    items, test, sums = figures(store, *scope)
    expected_items, expected_test = from_every_response(store, *scope)
    assert sums.attempts == expected_test.n > 0
    pd.testing.assert_frame_equal(expected_items.set_axis(expected_items.index.astype(str)), items,
                                  check_exact=False, rtol=1e-9, atol=1e-9, check_names=False)
    assert_same_test(expected_test, test)


def test_a_rebuild_from_the_raw_answers_equals_the_sums_kept_as_attempts_finished(store, clock):
    a_varied_history(store, clock)
    kept = {scope: figures(store, *scope) for scope in SCOPES}
    assert store.item_sums.rebuild() == 12 + 2 + 3
    for scope, (items, test, sums) in kept.items():
        rebuilt_items, rebuilt_test, rebuilt = figures(store, *scope)
        assert rebuilt.totals == sums.totals and rebuilt.options == sums.options and rebuilt.slots == sums.slots
        pd.testing.assert_frame_equal(items, rebuilt_items, check_exact=False, rtol=1e-12, atol=1e-12)
        assert_same_test(test, rebuilt_test)


def test_the_rebuild_command_replaces_sums_that_drifted(store, clock, db_url, raw_db, capsys):
    a_varied_history(store, clock)
    before = figures(store, AttemptKind.QUIZ, SKIN, False)[2]
    with raw_db.begin() as conn:
        conn.execute(text("UPDATE item_sum_items SET n = n + 5"))
        conn.execute(text("DELETE FROM item_sum_options"))
    assert figures(store, AttemptKind.QUIZ, SKIN, False)[2].items != before.items
    assert main(["rebuild-sums", "--db", db_url]) == 0
    assert "rebuilt from 17 finished attempt(s)" in capsys.readouterr().out
    after = figures(store, AttemptKind.QUIZ, SKIN, False)[2]
    assert after.options == before.options and after.totals == before.totals
    assert {q: i.n for q, i in after.items.items()} == {q: i.n for q, i in before.items.items()}


def test_first_attempts_are_each_persons_first_finished_one(store, clock):
    ids, users = seeded_quizzes(store, clock)
    first = team.load_item_analysis(store, AttemptKind.QUIZ, SKIN, True, {})
    every = team.load_item_analysis(store, AttemptKind.QUIZ, SKIN, False, {})
    assert (first.attempts, every.attempts) == (len(users), 2 * len(users))


def test_an_attempt_whose_finishing_fails_adds_nothing(store, clock):
    ann = person(store, "ann")
    attempt = take(store, ann.id, AttemptKind.QUIZ, skin_ids(3), lambda _: True, clock())
    before = figures(store, AttemptKind.QUIZ, SKIN, False)[2]
    with pytest.raises(Exception, match="already"):
        store.attempts.finish(attempt, AttemptResult(1.0, True))  # a second result is refused, all or nothing
    assert figures(store, AttemptKind.QUIZ, SKIN, False)[2] == before


def test_many_people_finishing_at_once_are_each_counted_once(db_url, store, clock):
    people = [person(store, f"tech{i}") for i in range(8)]
    ids = skin_ids(5)
    opened = [Store.open(db_url, clock=clock, audit_key=settings.audit_key()) for _ in people]
    errors = []

    def finish_twice(instance, user):
        try:
            for _ in range(2):
                take(instance, user.id, AttemptKind.QUIZ, ids, lambda q: q != ids[0], clock())
        except Exception as error:  # reported below, with the thread's person
            errors.append((user.username, error))

    threads = [threading.Thread(target=finish_twice, args=pair) for pair in zip(opened, people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for instance in opened:
        instance.close()
    assert errors == []
    every, first = (figures(store, AttemptKind.QUIZ, SKIN, f)[2] for f in (False, True))
    assert (every.attempts, first.attempts) == (16, 8)
    assert every.items[ids[0]].n == 16 and every.items[ids[0]].sum_x == 0.0
    kept = figures(store, AttemptKind.QUIZ, SKIN, False)[0]
    store.item_sums.rebuild()
    pd.testing.assert_frame_equal(kept, figures(store, AttemptKind.QUIZ, SKIN, False)[0], rtol=1e-12)
