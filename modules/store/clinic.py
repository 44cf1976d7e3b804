"""The clinic's own settings in the database (its name, its public address), each change a new attributed row."""

from __future__ import annotations

from sqlalchemy import func, insert, select

from modules.core.records import Actor, require_manager
from modules.store.audit import AuditLog
from modules.store.database import Database
from modules.store.schema import clinic_settings

KEYS = ("clinic_name", "public_address")


class ClinicSettings:
    def __init__(self, db: Database, audit: AuditLog):
        self._db = db
        self._audit = audit

    def set(self, key: str, value: str, actor: Actor | None) -> None:
        """Record a new value (actor None: the first-run page, before any account exists)."""
        if key not in KEYS:
            raise ValueError(f"unknown clinic setting {key!r}")
        require_manager(actor, "change the clinic's settings")
        with self._db.write(serialised=True) as conn:
            conn.execute(insert(clinic_settings).values(key=key, value=value, set_by=actor.user_id if actor else None,
                                                        set_at=self._db.clock()))
            self._audit.append(conn, actor, "clinic_setting_changed", f"clinic:{key}", {"value": value})

    def current(self) -> dict[str, str]:
        """The value in force for each key that has ever been set."""
        newest = select(func.max(clinic_settings.c.id)).group_by(clinic_settings.c.key)
        with self._db.read() as conn:
            return {row.key: row.value for row in conn.execute(
                select(clinic_settings.c.key, clinic_settings.c.value).where(clinic_settings.c.id.in_(newest)))}
