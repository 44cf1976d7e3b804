"""The clinic's time zone, in one place: local days, local midnights and local text for UTC instants.

Every instant inside the platform is timezone-aware UTC; the clinic's zone (an IANA name such as
"Europe/London") is used only to decide which calendar day an instant falls on and to show it. Local midnights
are found on the calendar, never by adding 24 hours, so days of 23 or 25 hours (clock changes) come out right.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from modules.core.clock import require_utc

__all__ = ["day_bounds_utc", "day_start_utc", "local_day", "local_day_end", "local_day_start", "local_text",
           "to_local", "zone"]

DEFAULT_FORMAT = "%d %b %Y %H:%M"


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    """The zone called `name`; a clear ValueError for a name the IANA database does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as 'Europe/London'") from error


def to_local(moment: datetime, zone_name: str) -> datetime:
    """The UTC `moment` as wall-clock time in `zone_name` (aware, with that zone's offset)."""
    return require_utc(moment).astimezone(zone(zone_name))


def local_day(moment: datetime, zone_name: str) -> date:
    """The calendar day in `zone_name` on which the UTC `moment` falls."""
    return to_local(moment, zone_name).date()


def day_start_utc(day: date, zone_name: str) -> datetime:
    """The UTC instant at which the local calendar `day` begins in `zone_name`."""
    # fold=0 picks the first of two midnights when clocks go back at midnight; a midnight skipped by clocks
    # going forward maps to the instant the day really starts.
    return datetime.combine(day, time(0), tzinfo=zone(zone_name)).astimezone(UTC)


def local_day_start(moment: datetime, zone_name: str) -> datetime:
    """The UTC instant at which the local day containing `moment` began."""
    return day_start_utc(local_day(moment, zone_name), zone_name)


def local_day_end(moment: datetime, zone_name: str) -> datetime:
    """The UTC instant at which the local day containing `moment` ends (the next local day's start)."""
    return day_start_utc(local_day(moment, zone_name) + timedelta(days=1), zone_name)


def day_bounds_utc(first: date | None, last: date | None,
                   zone_name: str) -> tuple[datetime | None, datetime | None]:
    """Local calendar days [first, last] as a half-open UTC interval [since, until); None leaves that end open."""
    since = day_start_utc(first, zone_name) if first is not None else None
    until = day_start_utc(last + timedelta(days=1), zone_name) if last is not None else None
    return since, until


def local_text(moment: datetime, zone_name: str, fmt: str = DEFAULT_FORMAT) -> str:
    """The UTC `moment` written in `zone_name` with the strftime format `fmt`, e.g. '23 Nov 2026 09:00'."""
    return to_local(moment, zone_name).strftime(fmt)
