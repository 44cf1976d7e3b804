"""How long a trainer waits for item analysis over a million stored responses, against a bare SQL average.

5,000 technicians x 20 graded attempts x 10 questions drawn from a 25-question module = 1,000,000 responses,
simulated from an ability model (2PL logistic: ability grows a little with each attempt; a few deliberately bad
questions: one too easy, one too hard, one with the key wrong), written to a temporary SQLite table. Then, in the
same run: read with pandas.read_sql + the trainer's figures and flags to the finished table, and the bare
`SELECT question_id, AVG(correct) ... GROUP BY question_id`. Goal: the finished table in under 2 s.

Run: .venv/bin/python bench/bench_item_analysis.py   (figures also recorded in bench/results.json)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from results import Figure, record
from sqlalchemy import Boolean, Column, Float, Integer, MetaData, String, Table, create_engine, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modules import analytics

TECHNICIANS = 5_000
ATTEMPTS_EACH = 20
QUESTIONS_PER_ATTEMPT = 10
BANK_SIZE = 25
PARTIAL_CREDIT_ITEMS = 5  # "select all that apply": a third of the marks per right choice
REPEATS = 3
GOAL_SECONDS = 2.0

metadata = MetaData()
responses = Table(
    "responses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("attempt_id", Integer, nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("question_id", String(100), nullable=False),
    Column("score", Float, nullable=False),
    Column("correct", Boolean, nullable=False),
)


def simulate(rng: np.random.Generator) -> dict[str, np.ndarray]:
    attempts = TECHNICIANS * ATTEMPTS_EACH
    difficulty = rng.normal(0, 1, BANK_SIZE)
    slope = rng.uniform(0.5, 2.0, BANK_SIZE)
    difficulty[0], difficulty[1] = -5.0, 4.0  # too easy, too hard
    slope[2] = -1.0  # the key is wrong: strong technicians "miss" it
    ability = rng.normal(0, 1, TECHNICIANS)

    user = np.repeat(np.arange(TECHNICIANS), ATTEMPTS_EACH)
    attempt_no = np.tile(np.arange(ATTEMPTS_EACH), TECHNICIANS)
    theta = ability[user] + 0.05 * attempt_no
    drawn = np.argsort(rng.random((attempts, BANK_SIZE)), axis=1)[:, :QUESTIONS_PER_ATTEMPT]

    rows_theta = np.repeat(theta, QUESTIONS_PER_ATTEMPT)
    item = drawn.ravel()
    p = 1 / (1 + np.exp(-slope[item] * (rows_theta - difficulty[item])))
    partial = item >= BANK_SIZE - PARTIAL_CREDIT_ITEMS
    score = np.where(partial, rng.binomial(3, p) / 3, (rng.random(p.size) < p).astype(float))
    return {
        "id": np.arange(1, item.size + 1),
        "attempt_id": np.repeat(np.arange(1, attempts + 1), QUESTIONS_PER_ATTEMPT),
        "user_id": np.repeat(user + 1, QUESTIONS_PER_ATTEMPT),
        "question_id": np.char.add("treatment-q", np.char.zfill((item + 1).astype(str), 2)),
        "score": score,
        "correct": score == 1.0,
    }


def item_analysis_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The finished per-question table (figures and flags) from attempt_id, question_id, score.

    The app's own path (`team.item_analysis`) also counts options from stored snapshots; this bench has none.
    """
    flagged = analytics.flag_items(analytics.item_statistics(analytics.responses_to_marks(frame)))
    columns = ["s", "facility", "sd", "discrimination_index", "discriminative_efficiency", "effective_weight",
               "flags", "hint"]
    return flagged[columns].rename(columns={"s": "attempts"}).reset_index()


