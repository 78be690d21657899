"""Writes for appointments: book, reschedule, cancel, mark, and book a course.

No two blocking appointments of one practitioner may overlap, nor two of one client
(with any practitioners; migration 0005 for the client's constraint). The services check
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
from django.db.models import F
from django.utils import timezone

from accounts.localtime import is_skipped, local_to_utc, local_today, local_zone, short_date
from accounts.models import User
from audit.services import logged_update
from clients.models import Client
from clients.services import archived_refusal, client_health_changed
from outbox.models import Delivery
from outbox.services import delivery_create

from . import feeds, selectors
from .models import Appointment, AppointmentStatusChange, CalendarFeed, Course, TreatmentType

# Name of the PostgreSQL exclusion constraint created by migration 0002.
OVERLAP_CONSTRAINT = "appointment_no_overlap"
# The same per client, created by migration 0005.
CLIENT_OVERLAP_CONSTRAINT = "appointment_client_no_overlap"
# First key of the advisory lock that queues one practitioner's bookings ("RC").
BOOKING_LOCK_SPACE = 0x5243
# ... and of the one that queues one client's bookings.
CLIENT_LOCK_SPACE = 0x5244


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


def _clash_text(clash: Appointment, tz: ZoneInfo, *, who: str, aside: str) -> str:
    start = clash.starts_at.astimezone(tz)
    end = clash.ends_at.astimezone(tz)
    return f"{who} already has an appointment from {start:%H:%M} to {end:%H:%M} on {short_date(start)} ({aside})."


def clash_message(clash: Appointment, tz: ZoneInfo) -> str:
    """The practitioner's clash, naming the client."""
    return _clash_text(clash, tz, who=practitioner_name(clash.practitioner), aside=clash.client.full_name)


def client_clash_message(clash: Appointment, tz: ZoneInfo) -> str:
    """The client's clash with another practitioner, naming them."""
    return _clash_text(clash, tz, who=clash.client.full_name, aside=f"with {practitioner_name(clash.practitioner)}")


def clash_messages(
    *,
    practitioner: User,
    client: Client,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    tz: ZoneInfo,
    exclude_pk: int | None = None,
) -> list[str]:
    """Why the slot is not free: the practitioner's clashes, then the client's with other practitioners."""
    slot = {"starts_at": starts_at, "ends_at": ends_at, "exclude_pk": exclude_pk}
    mine = selectors.clashing_appointments(practitioner=practitioner, **slot)
    theirs = [c for c in selectors.client_clashes(client=client, **slot) if c.pk not in {m.pk for m in mine}]
    return [clash_message(c, tz) for c in mine] + [client_clash_message(c, tz) for c in theirs]


def _ensure_free(
    *,
    practitioner: User,
    client: Client,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    tz: ZoneInfo,
    exclude_pk: int | None = None,
) -> None:
    messages = clash_messages(
        practitioner=practitioner, client=client, starts_at=starts_at, ends_at=ends_at, tz=tz, exclude_pk=exclude_pk
    )
    if messages:
        raise BookingError(messages)


def _save_guarded(appointment: Appointment, *, tz: ZoneInfo, **save_kwargs) -> None:
    """Save, turning a refusal by the overlap constraint into a BookingError.

    The savepoint keeps the caller's transaction usable so it can look up the
    winner of the race and roll back cleanly.
    """
    _queue_writes(BOOKING_LOCK_SPACE, appointment.practitioner_id)
    _queue_writes(CLIENT_LOCK_SPACE, appointment.client_id)
    try:
        with transaction.atomic():
            appointment.save(**save_kwargs)
    except IntegrityError as exc:
        if OVERLAP_CONSTRAINT not in str(exc) and CLIENT_OVERLAP_CONSTRAINT not in str(exc):
            raise
        messages = clash_messages(
            practitioner=appointment.practitioner,
            client=appointment.client,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            tz=tz,
            exclude_pk=appointment.pk,
        ) or ["Someone else booked this time a moment ago. Choose another time."]
        raise BookingError(messages) from exc


