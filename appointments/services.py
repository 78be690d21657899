"""Writes for appointments: book, reschedule, cancel, mark, and book a course.

No two blocking appointments of one practitioner may overlap. The services check
first, so the practitioner gets a message naming the clash; the database has the
last word: on PostgreSQL an exclusion constraint (migration 0002) refuses the second
of two simultaneous bookings, and we turn that refusal into the same message. On
SQLite every write transaction starts IMMEDIATE (see settings), so check and insert
inside one `transaction.atomic()` already run one booking at a time.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.localtime import is_skipped, local_to_utc, local_today, local_zone, short_date
from accounts.models import User
from clients.models import Client
from outbox.models import Delivery
from outbox.services import delivery_create

from . import selectors
from .models import Appointment, Course

# Name of the PostgreSQL exclusion constraint created by migration 0002.
OVERLAP_CONSTRAINT = "appointment_no_overlap"
# First key of the advisory lock that queues one practitioner's bookings ("RC").
BOOKING_LOCK_SPACE = 0x5243


class BookingError(Exception):
    """A booking that cannot be made; `messages` tell the practitioner why, one per problem."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


class AppointmentNotOpen(Exception):
    """Only booked appointments can be rescheduled, cancelled or marked."""

    def __init__(self, appointment: Appointment, action: str):
        self.appointment = appointment
        status = appointment.get_status_display().lower()
        super().__init__(
            f"This appointment is already {status}, so it can't be {action}. "
            "Only booked appointments can be rescheduled, cancelled or marked."
        )


def practitioner_name(user: User) -> str:
    return user.first_name or user.get_full_name() or user.username


def clash_message(clash: Appointment, tz: ZoneInfo) -> str:
    start = clash.starts_at.astimezone(tz)
    end = clash.ends_at.astimezone(tz)
    return (
        f"{practitioner_name(clash.practitioner)} already has an appointment "
        f"from {start:%H:%M} to {end:%H:%M} on {short_date(start)} ({clash.client.full_name})."
    )


def _ensure_free(
    *, practitioner: User, starts_at: dt.datetime, ends_at: dt.datetime, tz: ZoneInfo, exclude_pk: int | None = None
) -> None:
    clashes = selectors.clashing_appointments(
        practitioner=practitioner, starts_at=starts_at, ends_at=ends_at, exclude_pk=exclude_pk
    )
    if clashes:
        raise BookingError([clash_message(c, tz) for c in clashes])


def _save_guarded(appointment: Appointment, *, tz: ZoneInfo, **save_kwargs) -> None:
    """Save, turning a refusal by the overlap constraint into a BookingError.

    The savepoint keeps the caller's transaction usable so it can look up the
    winner of the race and roll back cleanly.
    """
    _queue_practitioner_writes(appointment.practitioner_id)
    try:
        with transaction.atomic():
            appointment.save(**save_kwargs)
    except IntegrityError as exc:
        if OVERLAP_CONSTRAINT not in str(exc):
            raise
        clashes = selectors.clashing_appointments(
            practitioner=appointment.practitioner,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            exclude_pk=appointment.pk,
        )
        messages = [clash_message(c, tz) for c in clashes] or [
            "Someone else booked this time a moment ago. Choose another time."
        ]
        raise BookingError(messages) from exc


