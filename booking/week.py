"""A week of free slots on a client's page: the public booking page and the "move to another
time" page of a change link show the same week, a day at a time, with "Earlier times" and
"Later times" (booking/templates/booking/_slot_week.html draws it).

Neither goes before today nor past the clinic's horizon (docs/domain.md, "Online booking"):
no slot lies outside them, so no page of empty days is offered either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from zoneinfo import ZoneInfo

from .slots import Slot

DAYS = 7  # a week at a time


@dataclass(frozen=True)
class SlotWeek:
    start: dt.date
    end: dt.date  # the last day shown
    days: list[tuple[dt.date, list[Slot]]]  # the days that have slots, each with its slots in time order
    earlier: str  # the page of the week before, "" from today
    later: str  # the page of the week after, "" past the horizon


def week_start(asked: dt.date | None, *, today: dt.date, last: dt.date, otherwise: dt.date) -> dt.date:
    """The first day to show: the one asked for (`?from=`) kept between today and `last` (the
    horizon's day), else `otherwise`."""
    if asked is None:
        return otherwise
    return min(max(asked, today), last)


def slot_week(
    slots: Sequence[Slot], *, start: dt.date, today: dt.date, last: dt.date, tz: ZoneInfo, url: Callable[[dt.date], str]
) -> SlotWeek:
    """The week from `start` of `slots` (in time order), its neighbours' pages as `url(first day)`."""
    later = start + dt.timedelta(days=DAYS)
    return SlotWeek(
        start=start,
        end=later - dt.timedelta(days=1),
        days=[(day, list(group)) for day, group in groupby(slots, key=lambda s: s.starts_at.astimezone(tz).date())],
        earlier=url(max(start - dt.timedelta(days=DAYS), today)) if start > today else "",
        later=url(later) if later <= last else "",
    )