def _queue_writes(space: int, key: int) -> None:
    """Hold one practitioner's (or client's) bookings in line until this transaction ends (PostgreSQL).

    Always the practitioner first, then the client, so two bookings never wait on each other."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [space, key % 2**31])


def queue_practitioner_writes(practitioner_id: int) -> None:
    """Wait for, then hold up, every other booking of this practitioner until this transaction
    ends (PostgreSQL): online booking's holds take it before checking a slot (booking/services.py)."""
    _queue_writes(BOOKING_LOCK_SPACE, practitioner_id)


def _ensure_bookable(clinic, *, client: Client, practitioner: User) -> None:
    # The forms already limit choices to the clinic's active clients; this guards every other caller.
    if client.clinic_id != clinic.pk or practitioner.clinic_id != clinic.pk:
        raise ValueError("Client and practitioner must belong to the clinic.")
    if client.is_archived:
        # docs/domain.md, "Archived clients": unarchiving comes first.
        raise BookingError([archived_refusal(client, "booking")])


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
    treatment_type: TreatmentType | None = None,
) -> Appointment:
    _ensure_bookable(clinic, client=client, practitioner=practitioner)
    tz = local_zone(clinic)
    _ensure_free(practitioner=practitioner, client=client, starts_at=starts_at, ends_at=ends_at, tz=tz)
    appointment = Appointment(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        starts_at=starts_at,
        ends_at=ends_at,
        notes=notes,
        created_by=created_by,
        treatment_type=treatment_type,
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
    _ensure_free(
        practitioner=practitioner,
        client=locked.client,
        starts_at=starts_at,
        ends_at=ends_at,
        tz=tz,
        exclude_pk=locked.pk,
    )
    # A new time or practitioner is a new version of the client's calendar entry.
    changed = (locked.starts_at, locked.ends_at, locked.practitioner_id) != (starts_at, ends_at, practitioner.pk)
    locked.practitioner = practitioner
    locked.starts_at = starts_at
    locked.ends_at = ends_at
    if changed:
        locked.sequence += 1
    _save_guarded(locked, tz=tz, update_fields=["practitioner", "starts_at", "ends_at", "sequence", "updated_at"])
    if changed:
        client_notice_create(kind=Delivery.Kind.CHANGE, appointment=locked, sequence=locked.sequence)
    return locked


def _close(appointment: Appointment, *, status: str, action: str, **fields) -> Appointment:
    # A conditional UPDATE: of two clicks racing, only one finds the appointment still booked.
    updated = logged_update(
        Appointment.objects.filter(pk=appointment.pk, status=Appointment.Status.BOOKED),
        status=status,
        updated_at=timezone.now(),
        **fields,
    )
    appointment.refresh_from_db()
    if not updated:
        raise AppointmentNotOpen(appointment, action)
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, reason: str = "") -> Appointment:
    """Cancel, and tell the client in the same transaction (its calendar file removes the entry)."""
    cancelled = _close(
        appointment,
        status=Appointment.Status.CANCELLED,
        action="cancelled",
        cancel_reason=reason.strip(),
        sequence=F("sequence") + 1,
    )
    client_notice_create(kind=Delivery.Kind.CANCELLATION, appointment=cancelled)
    return cancelled


class MarkRefused(Exception):
    """A mark or its undoing that the appointment's time or record does not allow; said as it is."""


MARKS = (Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW)


def status_change_log(*, appointment: Appointment, from_status: str, by: User | None) -> None:
    """Keep the change of mark in the appointment's history."""
    AppointmentStatusChange.objects.create(
        appointment=appointment, from_status=from_status, to_status=appointment.status, by=by
    )