def _queue_practitioner_writes(practitioner_id: int) -> None:
    """Hold one practitioner's bookings in line until this transaction ends (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [BOOKING_LOCK_SPACE, practitioner_id % 2**31])


def _ensure_same_clinic(clinic, *, client: Client, practitioner: User) -> None:
    # The forms already limit choices to the clinic; this guards every other caller.
    if client.clinic_id != clinic.pk or practitioner.clinic_id != clinic.pk:
        raise ValueError("Client and practitioner must belong to the clinic.")


@transaction.atomic
def appointment_book(
    *,
    clinic,
    client: Client,
    practitioner: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    notes: str = "",
    created_by: User | None = None,
) -> Appointment:
    _ensure_same_clinic(clinic, client=client, practitioner=practitioner)
    tz = local_zone(clinic)
    _ensure_free(practitioner=practitioner, starts_at=starts_at, ends_at=ends_at, tz=tz)
    appointment = Appointment(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        starts_at=starts_at,
        ends_at=ends_at,
        notes=notes,
        created_by=created_by,
    )
    _save_guarded(appointment, tz=tz)
    confirmation_create(appointment=appointment)
    return appointment


def _lock_open(appointment: Appointment, action: str) -> Appointment:
    locked = Appointment.objects.select_for_update().select_related("clinic").get(pk=appointment.pk)
    if locked.status != Appointment.Status.BOOKED:
        raise AppointmentNotOpen(locked, action)
    return locked


@transaction.atomic
def appointment_reschedule(
    *, appointment: Appointment, practitioner: User, starts_at: dt.datetime, ends_at: dt.datetime
) -> Appointment:
    locked = _lock_open(appointment, "rescheduled")
    if practitioner.clinic_id != locked.clinic_id:
        raise ValueError("The practitioner must belong to the appointment's clinic.")
    tz = local_zone(locked.clinic)
    _ensure_free(practitioner=practitioner, starts_at=starts_at, ends_at=ends_at, tz=tz, exclude_pk=locked.pk)
    locked.practitioner = practitioner
    locked.starts_at = starts_at
    locked.ends_at = ends_at
    _save_guarded(locked, tz=tz, update_fields=["practitioner", "starts_at", "ends_at", "updated_at"])
    return locked


def _close(appointment: Appointment, *, status: str, action: str, **fields) -> Appointment:
    # A conditional UPDATE: of two clicks racing, only one finds the appointment still booked.
    updated = Appointment.objects.filter(pk=appointment.pk, status=Appointment.Status.BOOKED).update(
        status=status, updated_at=timezone.now(), **fields
    )
    appointment.refresh_from_db()
    if not updated:
        raise AppointmentNotOpen(appointment, action)
    return appointment


def appointment_cancel(*, appointment: Appointment, reason: str = "") -> Appointment:
    return _close(appointment, status=Appointment.Status.CANCELLED, action="cancelled", cancel_reason=reason.strip())


def appointment_mark(*, appointment: Appointment, status: str) -> Appointment:
    if status not in (Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW):
        raise ValueError(f"An appointment can be marked attended or no-show, not {status!r}.")
    return _close(appointment, status=status, action="marked")


@transaction.atomic
def course_book(
    *,
    clinic,
    client: Client,
    practitioner: User,
    first_date: dt.date,
    start_time: dt.time,
    sessions: int,
    interval_days: int,
    duration_minutes: int,
    notes: str = "",
    created_by: User | None = None,
) -> Course:
    """Book `sessions` appointments `interval_days` apart at the same local time, or none at all."""
    _ensure_same_clinic(clinic, client=client, practitioner=practitioner)
    tz = local_zone(clinic)
    length = dt.timedelta(minutes=duration_minutes)
    slots: list[tuple[dt.datetime, dt.datetime]] = []
    problems: list[str] = []
    for n in range(sessions):
        # Step in local days, not 24-hour blocks, so 10:00 stays 10:00 across a clock change.
        day = first_date + dt.timedelta(days=n * interval_days)
        if is_skipped(day, start_time, tz):
            problems.append(f"{short_date(day)}: {start_time:%H:%M} does not exist that day (the clocks go forward).")
            continue
        starts_at = local_to_utc(day, start_time.replace(second=0, microsecond=0), tz)
        slots.append((starts_at, starts_at + length))
        problems.extend(
            clash_message(c, tz)
            for c in selectors.clashing_appointments(
                practitioner=practitioner, starts_at=starts_at, ends_at=starts_at + length
            )
        )
    if problems:
        raise BookingError(problems)
    course = Course.objects.create(
        clinic=clinic, client=client, practitioner=practitioner, planned_sessions=sessions, interval_days=interval_days
    )
    for starts_at, ends_at in slots:
        _save_guarded(
            Appointment(
                clinic=clinic,
                client=client,
                practitioner=practitioner,
                course=course,
                starts_at=starts_at,
                ends_at=ends_at,
                notes=notes,
                created_by=created_by,
            ),
            tz=tz,
        )
    # One confirmation for the course, not one email per visit; each visit gets its reminder.
    confirmation_create(appointment=course.appointments.earliest("starts_at"))
    return course


@transaction.atomic
def confirmation_create(*, appointment: Appointment, now: dt.datetime | None = None) -> Delivery | None:
    """The confirmation email for a new booking, as an outbox row in the booking's transaction.

    A confirmation is a service message: it goes to any client with an email
    address, whatever their choice about routine emails.
    """
    now = now or timezone.now()
    client = appointment.client
    if not client.email or client.is_archived or appointment.starts_at <= now:
        return None
    return delivery_create(
        kind=Delivery.Kind.CONFIRMATION,
        clinic_id=appointment.clinic_id,
        local_date=local_today(client.timezone, now),
        **client.as_recipient,
        client=client,
        appointment=appointment,
    )
