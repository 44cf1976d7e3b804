"""Browser journeys: a real `streamlit run` of app.py on a free local port with its own database, driven by
Playwright through Debian's chromium, plus a store on the same database to seed what a journey need not click.

Without chromium the journeys are skipped on a developer machine but FAIL under CI (env CI set), so a green CI run
always means they ran. Never `playwright install`: the browser comes from Debian's packages.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from modules import auth, certification, settings
from modules.banks import BankSet, load_banks
from modules.core.clock import system_clock
from modules.core.records import Actor, User
from modules.core.types import AttemptKind, Role
from modules.grading import answer_key
from modules.policy import Policy, load_policy
from modules.quiz import Outcome
from modules.store import Store

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
BANKS_DIR = ROOT / "question_banks"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Streamlit folds the menu away after a tap only on a phone's user agent, not merely on a narrow window.
PHONE_USER_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                    "Chrome/126.0.0.0 Mobile Safari/537.36")
PASSWORD = "correct horse battery staple"
STARTUP_SECONDS = 60


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser journeys: install Debian's chromium)")
    pytest.skip(reason)


@dataclass(frozen=True)
class Server:
    url: str
    db_url: str
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found (apt-get install chromium chromium-driver)")
    from playwright.sync_api import expect, sync_playwright

    # Streamlit reruns can take a few seconds on a busy 2-core machine; nothing here waits on a fixed delay.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@contextmanager
def running_app(db_url: str, folder: Path) -> Iterator[Server]:
    """`streamlit run app.py` on `db_url` on a free local port, logging into `folder`; stopped on leaving."""
    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / "streamlit.log"
    env = {**os.environ, "TRAINING_DB_URL": db_url, "TRAINING_BASE_URL": url, "TRAINING_BANKS_DIR": str(BANKS_DIR),
           "TRAINING_CLINIC_NAME": "Journey Test Clinic", "TRAINING_TIMEZONE": "UTC"}
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start on {url}:\n{log.read_text()}")
            time.sleep(0.2)  # polling the health endpoint, not waiting for a script run
        yield Server(url, db_url, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def server(browser, tmp_path_factory) -> Server:
    """The journeys' app on a temporary SQLite database; stopped when the session ends."""
    folder = tmp_path_factory.mktemp("e2e")
    with running_app(f"sqlite:///{folder / 'e2e.db'}", folder) as started:
        yield started


@dataclass
class Clinic:
    """The server's database as the tests see it, and the passwords the journeys have set."""

    store: Store
    banks: BankSet
    policy: Policy
    passwords: dict[str, str] = field(default_factory=dict)

    def user(self, username: str) -> User | None:
        return self.store.accounts.find(username)

    def ensure_user(self, username: str, full_name: str, role: Role, location: str = "North") -> User:
        """The account, made here with a known password when no journey has made it through the UI yet."""
        existing = self.store.accounts.find(username)
        if existing is None:
            auth.create_user(self.store, username, full_name, role, PASSWORD, location=location)
            self.passwords[username] = PASSWORD
            existing = self.store.accounts.find(username)
        return existing

    def take_quiz(self, user: User, module_id: str, wrong: int = 0, now: datetime | None = None) -> Outcome:
        """A graded quiz through the same code the quiz page calls, answered with the key except for the first
        `wrong` questions, which are left unanswered (they score 0)."""
        now = now or system_clock()
        sitting = certification.start_quiz(self.store, user, self.banks, self.policy, module_id, now, "UTC",
                                           random.Random(module_id))
        answers = {i: answer_key(self.banks.question(s.question_id)) for i, s in enumerate(sitting.shown)
                   if i >= wrong}
        return certification.submit_quiz(self.store, user, sitting, answers, self.policy, now)

    def pass_quizzes(self, user: User, module_ids: list[str], now: datetime | None = None) -> None:
        """Graded quizzes passed through the same code the quiz page calls, answered with the key."""
        for module_id in module_ids:
            assert self.take_quiz(user, module_id, now=now).passed

    def finished_exams(self, user: User):
        attempts = self.store.attempts.for_user(Actor(user.id, user.role), user.id, AttemptKind.EXAM)
        return [a for a in attempts if a.result is not None]

    def sign_off_competent(self, user: User, count: int, trainer: str = "tom", now: datetime | None = None) -> None:
        """Supervised practicals signed off as competent through the store, as the sign-off page records them."""
        signer = self.ensure_user(trainer, "Tom Trainer", Role.TRAINER)
        for _ in range(count):
            self.store.signoffs.record(user.id, Actor(signer.id, signer.role), (now or system_clock()).date(),
                                       {item: True for item in self.policy.checklist}, "Seeded by the journeys")

    def sit_exam(self, user: User, passing: bool = True, trainer: str = "tom",
                 now: datetime | None = None) -> Outcome:
        """Quizzes and practicals passed, then the exam through the certification code: every answer the key, or
        (passing=False) none given at all."""
        now = now or system_clock()
        self.pass_quizzes(user, [m.id for m in self.banks.modules], now)
        competent = sum(1 for s in self.store.signoffs.for_user(user.id) if s.competent)
        self.sign_off_competent(user, max(0, self.policy.signoffs_required - competent), trainer, now)
        sitting = certification.start_or_resume_exam(self.store, user, self.banks, self.policy, now,
                                                     random.Random(user.id))
        for position, shown in enumerate(sitting.shown if passing else ()):
            certification.save_exam_answer(self.store, user, sitting, position,
                                           answer_key(self.banks.question(shown.question_id)), self.policy, now)
        outcome = certification.finish_exam(self.store, user, sitting, self.policy, now)
        assert outcome.passed is passing
        return outcome

    def pass_exam(self, user: User, trainer: str = "tom", now: datetime | None = None) -> str:
        """Quizzes, practicals and the exam passed through the certification code; returns the certificate code."""
        return self.sit_exam(user, True, trainer, now).certificate_code


