"""Certificates as stored: issue one for a passed exam, read them, revoke one with a new attributed row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, insert, select

from modules.core.clock import require_utc
from modules.core.codes import new_certificate_code
from modules.core.errors import PermissionDenied, StoreError
from modules.core.records import Actor, Certificate, require_manager, require_staff
from modules.core.types import AttemptId, CertificateCode, CertificateId, UserId
from modules.store.audit import AuditLog
from modules.store.database import Database, inserted_id
from modules.store.schema import certificate_revocations, certificates, users

_CODES_PER_READ = 500  # well under SQLite's limit on bound parameters, for an audit export of a chain's history

class Certificates:
    def __init__(self, db: Database, audit: AuditLog):
        self._db = db
        self._audit = audit

    def issue(self, user_id: UserId, attempt_id: AttemptId | None, title: str, score: float, expires_at: datetime,
              issued_at: datetime | None = None, actor: Actor | None = None) -> Certificate:
        with self._db.write(serialised=True) as conn:
            cert_id = self.insert(conn, user_id, attempt_id, title, score, issued_at or self._db.clock(), expires_at,
                                  actor)
        return self.by_id(cert_id)

    def insert(self, conn: Connection, user_id: UserId, attempt_id: AttemptId | None, title: str, score: float,
               issued_at: datetime, expires_at: datetime, actor: Actor | None) -> CertificateId:
        """A new certificate with a fresh code, audited and sealed, inside the caller's write transaction."""
        while True:
            code = new_certificate_code()
            if not conn.execute(select(certificates.c.id).where(certificates.c.code == code)).first():
                break
        cert_id = CertificateId(inserted_id(conn.execute(insert(certificates).values(
            code=code, user_id=user_id, attempt_id=attempt_id, title=title, issued_at=require_utc(issued_at),
            expires_at=require_utc(expires_at), score=float(score)))))
        self._audit.append(conn, actor, "certificate_issued", f"certificate:{code}",
                           {"user_id": user_id, "attempt_id": attempt_id})
        self._audit.seal(conn, "certificates", cert_id)
        return cert_id

    def _select(self, *where: ColumnElement[bool]) -> list[Certificate]:
        revoked = (select(certificate_revocations.c.certificate_id,
                          func.min(certificate_revocations.c.revoked_at).label("revoked_at"))
                   .group_by(certificate_revocations.c.certificate_id).subquery())
        query = (select(certificates, users.c.full_name, revoked.c.revoked_at)
                 .join(users, users.c.id == certificates.c.user_id)
                 .outerjoin(revoked, revoked.c.certificate_id == certificates.c.id)
                 .where(*where).order_by(certificates.c.issued_at, certificates.c.id))
        with self._db.read() as conn:
            rows = conn.execute(query).all()
            revoked_ids = [row.id for row in rows if row.revoked_at is not None]
            reasons: dict[Any, str] = {r.certificate_id: r.reason for r in conn.execute(
                select(certificate_revocations).where(certificate_revocations.c.certificate_id.in_(revoked_ids))
                .order_by(certificate_revocations.c.id.desc()))} if revoked_ids else {}
        return [Certificate(CertificateId(row.id), CertificateCode(row.code), UserId(row.user_id),
                            None if row.attempt_id is None else AttemptId(row.attempt_id), row.title, row.issued_at,
                            row.expires_at, row.score, row.full_name, row.revoked_at, reasons.get(row.id))
                for row in rows]

    def by_id(self, certificate_id: CertificateId) -> Certificate:
        found = self._select(certificates.c.id == certificate_id)
        if not found:
            raise StoreError("There is no such certificate.")
        return found[0]

    def for_user(self, actor: Actor, user_id: UserId) -> list[Certificate]:
        if not actor.may_read(user_id):
            raise PermissionDenied("You can only see your own certificates.")
        return self._select(certificates.c.user_id == user_id)

    def every(self, actor: Actor) -> list[Certificate]:
        """Every certificate ever issued, for the register."""
        require_staff(actor, "see the certification register")
        return self._select()

    def find(self, code: str) -> Certificate | None:
        """For the public verify page: the certificate with this code, or None."""
        found = self._select(certificates.c.code == code.strip().upper())
        return found[0] if found else None

    def revoked_ids(self) -> list[CertificateId]:
        """The id of every certificate ever revoked, for the public revocation list (ids are all it says): read
        from the revocations alone, not by building every certificate."""
        query = select(certificate_revocations.c.certificate_id).distinct().order_by(
            certificate_revocations.c.certificate_id)
        with self._db.read() as conn:
            return [CertificateId(row.certificate_id) for row in conn.execute(query)]

    def holders(self, actor: Actor, codes: Iterable[str]) -> dict[str, UserId]:
        """Whose certificate each code is, for the audit log to name them; unknown codes are left out."""
        require_manager(actor, "read the audit log")
        wanted = sorted(set(codes))
        found: dict[str, UserId] = {}
        with self._db.read() as conn:
            for start in range(0, len(wanted), _CODES_PER_READ):
                chunk = wanted[start:start + _CODES_PER_READ]
                found.update((row.code, UserId(row.user_id)) for row in conn.execute(
                    select(certificates.c.code, certificates.c.user_id).where(certificates.c.code.in_(chunk))))
        return found

    def revoke(self, certificate_id: CertificateId, actor: Actor, reason: str) -> None:
        """A revocation is a new, attributed row; the certificate row itself never changes."""
        require_manager(actor, "revoke a certificate")
        if not reason.strip():
            raise StoreError("Please give a reason for the revocation.")
        with self._db.write(serialised=True) as conn:
            code = conn.execute(select(certificates.c.code).where(certificates.c.id == certificate_id)).scalar()
            if code is None:
                raise StoreError("There is no such certificate.")
            if conn.execute(select(certificate_revocations.c.id)
                            .where(certificate_revocations.c.certificate_id == certificate_id)).first():
                raise StoreError("This certificate is already revoked.")
            revocation_id = inserted_id(conn.execute(insert(certificate_revocations).values(
                certificate_id=certificate_id, revoked_by=actor.user_id, revoked_at=self._db.clock(),
                reason=reason.strip())))
            self._audit.seal(conn, "certificate_revocations", revocation_id)
            self._audit.append(conn, actor, "certificate_revoked", f"certificate:{code}", reason.strip())
