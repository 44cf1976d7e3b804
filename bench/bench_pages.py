"""Server time of one page rerun, measured with AppTest, as a ratio to a bare script with the same widgets
(the same sidebar and navigation shell, and the page's widgets, with no logic behind them).

Practice (one question on screen) and the exam (40 questions drawn). The page and its bare script rerun in turn,
each figure the median of RUNS; the ratio is of the process's CPU time, which other work on a busy machine moves far
less than the wall clock (printed too). Streamlit's server compiles a script once and keeps the bytecode, but
AppTest compiles app.py and the page again on every run: the ratio is taken with the bytecode kept (as the server
runs a rerun) and, for comparison with earlier figures, with AppTest's compiling too. Prints figures and records
them in bench/results.json; asserts nothing.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from unittest.mock import patch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from results import Figure, record  # noqa: E402
from streamlit.runtime.scriptrunner.script_cache import ScriptCache  # noqa: E402
from streamlit.testing.v1 import AppTest, app_test, local_script_runner  # noqa: E402

from modules import auth, certification, sessions, settings  # noqa: E402
from modules.banks import load_banks  # noqa: E402
from modules.core.types import Role  # noqa: E402
from modules.grading import answer_key  # noqa: E402
from modules.policy import load_policy  # noqa: E402
from modules.store import Store  # noqa: E402

RUNS = 101
GOAL = 1.5
PASSWORD = "quiet harbour lantern 47"  # the password rules refuse the username and the word "password"

# The same router shell as app.py (sidebar, navigation over as many pages), with no logic behind it. app.py registers
# all 17 pages on every run, those a technician may not use hidden, so that any page's address opens it.
SHELL = '''
import streamlit as st
def other():
    pass
st.html("<style>h1 {word-break: normal}</style>")  # app.py's page-wide style (modules/pages/theme.py)
with st.sidebar:
    st.caption("Signed in as **Bench Tech** (technician)")
    st.button("Sign out")
    st.html("<script>(() => {})();</script>", unsafe_allow_javascript=True)  # theme.menu_folds_after_choice
pages = [st.Page(page, title="Page", url_path="page", default=True)]
pages += [st.Page(other, title=f"Other {i}", url_path=f"other-{i}") for i in range(8)]
pages += [st.Page(other, title=f"Hidden {i}", url_path=f"hidden-{i}", visibility="hidden") for i in range(8)]
st.navigation({"Study": pages}).run()
'''

FILE_SHELL = '''
import streamlit as st
st.set_page_config(page_title="Bench", layout="centered")
with st.sidebar:
    st.caption("Signed in as **Bench Tech** (technician)")
    st.button("Sign out")
pages = [st.Page("page.py", title="Page", url_path="page", default=True)]
pages += [st.Page(f"other_{i}.py", title=f"Other {i}", url_path=f"other-{i}") for i in range(8)]
pages += [st.Page(f"other_{i}.py", title=f"Hidden {i}", url_path=f"hidden-{i}", visibility="hidden")
          for i in range(8, 16)]
st.navigation({"Study": pages}).run()
'''

def question_widgets(i: int, q) -> list[str]:
    """One question's widgets, as the page renders them, written out as literal calls."""
    lines = []
    if q.scenario:
        lines.append(f"    st.info({('**Client case:** ' + q.scenario)!r})")
    lines.append(f"    st.markdown({('**' + q.prompt + '**')!r})")
    kind = q.type.value
    if kind == "single":
        lines.append(f"    st.radio('Choose one answer', {list(q.options)!r}, index=None, key='q{i}')")
    elif kind == "true_false":
        lines.append(f"    st.radio('True or false?', ['True', 'False'], index=None, key='q{i}', horizontal=True)")
    elif kind == "multiple":
        lines.append("    st.caption('Select all that apply.')")
        lines += [f"    st.checkbox({o!r}, key='q{i}-{j}')" for j, o in enumerate(q.options)]
    elif kind == "ordering":
        lines.append("    st.caption('Put the steps in order.')")
        lines += [f"    st.selectbox('Step {j + 1}', {list(q.options)!r}, index=None, key='q{i}-{j}')"
                  for j in range(len(q.options))]
    else:
        lines.append("    st.caption('Match each item.')")
        lines += [f"    st.selectbox({left!r}, {list(q.rights)!r}, index=None, key='q{i}-{j}')"
                  for j, left in enumerate(q.lefts)]
    return lines


