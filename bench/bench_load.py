"""Load: 20 technicians practising at once in real browsers against one real app server, and against two app
instances on one PostgreSQL database behind a round-robin proxy.

One `streamlit run app.py` on a temporary SQLite database, seeded through a Store (a manager, so the first-run form
is gone, and a technician per browser session). Each session is its own headless Chromium context (Debian's
/usr/bin/chromium through pip playwright, never `playwright install`): it opens /practice, signs in on the plain
sign-in form it is sent to, clicks "Start practice", then for a fixed number of rounds answers the question shown
(the first choice of whatever the question offers: correctness does not matter for timing), clicks "Check answer"
and waits for the feedback ("Correct.", "Partly right" or "Not quite"), then "Next question". Sessions click as
soon as the page lets them (no reading time), so this is the harshest load 20 people can make.

Click -> feedback is timed inside the page: from the click event to the moment the feedback appears in the DOM (a
MutationObserver), so Playwright's own round trips and its polling (which notices a change up to 500 ms late) are
left out; the time Playwright saw is printed alongside. One session alone first (the bare baseline of the same run,
at least 10 questions so that its p95 means something), then all sessions together; the load figures' ratio is to
the single session's. The server's memory is its VmRSS (/proc/<pid>/status) before the sessions sign in and with
all of them open; per session is the difference divided by the number of sessions. While the sessions click, the
CPU is accounted from /proc: the server(s), this script's own tree (Playwright's driver and Chromium), and whatever
else the machine ran meanwhile.

With TEST_PG_URL set, the same again with two app instances on one PostgreSQL schema (made fresh, dropped
afterwards) behind a small asyncio TCP proxy in this script that hands each new connection to the next instance in
turn: the session cookie is resolved by either instance from the database, and a websocket is plain TCP to it.

The machine the issue measures on has 2 cores, shared here by the server(s), Chromium and this script: the figures
are what 20 sessions feel on one small box, not the server's capacity alone. Slow (a minute or more per part), so
`make bench` skips it unless asked (`make bench ALL=1`).

Run: .venv/bin/python bench/bench_load.py [--sessions 20] [--rounds 5] [--no-postgres] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from results import Figure, record  # noqa: E402
from scratch import postgres_schema  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from modules import auth, settings  # noqa: E402
from modules.core.types import Role  # noqa: E402
from modules.store import Store  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BANKS_DIR = ROOT / "question_banks"
PASSWORD = "quiet harbour lantern 47"
SESSIONS = 20
ROUNDS = 5
SINGLE_ROUNDS = 10  # at least this many questions for the one-session baseline
SIGN_IN_AT_ONCE = 4  # the server hashes at most 4 passwords at a time (modules/auth.py HASHING_SLOTS)
STARTUP_SECONDS = 90
TIMEOUT_MS = 120_000  # one step under load; nothing waits on a fixed delay
FINISHED = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
FEEDBACK = r"^(Correct\.|Partly right|Not quite)"

# Armed before each "Check answer": the click's moment, and the moment the feedback first appears in the page.
_ARM = """feedback => {
    const pattern = new RegExp(feedback);
    const main = document.querySelector('[data-testid="stMain"]');
    const shown = () => Array.from(main.querySelectorAll('[data-testid="stAlert"]'))
        .some(e => pattern.test(e.textContent.trim()));
    window.__benchClick = null;
    window.__benchFeedback = null;
    document.addEventListener('click', () => { window.__benchClick = performance.now(); },
                              {capture: true, once: true});
    const observer = new MutationObserver(() => {
        if (window.__benchClick !== null && shown()) {
            window.__benchFeedback = performance.now();
            observer.disconnect();
        }
    });
    observer.observe(main, {childList: true, subtree: true, characterData: true});
}"""
_ELAPSED = "() => window.__benchFeedback - window.__benchClick"


# -------------------------------------------------------------------------------------------------- the servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """Seconds of CPU the whole machine has spent busy, from /proc/stat (every core counted)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def tree_cpu_seconds(root: int, leave_out: set[int]) -> float:
    """CPU seconds of `root` and every process under it, except the subtrees of `leave_out` (the servers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):  # gone meanwhile
                continue
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in leave_out:
            continue
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue
        todo += children.get(pid, [])
    return total


def rss_bytes(pid: int) -> int:
    """The process's resident memory (VmRSS), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