@transaction.atomic
def appointment_mark(
    *, appointment: Appointment, status: str, by: User | None = None, now: dt.datetime | None = None
) -> Appointment:
    if status not in MARKS:
        raise ValueError(f"An appointment can be marked attended or no-show, not {status!r}.")
    # No record before its time: nobody has failed to come to an appointment that has not started.
    if status == Appointment.Status.NO_SHOW and (now or timezone.now()) < appointment.starts_at:
        raise MarkRefused("This appointment has not started yet, so it can't be marked a no-show.")
    appointment = _close(appointment, status=status, action="marked")
    status_change_log(appointment=appointment, from_status=Appointment.Status.BOOKED, by=by)
    return appointment


@transaction.atomic
def appointment_unmark(*, appointment: Appointment, by: User) -> Appointment:
    """Undo "attended" or "no-show" (back to booked), kept in the history; not once the session is signed."""
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if locked.status not in MARKS:
        raise MarkRefused(f"This appointment is {locked.get_status_display().lower()}; there is no mark to undo.")
    # Through the reverse relation: sessions build on appointments, not the other way round.
    if Appointment.objects.filter(pk=locked.pk, treatment_session__signed_at__isnull=False).exists():
        raise MarkRefused("The session of this appointment is signed, so its attendance can no longer be undone.")
    was = locked.status
    locked.status = Appointment.Status.BOOKED
    locked.save(update_fields=["status", "updated_at"])
    status_change_log(appointment=locked, from_status=was, by=by)
    return locked


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
    treatment_type: TreatmentType | None = None,
) -> Course:
    """Book `sessions` appointments `interval_days` apart at the same local time, or none at all."""
    _ensure_bookable(clinic, client=client, practitioner=practitioner)
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
            clash_messages(
                practitioner=practitioner, client=client, starts_at=starts_at, ends_at=starts_at + length, tz=tz
            )
        )
    if problems:
        raise BookingError(problems)
    replanned = Course.objects.filter(client=client).exists()
    course = Course.objects.create(
        clinic=clinic, client=client, practitioner=practitioner, planned_sessions=sessions, interval_days=interval_days
    )
    if replanned:
        # docs/domain.md, rule 14: a new course after an earlier one changes the treatment plan.
        client_health_changed(client=client)
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
                treatment_type=treatment_type,
            ),
            tz=tz,
        )
    # One confirmation for the course, not one email per visit; each visit gets its reminder.
    confirmation_create(appointment=course.appointments.earliest("starts_at"))
    return course


def confirmation_create(*, appointment: Appointment, now: dt.datetime | None = None) -> Delivery | None:
    """The confirmation email for a new booking, as an outbox row in the booking's transaction."""
    return client_notice_create(kind=Delivery.Kind.CONFIRMATION, appointment=appointment, now=now)


@transaction.atomic
def client_notice_create(
    *, kind: str, appointment: Appointment, now: dt.datetime | None = None, **about
) -> Delivery | None:
    """An email telling the client about their appointment (booked, moved, cancelled), as an
    outbox row in the action's transaction; `about` adds the row's other fields (a change
    notice's sequence).

    These are service messages: they go to any client with an email address, whatever
    their choice about routine emails, but never about a time already past.
    """
    now = now or timezone.now()
    client = appointment.client
    if not client.email or client.is_archived or appointment.starts_at <= now:
        return None
    return delivery_create(
        kind=kind,
        clinic_id=appointment.clinic_id,
        local_date=local_today(client.timezone, now),
        **client.as_recipient,
        client=client,
        appointment=appointment,
        **about,
    )


def calendar_feed_reset(*, practitioner: User) -> str:
    """A new secret address for `practitioner`'s calendar feed; the old one stops working at
    once. Returns the secret, which is shown once and never stored."""
    token = feeds.new_token()
    CalendarFeed.objects.update_or_create(
        practitioner=practitioner, defaults={"token_hash": feeds.token_hash(token), "created_at": timezone.now()}
    )
    return token