def bare_exam_script(shown) -> str:
    """The exam page's widgets for exactly the questions drawn, written out as literals: no logic at all."""
    lines = ["import streamlit as st", "from datetime import timedelta",
             "@st.fragment(run_every=timedelta(seconds=20))", "def timer():",
             "  st.info('Time left: about **45 min** (ends 10:45). Every answer is saved as you give it.')",
             "def page():", "  st.title('Certification exam')", "  st.html('<style>.st-key-t {top: 0}</style>')",
             "  with st.container(key='t'):", "    timer()", "  navigator = st.container()"]
    for i, q in enumerate(shown):
        lines += ["  with st.container(border=True):", f"    st.caption('Question {i + 1} of {len(shown)}')"]
        lines += question_widgets(i, q)
        lines += [f"    st.toggle('Flag to come back to', key='flag-{i}')"]
    lines += ["  with navigator:", "    st.markdown('Question navigator: all answered')",
              f"  st.caption('0 of {len(shown)} answered.')", "  st.button('Submit the exam', type='primary')"]
    return "\n".join(lines) + "\n" + SHELL


def bare_practice_script(q, total: int) -> str:
    """The practice page's widgets for the question on screen, written out as literals."""
    lines = ["import streamlit as st", "def page():", "  st.title('Practice')",
             "  st.caption('Practice never counts towards certification.')",
             f"  st.progress(0.0, text='Question 1 of {total}')", "  if True:"]
    lines += question_widgets(0, q)
    lines += ["  st.button('Check answer', type='primary', disabled=True)"]
    return "\n".join(lines) + "\n" + SHELL


@dataclass(frozen=True)
class Reruns:
    """Median seconds of one rerun of a page and of its bare script: the process's CPU time (what the server
    spends, whatever else the machine is doing) and the wall-clock time."""

    cpu: float
    bare_cpu: float
    wall: float
    bare_wall: float


def rerun_seconds(at: AppTest) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    at.run()
    return time.process_time() - cpu, time.perf_counter() - wall


def in_turn(page: AppTest, bare: AppTest) -> Reruns:
    """The page and its bare script rerun one after the other RUNS times."""
    page_times = []
    bare_times = []
    for _ in range(RUNS):
        page_times.append(rerun_seconds(page))
        bare_times.append(rerun_seconds(bare))
    cpu, wall = (statistics.median(column) for column in zip(*page_times))
    bare_cpu, bare_wall = (statistics.median(column) for column in zip(*bare_times))
    return Reruns(cpu, bare_cpu, wall, bare_wall)


@contextmanager
def bytecode_kept() -> Iterator[None]:
    """One ScriptCache for every run, as the server keeps one: AppTest's runs stop compiling the scripts again."""
    shared = ScriptCache()
    with patch.object(app_test, "ScriptCache", lambda: shared), \
            patch.object(local_script_runner, "ScriptCache", lambda: shared):
        yield


def bare(script: str) -> AppTest:
    """`script`'s page() as a page file, under a router of file pages like app.py's, after its first run."""
    folder = Path(tempfile.mkdtemp())
    body = script.split(SHELL)[0].replace("def page():", "if True:")
    (folder / "page.py").write_text(body, encoding="utf-8")
    for i in range(16):
        (folder / f"other_{i}.py").write_text("import streamlit as st\n", encoding="utf-8")
    (folder / "main.py").write_text(FILE_SHELL, encoding="utf-8")
    at = AppTest.from_file(str(folder / "main.py"), default_timeout=60)
    at.run()
    return at


