"""The clinic's time zone: local days and midnights across clock changes, unknown zones, naive times refused."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from modules.core.errors import QuizError
from modules.core.records import Attempt
from modules.core.timezones import (
    day_bounds_utc,
    day_start_utc,
    local_day,
    local_day_end,
    local_day_start,
    local_text,
    to_local,
    zone,
)
from modules.core.types import AttemptKind
from modules.policy import Policy
from modules.quiz import check_quiz_allowed

LONDON = "Europe/London"
# Clocks go forward 01:00 GMT -> 02:00 BST on 29 March 2026, and back 02:00 BST -> 01:00 GMT on 25 October 2026.
SPRING_DAY, AUTUMN_DAY = date(2026, 3, 29), date(2026, 10, 25)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_zone_knows_iana_names_and_refuses_unknown_ones_with_a_clear_message():
    assert zone(LONDON).key == LONDON
    for bad in ("Mars/Olympus_Mons", "", "../etc/passwd"):
        with pytest.raises(ValueError, match="unknown time zone"):
            zone(bad)


def test_every_helper_refuses_an_unknown_zone():
    moment = utc(2026, 6, 1, 12)
    for call in (lambda: local_day(moment, "Nowhere/Atall"), lambda: local_day_start(moment, "Nowhere/Atall"),
                 lambda: local_text(moment, "Nowhere/Atall"), lambda: day_start_utc(SPRING_DAY, "Nowhere/Atall")):
        with pytest.raises(ValueError, match="Nowhere/Atall"):
            call()


@pytest.mark.parametrize("helper", [local_day, local_day_start, local_day_end, local_text, to_local])
def test_naive_and_non_utc_datetimes_are_refused(helper):
    with pytest.raises(ValueError, match="timezone-aware UTC"):
        helper(datetime(2026, 6, 1, 12), LONDON)
    with pytest.raises(ValueError, match="timezone-aware UTC"):
        helper(datetime(2026, 6, 1, 12, tzinfo=timezone(timedelta(hours=1))), LONDON)


def test_local_day_follows_the_zone_around_midnight():
    # 23:30 UTC in summer is 00:30 BST the next day; in winter London is on UTC itself.
    assert local_day(utc(2026, 6, 30, 23, 30), LONDON) == date(2026, 7, 1)
    assert local_day(utc(2026, 12, 30, 23, 30), LONDON) == date(2026, 12, 30)
    assert local_day(utc(2026, 11, 22, 23, 30), "Australia/Sydney") == date(2026, 11, 23)


def test_the_spring_forward_day_has_23_hours():
    start, end = day_start_utc(SPRING_DAY, LONDON), day_start_utc(SPRING_DAY + timedelta(days=1), LONDON)
    assert start == utc(2026, 3, 29, 0, 0)  # midnight GMT
    assert end == utc(2026, 3, 29, 23, 0)  # midnight BST
    assert end - start == timedelta(hours=23)
    noon = utc(2026, 3, 29, 12)
    assert local_day_start(noon, LONDON) == start and local_day_end(noon, LONDON) == end
    # the last hour of the UTC date is already the next local day
    assert local_day(utc(2026, 3, 29, 23, 30), LONDON) == date(2026, 3, 30)


def test_the_fall_back_day_has_25_hours_and_the_repeated_hour_stays_on_it():
    start, end = day_start_utc(AUTUMN_DAY, LONDON), day_start_utc(AUTUMN_DAY + timedelta(days=1), LONDON)
    assert start == utc(2026, 10, 24, 23, 0)  # midnight BST
    assert end == utc(2026, 10, 26, 0, 0)  # midnight GMT
    assert end - start == timedelta(hours=25)
    first_one_thirty, second_one_thirty = utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)
    assert local_text(first_one_thirty, LONDON, "%H:%M %Z") == "01:30 BST"
    assert local_text(second_one_thirty, LONDON, "%H:%M %Z") == "01:30 GMT"
    for moment in (first_one_thirty, second_one_thirty):
        assert local_day_start(moment, LONDON) == start and local_day_end(moment, LONDON) == end


def test_a_midnight_skipped_by_the_clocks_starts_the_day_at_the_first_real_instant():
    # Santiago moves 00:00 -> 01:00 on 6 September 2026: the day starts at 01:00 local, 04:00 UTC.
    assert day_start_utc(date(2026, 9, 6), "America/Santiago") == utc(2026, 9, 6, 4, 0)
    assert local_text(utc(2026, 9, 6, 4, 0), "America/Santiago", "%H:%M") == "01:00"


def test_results_are_utc_with_the_utc_object_itself():
    assert local_day_start(utc(2026, 6, 1, 12), LONDON).tzinfo is UTC
    assert local_day_end(utc(2026, 6, 1, 12), LONDON).tzinfo is UTC


def test_day_bounds_cover_whole_local_days_and_leave_missing_ends_open():
    assert day_bounds_utc(date(2026, 6, 1), date(2026, 6, 2), LONDON) == (utc(2026, 5, 31, 23), utc(2026, 6, 2, 23))
    assert day_bounds_utc(SPRING_DAY, SPRING_DAY, LONDON) == (utc(2026, 3, 29, 0), utc(2026, 3, 29, 23))
    assert day_bounds_utc(None, AUTUMN_DAY, LONDON) == (None, utc(2026, 10, 26, 0))
    assert day_bounds_utc(AUTUMN_DAY, None, LONDON) == (utc(2026, 10, 24, 23), None)
    assert day_bounds_utc(None, None, LONDON) == (None, None)


def test_local_text_uses_the_wall_clock_of_the_zone():
    assert local_text(utc(2026, 6, 1, 8, 5), LONDON) == "01 Jun 2026 09:05"
    assert local_text(utc(2026, 12, 1, 8, 5), LONDON, "%Y-%m-%d %H:%M") == "2026-12-01 08:05"
    assert to_local(utc(2026, 6, 1, 8, 5), LONDON).utcoffset() == timedelta(hours=1)


def test_the_next_quiz_try_opens_at_local_midnight_on_a_clock_change_day():
    # Adding 24 hours to the day's start would say 01:00 here; the next local day starts at 00:00 BST.
    now = utc(2026, 3, 29, 12)
    used = [Attempt(id=1, user_id=1, kind=AttemptKind.QUIZ, module_id="skin-science", started_at=now, deadline=None,
                    questions=None, policy=None, result=None)]
    with pytest.raises(QuizError, match="opens at 00:00 on 30 Mar 2026"):
        check_quiz_allowed(used, "skin-science", Policy(quiz_attempts_per_day=1), now, LONDON)
