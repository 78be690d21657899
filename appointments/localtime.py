"""Wall-clock times in a clinic's timezone, converted to UTC without DST surprises.

Practitioners think in local wall time ("10:00 every Tuesday"), the database stores
UTC. zoneinfo does the arithmetic; these helpers add the two checks it leaves to us:
a local time that does not exist (the hour skipped when the clocks go forward) and
days that are 23 or 25 hours long.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


class NonexistentLocalTime(ValueError):
    """The wall-clock time falls in the hour skipped when the clocks go forward."""


def clinic_zone(clinic) -> ZoneInfo:
    return ZoneInfo(clinic.timezone)


def local_to_utc(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    naive = dt.datetime.combine(day, time.replace(tzinfo=None, second=0, microsecond=0))
    # fold=0: a time repeated when the clocks go back means its first occurrence.
    aware = naive.replace(tzinfo=tz)
    utc = aware.astimezone(dt.UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        raise NonexistentLocalTime(f"{naive:%H:%M} does not exist on {naive:%Y-%m-%d} in {tz.key}")
    return utc


def local_day_bounds(day: dt.date, tz: ZoneInfo, days: int = 1) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants of local midnight at the start of `day` and `days` later."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=days), dt.time.min, tzinfo=tz).astimezone(dt.UTC)
    return start, end


def short_date(day: dt.date | dt.datetime) -> str:
    """'Tue 3 Mar': strftime has no portable day-of-month without a leading zero."""
    return f"{day:%a} {day.day} {day:%b}"


def local_today(tz_name: str, now: dt.datetime) -> dt.date:
    """The date it is at `now` on a wall clock in `tz_name` (a client's or a clinic's)."""
    return now.astimezone(ZoneInfo(tz_name)).date()
