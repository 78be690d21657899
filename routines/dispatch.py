"""The dispatcher: turns "due now" into Delivery rows and queues their sending.

Celery beat runs one pass a minute (`routines.tasks.dispatch_due_routines`); cron
users run `manage.py send_due_routines`. A pass is safe to run twice or at the same
time as another: rows are created with INSERT ... ON CONFLICT DO NOTHING against the
database's one-email-per-routine-per-local-day constraint, and the send task claims
each row before sending, so a row queued twice is sent once.

Nothing is scheduled ahead with an ETA: each pass looks at the clock. A routine
whose time has come today gets its row on the first pass after that time, so a
scheduler that was down catches up the same day; a past day's row is never
created, and one that never went out is marked skipped.

The work is a few queries per distinct client timezone, however many routines.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.localtime import local_now, local_today
from appointments.models import Appointment

from .models import Delivery, Routine
from .schedule import due_condition, matches_frequency

logger = logging.getLogger(__name__)

PAST_DAY = "Not sent: the day had passed"
REMINDER_WINDOW = dt.timedelta(hours=24)


@dataclass
class DispatchResult:
    routine_emails: int = 0
    reminders: int = 0
    expired: int = 0
    swept: int = 0
    due_ids: list[int] = field(default_factory=list)


def _routine_timezones() -> list[str]:
    active = Routine.objects.filter(status__in=[Routine.Status.ACTIVE, Routine.Status.PAUSED])
    pending = Delivery.objects.filter(kind=Delivery.Kind.ROUTINE, status=Delivery.Status.PENDING)
    zones = set(active.order_by().values_list("client__timezone", flat=True).distinct())
    zones |= set(pending.order_by().values_list("client__timezone", flat=True).distinct())
    return sorted(zones)


def _sweep_stuck(now: dt.datetime) -> int:
    # A worker killed mid-send leaves its row SENDING; after a while it is pending again.
    # (The message may have left; its stable Message-ID lets the receiver tell a resend.)
    stuck_before = now - dt.timedelta(seconds=settings.DELIVERY_STUCK_AFTER_SECONDS)
    return Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=stuck_before).update(
        status=Delivery.Status.PENDING, claimed_at=None
    )


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
        .values_list("pk", "clinic_id", "client_id", "frequency", "weekdays", "every_n_days", "starts_on")
    )
    rows = [
        Delivery(
            clinic_id=clinic_id,
            client_id=client_id,
            routine_id=pk,
            kind=Delivery.Kind.ROUTINE,
            local_date=local_date,
        )
        for pk, clinic_id, client_id, frequency, weekdays, every_n_days, starts_on in candidates
        if matches_frequency(
            frequency=frequency,
            weekdays=weekdays,
            every_n_days=every_n_days,
            starts_on=starts_on,
            local_date=local_date,
        )
    ]
    # Another dispatcher may insert the same rows at the same moment: the unique
    # constraint keeps one, and ignore_conflicts makes ours a no-op instead of an error.
    Delivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def _create_reminders(now: dt.datetime) -> int:
    already = Delivery.objects.filter(appointment=OuterRef("pk"), kind=Delivery.Kind.REMINDER)
    candidates = (
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED,
            starts_at__gt=now,
            starts_at__lte=now + REMINDER_WINDOW,
            # Booked less than a day ahead: the confirmation was the reminder.
            created_at__lte=F("starts_at") - REMINDER_WINDOW,
            client__archived_at__isnull=True,
        )
        .exclude(client__email="")
        .filter(~Exists(already))
        .values_list("pk", "clinic_id", "client_id", "client__timezone")
    )
    rows = [
        Delivery(
            clinic_id=clinic_id,
            client_id=client_id,
            appointment_id=pk,
            kind=Delivery.Kind.REMINDER,
            local_date=local_today(tz, now),
        )
        for pk, clinic_id, client_id, tz in candidates
    ]
    Delivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def _due_ids(now: dt.datetime) -> list[int]:
    due = Delivery.objects.filter(status=Delivery.Status.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return list(due.order_by("pk").values_list("pk", flat=True))


def queue_sending(ids: list[int]) -> None:
    """Queue the send task for `ids` in chunks once the current transaction commits.

    robust=True: with the broker down the rows simply stay pending and the next
    pass queues them again, instead of the error reaching the caller after commit.
    One callback for every chunk: the first failure to reach the broker ends the
    queuing instead of each chunk waiting out its own connection retries, and it is
    a function, not a partial, because robust on_commit logs the callback's
    __qualname__ (a partial has none, and the AttributeError escaped).
    """
    from .tasks import send_deliveries_task

    size = settings.DELIVERY_BATCH_SIZE
    chunks = [ids[start : start + size] for start in range(0, len(ids), size)]

    def queue_chunks() -> None:
        for chunk in chunks:
            send_deliveries_task.delay(chunk)

    if chunks:
        transaction.on_commit(queue_chunks, robust=True)


@transaction.atomic
def dispatch_pass(now: dt.datetime | None = None, *, queue: bool = True) -> DispatchResult:
    """One pass: sweep, expire, create today's rows, and queue every row due now."""
    now = now or timezone.now()
    result = DispatchResult(swept=_sweep_stuck(now))
    for tz in _routine_timezones():
        wall_clock = local_now(tz, now)
        result.expired += _expire_past_days(tz, wall_clock.date())
        result.routine_emails += _create_routine_emails(tz, wall_clock)
    result.reminders = _create_reminders(now)
    result.due_ids = _due_ids(now)
    if queue:
        queue_sending(result.due_ids)
    if result.routine_emails or result.reminders or result.expired or result.swept:
        logger.info(
            "dispatch: %s routine emails, %s reminders created; %s expired, %s swept; %s queued",
            result.routine_emails,
            result.reminders,
            result.expired,
            result.swept,
            len(result.due_ids),
        )
    return result


def dispatch_due(now: dt.datetime | None = None) -> list[int]:
    """One dispatch pass; returns the ids of the rows queued for sending."""
    return dispatch_pass(now).due_ids


@transaction.atomic
def confirmation_create(*, appointment: Appointment, now: dt.datetime | None = None) -> Delivery | None:
    """The confirmation email for a new booking, as a row in the booking's transaction.

    A confirmation is a service message: it goes to any client with an email
    address, whatever their choice about routine emails.
    """
    now = now or timezone.now()
    client = appointment.client
    if not client.email or client.is_archived or appointment.starts_at <= now:
        return None
    delivery, created = Delivery.objects.get_or_create(
        appointment=appointment,
        kind=Delivery.Kind.CONFIRMATION,
        defaults={
            "clinic_id": appointment.clinic_id,
            "client": client,
            "local_date": local_today(client, now),
        },
    )
    if created:
        queue_sending([delivery.pk])
    return delivery
