"""Item analysis as the trainer's page runs it: from the real record store to the finished table; and what a
response costs the database.

5,000 technicians x 20 graded quiz attempts x 10 questions drawn from the real 25-question skin-science bank =
1,000,000 responses, written through the real schema (users, attempts, attempt_results, question_versions, and
responses naming the version of each question as shown, the order its options were shown in, and the answer given).
Correctness follows a 2PL ability model; a wrong answer is a plausible wrong choice, graded by modules.grading. Then,
in the same run: `team.load_item_analysis` (SQL in the store's reports, statistics in analytics, distractor counts)
against the bare `SELECT question_id, AVG(correct) FROM responses GROUP BY question_id`. Goals: under 2 s, and at
most 250 bytes of database per response (before revision 0007 each response carried its whole snapshot: 1,477 MB
for the million, about 1.5 KB each; 1,646 MB with the banks as they stood at revision 0007). Figures go to
bench/results.json.

Run: .venv/bin/python bench/bench_item_analysis_db.py [--responses N]
(N responses: N / 200 technicians, 20 attempts of 10 questions each; default 1,000,000.)
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_item_analysis import time_best
from results import Figure, record

from modules import analytics, team
from modules.banks import load_banks
from modules.core.types import AttemptKind, QuestionType
from modules.grading import grade, show
from modules.store import Store
from modules.store.question_versions import split
from modules.store.schema import dumps, users

RESPONSES = 1_000_000
ATTEMPTS_EACH = 20
QUESTIONS = 10
MODULE = "skin-science"
VARIANTS = 4  # shuffles stored per question: snapshots differ in option order, like real attempts
REPEATS = 5
GOAL_SECONDS = 1.0  # cold; the issue asks for <= 1 s, and <= 50 ms when nothing changed
GOAL_BYTES = 250
BEFORE_BYTES = 1_477_000_000 / 1_000_000  # the same million responses with a snapshot in each (before revision 0007)
START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
FMT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DateTime on SQLite (written here without it)


def wrong_answers(shown) -> list:
    """A few plausible mistakes per question (the key itself never)."""
    key = shown.key
    if shown.type is QuestionType.TRUE_FALSE:
        return [not key]
    if shown.type is QuestionType.SINGLE:
        return [o for o in shown.options if o != key][:3]
    if shown.type is QuestionType.MULTIPLE:
        extra = [o for o in shown.options if o not in key]
        return [key[:-1], key + extra[:1], extra[:1]]
    if shown.type is QuestionType.ORDERING:
        return [key[1:2] + key[:1] + key[2:], key[::-1]]
    lefts = list(key)
    swapped = dict(key)
    swapped[lefts[0]], swapped[lefts[1]] = key[lefts[1]], key[lefts[0]]
    return [swapped]


def simulate(path: Path, rng: np.random.Generator, technicians: int) -> int:
    module = load_banks(Path(__file__).resolve().parents[1] / "question_banks").module(MODULE)
    questions = list(module.questions)
    bank = len(questions)
    shown = [[show(q, random.Random(v)) for v in range(VARIANTS)] for q in questions]
    # Each question's version is stored once; a response names it and keeps the order its options were shown in.
    versions = [[split(s.to_snapshot()) for s in variants] for variants in shown]
    stored = {v.hash: v.content_json for variants in versions for v in variants}
    version_ids = {key: number for number, key in enumerate(stored, start=1)}
    version_rows = [(version_ids[key], key, content) for key, content in stored.items()]
    # Per question: the answers a simulated technician can give (key first) with their JSON and grade.
    choices = [[s[0].key, *wrong_answers(s[0])] for s in shown]
    answer_json = [[dumps(a) for a in c] for c in choices]
    answer_score = [[grade(s[0], a) for a in c] for s, c in zip(shown, choices)]

    difficulty, slope = rng.normal(0, 1, bank), rng.uniform(0.5, 2.0, bank)
    difficulty[0], difficulty[1], slope[2] = -5.0, 4.0, -1.0  # too easy, too hard, key wrong
    ability = rng.normal(0, 1, technicians)
    n_attempts = technicians * ATTEMPTS_EACH
    user = np.repeat(np.arange(technicians), ATTEMPTS_EACH)
    theta = ability[user] + 0.05 * np.tile(np.arange(ATTEMPTS_EACH), technicians)
    item = np.argsort(rng.random((n_attempts, bank)), axis=1)[:, :QUESTIONS].ravel()
    p = 1 / (1 + np.exp(-slope[item] * (np.repeat(theta, QUESTIONS) - difficulty[item])))
    right = rng.random(p.size) < p
    n_wrong = np.array([len(c) - 1 for c in choices])
    pick = np.where(right, 0, 1 + (rng.random(p.size) * n_wrong[item]).astype(int))
    variant = rng.integers(0, VARIANTS, p.size)

    Store.open(f"sqlite:///{path}").close()  # the real schema, with its indexes and triggers
    # Bulk rows straight into the tables, behind the store: a million answers one by one would time the seeding.
    seeding = create_engine(f"sqlite:///{path}")
    with seeding.begin() as conn:
        conn.execute(insert(users), [{"id": 1000 + u, "username": f"tech{u}", "full_name": f"Technician {u}",
                                      "role": "technician", "location": "North", "password_hash": "x",
                                      "active": True, "must_change_password": False, "created_at": START}
                                     for u in range(technicians)])
    started = [(START + timedelta(hours=int(i))).strftime(FMT) for i in range(n_attempts)]
    attempt_rows = [(i + 1, 1000 + int(user[i]), "quiz", MODULE, started[i]) for i in range(n_attempts)]
    scores = np.array([answer_score[q][c] for q, c in zip(item.tolist(), pick.tolist())])
    totals = scores.reshape(n_attempts, QUESTIONS).mean(axis=1)
    result_rows = [(i + 1, started[i], float(totals[i]), bool(totals[i] >= 0.8), "submitted")
                   for i in range(n_attempts)]
    attempt_of = np.repeat(np.arange(1, n_attempts + 1), QUESTIONS)
    response_rows = [
        (int(a), pos, questions[q].id, MODULE, questions[q].content_hash, version_ids[versions[q][v].hash],
         versions[q][v].order, answer_json[q][c], float(answer_score[q][c]), c == 0, started[a - 1], 6.0)
        for a, pos, q, v, c in zip(attempt_of.tolist(), np.tile(np.arange(QUESTIONS), n_attempts).tolist(),
                                   item.tolist(), variant.tolist(), pick.tolist())]
    seeding.dispose()
    # Bulk load on a bare connection without the journal: the WAL would write it all twice.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        # One executemany of plain tuples per table: per-row dicts through Core cost several times more.
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO attempts (id, user_id, kind, module_id, started_at) "
                             "VALUES (?, ?, ?, ?, ?)", attempt_rows)
        conn.executemany("INSERT INTO attempt_results (attempt_id, finished_at, score, passed, closed_by) "
                             "VALUES (?, ?, ?, ?, ?)", result_rows)
        conn.executemany("INSERT INTO question_versions (id, hash, content_json) VALUES (?, ?, ?)", version_rows)
        conn.executemany("INSERT INTO responses (attempt_id, position, question_id, module_id, content_hash, "
                             "version_id, shown_order, answer_json, score, correct, answered_at, seconds_taken) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", response_rows)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    return len(response_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    per_technician = ATTEMPTS_EACH * QUESTIONS
    parser.add_argument("--responses", type=int, default=RESPONSES,
                        help=f"responses to seed (rounded down to a multiple of {per_technician})")
    options = parser.parse_args()
    technicians = max(1, options.responses // per_technician)
    rng = np.random.default_rng(2025)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        count = simulate(Path(folder) / "bench.db", rng, technicians)
        store = Store.open(f"sqlite:///{Path(folder) / 'bench.db'}")
        size = (Path(folder) / "bench.db").stat().st_size
        per_response = size / count
        print(f"setup: {count:,} responses ({size / 1e6:,.0f} MB database) written in "
              f"{time.perf_counter() - start:.1f} s")
        print(f"database per response: {per_response:,.0f} bytes (before revision 0007: {BEFORE_BYTES:,.0f} bytes, "
              f"{count * BEFORE_BYTES / 1e6:,.0f} MB for as many; goal <= {GOAL_BYTES}: "
              f"{'met' if per_response <= GOAL_BYTES else 'NOT met'})")
        engine = create_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        prompts = {}

        def bare_sql():
            with engine.connect() as conn:
                return conn.execute(text("SELECT question_id, AVG(correct) FROM responses GROUP BY question_id")).all()

        bare_sql()  # warm the page cache for both sides alike

        rebuild_start = time.perf_counter()
        rebuilt = store.item_sums.rebuild()  # the seeding wrote raw rows; the app adds each attempt as it finishes
        rebuild_time = time.perf_counter() - rebuild_start

        def from_sums(first_only: bool):
            """team.load_item_analysis as the page runs it: read the running sums, then Moodle's figures."""
            return team.load_item_analysis(store, AttemptKind.QUIZ, MODULE, first_only, prompts)

        def every_response(first_only: bool):
            """The way it was done before the sums: every counted answer read and analysed (no distractors)."""
            answers = store.reports.item_responses(AttemptKind.QUIZ, MODULE, first_only)
            marks = analytics.responses_to_marks(answers[["attempt_id", "question_id", "score"]])
            return analytics.item_statistics(marks), analytics.quiz_statistics(
                answers[["attempt_id", "question_id", "position", "score"]])

        best_all, all_times, analysis = time_best(lambda: from_sums(False), REPEATS)
        best_first, first_times, first = time_best(lambda: from_sums(True), REPEATS)
        best_check, _, _ = time_best(store.reports.results_version, REPEATS)
        best_raw, raw_times, (raw_items, _) = time_best(lambda: every_response(False), 2)
        best_sql, sql_times, averages = time_best(bare_sql, REPEATS)
        sums = store.item_sums.read(AttemptKind.QUIZ, MODULE, False)
        sum_rows = (len(sums.items) + sum(len(i.x_values) + len(i.o_values) + len(i.t_values)
                                          for i in sums.items.values())
                    + len(sums.totals) + len(sums.slots) + len(sums.options))
        store.close()
        engine.dispose()

    table = analysis.table.set_index("question_id")
    gap = max(abs(table.loc[q, "facility"] - avg) for q, avg in averages
              if not load_banks(Path(__file__).resolve().parents[1] / "question_banks").question(q).partial_credit)
    raw_gap = float((raw_items["facility"].set_axis(raw_items.index.astype(str)) - table["facility"]).abs().max())
    print(f"all attempts: {analysis.attempts:,} attempts, {int(table['attempts'].sum()):,} answers, "
          f"{len(table)} questions, {len(analysis.options)} option rows, from {sum_rows} rows of sums")
    print(f"rebuild of the sums from every raw answer ({rebuilt:,} attempts): {rebuild_time:.2f} s")
    print(f"store -> finished table from the sums (all attempts): best {best_all * 1000:.1f} ms "
          f"(runs {', '.join(f'{t * 1000:.1f}' for t in all_times)})")
    print(f"store -> finished table from the sums (first attempts, {first.attempts:,}): best "
          f"{best_first * 1000:.1f} ms")
    print(f"the check a rerun makes when nothing changed (results_version): best {best_check * 1000:.2f} ms")
    print(f"before the sums, every response read and analysed: best {best_raw:.3f} s "
          f"(runs {', '.join(f'{t:.3f}' for t in raw_times)})")
    print(f"bare SELECT question_id, AVG(correct) GROUP BY: best {best_sql:.3f} s "
          f"(runs {', '.join(f'{t:.3f}' for t in sql_times)})")
    print(f"ratio finished table from sums / bare SQL: {best_all / best_sql:.4f}x; every response / bare SQL: "
          f"{best_raw / best_sql:.2f}x")
    print(f"goal <= {GOAL_SECONDS:.0f} s cold: {'met' if best_all <= GOAL_SECONDS else 'NOT met'}")
    print(f"test: cic {analysis.test.cic:.1f} ({analysis.test.reliability}); largest facility gap: vs SQL average "
          f"(all-or-nothing items) {gap:.2e}, vs every response {raw_gap:.2e}")
    flagged = analysis.table[analysis.table["flags"] != ""]
    print(flagged[["question_id", "facility", "discriminative_efficiency", "flags"]]
          .to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    record("bench_item_analysis_db", [
        Figure(f"database per response ({count:,} responses)", per_response, "B", f"<= {GOAL_BYTES} B"),
        Figure(f"database size ({count:,} responses)", size / 1e6, "MB"),
        Figure("item analysis, store to finished table from the sums (all attempts)", best_all, "s",
               f"<= {GOAL_SECONDS:.0f} s cold", best_all / best_sql),
        Figure("item analysis, store to finished table from the sums (first attempts)", best_first, "s", None,
               best_first / best_sql),
        Figure("item analysis, check when nothing changed (results_version)", best_check * 1000, "ms", "<= 50 ms",
               None),
        Figure("item analysis before the sums (every response read and analysed)", best_raw, "s", None,
               best_raw / best_sql),
        Figure(f"rebuild of the sums ({rebuilt:,} attempts)", rebuild_time, "s", None, rebuild_time / best_sql),
        Figure("bare SELECT question_id, AVG(correct) GROUP BY", best_sql, "s"),
    ])


if __name__ == "__main__":
    main()
