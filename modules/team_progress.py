"""Team progress: one row per technician (best quiz score per module, the latest exam, certification, last activity,
the group they are in), the filters, orders and pages the Team page offers, and the questions the people on screen
keep missing.

Everything per technician is aggregated in the database (the store's `reports`, grouped by technician) and joined
here in vectorised pandas, so a chain of clinics with thousands of technicians costs a few grouped reads. The
questions someone keeps missing need every answer that counts, so they are read for the people on screen only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd

from modules.banks import BankSet, Module
from modules.certificates import current_certificate
from modules.core.records import Actor, Certificate, require_staff
from modules.core.types import CertificateStatus, UserId
from modules.policy import Policy
from modules.review import flagged_for_trainer
from modules.store import Store
from modules.team import module_label

INACTIVE_AFTER = timedelta(days=14)
INACTIVE_FILTER = "inactive 14+ days"
MODULE_STATES = ("passed", "attempted, not passed", "not attempted")
PAGE_SIZE = 100
# How the table can be ordered before it is cut into pages (a header click sorts one page only).
ORDERS = ("Name", "Longest inactive first", "Fewest modules passed first", "Location")


class Group(str, Enum):
    """Where a technician stands, for the Team page's Monday-morning questions; each person is in exactly one."""

    NOT_STARTED = "not started"
    STUDYING = "studying"
    BEHIND = "behind"
    READY = "ready for the exam"
    FAILED = "failed the exam"
    CERTIFIED = "certified"
    EXPIRING = "expiring"
    EXPIRED = "expired"


# The first group whose rule holds wins. Certificates and exam results are records that each call for one action
# (renew, debrief and resit, recertify), so they come before the activity clock; "behind" then catches everyone else
# who has stalled, before the stage they stalled at. A revoked certificate counts as none: its holder is grouped by
# their exam and activity like anyone not certified.
PRECEDENCE = (Group.EXPIRING, Group.CERTIFIED, Group.FAILED, Group.EXPIRED, Group.BEHIND, Group.READY,
              Group.STUDYING, Group.NOT_STARTED)


def held_certificates(certificates: Iterable[Certificate], now: datetime) -> dict[int, Certificate]:
    """The certificate that decides each holder's status (see certificates.current_certificate)."""
    held: dict[int, list[Certificate]] = {}
    for cert in certificates:
        held.setdefault(int(cert.user_id), []).append(cert)
    deciding = {user_id: current_certificate(theirs, now) for user_id, theirs in held.items()}
    return {user_id: cert for user_id, cert in deciding.items() if cert is not None}


def certification_statuses(certificates: Iterable[Certificate], now: datetime) -> dict[int, CertificateStatus]:
    """Each certificate holder's current status (technicians without one are NOT_CERTIFIED by omission)."""
    return {user_id: cert.status(now) for user_id, cert in held_certificates(certificates, now).items()}


def team_groups(table: pd.DataFrame, module_count: int, policy: Policy) -> pd.Series:
    """Each row's Group value, by PRECEDENCE: expiring and certified (a live certificate), failed the exam (the
    latest finished exam not passed, so no certificate since), expired, behind (no activity for
    policy.behind_after_days days, counted from the account's creation when never active), ready for the exam (every
    module quiz passed and the competent sign-offs the policy asks for), studying (did anything), not started.

    Needs team_table's columns and `signoffs` (competent practical sign-offs)."""
    status = table["certification"]
    rules = {
        Group.EXPIRING: status == CertificateStatus.EXPIRING.value,
        Group.CERTIFIED: status == CertificateStatus.CERTIFIED.value,
        Group.FAILED: table["exam_passed"].eq(False),
        Group.EXPIRED: status == CertificateStatus.EXPIRED.value,
        Group.BEHIND: table["days_inactive"] >= policy.behind_after_days,
        Group.READY: (table["modules_passed"] >= module_count) & (table["signoffs"] >= policy.signoffs_required),
        Group.STUDYING: table["last_activity"].notna(),
    }
    conditions = [rules[g].to_numpy(dtype=bool) for g in PRECEDENCE if g in rules]
    choices = [g.value for g in PRECEDENCE if g in rules]
    return pd.Series(np.select(conditions, choices, default=Group.NOT_STARTED.value), index=table.index,
                     name="group")


def group_counts(table: pd.DataFrame) -> dict[Group, int]:
    """How many rows are in each group, every group listed (in Group's order, the path a technician follows)."""
    counts = table["group"].value_counts()
    return {g: int(counts.get(g.value, 0)) for g in Group}