@contextmanager
def running_app(db_url: str, base_url: str, folder: Path, name: str, port: int | None = None) -> Iterator[Server]:
    """`streamlit run app.py` on `db_url` (as tests/e2e/conftest.py starts it); stopped on leaving."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / f"{name}.log"
    env = {**os.environ, "TRAINING_DB_URL": db_url, "TRAINING_BASE_URL": base_url,
           "TRAINING_BANKS_DIR": str(BANKS_DIR), "TRAINING_CLINIC_NAME": "Load Bench Clinic",
           "TRAINING_TIMEZONE": "UTC"}
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"streamlit did not start on {url}:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)  # polling the health endpoint
        yield Server(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RoundRobinProxy(threading.Thread):
    """A TCP proxy on its own event loop and thread: each new connection goes to the next port in turn."""

    def __init__(self, ports: list[int]):
        super().__init__(daemon=True)
        self.ports = ports
        self.port = free_port()
        self.connections = dict.fromkeys(ports, 0)
        self._next = itertools.cycle(ports)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        port = next(self._next)
        self.connections[port] += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer))

    def run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> RoundRobinProxy:
        self.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc_info: object) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self.join(timeout=10)


def seed(db_url: str, key: bytes, technicians: int) -> list[str]:
    """A manager (the first-run form is then gone) and the technicians, with the real password hasher."""
    store = Store.open(db_url, audit_key=key)
    try:
        auth.create_user(store, "maya", "Maya Manager", Role.MANAGER, PASSWORD)
        names = [f"tech{n:02d}" for n in range(technicians)]
        for name in names:
            auth.create_user(store, name, f"Tech {name[4:]}", Role.TECHNICIAN, PASSWORD)
    finally:
        store.close()
    return names


# ------------------------------------------------------------------------------------------------ one session


def _run_finished(payload: str | bytes) -> bool:
    """Whether a websocket frame from the server says a script run finished (not one cut short for a rerun)."""
    if isinstance(payload, str):
        return False
    message = ForwardMsg.FromString(payload)
    return message.WhichOneof("type") == "script_finished" and message.script_finished == FINISHED


@dataclass
class Timings:
    in_page: list[float] = field(default_factory=list)  # ms, click event -> feedback in the DOM
    driver: list[float] = field(default_factory=list)  # ms, as Playwright saw it (click call -> feedback visible)


class Session:
    """One technician in one browser context."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.username = ""
        self.socket = None
        page.on("websocket", self._connected)

    def _connected(self, socket) -> None:
        if socket.url.endswith("/_stcore/stream"):
            self.socket = socket

    @property
    def main(self):
        return self.page.get_by_test_id("stMain")

    async def settle(self) -> None:
        from playwright.async_api import expect

        await expect(self.page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
        await expect(self.page.get_by_test_id("stStatusWidget")).to_have_count(0)

    @asynccontextmanager
    async def rerun(self) -> AsyncIterator[None]:
        """Around an action that reruns the script: wait until that run has finished and the page is idle."""
        async with self.socket.expect_event("framereceived", predicate=_run_finished, timeout=TIMEOUT_MS):
            yield
        await self.settle()

    async def sign_in(self, username: str) -> None:
        from playwright.async_api import expect

        self.username = username
        await self.page.goto(f"{self.base_url}/practice")  # the gate sends it to /signin?next=/practice
        await self.page.get_by_label("Username", exact=True).fill(username)
        await self.page.get_by_label("Password", exact=True).fill(PASSWORD)
        async with self.page.expect_navigation():
            await self.page.get_by_role("button", name="Sign in").click()
        if self.page.url.split("?")[0].endswith("/signin"):
            refusal = await self.page.locator("[role=status]").all_inner_texts()
            raise SystemExit(f"{username} could not sign in: {refusal}")
        await expect(self.page.get_by_test_id("stApp")).to_have_attribute("data-test-connection-state", "CONNECTED")
        await self.settle()
        await expect(self.main.get_by_role("heading", name="Practice", exact=True)).to_be_visible()

    async def start(self, rounds: int) -> None:
        count = self.main.get_by_label("Number of questions")  # a round of exactly `rounds` questions
        if await count.input_value() != str(rounds):
            await count.fill(str(rounds))
            async with self.rerun():
                await count.press("Enter")
        async with self.rerun():
            await self.main.get_by_role("button", name="Start practice", exact=True).click()

    async def _pick(self, widget) -> None:
        async with self.rerun():
            await widget.locator("label").filter(has=self.page.locator("input")).first.click()

    async def _choose(self, box, option: int, tries: int = 3) -> None:
        """Pick the `option`-th entry of a selectbox. A redraw landing between press and release can swallow the
        click (the box takes focus but stays shut); then, like a person, click it again."""
        from playwright.async_api import expect

        for attempt in range(tries):
            await box.click()
            try:
                await expect(box).to_have_attribute("aria-expanded", "true", timeout=2_000)
                break
            except AssertionError:
                if attempt == tries - 1:
                    raise
                await self.page.keyboard.press("Escape")
        async with self.rerun():
            await self.page.locator('[role="listbox"] [role="option"]').nth(option).click()

    async def answer(self) -> None:
        """The first choice of whatever the question offers; selectboxes get a complete answer (for ordering,
        every step a different item), since "Check answer" stays disabled until the answer is complete."""
        from playwright.async_api import expect

        check = self.main.get_by_role("button", name="Check answer", exact=True)
        widget = self.main.locator('[data-testid="stRadio"], [data-testid="stCheckbox"], [data-testid="stSelectbox"]')
        await widget.first.wait_for()  # the question is on screen
        kind = await widget.first.get_attribute("data-testid")
        if kind in ("stRadio", "stCheckbox"):
            await self._pick(widget.first)
        else:
            # CSS, not roles: an open list hides the rest of the page from the accessibility tree.
            boxes = self.main.locator('[data-testid="stSelectbox"] [role="combobox"]')
            ordering = await self.main.get_by_text("Put the steps in order").count() > 0
            for index in range(await boxes.count()):
                await self._choose(boxes.nth(index), index if ordering else 0)
        await expect(check).to_be_enabled()

    async def check(self, timings: Timings) -> None:
        """Click "Check answer" and time it until the feedback shows."""
        feedback = self.main.get_by_test_id("stAlert").filter(has_text=re.compile(FEEDBACK)).first
        await self.page.evaluate(_ARM, FEEDBACK)
        started = time.perf_counter()
        await self.main.get_by_role("button", name="Check answer", exact=True).click()
        await feedback.wait_for(state="visible")
        timings.driver.append((time.perf_counter() - started) * 1000)
        timings.in_page.append(await self.page.evaluate(_ELAPSED))
        await self.settle()

    async def next_question(self, last: bool) -> None:
        async with self.rerun():
            await self.main.get_by_role("button", name="See summary" if last else "Next question",
                                        exact=True).click()


# -------------------------------------------------------------------------------------------------- the load


@dataclass
class Outcome:
    single: Timings
    loaded: Timings
    rss_before: int  # bytes, summed over the instances
    rss_loaded: int
    sessions: int
    server_cores: float  # CPU seconds the server(s) used per second while the sessions clicked
    server_cpu_per_question: float  # seconds of server CPU per question answered, checked and moved on from
    browser_cores: float  # this script, Playwright's driver and Chromium, meanwhile
    other_cores: float  # everything else the machine ran meanwhile
    questions_per_second: float  # all sessions together, while they clicked


async def open_session(browser, base_url: str, username: str, rounds: int, gate: asyncio.Semaphore):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    session = Session(await context.new_page(), base_url)
    async with gate:
        await session.sign_in(username)
    await session.start(rounds)
    return context, session


_failures: list[Path] = []


def failure_folder() -> Path:
    """Where a failed run leaves its screenshots and server logs (kept: the run's own folder is deleted)."""
    if not _failures:
        _failures.append(Path(tempfile.mkdtemp(prefix="bench_load-failed-")))
    return _failures[0]


async def practise(session: Session, rounds: int, timings: Timings) -> None:
    try:
        for number in range(rounds):
            await session.answer()
            await session.check(timings)
            await session.next_question(last=number == rounds - 1)
    except Exception:
        name = f"{session.username}-{len(timings.in_page)}"
        await session.page.screenshot(path=str(failure_folder() / f"{name}.png"))
        (failure_folder() / f"{name}.txt").write_text(await session.main.inner_text())
        raise


async def drive(base_url: str, usernames: list[str], rounds: int, pids: list[int]) -> Outcome:
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=TIMEOUT_MS)
    gate = asyncio.Semaphore(SIGN_IN_AT_ONCE)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            # One session alone: the baseline of this run (it also warms the server: imports, banks, caches).
            single, alone = Timings(), max(rounds, SINGLE_ROUNDS)
            context, session = await open_session(browser, base_url, usernames[0], alone, gate)
            await practise(session, alone, single)
            await context.close()

            rss_before = sum(rss_bytes(pid) for pid in pids)
            opened = await asyncio.gather(*(open_session(browser, base_url, name, rounds, gate)
                                            for name in usernames[1:]))
            loaded = Timings()
            servers, me = set(pids), os.getpid()
            server_before, browser_before = sum(cpu_seconds(pid) for pid in pids), tree_cpu_seconds(me, servers)
            busy_before, started = machine_busy(), time.perf_counter()
            await asyncio.gather(*(practise(session, rounds, loaded) for _, session in opened))
            elapsed = time.perf_counter() - started
            server_cpu = sum(cpu_seconds(pid) for pid in pids) - server_before
            browser_cpu = tree_cpu_seconds(me, servers) - browser_before
            other_cpu = max(0.0, machine_busy() - busy_before - server_cpu - browser_cpu)
            rss_loaded = sum(rss_bytes(pid) for pid in pids)  # every session still open
            for context, _ in opened:
                await context.close()
        finally:
            await browser.close()
    return Outcome(single, loaded, rss_before, rss_loaded, len(usernames) - 1, server_cpu / elapsed,
                   server_cpu / len(loaded.in_page), browser_cpu / elapsed, other_cpu / elapsed,
                   len(loaded.in_page) / elapsed)