@contextmanager
def clinic_on(db_url: str) -> Iterator[Clinic]:
    """The database at `db_url` as the tests see it (the live banks and policy); its store closed on leaving."""
    store = Store.open(db_url, audit_key=settings.audit_key())
    banks = load_banks(BANKS_DIR)
    policy, _ = load_policy(BANKS_DIR, banks)
    try:
        yield Clinic(store, banks, policy)
    finally:
        store.close()


@pytest.fixture(scope="session")
def clinic(server) -> Iterator[Clinic]:
    with clinic_on(server.db_url) as seen:
        yield seen


@dataclass(frozen=True)
class Site:
    """A second app on its own database, for the whole-site checks (every page, every role): seeded with one person
    of each role and a certified technician, so the pages show tables, results and a certificate. The journeys'
    server keeps the empty database its first journey needs."""

    server: Server
    clinic: Clinic
    certificate_code: str

    @property
    def url(self) -> str:
        return self.server.url


# Who the whole-site checks sign in as, per role: (username, full name, role).
SITE_PEOPLE = {
    "technician": ("tara", "Tara Technician", Role.TECHNICIAN),
    "trainer": ("trent", "Trent Trainer", Role.TRAINER),
    "manager": ("mara", "Mara Manager", Role.MANAGER),
}


@pytest.fixture(scope="session")
def site(browser, tmp_path_factory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("site")
    db_url = f"sqlite:///{folder / 'site.db'}"
    with running_app(db_url, folder) as started, clinic_on(db_url) as seeded:
        for username, full_name, role in SITE_PEOPLE.values():
            seeded.ensure_user(username, full_name, role)
        code = seeded.pass_exam(seeded.user(SITE_PEOPLE["technician"][0]))
        learner = seeded.ensure_user("theo", "Theo Learner", Role.TECHNICIAN)
        seeded.pass_quizzes(learner, [seeded.banks.modules[0].id])
        yield Site(started, seeded, code)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.journey_failed = report.failed
    return report


@pytest.fixture
def screens(request, browser):
    """Open browser tabs as `screens()` (each its own context: a separate person); closed after the test. A tab
    opens on the journeys' server unless given another `base_url` (that server starts only when first needed).

    A failing journey leaves a screenshot of every open tab in tests/e2e/artifacts/FAILED-*.png.
    """
    from tests.e2e.screen import Screen

    ARTIFACTS.mkdir(exist_ok=True)
    journey = request.node.name.removeprefix("test_").split("_")[0]
    opened = []

    def open_screen(viewport: dict | None = None, mobile: bool = False, base_url: str | None = None) -> Screen:
        options = {"accept_downloads": True, "viewport": viewport or {"width": 1280, "height": 900}}
        if mobile:
            options.update(is_mobile=True, has_touch=True, device_scale_factor=2, user_agent=PHONE_USER_AGENT)
        context = browser.new_context(**options)
        context.set_default_timeout(20_000)
        opened.append(context)
        return Screen(context.new_page(), base_url or request.getfixturevalue("server").url, ARTIFACTS, journey)

    yield open_screen
    for number, context in enumerate(opened):
        if getattr(request.node, "journey_failed", False):
            for page in context.pages:
                page.screenshot(path=str(ARTIFACTS / f"FAILED-{journey}-{number}.png"), animations="disabled")
        context.close()


def open_signed_in(screens, site: Site, role: str, **context):
    """A new tab on the site, signed in through its sign-in form as the site's person of `role`."""
    username, _, _ = SITE_PEOPLE[role]
    screen = screens(base_url=site.url, **context)
    screen.open("signin")
    screen.sign_in(username, site.clinic.passwords[username])
    return screen


def menu_paths(screen) -> list[str]:
    """The address of every page the menu offers this person, in menu order ("/" is Home)."""
    return screen.page.get_by_test_id("stSidebarNav").get_by_role("link").evaluate_all(
        "links => links.map(link => new URL(link.href).pathname)")