def team_table(technicians: pd.DataFrame, best: pd.DataFrame, exams: pd.DataFrame, activity: pd.DataFrame,
               statuses: dict[int, CertificateStatus], modules: list[Module], now: datetime) -> pd.DataFrame:
    """One row per technician, in the order of `technicians` (by name).

    Columns: user_id, name, location, `score:<module>` (best graded score 0..1, NaN if none) and
    `passed:<module>` per module, modules_passed, exam_score, exam_passed (latest finished exam; NaN/None if
    none), certification (CertificateStatus value), last_activity (UTC, NaT if never), days_inactive,
    inactive (no activity for 14 days or more, counting from the account's creation).
    """
    table = pd.DataFrame({
        "user_id": technicians["user_id"].astype("int64").to_numpy(),
        "name": technicians["full_name"].to_numpy(),
        "location": technicians["location"].fillna("—").to_numpy(),
    })
    ids = pd.Index(table["user_id"])
    for module in modules:
        mine = best[best["module_id"] == module.id].set_index("user_id") if len(best) else None
        table[f"score:{module.id}"] = (mine["best_score"].reindex(ids).to_numpy(dtype=float) if mine is not None
                                       else np.full(len(table), np.nan))
        table[f"passed:{module.id}"] = (mine["passed"].reindex(ids).fillna(False).to_numpy(dtype=bool)
                                        if mine is not None else np.zeros(len(table), dtype=bool))
    table["modules_passed"] = table[[f"passed:{m.id}" for m in modules]].sum(axis=1).astype("int64")

    latest = exams.drop_duplicates("user_id", keep="last").set_index("user_id") if len(exams) else None
    table["exam_score"] = latest["score"].reindex(ids).to_numpy(dtype=float) if latest is not None else np.nan
    table["exam_passed"] = (latest["passed"].reindex(ids).to_numpy(dtype=object) if latest is not None
                            else np.full(len(table), None, dtype=object))
    table["certification"] = [statuses.get(int(u), CertificateStatus.NOT_CERTIFIED).value for u in table["user_id"]]

    seen = (activity.set_index("user_id")["last_activity"].reindex(ids) if len(activity)
            else pd.Series(pd.NaT, index=ids, dtype="datetime64[us, UTC]"))
    table["last_activity"] = seen.reset_index(drop=True)
    since = seen.fillna(pd.to_datetime(technicians["created_at"], utc=True).set_axis(ids))
    table["days_inactive"] = ((pd.Timestamp(now) - since).dt.total_seconds() / 86400).to_numpy()
    table["inactive"] = table["days_inactive"] >= INACTIVE_AFTER.days
    return table


@dataclass(frozen=True)
class Graded:
    """What finished quizzes and exams say about each technician. Results are append-only, so this changes only
    when an attempt is finished: a page may keep it while the store's `reports.results_version()` is unchanged."""

    best: pd.DataFrame   # reports.best_quiz_scores()
    exams: pd.DataFrame  # reports.exam_results()


def graded(store: Store) -> Graded:
    return Graded(store.reports.best_quiz_scores(), store.reports.exam_results())


def load_team(store: Store, actor: Actor, banks: BankSet, now: datetime, kept: Graded | None = None,
              policy: Policy | None = None) -> pd.DataFrame:
    """The team table straight from the store (trainers and managers only), with each person's competent sign-offs
    (`signoffs`), certificate end (`certificate_expires`, NaT without one) and `group` under `policy` (the defaults
    if None). `kept` is the graded results if the caller holds them for the current results_version. Accounts,
    certificates, sign-offs and activity are read every time."""
    require_staff(actor, "see the team")
    reports, results = store.reports, kept or graded(store)
    held = held_certificates(store.certificates.every(actor), now)
    table = team_table(reports.technicians(), results.best, results.exams, reports.last_activity(),
                       {user_id: cert.status(now) for user_id, cert in held.items()}, banks.modules, now)
    table["signoffs"] = table["user_id"].map(reports.signoff_counts()).fillna(0).astype("int64")
    ends = {user_id: cert.expires_at for user_id, cert in held.items()}
    table["certificate_expires"] = pd.to_datetime(table["user_id"].map(ends), utc=True)
    table["group"] = team_groups(table, len(banks.modules), policy or Policy())
    return table