def time_best(fn, repeats: int = REPEATS) -> tuple[float, list[float], object]:
    """Best wall time of `repeats` calls, every time, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), times, result


def main() -> None:
    rng = np.random.default_rng(2025)
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        metadata.create_all(engine)
        start = time.perf_counter()
        data = simulate(rng)
        rows = list(zip(*(data[c.name].tolist() for c in responses.columns)))
        # The Core insert compiled once, then one executemany of plain tuples: per-row dicts cost 3x more.
        insert_sql = str(responses.insert().compile(dialect=engine.dialect))
        with engine.begin() as conn:
            conn.exec_driver_sql(insert_sql, rows)
        print(f"setup: {len(rows):,} responses simulated and inserted in {time.perf_counter() - start:.1f} s")
        del rows, data

        # Only what item_analysis_table needs.
        query = select(responses.c.attempt_id, responses.c.question_id, responses.c.score).order_by(responses.c.id)
        sql_text = str(query.compile(dialect=engine.dialect))

        def read_via_sqlalchemy() -> pd.DataFrame:
            with engine.connect() as conn:
                return pd.read_sql(query, conn)

        def read_only() -> pd.DataFrame:
            # pandas' own sqlite3 path skips SQLAlchemy's per-row result processing.
            with engine.connect() as conn:
                return pd.read_sql(sql_text, conn.connection.driver_connection)

        def full_table() -> pd.DataFrame:
            return item_analysis_table(read_only())

        def bare_sql() -> list:
            with engine.connect() as conn:
                return conn.execute(
                    text("SELECT question_id, AVG(correct) FROM responses GROUP BY question_id")
                ).fetchall()

        frame = read_only()
        start = time.perf_counter()
        via_sqlalchemy = item_analysis_table(read_via_sqlalchemy())
        one_sqlalchemy_run = time.perf_counter() - start
        best_read, _, _ = time_best(read_only)
        best_analysis, _, _ = time_best(lambda: item_analysis_table(frame))
        best_quiz, _, quiz = time_best(lambda: analytics.quiz_statistics(frame))
        best_full, full_times, table = time_best(full_table)
        best_sql, sql_times, averages = time_best(bare_sql)
        engine.dispose()

    facility_check = max(
        abs(table.set_index("question_id")["facility"].get(q) - avg) for q, avg in averages
        if q < "treatment-q21"  # the 0/1 items, where facility equals the share correct
    )
    pd.testing.assert_frame_equal(table, via_sqlalchemy)
    print(f"responses: {len(frame):,}; attempts: {frame['attempt_id'].nunique():,}; questions: {len(table)}")
    print(f"read_sql + item_analysis_table: best {best_full:.3f} s "
          f"(runs {', '.join(f'{t:.3f}' for t in full_times)})")
    print(f"  of which read_sql {best_read:.3f} s, item_analysis_table {best_analysis:.3f} s")
    print(f"  the same through a SQLAlchemy connection (one run): {one_sqlalchemy_run:.3f} s")
    print(f"bare SELECT AVG(correct) GROUP BY: best {best_sql:.3f} s "
          f"(runs {', '.join(f'{t:.3f}' for t in sql_times)})")
    print(f"ratio finished table / bare SQL: {best_full / best_sql:.2f}x")
    print(f"goal under {GOAL_SECONDS:.0f} s: {'met' if best_full < GOAL_SECONDS else 'NOT met'}")
    print(f"quiz_statistics (whole test, by slot): {best_quiz:.3f} s; n={quiz.n:,} cic={quiz.cic:.1f} "
          f"({quiz.reliability}); largest facility vs SQL average gap: {facility_check:.2e}")
    record("bench_item_analysis", [
        Figure(f"read_sql + item_analysis_table, {len(frame):,} responses", best_full, "s", f"< {GOAL_SECONDS:.0f} s",
               best_full / best_sql),
        Figure("read_sql alone (part of the finished table)", best_read, "s"),
        Figure("item_analysis_table alone (part of the finished table)", best_analysis, "s"),
        Figure("the same through a SQLAlchemy connection (one run)", one_sqlalchemy_run, "s", None,
               one_sqlalchemy_run / best_sql),
        Figure("bare SELECT AVG(correct) GROUP BY question_id", best_sql, "s"),
        Figure("quiz_statistics (whole test, by slot)", best_quiz, "s"),
    ])
    flagged = table[table["flags"] != ""]
    print("flagged questions:")
    print(flagged[["question_id", "facility", "discrimination_index", "discriminative_efficiency", "flags"]]
          .to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
