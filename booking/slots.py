"""Free slots: when a treatment type can be booked, with whom.

A slot is free when it lies inside one of the practitioner's working-hours intervals
(wall-clock times in the clinic's time zone, turned into instants through
accounts/localtime.py, so the day the clocks change gives the right instants), and the
time it takes plus the buffer after it touches none of: the practitioner's time off,
their blocking appointments (each with its own treatment type's buffer after it), and
the holds of other clients who are booking online (booking/models.py, BookingHold).

The clinic's booking notice bounds it: no slot starts sooner than `min_notice_hours`
from now, nor later than `horizon_weeks` ahead (docs/domain.md, "Online booking").

Start times step by the clinic's `slot_step_minutes` from the start of each interval,
in real minutes: on the night the clocks go back, a 00:00-03:00 interval has four hours
of slots and 01:00 comes twice, each its own instant.

One query per table (settings, working hours, time off, appointments, holds), whatever
the number of days.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from accounts.localtime import local_day_bounds, local_to_utc, local_zone
from accounts.models import Clinic, User
from appointments.models import Appointment, TimeOff, TreatmentType, WorkingHours

from .models import BookingHold, BookingSettings

# The longest buffer an appointment can have (appointments/models.py); an appointment that
# ended this long before the range can still block its start.
_MAX_BUFFER = dt.timedelta(minutes=120)


@dataclass(frozen=True)
class Slot:
    practitioner: User
    starts_at: dt.datetime
    ends_at: dt.datetime


class _Busy:
    """One practitioner's busy intervals, merged and sorted, for a quick "is this free?"."""

    def __init__(self, intervals: list[tuple[dt.datetime, dt.datetime]]):
        merged: list[list[dt.datetime]] = []
        for start, end in sorted(intervals):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [m[0] for m in merged]
        self.ends = [m[1] for m in merged]

    def is_free(self, start: dt.datetime, end: dt.datetime) -> bool:
        # The first busy interval ending after `start` is the only one that can overlap.
        i = bisect.bisect_right(self.ends, start)
        return i == len(self.starts) or self.starts[i] >= end


def booking_window(settings: BookingSettings, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The earliest and (exclusive) latest start a client may book at `now`."""
    return (
        now + dt.timedelta(hours=settings.min_notice_hours),
        now + dt.timedelta(weeks=settings.horizon_weeks),
    )


def free_slots(
    clinic: Clinic,
    treatment_type: TreatmentType,
    *,
    practitioner: User | None = None,
    start: dt.date,
    days: int,
    now: dt.datetime | None = None,
    settings: BookingSettings | None = None,
    ignore_hold: BookingHold | None = None,
) -> list[Slot]:
    """The free slots for `treatment_type` on the `days` local days from `start`, in time order.

    `practitioner=None` means anyone at the clinic (several slots may share a time, one per
    practitioner). `settings` saves its query where the caller already has it; `ignore_hold`
    leaves one hold out (the client's own, when they pick again).
    """
    now = now or timezone.now()
    settings = settings or BookingSettings.for_clinic(clinic)
    tz = local_zone(clinic)
    range_start, range_end = local_day_bounds(start, tz, days)
    earliest, latest = booking_window(settings, now)
    if max(range_start, earliest) >= min(range_end, latest):
        return []
    length = dt.timedelta(minutes=treatment_type.duration_minutes)
    taken = length + dt.timedelta(minutes=treatment_type.buffer_after_minutes)
    step = dt.timedelta(minutes=settings.slot_step_minutes)

    who = Q(clinic=clinic) & (Q(practitioner=practitioner) if practitioner else Q(practitioner__is_active=True))
    hours = list(WorkingHours.objects.filter(who).select_related("practitioner"))
    if not hours:
        return []
    overlapping = Q(starts_at__lt=range_end + taken, ends_at__gt=range_start - _MAX_BUFFER)
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for p, s, e in TimeOff.objects.filter(who, overlapping).values_list("practitioner_id", "starts_at", "ends_at"):
        busy[p].append((s, e))
    appointments = Appointment.objects.filter(who, overlapping, status__in=Appointment.BLOCKING)
    for p, s, e, buffer in appointments.values_list(
        "practitioner_id", "starts_at", "ends_at", "treatment_type__buffer_after_minutes"
    ):
        busy[p].append((s, e + dt.timedelta(minutes=buffer or 0)))
    holds = BookingHold.objects.filter(who, overlapping, BookingHold.blocking(now))
    if ignore_hold is not None:
        holds = holds.exclude(pk=ignore_hold.pk)
    for p, s, e, buffer in holds.values_list(
        "practitioner_id", "starts_at", "ends_at", "treatment_type__buffer_after_minutes"
    ):
        busy[p].append((s, e + dt.timedelta(minutes=buffer)))
    busy_by_practitioner = {p: _Busy(intervals) for p, intervals in busy.items()}
    nobody_busy = _Busy([])

    by_weekday: dict[int, list[WorkingHours]] = defaultdict(list)
    for interval in hours:
        by_weekday[interval.weekday].append(interval)
    slots: dict[tuple[int, dt.datetime], Slot] = {}  # overlapping intervals of one person offer a time once
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        for interval in by_weekday.get(day.weekday(), ()):
            opens, closes = local_to_utc(day, interval.starts, tz), local_to_utc(day, interval.ends, tz)
            taken_by = busy_by_practitioner.get(interval.practitioner_id, nobody_busy)
            at = opens
            while at + length <= closes:
                if earliest <= at < latest and taken_by.is_free(at, at + taken):
                    slots[interval.practitioner_id, at] = Slot(interval.practitioner, at, at + length)
                at += step
    return sorted(slots.values(), key=lambda s: (s.starts_at, str(s.practitioner), s.practitioner.pk))
