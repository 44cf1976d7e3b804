"""Injectable UTC clock, so tests of expiry, cooldowns and deadlines never sleep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def require_utc(moment: datetime) -> datetime:
    """Refuse naive datetimes: every time inside the platform is timezone-aware UTC."""
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        raise ValueError(f"expected a timezone-aware UTC datetime, got {moment!r}")
    return moment


class FixedClock:
    """A clock for tests: returns `now` until moved with `advance`."""

    def __init__(self, now: datetime):
        self.now = require_utc(now)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now
