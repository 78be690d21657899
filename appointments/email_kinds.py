"""The appointment confirmation, reminder, change and cancellation notices as outbox kinds (outbox/kinds.py),
registered in AppointmentsConfig.ready(): how each is built and when it is not sent,
and the reminders each dispatch pass creates."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, OuterRef

from accounts.localtime import local_today
from clients.models import RECIPIENT_FIELDS, recipient
from outbox.kinds import EmailKind, EmailParts, Produced
from outbox.models import Delivery
from outbox.services import deliveries_insert

from .models import Appointment

REMINDER_WINDOW = dt.timedelta(hours=24)


def _build(delivery: Delivery) -> EmailParts:
    # Imported here: the email module builds calendar files, and loads only when sending.
    from .emails import appointment_parts

    return appointment_parts(delivery)


def _not_for_client(delivery: Delivery, now: dt.datetime) -> str | None:
    appointment, client = delivery.appointment, delivery.client
    if appointment.starts_at <= now:
        return "Not sent: the appointment had already started"
    if not client.email:
        return "Not sent: the client has no email address"
    if client.is_archived:
        return "Not sent: the client is archived"
    return None


def _skip(delivery: Delivery, now: dt.datetime, batch: None) -> str | None:
    appointment = delivery.appointment
    if appointment.status != Appointment.Status.BOOKED:
        return f"Not sent: the appointment is {appointment.get_status_display().lower()}"
    return _not_for_client(delivery, now)


def _skip_change(delivery: Delivery, now: dt.datetime, batch: None) -> str | None:
    # Moved twice before the first notice went: only the latest time is worth an email.
    if delivery.sequence != delivery.appointment.sequence:
        return "Not sent: the appointment was changed again; the later notice tells the client"
    return _skip(delivery, now, batch)


def _skip_cancellation(delivery: Delivery, now: dt.datetime, batch: None) -> str | None:
    return _not_for_client(delivery, now)


def create_reminders(now: dt.datetime) -> Produced:
    """A reminder for every booked appointment starting within the next 24 hours, once."""
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
        .values_list("pk", "clinic_id", "client_id", "client__timezone", *RECIPIENT_FIELDS)
    )
    rows = (
        {
            "clinic_id": clinic_id,
            "client_id": client_id,
            "appointment_id": pk,
            "local_date": local_today(tz, now),
            **recipient(*to),
        }
        for pk, clinic_id, client_id, tz, *to in candidates
    )
    return Produced(created=deliveries_insert(kind=Delivery.Kind.REMINDER, rows=rows))


_APPOINTMENT_EMAIL = {
    "template_dir": "appointments/email/appointment",
    "build": _build,
    "skip": _skip,
    # The clinic's booking settings: whether the email carries the client's links to move
    # or cancel (booking/change_links.py, added to the context by registration).
    "select_related": ("appointment", "appointment__course", "clinic__booking_settings"),
    # A course's confirmation lists every visit of the course.
    "prefetch_related": ("appointment__practitioner", "appointment__course__appointments__practitioner"),
}
CONFIRMATION = EmailKind(slug=Delivery.Kind.CONFIRMATION, **_APPOINTMENT_EMAIL)
REMINDER = EmailKind(slug=Delivery.Kind.REMINDER, create_due=create_reminders, **_APPOINTMENT_EMAIL)
CHANGE = EmailKind(slug=Delivery.Kind.CHANGE, **{**_APPOINTMENT_EMAIL, "skip": _skip_change})
CANCELLATION = EmailKind(slug=Delivery.Kind.CANCELLATION, **{**_APPOINTMENT_EMAIL, "skip": _skip_cancellation})
KINDS = (CONFIRMATION, REMINDER, CHANGE, CANCELLATION)
