"""An exam's result and its certificate, written together: a passed exam never stands without its certificate.

The result row and the certificate row go in ONE transaction, and the database refuses a second certificate for
the same attempt (a unique index), so neither a crash between the two writes nor a double click can leave a pass
with no certificate, or two. Exams passed before this was so are found by `passed_without_certificate` and
repaired with `issue_missing`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, insert, select

from modules.core.errors import StoreError
from modules.core.records import Actor, AttemptResult, Certificate
from modules.core.types import AttemptId, AttemptKind, UserId
from modules.store import item_sums
from modules.store.attempts import result_row
from modules.store.audit import AuditLog
from modules.store.certificates import Certificates
from modules.store.database import Database
from modules.store.schema import attempt_results, attempts, certificates


class Exams:
    def __init__(self, db: Database, audit: AuditLog, certificates_part: Certificates):
        self._db = db
        self._audit = audit
        self._certificates = certificates_part

    def finish(self, attempt_id: AttemptId, result: AttemptResult, title: str, expires_at: datetime,
               actor: Actor | None = None) -> Certificate | None:
        """Record the exam's result and, when it passed, its certificate, all or nothing."""
        now = self._db.clock()
        with self._db.write(serialised=True) as conn:
            owner = conn.execute(select(attempts.c.user_id).where(attempts.c.id == attempt_id)).scalar()
            if owner is None:
                raise StoreError("There is no such attempt.")
            if conn.execute(select(attempt_results.c.attempt_id)
                            .where(attempt_results.c.attempt_id == attempt_id)).first():
                raise StoreError("This exam already has a result; it cannot be recorded twice.")
            conn.execute(insert(attempt_results), result_row(attempt_id, result, now))
            self._audit.seal(conn, "attempt_results", attempt_id)
            item_sums.add_finished(self._db, conn, attempt_id)
            cert_id = None
            if result.passed:
                cert_id = self._certificates.insert(conn, UserId(owner), attempt_id, title, result.score,
                                                    result.finished_at or now, expires_at, actor)
        return None if cert_id is None else self._certificates.by_id(cert_id)

    def passed_without_certificate(self) -> list[tuple[AttemptId, UserId, float, datetime]]:
        """Passed exams that have no certificate: (attempt, person, score, finished at), oldest first."""
        query = (select(attempts.c.id, attempts.c.user_id, attempt_results.c.score, attempt_results.c.finished_at)
                 .join(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
                 .outerjoin(certificates, certificates.c.attempt_id == attempts.c.id)
                 .where(and_(attempts.c.kind == AttemptKind.EXAM.value, attempt_results.c.passed.is_(True),
                             certificates.c.id.is_(None)))
                 .order_by(attempt_results.c.finished_at, attempts.c.id))
        with self._db.read() as conn:
            return [(AttemptId(r.id), UserId(r.user_id), float(r.score), r.finished_at) for r in conn.execute(query)]

    def issue_missing(self, attempt_id: AttemptId, title: str, expires_at: datetime) -> Certificate:
        """The certificate a passed exam should have had, dated when the exam finished; refused if it has one."""
        with self._db.write(serialised=True) as conn:
            row = conn.execute(select(attempts.c.user_id, attempt_results.c.score, attempt_results.c.passed,
                                      attempt_results.c.finished_at)
                               .join(attempt_results, attempt_results.c.attempt_id == attempts.c.id)
                               .where(attempts.c.id == attempt_id, attempts.c.kind == AttemptKind.EXAM.value)).first()
            if row is None or not row.passed:
                raise StoreError("That attempt is not a passed exam.")
            if conn.execute(select(certificates.c.id).where(certificates.c.attempt_id == attempt_id)).first():
                raise StoreError("That exam already has its certificate.")
            cert_id = self._certificates.insert(conn, UserId(row.user_id), attempt_id, title, float(row.score),
                                                row.finished_at, expires_at, None)
            self._audit.append(conn, None, "certificate_repaired", f"attempt:{attempt_id}",
                               "issued for a passed exam that had none")
        return self._certificates.by_id(cert_id)