def filter_team(table: pd.DataFrame, locations: Iterable[str] = (), statuses: Iterable[str] = (),
                name: str = "", group: str | None = None) -> pd.DataFrame:
    """Rows at any of `locations` (all if none) whose certification status is any of `statuses` (all if none),
    whose name contains `name` (any case) and who are in `group` (a Group value; everyone if None); the status
    INACTIVE_FILTER picks technicians inactive for 14 days or more."""
    locations, statuses = list(locations), list(statuses)
    keep = pd.Series(True, index=table.index)
    if locations:
        keep &= table["location"].isin(locations)
    if statuses:
        keep &= table["certification"].isin(statuses) | (table["inactive"] & (INACTIVE_FILTER in statuses))
    if name.strip():
        keep &= table["name"].str.contains(name.strip(), case=False, regex=False)
    if group is not None:
        keep &= table["group"] == Group(group).value
    return table[keep]


def ordered(table: pd.DataFrame, order: str) -> pd.DataFrame:
    """The table in one of ORDERS; ties keep the order by name."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    if order == "Longest inactive first":
        return table.sort_values("days_inactive", ascending=False, kind="stable")
    if order == "Fewest modules passed first":
        return table.sort_values("modules_passed", kind="stable")
    if order == "Location":
        return table.sort_values("location", kind="stable")
    return table


def page_count(rows: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-rows // size))


def page(table: pd.DataFrame, number: int, size: int = PAGE_SIZE) -> pd.DataFrame:
    """Page `number` (from 0) of the table: `size` rows."""
    return table.iloc[number * size:(number + 1) * size]


def page_label(number: int, rows: int, size: int = PAGE_SIZE) -> str:
    """Which rows page `number` holds, as people count them: "101–200" ("none" when no row is left)."""
    if rows == 0:
        return "none"
    return f"{number * size + 1:,}–{min(rows, (number + 1) * size):,}"


def often_missed(store: Store, actor: Actor, banks: BankSet,
                 user_ids: Iterable[int]) -> list[tuple[int, str, int]]:
    """(user_id, question_id, misses) for the questions these technicians missed 4 times or more, still in a bank;
    most-missed first (trainers and managers only)."""
    require_staff(actor, "see the team")
    return flagged_for_trainer(store.reports.misses([UserId(int(u)) for u in user_ids]),
                               valid_question_ids=set(banks.questions))


def module_progress(table: pd.DataFrame, modules: list[Module]) -> pd.DataFrame:
    """For the chart: per module, how many technicians passed, tried without passing, or have not tried."""
    rows: list[dict[str, Any]] = []
    for module in modules:
        passed = table[f"passed:{module.id}"]
        tried = table[f"score:{module.id}"].notna()
        counts = (int(passed.sum()), int((tried & ~passed).sum()), int((~tried).sum()))
        rows.extend({"module": module_label(module), "order": module.order, "state": state, "technicians": n}
                    for state, n in zip(MODULE_STATES, counts))
    return pd.DataFrame(rows, columns=["module", "order", "state", "technicians"])


def team_display(table: pd.DataFrame, modules: list[Module],
                 flagged: Iterable[tuple[int, str, int]] = ()) -> pd.DataFrame:
    """The table as a trainer reads it (load_team's columns): scores in percent (numbers, so columns sort), plain
    words elsewhere, and the questions each person missed 4 times or more (from `flagged`, see often_missed)."""
    shown = pd.DataFrame({"Name": table["name"], "Group": table["group"], "Location": table["location"]})
    for module in modules:
        shown[module_label(module)] = (table[f"score:{module.id}"] * 100).round(0)
    passed = table[[f"passed:{m.id}" for m in modules]].to_numpy()
    shown["Modules passed"] = [f"{row.sum()} of {len(modules)}" + (
        f" ({', '.join(str(m.order) for m, ok in zip(modules, row) if ok)})" if row.any() else "") for row in passed]
    shown["Exam"] = ["—" if p is None or pd.isna(p) else f"{s:.0%} {'passed' if p else 'not passed'}"
                     for s, p in zip(table["exam_score"], table["exam_passed"])]
    shown["Certification"] = table["certification"]
    shown["Certificate ends"] = table["certificate_expires"]
    shown["Last activity"] = table["last_activity"]
    missed: dict[int, list[str]] = {}
    for user_id, question_id, count in flagged:
        missed.setdefault(int(user_id), []).append(f"{question_id} ({count}×)")
    shown["Often missed (4+)"] = [", ".join(missed.get(int(u), [])) for u in table["user_id"]]
    return shown
