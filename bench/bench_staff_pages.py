"""The staff pages with a clinic chain's worth of people, each opened with AppTest on a database of 5,000
technicians with lived-in histories: the Team page (as a trainer and as a manager), the certification register and
the Technician page.

The histories are written straight into the real schema (creating them through the store would time the seeding):
every technician at some stage of the path (new, studying, certified, expiring, expired, failed the exam), lesson
reads, practice rounds, module quizzes drawn from the real banks with results (retaken until passed), exams with
results, practical sign-offs (some not yet competent), certificates (a few revoked), four locations. Answers follow
each question's difficulty and the person's own weak spots, so some technicians keep missing the same question.

Each page's first run (a new session opening it, Streamlit's caches cleared) and a warm open (a second session
after the first one, the caches kept) is timed against a bare AppTest script that shows a st.dataframe of the same
number of rows with no logic behind it, in the same run. Prints figures and records them in bench/results.json;
asserts nothing.

Run: .venv/bin/python bench/bench_staff_pages.py [--technicians 5000] [--keep DIR] [--profile]
(--keep reuses or keeps the seeded database in DIR; --profile prints where a Team page's first run spends its time.)
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from bench_item_analysis_db import wrong_answers  # noqa: E402
from results import Figure, record  # noqa: E402
from streamlit.runtime.scriptrunner import script_runner  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from modules import sessions, settings  # noqa: E402
from modules.auth import hash_password  # noqa: E402
from modules.banks import load_banks  # noqa: E402
from modules.certificates import expiry_for, new_certificate_code  # noqa: E402
from modules.core.types import Pool, UserId  # noqa: E402
from modules.grading import grade, show  # noqa: E402
from modules.policy import load_policy  # noqa: E402
from modules.store import Store  # noqa: E402
from modules.store.schema import dumps  # noqa: E402

TECHNICIANS = 5_000
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
LOCATIONS = ("Riverside", "Old Town", "Harbour", "Zoë's clinic")
STAGES = {"new": 0.08, "studying": 0.37, "certified": 0.35, "expiring": 0.05, "expired": 0.10, "failed exam": 0.05}
PRACTICE_ROUND = 10
DIFFICULTY = {"easy": -1.0, "medium": 0.0, "hard": 1.0}  # how much more often a question is missed (log odds)
GOAL_SECONDS = 1.0
REPEATS = 3
FMT = "%Y-%m-%d %H:%M:%S.%f"  # how UTCDateTime stores a moment on SQLite (written here without it)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(FMT)


class History:
    """Rows for every table, built technician by technician in time order, then bulk-inserted."""

    def __init__(self, rng: random.Random, shown_columns: tuple[str, ...]):
        self.rng = rng
        self.shown_columns = shown_columns
        self.versions: dict[str, tuple[int, str]] = {}  # each stored question version by hash: (id, content)
        self.np_rng = np.random.default_rng(rng.randrange(2**32))
        banks = load_banks(ROOT / "question_banks")
        self.policy, _ = load_policy(ROOT / "question_banks", banks)
        self.modules = [m.id for m in banks.modules]
        self.module_of = {q.id: m.id for m in banks.modules for q in m.questions}
        self.practice = {m: banks.pool(Pool.PRACTICE, m) for m in self.modules}
        self.exam_pool = {m: banks.pool(Pool.EXAM, m) for m in self.modules}
        # Per question: what was shown (as the store keeps it), and the answers a technician gives (key first) as
        # JSON with their grade.
        self.shown, self.answers = {}, {}
        for question in banks.questions.values():
            shown = show(question, random.Random(question.id))
            given = [shown.key, *wrong_answers(shown)]
            self.shown[question.id] = (question.content_hash, *self._as_stored(shown.to_snapshot()))
            self.answers[question.id] = [(dumps(a), grade(shown, a)) for a in given]
        self.hardness = {q.id: DIFFICULTY[q.difficulty.value] + rng.gauss(0, 0.5) for q in banks.questions.values()}
        self.users: list[tuple] = []
        self.attempts: list[tuple] = []
        self.results: list[tuple] = []
        self.responses: list[tuple] = []
        self.reads: list[tuple] = []
        self.signoffs: list[tuple] = []
        self.certificates: list[tuple] = []
        self.revocations: list[tuple] = []
        self.trainers: list[int] = []

    def _as_stored(self, snapshot: dict) -> tuple:
        """What a response keeps of the question shown, in `shown_columns`: the snapshot itself, or (where responses
        keep each wording once) the id of its stored version and the order its lists were shown in."""
        if self.shown_columns == ("snapshot_json",):
            return (dumps(snapshot),)
        from modules.store import question_versions  # only in a schema that has them
        version = question_versions.split(snapshot)
        stored_id, _ = self.versions.setdefault(version.hash, (len(self.versions) + 1, version.content_json))
        return stored_id, version.order

    # ---- one attempt --------------------------------------------------------------------------------

    def _answers(self, attempt_id: int, questions: list[str], wrong: int, weak: set[str], at: datetime) -> float:
        """Answer `questions` with `wrong` of them missed (the hard ones and the person's weak spots most often);
        returns the score."""
        weights = np.array([np.exp(self.hardness[q] + (2.5 if q in weak else 0.0)) for q in questions])
        missed = set(self.np_rng.choice(len(questions), size=wrong, replace=False, p=weights / weights.sum())
                     .tolist()) if wrong else set()
        total = 0.0
        for position, question_id in enumerate(questions):
            content_hash, *shown = self.shown[question_id]
            choices = self.answers[question_id]
            answer_json, score = choices[self.rng.randrange(1, len(choices))] if position in missed else choices[0]
            total += score
            answered = at + timedelta(seconds=40 * (position + 1))
            self.responses.append((attempt_id, position, question_id, self.module_of[question_id], content_hash,
                                   *shown, answer_json, float(score), score == 1.0, stamp(answered), 40.0))
        return total / len(questions)

    def _attempt(self, user_id: int, kind: str, module_id: str | None, at: datetime) -> int:
        attempt_id = len(self.attempts) + 1
        # The questions an exam drew are left out: no page timed here reads them.
        self.attempts.append((attempt_id, user_id, kind, module_id, stamp(at), None, None, None))
        return attempt_id

    def _graded(self, user_id: int, kind: str, module_id: str | None, questions: list[str], passing: bool,
                pass_percent: int, weak: set[str], at: datetime) -> tuple[int, float, datetime]:
        size = len(questions)
        needed = -(-size * pass_percent // 100)
        wrong = self.rng.randint(0, size - needed) if passing else self.rng.randint(size - needed + 1, size // 2)
        attempt_id = self._attempt(user_id, kind, module_id, at)
        score = self._answers(attempt_id, questions, wrong, weak, at)
        finished = at + timedelta(seconds=40 * size + 30)
        self.results.append((attempt_id, stamp(finished), score, score * 100 >= pass_percent, "submitted"))
        return attempt_id, score, finished

    # ---- one technician -----------------------------------------------------------------------------

    def technician(self, user_id: int, password_hash: str) -> None:
        rng = self.rng
        stage = rng.choices(list(STAGES), weights=list(STAGES.values()))[0]
        location = rng.choice(LOCATIONS) if rng.random() > 0.02 else None
        weak = set(rng.sample([q.id for m in self.modules for q in self.practice[m]], 3))
        studied = {"new": 0, "studying": rng.randint(1, len(self.modules))}.get(stage, len(self.modules))
        exam_at = {"certified": NOW - timedelta(days=rng.uniform(1, 330)),
                   "expiring": NOW - timedelta(days=rng.uniform(340, 364)),
                   "expired": NOW - timedelta(days=rng.uniform(370, 700)),
                   "failed exam": NOW - timedelta(days=rng.uniform(1, 60))}.get(stage)
        span = timedelta(days=studied * rng.uniform(2, 8))
        if exam_at is not None:
            end = exam_at
        elif stage == "studying":  # most are busy this week; some have gone quiet
            end = NOW - timedelta(days=min(rng.expovariate(1 / 8), 150))
        else:
            end = NOW - timedelta(days=rng.uniform(0, 40))
        start = end - span - timedelta(days=1)
        created = start - timedelta(days=rng.uniform(0, 10))
        self.users.append((user_id, f"tech{user_id:05d}", f"{rng.choice(FIRST)} {rng.choice(LAST)} {user_id}",
                           "technician", location, password_hash, rng.random() > 0.03, False, stamp(created)))
        at = start
        step = span / max(1, studied)
        for index, module_id in enumerate(self.modules[:studied]):
            at = start + step * index + timedelta(hours=rng.uniform(0, 4))
            self.reads.append((user_id, module_id, stamp(at)))
            for _ in range(rng.choice((0, 1, 1, 2))):  # practice rounds, never graded
                at += timedelta(minutes=rng.uniform(20, 120))
                questions = [q.id for q in rng.sample(self.practice[module_id], PRACTICE_ROUND)]
                attempt_id = self._attempt(user_id, "practice", module_id, at)
                self._answers(attempt_id, questions, sum(rng.random() < 0.2 for _ in questions), weak, at)
            last = stage == "studying" and index == studied - 1
            for attempt in range(4):  # retaken until passed; the module in hand may not be passed yet
                at += timedelta(hours=rng.uniform(2, 30))
                passing = rng.random() < 0.65 or attempt == 3
                if last and rng.random() < 0.4:
                    passing = False
                pool = self.practice[module_id]
                questions = [q.id for q in rng.sample(pool, min(self.policy.quiz_questions, len(pool)))]
                self._graded(user_id, "quiz", module_id, questions, passing, self.policy.quiz_pass_percent, weak, at)
                if passing:
                    break
        if exam_at is None:
            return
        trainer = rng.choice(self.trainers)
        checklist = dumps({item: True for item in self.policy.checklist})
        if rng.random() < 0.2:
            missed = list(self.policy.checklist[:1])
            self.signoffs.append((user_id, trainer, (exam_at - timedelta(days=12)).date(),
                                  dumps({item: item not in missed for item in self.policy.checklist}),
                                  "Not yet: practise the turnaround.", stamp(exam_at - timedelta(days=12)),
                                  "not_yet_competent", dumps(missed)))
        for n in range(self.policy.signoffs_required):
            day = exam_at - timedelta(days=10 - 3 * n)
            self.signoffs.append((user_id, trainer, day.date(), checklist, "", stamp(day), "competent", dumps([])))
        sittings = [False] if stage == "failed exam" else [False, True] if rng.random() < 0.25 else [True]
        for n, passing in enumerate(sittings):
            when = exam_at - timedelta(days=3 * (len(sittings) - 1 - n))
            questions = [q.id for m, count in self.policy.exam_draw(self.modules).items()
                         for q in rng.sample(self.exam_pool[m], count)]
            attempt_id, score, finished = self._graded(user_id, "exam", None, questions, passing,
                                                       self.policy.exam_pass_percent, set(), when)
            if passing:
                certificate_id = len(self.certificates) + 1
                self.certificates.append((certificate_id, new_certificate_code(), user_id, attempt_id,
                                          self.policy.certificate_title, stamp(finished),
                                          stamp(expiry_for(finished, self.policy.validity_months)), score))
                if rng.random() < 0.01:
                    self.revocations.append((certificate_id, 1, stamp(NOW - timedelta(days=1)), "bench"))


FIRST = ["Amira", "Ben", "Chloé", "Daniel", "Ewa", "Farah", "George", "Hana", "Isaac", "Jade", "Kofi", "Lena",
         "Marco", "Nia", "Oscar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Una", "Victor", "Wen", "Yusuf", "Zoë"]
LAST = ["Khan", "Okafor", "Novak", "Murphy", "Silva", "Nguyen", "Schmidt", "Haddad", "Kowalski", "Osei", "Rossi",
        "Patel", "Jensen", "O'Brien", "Dubois", "Yilmaz", "Tanaka", "García", "Evans", "Mensah", "Costa", "Ahmed"]


def seed(path: Path, technicians: int) -> History:
    """The real schema (Store.open), then every row in one bulk load on a bare connection."""
    Store.open(f"sqlite:///{path}", audit_key=settings.audit_key()).close()
    with closing(sqlite3.connect(path)) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(responses)")}
    # Responses keep what was shown either whole or as a stored version: whichever this schema has.
    shown_columns = ("snapshot_json",) if "snapshot_json" in columns else ("version_id", "shown_order")
    history = History(random.Random(2026), shown_columns)
    password_hash = hash_password("a shared bench password")
    staff = [(1, "manager", "Maya Manager", "manager", None)]
    staff += [(2 + n, f"trainer{n + 1}", f"Trainer {place}", "trainer", place) for n, place in enumerate(LOCATIONS)]
    for user_id, username, name, role, place in staff:
        history.users.append((user_id, username, name, role, place, password_hash, True, False,
                              stamp(NOW - timedelta(days=800))))
    history.trainers = [user_id for user_id, *_ in staff[1:]]
    for n in range(technicians):
        history.technician(100 + n, password_hash)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")  # the WAL would write the whole load twice
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO users (id, username, full_name, role, location, password_hash, active, "
                     "must_change_password, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", history.users)
    conn.executemany("INSERT INTO attempts (id, user_id, kind, module_id, started_at, deadline, questions_json, "
                     "policy_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", history.attempts)
    conn.executemany("INSERT INTO attempt_results (attempt_id, finished_at, score, passed, closed_by) "
                     "VALUES (?, ?, ?, ?, ?)", history.results)
    if history.versions:
        conn.executemany("INSERT INTO question_versions (id, hash, content_json) VALUES (?, ?, ?)",
                         [(stored_id, key, content) for key, (stored_id, content) in history.versions.items()])
    shown = ", ".join(shown_columns)
    marks = ", ".join("?" * (10 + len(shown_columns)))
    conn.executemany(f"INSERT INTO responses (attempt_id, position, question_id, module_id, content_hash, {shown}, "
                     f"answer_json, score, correct, answered_at, seconds_taken) VALUES ({marks})", history.responses)
    conn.executemany("INSERT INTO lesson_reads (user_id, module_id, read_at) VALUES (?, ?, ?)", history.reads)
    conn.executemany("INSERT INTO practical_signoffs (technician_id, trainer_id, treated_on, checklist_json, "
                     "comment, signed_at, outcome, missed_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [(t, tr, day.isoformat(), *rest) for t, tr, day, *rest in history.signoffs])
    conn.executemany("INSERT INTO certificates (id, code, user_id, attempt_id, title, issued_at, expires_at, score) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", history.certificates)
    conn.executemany("INSERT INTO certificate_revocations (certificate_id, revoked_by, revoked_at, reason) "
                     "VALUES (?, ?, ?, ?)", history.revocations)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    return history


# ---- timing ------------------------------------------------------------------------------------------

def opened(store: Store, user, page: str) -> tuple[AppTest, float]:
    """A new session signed in as `user` (its token handed to AppTest, which cannot send the cookie) opens `page`:
    the seconds of that page's first run."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["_session_token"] = sessions.begin(store, user, datetime.now(UTC))
    at.run()
    at.switch_page(f"modules/pages/{page}")
    start = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - start
    if at.exception:
        raise SystemExit(f"{page} failed: {at.exception[0].message}")
    return at, seconds


def bare(rows: int, columns: int, folder: Path) -> float:
    """A page file that shows a st.dataframe of `rows` x `columns` (read from a pickle) with no logic behind it,
    under a one-page router: its first run, the best of REPEATS."""
    frame = pd.DataFrame({f"c{i}": np.arange(rows, dtype=float) if i % 2 else [f"Name {n}" for n in range(rows)]
                          for i in range(columns)})
    frame.to_pickle(folder / "bare.pkl")
    (folder / "bare_page.py").write_text(
        f"import pandas as pd\nimport streamlit as st\nst.title('Bare')\n"
        f"st.dataframe(pd.read_pickle({str(folder / 'bare.pkl')!r}), hide_index=True)\n", encoding="utf-8")
    (folder / "bare_main.py").write_text(
        "import streamlit as st\nst.navigation([st.Page('bare_page.py', title='Bare', default=True)]).run()\n",
        encoding="utf-8")
    times = []
    for _ in range(REPEATS):
        at = AppTest.from_file(str(folder / "bare_main.py"), default_timeout=300)
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return min(times)


def profiled(store: Store, user, page: str, lines: int = 35) -> None:
    """cProfile of the page's first run, in the script thread where it runs (cumulative time)."""
    profile = cProfile.Profile()
    original = script_runner.ScriptRunner._run_script

    def run_profiled(self, *args, **kwargs):
        profile.enable()
        try:
            return original(self, *args, **kwargs)
        finally:
            profile.disable()

    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["_session_token"] = sessions.begin(store, user, datetime.now(UTC))
    at.run()
    at.switch_page(f"modules/pages/{page}")
    script_runner.ScriptRunner._run_script = run_profiled
    try:
        at.run()
    finally:
        script_runner.ScriptRunner._run_script = original
    print(f"\ncProfile of {page}'s first run as {user.role.value} (cumulative):")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--technicians", type=int, default=TECHNICIANS)
    parser.add_argument("--keep", type=Path, help="reuse (or keep) the seeded database in this folder")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the Team page's first run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:  # the database is hundreds of MB: gone after the run
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        measure(folder, args.technicians, args.profile)


def measure(folder: Path, technicians: int, profile: bool) -> None:
    path = folder / f"staff-{technicians}.db"
    url = f"sqlite:///{path}"
    os.environ["TRAINING_DB_URL"] = url
    os.environ["TRAINING_AUDIT_KEY_FILE"] = str(folder / "audit.key")  # before anything opens the store
    os.environ.setdefault("TRAINING_BANKS_DIR", str(ROOT / "question_banks"))
    if not path.exists():
        start = time.perf_counter()
        history = seed(path, technicians)
        print(f"seeded {technicians:,} technicians: {len(history.attempts):,} attempts, "
              f"{len(history.results):,} results, {len(history.responses):,} answers, {len(history.signoffs):,} "
              f"sign-offs, {len(history.certificates):,} certificates ({path.stat().st_size / 1e6:,.0f} MB) in "
              f"{time.perf_counter() - start:.0f} s (not timed below)")
    store = Store.open(url, audit_key=settings.audit_key())
    trainer, manager = store.accounts.get(UserId(2)), store.accounts.get(UserId(1))
    with closing(sqlite3.connect(path)) as conn:  # warm the page cache alike for every figure below
        conn.execute("SELECT count(*), max(answered_at) FROM responses").fetchone()

    figures: list[Figure] = []
    bare_s = bare(technicians, 14, folder)
    print(f"bare script, st.dataframe of {technicians:,} rows x 14 columns: {bare_s:.3f} s (best of {REPEATS})")
    for label, user, page in (("Team page, trainer", trainer, "team.py"), ("Team page, manager", manager, "team.py"),
                              ("Register page, manager", manager, "register.py"),
                              ("Technician page, trainer", trainer, "technician.py")):
        cold, warm = [], []
        for _ in range(REPEATS):
            st.cache_data.clear()  # a first open after a change: nothing cached yet
            cold.append(opened(store, user, page)[1])
            warm.append(opened(store, user, page)[1])  # the next person to open it
        first, again = statistics.median(cold), statistics.median(warm)
        verdict = "met" if first < GOAL_SECONDS else "NOT met"
        print(f"{label:<24} first run {first:6.3f} s ({first / bare_s:5.2f}x bare)   warm open {again:6.3f} s "
              f"({again / bare_s:5.2f}x bare)   goal < {GOAL_SECONDS:.0f} s: {verdict}")
        people = f"{technicians:,} technicians"
        figures += [Figure(f"{label}, first run ({people})", first, "s", f"< {GOAL_SECONDS:.0f} s", first / bare_s),
                    Figure(f"{label}, warm open ({people})", again, "s", None, again / bare_s)]
    figures.append(Figure(f"bare st.dataframe of {technicians:,} rows, first run", bare_s, "s"))
    record("bench_staff_pages", figures)
    if profile:
        profiled(store, trainer, "team.py")
    store.close()

if __name__ == "__main__":
    main()