def compared(label: str, page: AppTest, bare_page: AppTest) -> list[Figure]:
    """The page against its bare script, with the bytecode kept and with AppTest compiling on every run."""
    with bytecode_kept():
        kept = in_turn(page, bare_page)
    compiling = in_turn(page, bare_page)
    print(f"  {label:<14}: CPU {kept.cpu * 1000:6.2f} ms   bare script {kept.bare_cpu * 1000:6.2f} ms   "
          f"ratio {kept.cpu / kept.bare_cpu:.2f}x (goal < {GOAL}x)   wall clock {kept.wall * 1000:.2f} / "
          f"{kept.bare_wall * 1000:.2f} ms = {kept.wall / kept.bare_wall:.2f}x")
    print(f"  {'':<14}  AppTest compiling both scripts every run: CPU {compiling.cpu * 1000:.2f} / "
          f"{compiling.bare_cpu * 1000:.2f} ms = {compiling.cpu / compiling.bare_cpu:.2f}x, wall clock "
          f"{compiling.wall / compiling.bare_wall:.2f}x")
    return [Figure(f"{label} rerun, CPU", kept.cpu * 1000, "ms", f"< {GOAL}x bare", kept.cpu / kept.bare_cpu),
            Figure(f"{label} rerun, wall clock", kept.wall * 1000, "ms", None, kept.wall / kept.bare_wall),
            Figure(f"{label} rerun, CPU, AppTest compiling the scripts every run", compiling.cpu * 1000, "ms", None,
                   compiling.cpu / compiling.bare_cpu)]


def page_started(store: Store, user, page: str, start_label: str) -> AppTest:
    """The real app, signed in as `user` (a session begun in `store`, its token handed to the AppTest session, as
    AppTest cannot send the cookie), on `page`, after clicking its start button."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["_session_token"] = sessions.begin(store, user, datetime.now(UTC))
    at.run()
    at.switch_page(f"modules/pages/{page}").run()
    next(b for b in at.button if b.label == start_label).click().run()
    return at


def main() -> None:
    folder = tempfile.mkdtemp()
    url = f"sqlite:///{folder}/bench.db"
    os.environ["TRAINING_DB_URL"] = url
    os.environ["TRAINING_AUDIT_KEY_FILE"] = f"{folder}/audit.key"  # the app's key, not one in progress/
    store = Store.open(url, audit_key=settings.audit_key())
    user = store.accounts.get(auth.create_user(store, "bench", "Bench Tech", Role.TECHNICIAN, PASSWORD))
    banks = load_banks(settings.get("TRAINING_BANKS_DIR"))
    policy, _ = load_policy(settings.get("TRAINING_BANKS_DIR"), banks)
    now = datetime.now(UTC)
    for module in banks.modules:
        sitting = certification.start_quiz(store, user, banks, policy, module.id, now, "UTC", random.Random(1))
        answers = {i: answer_key(banks.question(s.question_id)) for i, s in enumerate(sitting.shown)}
        certification.submit_quiz(store, user, sitting, answers, policy, now)
    trainer = store.accounts.get(auth.create_user(store, "trainer", "Bench Trainer", Role.TRAINER, PASSWORD))
    for _ in range(policy.signoffs_required):  # the exam waits for the practicals the policy asks for
        store.signoffs.record(user.id, trainer.actor, now.date(), {item: True for item in policy.checklist})

    print(f"median of {RUNS} reruns each (AppTest, server side), the page and its bare script in turn")
    practice = page_started(store, user, "practice.py", "Start practice")
    round_ = practice.session_state["practice"]["round"]
    figures = compared("practice page", practice, bare(bare_practice_script(round_[0], len(round_))))
    exam = page_started(store, user, "exam.py", "Start the exam")
    figures += compared("exam, 40 q", exam, bare(bare_exam_script(certification.running_exam(store, user).shown)))
    record("bench_pages", figures)
    store.close()


if __name__ == "__main__":
    main()
