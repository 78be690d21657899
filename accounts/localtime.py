"""Local wall-clock time for clinics and clients, with one daylight-saving policy.

People think in local wall time ("10:00 every Tuesday", "my routine at 07:30"); the
database stores UTC. Clinics and clients each have a `timezone` (an IANA name), so
every conversion between the two goes through here.

The daylight-saving policy (docs/domain.md, "Local time"), the same for every caller:

- A wall time that happens twice, when the clocks go back, means its first occurrence
  (01:30 on the last Sunday of October in London is 01:30 BST, 00:30 UTC).
- A wall time that never happens, when the clocks go forward, means the moment the
  clocks change: the first instant whose local reading is at or after it (01:30 on the
  last Sunday of March in London is 02:00 BST, 01:00 UTC). A routine email set for
  01:30 goes out then, once.
- Where a person types a one-off date and time (booking an appointment), a skipped time
  is refused with a message instead of being moved for them: forms ask `is_skipped`
  before converting.

Days are 23 or 25 hours long on those days, so a local day is bounded by its two local
midnights (`local_day_bounds`), never by adding 24 hours.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone


def local_zone(owner) -> ZoneInfo:
    """The timezone of a clinic or a client (anything with `timezone`), or of a zone name."""
    return ZoneInfo(owner if isinstance(owner, str) else owner.timezone)


def local_now(owner, now: dt.datetime | None = None) -> dt.datetime:
    """The wall-clock time of a clinic or client (or zone name) now, aware, in its timezone."""
    return (now or timezone.now()).astimezone(local_zone(owner))


def local_today(owner, now: dt.datetime | None = None) -> dt.date:
    """The local date of a clinic or client (or zone name) now."""
    return local_now(owner, now).date()


def _wall(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time.replace(tzinfo=None))


def is_skipped(day: dt.date, time: dt.time, tz: ZoneInfo) -> bool:
    """Whether `time` never shows on the clock on `day`: the clocks went forward over it."""
    naive = _wall(day, time)
    return naive.replace(tzinfo=tz).astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != naive


def local_to_utc(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of wall time `time` on `day` in `tz`, by the policy above."""
    naive = _wall(day, time)
    # fold=0: a repeated time means its first occurrence.
    utc = naive.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
    if not is_skipped(day, time, tz):
        return utc
    # Skipped: read with fold=1 it takes the new offset and lands just before the
    # change; step forward to the change itself (changes fall on whole minutes).
    instant = naive.replace(tzinfo=tz, fold=1).astimezone(dt.UTC)
    while instant.astimezone(tz).replace(tzinfo=None) < naive:
        instant += dt.timedelta(minutes=1)
    return instant


def local_day_bounds(day: dt.date, tz: ZoneInfo, days: int = 1) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants of local midnight at the start of `day` and `days` later."""
    return local_to_utc(day, dt.time.min, tz), local_to_utc(day + dt.timedelta(days=days), dt.time.min, tz)


def short_date(day: dt.date | dt.datetime) -> str:
    """'Tue 3 Mar': strftime has no portable day-of-month without a leading zero."""
    return f"{day:%a} {day.day} {day:%b}"
