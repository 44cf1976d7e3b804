"""The certification register in one statement: every account with the certificate that decides its status, that
status, its latest exam score and its count of competent practical sign-offs; and one person's certificate history.

The database applies the rules itself: it picks the certificate `current_certificate` (modules.certificates)
would (the non-revoked one that runs longest, else the latest revoked one) and gives it the status
`certificate_status` (modules.core.records) would at the given moment. Reading every certificate into Python and
grouping it there took seconds for 50,000 people; tests/unit/test_register.py keeps that old path and checks
this one against it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, case, func, select

from modules.core.clock import require_utc
from modules.core.records import EXPIRING_WINDOW, Actor, Certificate, require_manager
from modules.core.types import (
    AttemptId,
    AttemptKind,
    CertificateCode,
    CertificateId,
    CertificateStatus,
    PracticalOutcome,
    Role,
    UserId,
)
from modules.store.database import Database, cycle_collection_paused
from modules.store.schema import (
    attempt_results,
    attempts,
    certificate_revocations,
    certificates,
    practical_signoffs,
    users,
    utc_from_driver,
)

_CURRENT = (CertificateStatus.CERTIFIED, CertificateStatus.EXPIRING)


class DecidingCertificate(NamedTuple):
    """The certificate that decides a person's status, as stored (the holder is the row's person)."""

    id: CertificateId
    code: CertificateCode
    attempt_id: AttemptId | None
    title: str
    issued_at: datetime
    expires_at: datetime
    score: float
    revoked_at: datetime | None
    revoked_reason: str | None
    revoked_by_name: str | None


class RegisterRow(NamedTuple):
    """One staff member's line in the certification register. Named tuples, not records: a register holds 50,000
    of them and a read builds them all, so the `certificate` record is made only when asked for."""

    user_id: UserId
    full_name: str
    username: str
    location: str | None
    role: Role
    active: bool
    status: CertificateStatus
    deciding: DecidingCertificate | None
    latest_exam_score: float | None
    signoffs: int

    @property
    def certificate(self) -> Certificate | None:
        cert = self.deciding
        if cert is None:
            return None
        return Certificate(cert.id, cert.code, self.user_id, cert.attempt_id, cert.title, cert.issued_at,
                           cert.expires_at, cert.score, self.full_name, cert.revoked_at, cert.revoked_reason)

    @property
    def certificate_id(self) -> CertificateId | None:
        return None if self.deciding is None else self.deciding.id

    @property
    def exam_score(self) -> float | None:
        """The deciding certificate's score while it is current, else the latest exam's."""
        if self.deciding is not None and self.status in _CURRENT:
            return self.deciding.score
        return self.latest_exam_score


class Registry:
    def __init__(self, db: Database):
        self._db = db

    def rows(self, actor: Actor | None, now: datetime) -> list[RegisterRow]:
        """Every account, deactivated ones too, ordered by full name then id, with its status at `now`."""
        require_manager(actor, "read the certification register")
        require_utc(now)
        with cycle_collection_paused():
            return self._rows(now)

    def _rows(self, now: datetime) -> list[RegisterRow]:
        with self._db.read() as conn:
            # The driver's own rows, converted here: SQLAlchemy's per-row processing of 50,000 rows cost as much
            # as the statement itself.
            found = conn.execute(REGISTER_QUERY, {"now": now, "window_end": now + EXPIRING_WINDOW}).cursor.fetchall()
        roles = {role.value: role for role in Role}
        statuses = {status.value: status for status in CertificateStatus}
        utc = utc_from_driver
        return [
            RegisterRow(user_id, full_name, username, location, roles[role], bool(active), statuses[status],
                        None if cert_id is None else DecidingCertificate(
                            cert_id, code, attempt_id, title, utc(issued_at), utc(expires_at), score,  # type: ignore[arg-type]
                            utc(revoked_at), reason, revoked_by),
                        exam_score, signoffs)
            for (user_id, full_name, username, location, role, active, status, cert_id, code, attempt_id, title,
                 issued_at, expires_at, score, revoked_at, reason, revoked_by, exam_score, signoffs) in found
        ]

    def history(self, actor: Actor | None, user_id: UserId) -> list[tuple[Certificate, str | None]]:
        """Every certificate the person ever held, newest first, each with the name of whoever revoked it (its
        first revocation, as in the register), or None."""
        require_manager(actor, "read the certification register")
        with self._db.read() as conn:
            found = conn.execute(HISTORY_QUERY, {"user_id": user_id}).all()
        return [(Certificate(CertificateId(row.id), CertificateCode(row.code), UserId(row.user_id),
                             None if row.attempt_id is None else AttemptId(row.attempt_id), row.title, row.issued_at,
                             row.expires_at, row.score, row.full_name, row.revoked_at, row.reason), row.revoked_by)
                for row in found]


def _register_query() -> Select[Any]:
    # A certificate is revoked from its first revocation, whose reason is the one shown.
    revocations = (select(certificate_revocations.c.certificate_id,
                          func.min(certificate_revocations.c.revoked_at).label("revoked_at"),
                          func.min(certificate_revocations.c.id).label("first_id"))
                   .group_by(certificate_revocations.c.certificate_id).subquery("revocations"))
    live = revocations.c.revoked_at.is_(None)
    # Live before revoked; live ones by expiry then issue, revoked ones by issue then expiry, latest first; a tie
    # goes to the oldest id, as max() over certificates in issue order does.
    ranked = (select(certificates.c.id, certificates.c.user_id, func.row_number().over(
                  partition_by=certificates.c.user_id,
                  order_by=(case((live, 0), else_=1),
                            case((live, certificates.c.expires_at), else_=certificates.c.issued_at).desc(),
                            case((live, certificates.c.issued_at), else_=certificates.c.expires_at).desc(),
                            certificates.c.id)).label("rank"))
              .outerjoin(revocations, revocations.c.certificate_id == certificates.c.id).subquery("ranked"))
    deciding = select(ranked.c.id, ranked.c.user_id).where(ranked.c.rank == 1).subquery("deciding")
    first_revocation = certificate_revocations.alias("first_revocation")
    revoker = users.alias("revoker")
    status = case(
        (certificates.c.id.is_(None), CertificateStatus.NOT_CERTIFIED.value),
        (revocations.c.revoked_at.is_not(None), CertificateStatus.REVOKED.value),
        (certificates.c.expires_at <= bindparam("now"), CertificateStatus.EXPIRED.value),
        (certificates.c.expires_at <= bindparam("window_end"), CertificateStatus.EXPIRING.value),
        else_=CertificateStatus.CERTIFIED.value)

    exams = (select(attempts.c.user_id, attempt_results.c.score, func.row_number().over(
                 partition_by=attempts.c.user_id,
                 order_by=(attempt_results.c.finished_at.desc(), attempts.c.id.desc())).label("rank"))
             .join(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
             .where(attempts.c.kind == AttemptKind.EXAM.value).subquery("exams"))
    latest_exam = select(exams.c.user_id, exams.c.score).where(exams.c.rank == 1).subquery("latest_exam")
    competent = (select(practical_signoffs.c.technician_id.label("user_id"), func.count().label("signoffs"))
                 .where(practical_signoffs.c.outcome == PracticalOutcome.COMPETENT.value)
                 .group_by(practical_signoffs.c.technician_id).subquery("competent"))

    return (select(users.c.id, users.c.full_name, users.c.username, users.c.location, users.c.role, users.c.active,
                   status, certificates.c.id, certificates.c.code, certificates.c.attempt_id, certificates.c.title,
                   certificates.c.issued_at, certificates.c.expires_at, certificates.c.score,
                   revocations.c.revoked_at, first_revocation.c.reason, revoker.c.full_name, latest_exam.c.score,
                   func.coalesce(competent.c.signoffs, 0))
            .outerjoin(deciding, deciding.c.user_id == users.c.id)
            .outerjoin(certificates, certificates.c.id == deciding.c.id)
            .outerjoin(revocations, revocations.c.certificate_id == certificates.c.id)
            .outerjoin(first_revocation, first_revocation.c.id == revocations.c.first_id)
            .outerjoin(revoker, revoker.c.id == first_revocation.c.revoked_by)
            .outerjoin(latest_exam, latest_exam.c.user_id == users.c.id)
            .outerjoin(competent, competent.c.user_id == users.c.id)
            .order_by(users.c.full_name, users.c.id))


def _history_query() -> Select[Any]:
    # As in the register: revoked from the first revocation, whose reason and author are the ones shown.
    revocations = (select(certificate_revocations.c.certificate_id,
                          func.min(certificate_revocations.c.revoked_at).label("revoked_at"),
                          func.min(certificate_revocations.c.id).label("first_id"))
                   .group_by(certificate_revocations.c.certificate_id).subquery("revocations"))
    first_revocation = certificate_revocations.alias("first_revocation")
    holder, revoker = users.alias("holder"), users.alias("revoker")
    return (select(certificates.c.id, certificates.c.code, certificates.c.user_id, certificates.c.attempt_id,
                   certificates.c.title, certificates.c.issued_at, certificates.c.expires_at, certificates.c.score,
                   holder.c.full_name, revocations.c.revoked_at, first_revocation.c.reason,
                   revoker.c.full_name.label("revoked_by"))
            .join(holder, holder.c.id == certificates.c.user_id)
            .outerjoin(revocations, revocations.c.certificate_id == certificates.c.id)
            .outerjoin(first_revocation, first_revocation.c.id == revocations.c.first_id)
            .outerjoin(revoker, revoker.c.id == first_revocation.c.revoked_by)
            .where(certificates.c.user_id == bindparam("user_id"))
            .order_by(certificates.c.issued_at.desc(), certificates.c.id.desc()))


# Built once: the statements never change, the moment and the person are parameters.
REGISTER_QUERY = _register_query()
HISTORY_QUERY = _history_query()