def percentile(values: list[float], share: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def report(label: str, outcome: Outcome) -> list[Figure]:
    single, loaded, n = outcome.single, outcome.loaded, outcome.sessions
    one_p50, one_p95 = percentile(single.in_page, 0.50), percentile(single.in_page, 0.95)
    p50, p95 = percentile(loaded.in_page, 0.50), percentile(loaded.in_page, 0.95)
    per_session = (outcome.rss_loaded - outcome.rss_before) / n
    mb = 1024 * 1024
    print(f"  one session alone ({len(single.in_page)} checks): click -> feedback p50 {one_p50:6.0f} ms, "
          f"p95 {one_p95:6.0f} ms (Playwright saw p50 {percentile(single.driver, 0.5):.0f} ms)")
    print(f"  {n} sessions at once ({len(loaded.in_page)} checks): click -> feedback p50 {p50:6.0f} ms "
          f"({p50 / one_p50:.1f}x alone), p95 {p95:6.0f} ms ({p95 / one_p95:.1f}x alone) "
          f"(Playwright saw p50 {percentile(loaded.driver, 0.5):.0f} ms, p95 {percentile(loaded.driver, 0.95):.0f} ms)")
    print(f"  together they got through {outcome.questions_per_second:.1f} questions a second")
    print(f"  while they clicked, of the machine's {os.cpu_count()} cores: the server used "
          f"{outcome.server_cores:.2f} ({outcome.server_cpu_per_question * 1000:.0f} ms of CPU per question: its "
          f"answer, check and next), Chromium with Playwright and this script {outcome.browser_cores:.2f}, "
          f"other processes {outcome.other_cores:.2f}")
    print(f"  server memory (VmRSS): {outcome.rss_before / mb:.0f} MB before the sessions, "
          f"{outcome.rss_loaded / mb:.0f} MB with {n} open: {per_session / mb:.1f} MB per session")
    return [
        Figure(f"{label}: click -> feedback p50, one session", one_p50, "ms"),
        Figure(f"{label}: click -> feedback p95, one session", one_p95, "ms"),
        Figure(f"{label}: click -> feedback p50, {n} sessions", p50, "ms", None, p50 / one_p50),
        Figure(f"{label}: click -> feedback p95, {n} sessions", p95, "ms", None, p95 / one_p95),
        Figure(f"{label}: questions answered per second, {n} sessions together", outcome.questions_per_second,
               "per_s"),
        Figure(f"{label}: server CPU cores busy while {n} sessions clicked", outcome.server_cores, "x"),
        Figure(f"{label}: Chromium + Playwright CPU cores meanwhile", outcome.browser_cores, "x"),
        Figure(f"{label}: other processes' CPU cores meanwhile", outcome.other_cores, "x"),
        Figure(f"{label}: server CPU per question (answer, check, next)", outcome.server_cpu_per_question * 1000,
               "ms"),
        Figure(f"{label}: server RSS before the sessions", outcome.rss_before / mb, "MB"),
        Figure(f"{label}: server RSS with {n} sessions open", outcome.rss_loaded / mb, "MB"),
        Figure(f"{label}: server memory per session", per_session / mb, "MB"),
    ]


def sqlite_part(folder: Path, key: bytes, sessions: int, rounds: int) -> list[Figure]:
    db_url = f"sqlite:///{folder / 'load.db'}"
    usernames = seed(db_url, key, sessions + 1)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with running_app(db_url, base_url, folder, "sqlite", port) as server:
        print(f"one app server on SQLite ({server.url}), {sessions} sessions x {rounds} rounds:", flush=True)
        outcome = asyncio.run(drive(server.url, usernames, rounds, [server.pid]))
    return report("sqlite, one instance", outcome)


def postgres_part(server_url: str, folder: Path, key: bytes, sessions: int, rounds: int) -> list[Figure]:
    with postgres_schema(server_url, "bench_load") as db_url:
        usernames = seed(db_url, key, sessions + 1)  # migrates the schema before either instance starts
        ports = [free_port(), free_port()]
        with RoundRobinProxy(ports) as proxy, \
                running_app(db_url, proxy.url, folder, "pg-first", ports[0]) as first, \
                running_app(db_url, proxy.url, folder, "pg-second", ports[1]) as second:
            print(f"two app instances on one PostgreSQL schema behind a round-robin proxy ({proxy.url} -> "
                  f"{first.url}, {second.url}), {sessions} sessions x {rounds} rounds:", flush=True)
            outcome = asyncio.run(drive(proxy.url, usernames, rounds, [first.pid, second.pid]))
            print(f"  connections handed to each instance: {sorted(proxy.connections.values())}")
    return report("postgresql, two instances", outcome)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=SESSIONS, help="browser sessions at once")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="questions each session answers")
    parser.add_argument("--no-postgres", action="store_true", help="skip the two-instance PostgreSQL part")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the one-instance SQLite part")
    options = parser.parse_args()
    if options.rounds < 1 or options.sessions < 1:
        parser.error("--sessions and --rounds must be at least 1")
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} not found: apt-get install chromium (never `playwright install`)")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["TRAINING_AUDIT_KEY_FILE"] = str(folder / "audit.key")  # the servers inherit it
        settings.reload()
        key = settings.audit_key()
        server = os.environ.get("TEST_PG_URL")
        try:
            figures = [] if options.no_sqlite else sqlite_part(folder, key, options.sessions, options.rounds)
            if server and not options.no_postgres:
                figures += postgres_part(server, folder, key, options.sessions, options.rounds)
        except BaseException:
            for log in folder.glob("*.log"):
                shutil.copy(log, failure_folder())
            print(f"FAILED: the screenshots of the failing sessions and the server logs are in {failure_folder()}")
            raise
        if not server and not options.no_postgres:
            print("two instances on PostgreSQL: not run (set TEST_PG_URL, e.g. eval \"$(bash .ci/postgres.sh start)\")")
        record("bench_load", figures)


if __name__ == "__main__":
    main()
