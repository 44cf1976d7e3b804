"""Server time of one page rerun, measured with AppTest, as a ratio to a bare script with the same widgets
(the same sidebar and navigation shell, and the page's widgets, with no logic behind them).

Practice (one question on screen) and the exam (40 questions drawn). Prints figures; asserts nothing.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from modules import auth, certification, sessions, settings  # noqa: E402
from modules.banks import load_banks  # noqa: E402
from modules.core.types import Role  # noqa: E402
from modules.grading import answer_key  # noqa: E402
from modules.policy import load_policy  # noqa: E402
from modules.store import Store  # noqa: E402

RUNS = 15
PASSWORD = "quiet harbour lantern 47"  # the password rules refuse the username and the word "password"

# The same router shell as app.py (sidebar, navigation over as many pages), with no logic behind it.
SHELL = '''
import streamlit as st
def other():
    pass
with st.sidebar:
    st.caption("Signed in as **Bench Tech** (technician)")
    st.button("Sign out")
pages = [st.Page(page, title="Page", url_path="page", default=True)]
pages += [st.Page(other, title=f"Other {i}", url_path=f"other-{i}") for i in range(8)]
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
    lines = ["import streamlit as st", "def page():", "  st.title('Certification exam')",
             "  st.info('Time left: about **45 min**')"]
    for i, q in enumerate(shown):
        lines += ["  with st.container(border=True):", f"    st.caption('Question {i + 1} of {len(shown)}')"]
        lines += question_widgets(i, q)
    lines += [f"  st.caption('0 of {len(shown)} answered.')", "  st.button('Submit the exam', type='primary')"]
    return "\n".join(lines) + "\n" + SHELL


def bare_practice_script(q, total: int) -> str:
    """The practice page's widgets for the question on screen, written out as literals."""
    lines = ["import streamlit as st", "def page():", "  st.title('Practice')",
             "  st.caption('Practice never counts towards certification.')",
             f"  st.progress(0.0, text='Question 1 of {total}')", "  if True:"]
    lines += question_widgets(0, q)
    lines += ["  st.button('Check answer', type='primary', disabled=True)"]
    return "\n".join(lines) + "\n" + SHELL


def median_rerun(at: AppTest) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bare(script: str) -> float:
    """Run `script`'s page() from a page file, under a router of file pages like app.py's."""
    folder = Path(tempfile.mkdtemp())
    body = script.split(SHELL)[0].replace("def page():", "if True:")
    (folder / "page.py").write_text(body, encoding="utf-8")
    for i in range(16):
        (folder / f"other_{i}.py").write_text("import streamlit as st\n", encoding="utf-8")
    (folder / "main.py").write_text(FILE_SHELL, encoding="utf-8")
    at = AppTest.from_file(str(folder / "main.py"), default_timeout=60)
    at.run()
    return median_rerun(at)


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

    practice = page_started(store, user, "practice.py", "Start practice")
    practice_time = median_rerun(practice)
    round_ = practice.session_state["practice"]["round"]
    practice_bare = bare(bare_practice_script(round_[0], len(round_)))

    exam = page_started(store, user, "exam.py", "Start the exam")
    exam_time = median_rerun(exam)
    exam_bare = bare(bare_exam_script(certification.running_exam(store, user).shown))

    print(f"median of {RUNS} reruns (AppTest, server side)")
    print(f"  practice page : {practice_time * 1000:7.1f} ms   bare script {practice_bare * 1000:7.1f} ms   "
          f"ratio {practice_time / practice_bare:.2f}x (goal < 1.5x)")
    print(f"  exam, 40 q    : {exam_time * 1000:7.1f} ms   bare script {exam_bare * 1000:7.1f} ms   "
          f"ratio {exam_time / exam_bare:.2f}x (goal < 1.5x)")
    store.close()


if __name__ == "__main__":
    main()
