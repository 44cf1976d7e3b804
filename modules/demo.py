"""The demo clinic: a lived-in database for trying the app, seeded from one number.

`python -m modules demo --db progress/demo.db --seed 7` (or `seed_demo`) fills an empty database with three
locations, a manager, three trainers and forty technicians at every stage of the certification path. The
histories are simulated, not scripted: each technician has an ability per module, each question a difficulty
from its easy/medium/hard label plus noise, and P(correct) = logistic(ability - difficulty), so the item analysis
shows figures that vary the way real ones do. Graded attempts are drawn and scored by the real quiz engine, and
everything is written through the store with its clock set to the moment of each event, in time order, so the
audit log, review cards and dates read like months of real use. The same seed and `now` give the same people,
attempts and scores (certificate codes come from the store's own secure generator and differ).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from pathlib import Path
from typing import TypeVar

import numpy as np

from modules import auth, practice, quiz, review, settings
from modules.banks import BankSet, Question, load_banks
from modules.certificates import expiry_for
from modules.core.clock import FixedClock, require_utc
from modules.core.errors import BankError, StoreError
from modules.core.records import Actor, AttemptResult, QuestionSnapshot, ResponseRecord
from modules.core.types import (
    AttemptKind,
    CertificateId,
    ClosedBy,
    ModuleId,
    PracticalOutcome,
    QuestionId,
    QuestionType,
    Role,
    UserId,
)
from modules.grading import Answer, ShownQuestion, answer_key, response_record
from modules.policy import Policy, load_policy
from modules.store import Store, same_database, sqlite_file

PASSWORD = "demo-clinic-2026"
LOCATIONS = ("Riverside", "Old Town", "Harbour")
REAL_DATABASE = settings.PROJECT_ROOT / "progress" / "training.db"
DIFFICULTY = {"easy": -1.6, "medium": -0.5, "hard": 0.6}  # logits; each question adds its own noise
NOT_YET_COMMENT = "Not yet: the tip was not disinfected after the client. Practise the turnaround and book again."
SIGNOFF_COMMENTS = ("Calm consultation, good stretch technique.", "Settings well chosen for the forehead.",
                    "Remind the client about sunscreen more clearly.", "Tidy set-up and clean-down.")
FIRST = ["Amira", "Ben", "Chloé", "Daniel", "Ewa", "Farah", "George", "Hana", "Isaac", "Jade", "Kofi", "Lena", "Marco",
         "Nia", "Oscar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Una", "Victor", "Wen", "Yusuf", "Zoë", "Aoife",
         "Bilal", "Carmen", "Dev", "Elif", "Finn", "Grace", "Hugo", "Ines", "Jonas", "Kira", "Liam", "Maya", "Noor",
         "Olu", "Paula", "Rhys", "Sofia", "Tom", "Łukasz", "Siobhán", "José", "Mei"]
LAST = ["Khan", "Okafor", "Novak", "Murphy", "Silva", "Nguyen", "Schmidt", "Haddad", "Kowalski", "Osei", "Rossi",
        "Patel", "Jensen", "O'Brien", "Dubois", "Yilmaz", "Tanaka", "García", "Evans", "Mensah", "Costa", "Ahmed",
        "Brennan", "Lindqvist", "Morales", "Chen", "Fischer", "Ward", "Adeyemi", "Kaur", "Walsh", "Petrov", "Andersen",
        "Bianchi", "Dvořák", "Hughes", "Ibrahim", "Larsen", "Moreau", "Nakamura", "Reyes", "Sato", "Thompson", "Varga",
        "Zhang"]
REVOKE_REASON = ("Client complaint upheld: treated over an active contraindication without consultation. "
                 "Recertify after supervised treatments.")

_T = TypeVar("_T")


def _present(value: _T | None, what: str) -> _T:
    """`value`, which the simulation always fills in; a None here is a bug in the demo, not bad input."""
    if value is None:
        raise RuntimeError(f"Demo clinic: the {what} is missing; the simulated history is inconsistent.")
    return value


def _later(moment: datetime | None, by: timedelta) -> datetime | None:
    return None if moment is None else moment + by


class Stage(str, Enum):
    NEW = "new"
    STUDYING = "studying"
    CERTIFIED = "certified"
    EXPIRING = "expiring soon"
    EXPIRED = "expired"
    REVOKED = "revoked"


# Usernames are fixed per stage (tech01-06 new, ...), so the README can point at an account of each kind.
STAGES = ((Stage.NEW, 6), (Stage.STUDYING, 13), (Stage.CERTIFIED, 12), (Stage.EXPIRING, 4), (Stage.EXPIRED, 4),
          (Stage.REVOKED, 1))
# How far each studying technician gets: modules passed; 8 = ready for the exam; 9 = failed the exam once.
STUDYING_REACH = (0, 1, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 2)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: Role
    location: str | None
    stage: Stage | None = None


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    now: datetime
    password: str
    accounts: tuple[DemoAccount, ...]
    attempts: int
    certificates: int
    signoffs: int


class _Kind(str, Enum):
    CREATE, LESSON, PRACTICE, QUIZ, EXAM, SIGNOFF, REVOKE = [
        "create", "lesson", "practice", "quiz", "exam", "signoff", "revoke"]


@dataclass(frozen=True)
class _Event:
    """One thing that happened; `at` is when it is written (the store's clock is set to it)."""

    at: datetime
    who: str
    kind: _Kind
    module_id: ModuleId | None = None
    started_at: datetime | None = None
    records: tuple[ResponseRecord, ...] = ()
    result: AttemptResult | None = None
    questions: tuple[QuestionSnapshot, ...] = ()
    text: str = ""
    trainer: str | None = None
    competent: bool = True  # a practical sign-off's outcome

    def shifted(self, by: timedelta) -> _Event:
        return replace(self, at=self.at + by, started_at=_later(self.started_at, by),
                       records=tuple(replace(r, answered_at=_later(r.answered_at, by)) for r in self.records),
                       result=None if self.result is None else
                       replace(self.result, finished_at=_later(self.result.finished_at, by)))


class _Bank:
    """Per-question behaviour shared by every simulated technician: difficulty and how tempting each distractor is."""

    def __init__(self, banks: BankSet, gen: np.random.Generator):
        self.banks = banks
        questions = list(banks.questions.values())
        self.difficulty = {q.id: DIFFICULTY[q.difficulty.value] + gen.normal(0.0, 0.5) for q in questions}
        self.pull = {q.id: dict(zip(_wrong_options(q), gen.dirichlet(np.full(len(_wrong_options(q)), 0.8))))
                     for q in questions if len(_wrong_options(q)) > 1}

    def question(self, question_id: str) -> Question:
        return _present(self.banks.question(question_id), f"question {question_id!r} in the banks")

    def wrong_answer(self, shown: ShownQuestion, gen: np.random.Generator) -> Answer:
        """A plausible mistake: a tempting distractor, a missed or extra choice, two steps or pairs swapped."""
        key = answer_key(self.question(shown.question_id))
        kind = shown.type
        if kind is QuestionType.TRUE_FALSE:
            return not key
        if kind is QuestionType.SINGLE:
            return self._distractor(shown.question_id, [key], gen)
        if kind is QuestionType.MULTIPLE:
            chosen, has_distractor = set(key), len(key) < len(shown.options)
            if len(chosen) > 1 and (not has_distractor or gen.random() < 0.5):
                chosen.discard(sorted(chosen)[int(gen.integers(len(chosen)))])
            else:
                chosen.add(self._distractor(shown.question_id, key, gen))
            return sorted(chosen)
        if kind is QuestionType.ORDERING:
            order, i = list(key), int(gen.integers(len(key) - 1))
            order[i], order[i + 1] = order[i + 1], order[i]
            return order
        lefts = list(key)
        a, b = (lefts[int(i)] for i in gen.choice(len(lefts), size=2, replace=False))
        return {**key, a: key[b], b: key[a]}

    def _distractor(self, question_id: str, key: list[str], gen: np.random.Generator) -> str:
        pull = {o: w for o, w in self.pull.get(QuestionId(question_id), {}).items() if o not in key}
        if not pull:
            options = [o for o in self.question(question_id).options if o not in key]
            return options[int(gen.integers(len(options)))]
        options, weights = list(pull), np.array(list(pull.values()))
        return options[int(gen.choice(len(options), p=weights / weights.sum()))]


def _wrong_options(question: Question) -> list[str]:
    return [o for o in question.options if o not in question.key_options]


class _Learner:
    """One simulated technician walking the certification path; collects events on a provisional timeline."""

    def __init__(self, username: str, bank: _Bank, policy: Policy, trainer: str, seed: int, start: datetime):
        self.who, self.bank, self.policy, self.trainer = username, bank, policy, trainer
        self.rng, self.gen = random.Random(seed), np.random.default_rng(seed)
        talent = self.gen.normal(0.8, 0.9)
        self.skill = {m.id: talent + self.gen.normal(0.0, 0.35) - 0.6 for m in bank.banks.modules}
        self.now, self.quizzes_today = start, 0
        self.events: list[_Event] = [_Event(start, username, _Kind.CREATE)]
        self.next_day()

    def next_day(self, low: int = 1, high: int = 2) -> None:
        day = self.now.date() + timedelta(days=int(self.gen.integers(low, high + 1)))
        self.now = datetime.combine(day, time(8), UTC) + timedelta(minutes=int(self.gen.integers(0, 300)))
        self.quizzes_today = 0

    def wait(self, low: float, high: float) -> None:
        self.now += timedelta(minutes=float(self.gen.uniform(low, high)))

    def answer(self, shown: ShownQuestion, boost: float = 0.0) -> Answer:
        ability = self.skill[ModuleId(shown.module_id)] + boost - self.bank.difficulty[QuestionId(shown.question_id)]
        if self.gen.random() < 1.0 / (1.0 + math.exp(-ability)):
            return answer_key(self.bank.question(shown.question_id))
        return self.bank.wrong_answer(shown, self.gen)

    def _timed(self, records: list[ResponseRecord], typical_seconds: float) -> tuple[ResponseRecord, ...]:
        timed = []
        for record in records:
            seconds = round(float(np.clip(self.gen.lognormal(math.log(typical_seconds), 0.45), 6, 240)), 1)
            self.now += timedelta(seconds=seconds)
            timed.append(replace(record, answered_at=self.now, seconds_taken=seconds))
        return tuple(timed)

    def lesson(self, module_id: ModuleId) -> None:
        self.events.append(_Event(self.now, self.who, _Kind.LESSON, module_id))
        self.skill[module_id] += 0.35
        self.wait(15, 45)

    def practise(self, module_id: ModuleId) -> None:
        start = self.now
        shown = practice.draw(self.bank.banks, module_id, self.rng.choice((5, 8, 10)), self.rng)
        records = [response_record(i, s, self.answer(s)) for i, s in enumerate(shown)]
        self.events.append(_Event(start, self.who, _Kind.PRACTICE, module_id, start, self._timed(records, 30)))
        self.skill[module_id] += 0.12
        self.wait(5, 90)

    def graded(self, kind: AttemptKind, module_id: ModuleId | None = None, must_fail: bool = False) -> bool:
        """One graded quiz or exam drawn and scored by the quiz engine; `must_fail` keeps redrawing the answers
        (a little weaker each time) until they fail, for the stage that needs a failed exam."""
        policy, start = self.policy, self.now
        if kind is AttemptKind.QUIZ:
            quiz_module = _present(module_id, "module of a quiz")
            shown, boost = quiz.draw_quiz(self.bank.banks, quiz_module, policy, self.rng), 0.0
        else:
            shown, boost = quiz.draw_exam(self.bank.banks, policy, self.rng), 0.25  # revised for the exam
        mark = policy.quiz_pass_percent if kind is AttemptKind.QUIZ else policy.exam_pass_percent
        while True:
            answers = {i: self.answer(s, boost) for i, s in enumerate(shown)}
            records, score, module_scores = quiz.score_responses(shown, answers)
            passed = quiz.passes(score, mark)
            if not (must_fail and passed):
                break
            boost -= 0.3
        # Paced to finish well inside the exam's time limit, as its deadline would force.
        timed = self._timed(records, min(40.0, 0.8 * 60 * policy.exam_minutes / max(len(shown), 1)))
        self.now += timedelta(seconds=int(self.gen.integers(5, 60)))
        self.events.append(_Event(self.now, self.who, _Kind(kind.value), module_id, start, timed,
                                  quiz.result_for(score, passed, ClosedBy.SUBMITTED, module_scores, self.now),
                                  tuple(s.to_snapshot() for s in shown)))
        return passed

    def module(self, module_id: ModuleId, must_pass: bool) -> bool:
        self.lesson(module_id)
        for _ in range(self.rng.randint(1, 2)):
            self.practise(module_id)
        while True:
            self.wait(20, 150)
            self.quizzes_today += 1
            if self.graded(AttemptKind.QUIZ, module_id):
                self.skill[module_id] += 0.1
                return True
            self.skill[module_id] += 0.25  # the feedback on a failed quiz teaches something
            if not must_pass:
                return False
            if self.quizzes_today >= 2 or self.rng.random() < 0.5:  # stays inside the daily limit
                self.next_day(1, 2)
            self.practise(module_id)

    def exam(self, must_pass: bool) -> bool:
        while True:
            self.next_day(1, 4)
            if self.graded(AttemptKind.EXAM, must_fail=not must_pass):
                return True
            for module_id in self.skill:
                self.skill[module_id] += 0.3  # revision after a failed exam
            if not must_pass:
                return False

    def signoff(self, competent: bool = True) -> None:
        self.wait(30, 120)
        text = self.rng.choice(SIGNOFF_COMMENTS) if competent else NOT_YET_COMMENT
        self.events.append(_Event(self.now, self.who, _Kind.SIGNOFF, text=text, trainer=self.trainer,
                                  competent=competent))
        self.next_day(1, 2)

    def course(self, reach: int, signoffs: int) -> None:
        """Modules in order: the first `reach` passed; then the exam (9: failed once; 10: passed)."""
        modules = [m.id for m in self.bank.banks.modules]
        for position, module_id in enumerate(modules):
            if position > reach:
                break
            if position < reach or self.rng.random() < 0.6:  # the module in hand: quiz tried, or still practising
                self.module(module_id, must_pass=position < reach)
            else:
                self.lesson(module_id)
                self.practise(module_id)
            if position == 2:  # supervised treatments start once the treatment module is done
                if signoffs and self.rng.random() < 0.3:  # some need a second go at the checklist
                    self.signoff(competent=False)
                for _ in range(signoffs):
                    self.signoff()
            self.next_day(1, 3)
        if reach >= 9:
            self.exam(must_pass=reach >= 10)


def _year_before(day: date) -> date:
    return (day.replace(day=28) if (day.month, day.day) == (2, 29) else day).replace(year=day.year - 1)


def _simulate(bank: _Bank, policy: Policy, seed: int, now: datetime) -> tuple[list[DemoAccount], list[_Event]]:
    master = random.Random(seed)
    names = [f"{first} {last}" for first, last in zip(master.sample(FIRST, 44), master.sample(LAST, 44))]
    staff = [DemoAccount("manager", names[0], Role.MANAGER, LOCATIONS[0])]
    staff += [DemoAccount(f"trainer{i + 1}", names[i + 1], Role.TRAINER, place) for i, place in enumerate(LOCATIONS)]
    accounts, events, today = list(staff), [], now.date()
    stages = [stage for stage, count in STAGES for _ in range(count)]
    studying = iter(STUDYING_REACH)
    for index, stage in enumerate(stages):
        place = LOCATIONS[index % len(LOCATIONS)]
        tech = DemoAccount(f"tech{index + 1:02d}", names[index + 4], Role.TECHNICIAN, place, stage)
        accounts.append(tech)
        learner = _Learner(tech.username, bank, policy, f"trainer{index % len(LOCATIONS) + 1}",
                           master.getrandbits(63), datetime(2000, 1, 3, 8, 30, tzinfo=UTC))
        gen = learner.gen
        if stage is Stage.NEW:
            anchor = today - timedelta(days=int(gen.integers(1, 10)))
        elif stage is Stage.STUDYING:
            reach = next(studying)
            # Whoever is through every module quiz has the practicals the exam waits for.
            learner.course(reach, signoffs=policy.signoffs_required if reach >= 8 else int(reach >= 6))
            anchor = today - timedelta(days=int(gen.integers(1, 8)))
        else:
            learner.course(10, signoffs=policy.signoffs_required)
            anchor = {Stage.CERTIFIED: today - timedelta(days=int(gen.integers(21, 300))),
                      Stage.EXPIRING: _year_before(today + timedelta(days=int(gen.integers(3, 26)))),
                      Stage.EXPIRED: _year_before(today) - timedelta(days=int(gen.integers(20, 120))),
                      Stage.REVOKED: today - timedelta(days=int(gen.integers(100, 200)))}[stage]
        # Whole days, so each event keeps its time of day; the last event lands on the anchor day.
        shift = timedelta(days=(anchor - learner.events[-1].at.date()).days)
        events += [event.shifted(shift) for event in learner.events]
        if stage is Stage.REVOKED:
            revoked_at = events[-1].at + timedelta(days=int(gen.integers(30, 80)), hours=2)
            events.append(_Event(revoked_at, tech.username, _Kind.REVOKE, text=REVOKE_REASON))
    first = min(event.at for event in events) - timedelta(days=14)
    events = [_Event(first + timedelta(minutes=5 * i), a.username, _Kind.CREATE) for i, a in enumerate(staff)] + events
    return accounts, events


def _apply(store: Store, clock: FixedClock, policy: Policy, accounts: dict[str, DemoAccount],
           events: list[_Event]) -> None:
    ids: dict[str, UserId] = {}
    certificate_of: dict[str, CertificateId] = {}
    cards: dict[tuple[int, str], review.ReviewCard] = {}

    def feed_review(user_id: UserId, records: tuple[ResponseRecord, ...], now: datetime) -> None:
        # learning.feed_review's rule, with the current cards kept here instead of re-read for every answer.
        for record in records:
            card = review.on_answer(cards.get((user_id, record.question_id)), user_id, record.question_id,
                                    record.correct, now)
            if card is not None:
                store.review_cards.save(user_id, record.question_id, card.card_json, card.due_at)
                cards[(user_id, record.question_id)] = card

    for event in sorted(events, key=lambda e: e.at):  # stable: same-moment events keep their planned order
        clock.now = event.at
        if event.kind is _Kind.CREATE:
            account = accounts[event.who]
            creator = None if account.role is Role.MANAGER else Actor(ids["manager"], Role.MANAGER)
            ids[event.who] = auth.create_user(store, account.username, account.full_name, account.role, PASSWORD,
                                               account.location, actor=creator)
            continue
        uid = _present(ids.get(event.who), f"account of {event.who!r} (created before its first event)")
        if event.kind is _Kind.LESSON:
            store.lessons.mark_read(uid, _present(event.module_id, "module of a lesson"))
        elif event.kind is _Kind.PRACTICE:
            attempt_id = store.attempts.start(uid, AttemptKind.PRACTICE, event.module_id)
            for record in event.records:  # one at a time, as the practice page saves them
                answered_at = _present(record.answered_at, "time of a practice answer")
                clock.now = answered_at
                store.attempts.record_response(attempt_id, record)
                feed_review(uid, (record,), answered_at)
        elif event.kind in (_Kind.QUIZ, _Kind.EXAM):
            kind = AttemptKind(event.kind.value)
            result = _present(event.result, f"result of a {kind.value}")
            rules = {"pass_mark_percent": policy.quiz_pass_percent} if kind is AttemptKind.QUIZ else \
                {"pass_mark_percent": policy.exam_pass_percent, "grace_seconds": policy.exam_grace_seconds}
            deadline = (_present(event.started_at, "start of an exam") + timedelta(minutes=policy.exam_minutes)
                        if kind is AttemptKind.EXAM else None)
            # The same two writes the quiz and exam pages make: open the attempt, then answers and result together.
            attempt_id = store.attempts.start(uid, kind, event.module_id, deadline=deadline,
                                              questions=list(event.questions), policy=rules,
                                              started_at=event.started_at)
            store.attempts.submit(attempt_id, list(event.records), result)
            if kind is AttemptKind.EXAM and result.passed:
                certificate_of[event.who] = store.certificates.issue(
                    uid, attempt_id, policy.certificate_title, result.score,
                    expiry_for(event.at, policy.validity_months), issued_at=event.at,
                    actor=Actor(uid, Role.TECHNICIAN)).id
            if kind is AttemptKind.QUIZ:  # exam items never feed review: their keys are never shown
                feed_review(uid, event.records, event.at)
        elif event.kind is _Kind.SIGNOFF:
            checklist = {item: True for item in policy.checklist} or {"Supervised treatment completed": True}
            missed: tuple[str, ...] = ()
            if not event.competent:
                missed = (list(checklist)[-1],)
                checklist[missed[0]] = False
            trainer = Actor(ids[_present(event.trainer, "trainer of a sign-off")], Role.TRAINER)
            outcome = PracticalOutcome.COMPETENT if event.competent else PracticalOutcome.NOT_YET_COMPETENT
            store.signoffs.record(uid, trainer, event.at.date(), checklist, event.text, outcome, missed)
        elif event.kind is _Kind.REVOKE:
            store.certificates.revoke(certificate_of[event.who], Actor(ids["manager"], Role.MANAGER), event.text)


def is_real_database(db_url: str) -> bool:
    """Whether the URL names the clinic's own database: the default file, or the configured TRAINING_DB_URL."""
    return any(same_database(db_url, real) for real in (f"sqlite:///{REAL_DATABASE}", settings.get("TRAINING_DB_URL")))


def prepare_database_file(path: Path, force: bool) -> str:
    """The SQLite URL for `path` once it is safe to seed: never the real database, never someone's data
    unless `force` (which deletes the file and its WAL first)."""
    url = f"sqlite:///{path.resolve()}"
    if is_real_database(url):
        raise StoreError(f"{path} is the clinic's real database; the demo is seeded only into a separate file "
                         "such as progress/demo.db.")
    if path.exists() and path.stat().st_size > 0:
        if not force:
            raise StoreError(f"{path} already holds data; choose another file or add --force to replace it.")
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
    return url


def today_midnight() -> datetime:
    return datetime.combine(datetime.now(UTC).date(), time(0), UTC)


def seed_demo(db_url: str, seed: int, now: datetime, banks_dir: Path | str | None = None) -> DemoSummary:
    """Fill an empty database with the demo clinic as it stands at `now`; refuses the real database."""
    require_utc(now)
    if is_real_database(db_url):
        raise StoreError("The demo clinic is never seeded into the real database.")
    directory = Path(banks_dir or settings.get("TRAINING_BANKS_DIR"))
    banks = load_banks(directory)
    policy, problems = load_policy(directory, banks)
    if banks.problems or problems or not banks.modules:
        raise BankError("The question banks have problems; run `python -m modules check-banks` first.")
    file = sqlite_file(db_url)
    if file is not None and file.exists() and file.stat().st_size > 0:
        raise StoreError(f"{file} already holds data; the demo needs an empty database.")
    accounts, events = _simulate(_Bank(banks, np.random.default_rng(seed)), policy, seed, now)
    clock = FixedClock(min(e.at for e in events))
    # Some 9,000 small transactions, each synced to disk, crawl on a busy disk; so a SQLite clinic is built in
    # memory and copied into its file in one go, and a failed run leaves no half-built file behind.
    store = Store.open("sqlite://" if file is not None else db_url, clock=clock, audit_key=settings.audit_key())
    try:
        if store.accounts.count():
            raise StoreError("The database already has accounts; the demo needs an empty one.")
        _apply(store, clock, policy, {a.username: a for a in accounts}, events)
        if file is not None:
            store.copy_to(file)
    finally:
        store.close()
    kinds = [e.kind for e in events]
    passed_exams = sum(1 for e in events if e.kind is _Kind.EXAM and _present(e.result, "result of an exam").passed)
    return DemoSummary(seed, now, PASSWORD, tuple(accounts),
                       sum(k in (_Kind.PRACTICE, _Kind.QUIZ, _Kind.EXAM) for k in kinds), passed_exams,
                       kinds.count(_Kind.SIGNOFF))


def account_table(summary: DemoSummary) -> str:
    """The demo accounts as a plain-text table (all share one password)."""
    lines = [f"{'username':<10} {'role':<11} {'location':<10} {'stage':<14} name"]
    lines += [f"{a.username:<10} {a.role.value:<11} {a.location or '-':<10} {a.stage.value if a.stage else '-':<14} "
              f"{a.full_name}" for a in summary.accounts]
    lines.append(f"Every account's password: {summary.password}")
    return "\n".join(lines)
