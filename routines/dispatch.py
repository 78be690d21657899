"""Routine emails on the clock: the rows each dispatch pass creates for routines.

The outbox's dispatcher (outbox/dispatch.py) calls `create_due` on every pass through
the routine email kind (routines/email_kinds.py). A pass is safe to run twice or at the
same time as another: rows are created with INSERT ... ON CONFLICT DO NOTHING against
the database's one-email-per-routine-per-local-day constraint.

A routine whose time has come today gets its row on the first pass after that time,
so a scheduler that was down catches up the same day; a past day's row is never
created, and one that never went out is marked skipped.

The work is a few queries per distinct client timezone, however many routines.
"""

from __future__ import annotations

import datetime as dt

from accounts.localtime import local_now
from clients.models import RECIPIENT_FIELDS, recipient
from outbox.kinds import Produced
from outbox.models import Delivery
from outbox.services import deliveries_insert

from .models import Routine
from .schedule import due_condition, matches_frequency

PAST_DAY = "Not sent: the day had passed"


def _routine_timezones() -> list[str]:
    active = Routine.objects.filter(status__in=[Routine.Status.ACTIVE, Routine.Status.PAUSED])
    pending = Delivery.objects.filter(kind=Delivery.Kind.ROUTINE, status=Delivery.Status.PENDING)
    zones = set(active.order_by().values_list("client__timezone", flat=True).distinct())
    zones |= set(pending.order_by().values_list("client__timezone", flat=True).distinct())
    return sorted(zones)


def _expire_past_days(tz: str, local_date: dt.date) -> int:
    return Delivery.objects.filter(
        kind=Delivery.Kind.ROUTINE, status=Delivery.Status.PENDING, client__timezone=tz, local_date__lt=local_date
    ).update(status=Delivery.Status.SKIPPED, last_error=PAST_DAY, next_attempt_at=None)


def _create_routine_emails(tz: str, local_now: dt.datetime) -> int:
    local_date = local_now.date()
    # Comparing wall-clock times makes daylight-saving days right: a time skipped when
    # the clocks go forward is passed at the first instant after it; a time repeated
    # when they go back is passed at its first occurrence, and the row exists after that.
    # NOT IN over a hashed list of today's rows, rather than NOT EXISTS: right after a big
    # insert the planner's statistics still say the table is empty, and NOT EXISTS then
    # scans it once per routine (seconds at 20,000 routines).
    already = Delivery.objects.filter(
        kind=Delivery.Kind.ROUTINE, local_date=local_date, routine__isnull=False, client__timezone=tz
    ).values("routine_id")
    candidates = (
        Routine.objects.filter(
            due_condition(local_date),
            client__timezone=tz,
            client__routine_time__lte=local_now.time().replace(tzinfo=None),
        )
        .exclude(pk__in=already)
        .order_by()
        .values_list(
            "pk", "clinic_id", "client_id", *RECIPIENT_FIELDS, "frequency", "weekdays", "every_n_days", "starts_on"
        )
    )
    rows = (
        {"clinic_id": clinic_id, "client_id": client_id, "routine_id": pk, "local_date": local_date, **recipient(*to)}
        for pk, clinic_id, client_id, *to, frequency, weekdays, every_n_days, starts_on in candidates
        if matches_frequency(
            frequency=frequency,
            weekdays=weekdays,
            every_n_days=every_n_days,
            starts_on=starts_on,
            local_date=local_date,
        )
    )
    return deliveries_insert(kind=Delivery.Kind.ROUTINE, rows=rows)


def create_due(now: dt.datetime) -> Produced:
    """Mark past days' pending rows skipped and create today's due rows, timezone by timezone."""
    created = expired = 0
    for tz in _routine_timezones():
        wall_clock = local_now(tz, now)
        expired += _expire_past_days(tz, wall_clock.date())
        created += _create_routine_emails(tz, wall_clock)
    return Produced(created=created, expired=expired)
