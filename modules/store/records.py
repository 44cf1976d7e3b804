"""The record store's history beyond attempts: certificates, revocations, sign-offs, lessons read, review cards and
the hash-chained audit log. Mixed into `modules.store.Store`, which provides the transactions.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, text

from modules.certificates import new_certificate_code
from modules.core.clock import require_utc
from modules.core.types import CertificateCode, ModuleId, QuestionId, Role, UserId
from modules.core.errors import PermissionDenied, StoreError
from modules.core.records import Actor, AuditRow, Certificate, ReviewCard, Signoff
from modules.store.schema import (
    GENESIS_HASH,
    audit_hash,
    audit_log,
    certificate_revocations,
    certificates,
    dumps,
    lesson_reads,
    loads,
    practical_signoffs,
    review_cards,
    users,
)


_PG_WRITE_LOCK = 748_201  # pg_advisory_xact_lock key: serialises writers that extend the audit chain


class RecordsMixin:
    # ---- certificates ---------------------------------------------------------------------------

    def issue_certificate(self, user_id: int, attempt_id: int | None, title: str, score: float,
                          expires_at: datetime, issued_at: datetime | None = None,
                          actor: Actor | None = None) -> Certificate:
        issued = require_utc(issued_at or self.clock())
        with self._write(serialised=True) as conn:
            while True:
                code = new_certificate_code()
                if not conn.execute(select(certificates.c.id).where(certificates.c.code == code)).first():
                    break
            cert_id = conn.execute(insert(certificates).values(
                code=code, user_id=user_id, attempt_id=attempt_id, title=title, issued_at=issued,
                expires_at=require_utc(expires_at), score=float(score))).inserted_primary_key[0]
            self._append_audit(conn, actor, "certificate_issued", f"certificate:{code}", {"user_id": user_id})
        return self._certificates(certificates.c.id == cert_id)[0]

    def _certificates(self, *where) -> list[Certificate]:
        revoked = (select(certificate_revocations.c.certificate_id,
                          func.min(certificate_revocations.c.revoked_at).label("revoked_at"))
                   .group_by(certificate_revocations.c.certificate_id).subquery())
        query = (select(certificates, users.c.full_name, revoked.c.revoked_at)
                 .join(users, users.c.id == certificates.c.user_id)
                 .outerjoin(revoked, revoked.c.certificate_id == certificates.c.id)
                 .where(*where).order_by(certificates.c.issued_at, certificates.c.id))
        with self._read() as conn:
            rows = conn.execute(query).all()
            revoked_ids = [row.id for row in rows if row.revoked_at is not None]
            reasons = {r.certificate_id: r.reason for r in conn.execute(
                select(certificate_revocations).where(certificate_revocations.c.certificate_id.in_(revoked_ids))
                .order_by(certificate_revocations.c.id.desc()))} if revoked_ids else {}
        return [Certificate(row.id, CertificateCode(row.code), UserId(row.user_id), row.attempt_id, row.title,
                            row.issued_at, row.expires_at, row.score, row.full_name, row.revoked_at,
                            reasons.get(row.id)) for row in rows]

    def certificates_for(self, actor: Actor, user_id: int) -> list[Certificate]:
        if not actor.may_read(user_id):
            raise PermissionDenied("You can only see your own certificates.")
        return self._certificates(certificates.c.user_id == user_id)

    def all_certificates(self, actor: Actor) -> list[Certificate]:
        if Role(actor.role) == Role.TECHNICIAN:
            raise PermissionDenied("Only trainers and managers can see the certification register.")
        return self._certificates()

    def find_certificate(self, code: str) -> Certificate | None:
        """For the public verify page: the certificate with this code, or None."""
        found = self._certificates(certificates.c.code == code.strip().upper())
        return found[0] if found else None

    def revoke_certificate(self, certificate_id: int, actor: Actor, reason: str) -> None:
        """A revocation is a new, attributed row; the certificate row itself never changes."""
        if Role(actor.role) != Role.MANAGER:
            raise PermissionDenied("Only a manager may revoke a certificate.")
        if not reason.strip():
            raise StoreError("Please give a reason for the revocation.")
        with self._write(serialised=True) as conn:
            code = conn.execute(select(certificates.c.code).where(certificates.c.id == certificate_id)).scalar()
            if code is None:
                raise StoreError("There is no such certificate.")
            if conn.execute(select(certificate_revocations.c.id)
                            .where(certificate_revocations.c.certificate_id == certificate_id)).first():
                raise StoreError("This certificate is already revoked.")
            conn.execute(insert(certificate_revocations).values(
                certificate_id=certificate_id, revoked_by=actor.user_id, revoked_at=self.clock(), reason=reason.strip()))
            self._append_audit(conn, actor, "certificate_revoked", f"certificate:{code}", reason.strip())

    # ---- practical sign-offs, lessons, review cards --------------------------------------------

    def record_signoff(self, technician_id: int, trainer: Actor, treated_on: date, checklist: dict[str, Any],
                       comment: str = "") -> int:
        if Role(trainer.role) == Role.TECHNICIAN:
            raise PermissionDenied("Only a trainer or manager may sign off a practical treatment.")
        with self._write(serialised=True) as conn:
            signoff_id = conn.execute(insert(practical_signoffs).values(
                technician_id=technician_id, trainer_id=trainer.user_id, treated_on=treated_on,
                checklist_json=dumps(checklist), comment=comment, signed_at=self.clock())).inserted_primary_key[0]
            self._append_audit(conn, trainer, "practical_signed_off", f"user:{technician_id}",
                               {"signoff_id": signoff_id, "treated_on": treated_on.isoformat()})
        return signoff_id

    def signoffs_for(self, user_id: int) -> list[Signoff]:
        query = (select(practical_signoffs).where(practical_signoffs.c.technician_id == user_id)
                 .order_by(practical_signoffs.c.treated_on, practical_signoffs.c.id))
        with self._read() as conn:
            return [Signoff(r.id, UserId(r.technician_id), UserId(r.trainer_id), r.treated_on, loads(r.checklist_json),
                            r.comment, r.signed_at) for r in conn.execute(query)]

    def mark_lesson_read(self, user_id: int, module_id: str) -> None:
        with self._write() as conn:
            conn.execute(insert(lesson_reads).values(user_id=user_id, module_id=module_id, read_at=self.clock()))

    def lessons_read(self, user_id: int) -> dict[ModuleId, datetime]:
        """Each module's lesson the user has opened, with the first time they did."""
        query = (select(lesson_reads.c.module_id, func.min(lesson_reads.c.read_at).label("first"))
                 .where(lesson_reads.c.user_id == user_id).group_by(lesson_reads.c.module_id))
        with self._read() as conn:
            return {ModuleId(r.module_id): r.first for r in conn.execute(query)}

    def save_review_card(self, user_id: int, question_id: str, card: dict[str, Any] | str, due_at: datetime) -> int:
        """Append the card's new state; the latest row per (user, question) is the current card."""
        card_json = card if isinstance(card, str) else dumps(card)
        with self._write() as conn:
            return conn.execute(insert(review_cards).values(
                user_id=user_id, question_id=question_id, card_json=card_json, due_at=require_utc(due_at),
                updated_at=self.clock())).inserted_primary_key[0]

    def current_review_cards(self, user_id: int) -> list[ReviewCard]:
        latest = (select(func.max(review_cards.c.id)).where(review_cards.c.user_id == user_id)
                  .group_by(review_cards.c.question_id))
        query = select(review_cards).where(review_cards.c.id.in_(latest)).order_by(review_cards.c.due_at)
        with self._read() as conn:
            return [ReviewCard(r.id, UserId(r.user_id), QuestionId(r.question_id), r.card_json, r.due_at, r.updated_at)
                    for r in conn.execute(query)]

    # ---- audit log --------------------------------------------------------------------------------

    def _append_audit(self, conn: Connection, actor: Actor | None, action: str, target: str,
                      detail: str | dict[str, Any], actor_username: str | None = None) -> None:
        if self._postgres:  # no-op when the transaction already holds it
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_WRITE_LOCK})
        if actor_username is None:
            actor_username = "system" if actor is None else conn.execute(
                select(users.c.username).where(users.c.id == actor.user_id)).scalar_one()
        last = conn.execute(select(audit_log.c.id, audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).first()
        row = {"id": last.id + 1 if last else 1, "at": self.clock(), "actor_id": actor.user_id if actor else None,
               "actor_username": actor_username, "action": action, "target": target[:200],
               "detail": detail if isinstance(detail, str) else dumps(detail)}
        row["prev_hash"] = last.hash if last else GENESIS_HASH
        row["hash"] = audit_hash(row["prev_hash"], row)
        conn.execute(insert(audit_log), row)

    def audit(self, actor: Actor | None, action: str, target: str, detail: str | dict[str, Any] = "", *,
              actor_username: str | None = None) -> None:
        with self._write(serialised=True) as conn:
            self._append_audit(conn, actor, action, target, detail, actor_username)

    def audit_rows(self, actor: Actor, *, action: str | None = None, actor_id: int | None = None,
                   target: str | None = None, since: datetime | None = None, until: datetime | None = None,
                   limit: int | None = 1000) -> list[AuditRow]:
        """Newest first. Managers only."""
        if Role(actor.role) != Role.MANAGER:
            raise PermissionDenied("Only a manager may read the audit log.")
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        for column, value in ((audit_log.c.action, action), (audit_log.c.actor_id, actor_id),
                              (audit_log.c.target, target)):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(audit_log.c.at >= since)
        if until is not None:
            query = query.where(audit_log.c.at < until)
        with self._read() as conn:
            return [AuditRow(r.id, r.at, r.actor_id, r.actor_username, r.action, r.target, r.detail, r.prev_hash,
                             r.hash) for r in conn.execute(query)]

    def verify_audit_chain(self) -> int | None:
        """The id of the first row whose hash or link does not match (edited, or a row before it deleted)."""
        prev_hash, last_id = GENESIS_HASH, None
        with self._read() as conn:
            while True:  # pages by id, so a long log is never held in memory at once
                query = select(audit_log).order_by(audit_log.c.id).limit(1000)
                page = conn.execute(query if last_id is None else query.where(audit_log.c.id > last_id)).all()
                if not page:
                    return None
                for row in page:
                    if row.prev_hash != prev_hash or audit_hash(prev_hash, row._asdict()) != row.hash:
                        return row.id
                    prev_hash = row.hash
                last_id = page[-1].id
