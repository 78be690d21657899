"""accounts/localtime.py: the one daylight-saving policy (docs/domain.md, "Local time")."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from accounts.localtime import is_skipped, local_day_bounds, local_to_utc, local_today

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC
SPRING = dt.date(2026, 3, 29)  # clocks forward at 01:00 GMT
AUTUMN = dt.date(2026, 10, 25)  # clocks back at 02:00 BST


def test_a_time_in_the_hour_skipped_in_spring_is_skipped_and_means_the_change():
    assert is_skipped(SPRING, dt.time(1, 30), LONDON)
    assert local_to_utc(SPRING, dt.time(1, 30), LONDON) == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_a_time_repeated_in_autumn_exists_and_means_its_first_occurrence():
    assert not is_skipped(AUTUMN, dt.time(1, 30), LONDON)
    assert local_to_utc(AUTUMN, dt.time(1, 30), LONDON) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_clock_change_days_are_23_and_25_hours_long():
    spring_start, spring_end = local_day_bounds(SPRING, LONDON)
    autumn_start, autumn_end = local_day_bounds(AUTUMN, LONDON)
    assert (spring_end - spring_start, autumn_end - autumn_start) == (dt.timedelta(hours=23), dt.timedelta(hours=25))


def test_a_client_far_west_is_still_on_yesterday():
    late_evening_utc = dt.datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    assert local_today("America/Los_Angeles", late_evening_utc) == dt.date(2026, 5, 31)
    assert local_today("Europe/London", late_evening_utc) == dt.date(2026, 6, 1)
