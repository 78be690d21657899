"""The appointment confirmation, reminder, change and cancellation notices, built from
their Delivery row, with the appointment as a calendar file. Rendered by the outbox (outbox/render.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from email.mime.text import MIMEText
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from outbox.kinds import EmailParts
from outbox.mailer import message_for
from outbox.models import Delivery
from outbox.render import ClinicEmail, reply_to, sender

from .models import Appointment


@dataclass(frozen=True)
class Notice:
    """What one kind of appointment email says, and how its calendar file is meant."""

    subject: str  # the subject's start; the date and time follow
    heading: str
    lead: str
    method: str  # the iCalendar METHOD (RFC 5546)
    calendar_line: str = "The attached calendar file adds it to your calendar."
    contact_line: str = "If you need to change or cancel it, please"


NOTICES = {
    # PUBLISH, not REQUEST: the client is told about a booking, not asked to accept one.
    Delivery.Kind.CONFIRMATION: Notice(
        "Booked: your reflexology appointment",
        "Your appointment is booked",
        "Your reflexology appointment is booked:",
        "PUBLISH",
    ),
    Delivery.Kind.REMINDER: Notice(
        "Reminder: your reflexology appointment",
        "See you soon",
        "A reminder that your reflexology appointment is coming up:",
        "PUBLISH",
    ),
    # REQUEST with a higher SEQUENCE: calendars replace the entry they have under this UID.
    Delivery.Kind.CHANGE: Notice(
        "Moved: your reflexology appointment is now",
        "Your appointment has moved",
        "Your reflexology appointment has moved to a new time:",
        "REQUEST",
        calendar_line="The attached calendar file moves it in your calendar.",
    ),
    # CANCEL with the same UID: calendars remove the entry.
    Delivery.Kind.CANCELLATION: Notice(
        "Cancelled: your reflexology appointment",
        "Your appointment is cancelled",
        "Your reflexology appointment is cancelled:",
        "CANCEL",
        calendar_line="The attached calendar file removes it from your calendar.",
        contact_line="To book another time, please",
    ),
}


# What apps above this one add to an appointment email's context, by registration
# (booking adds the client's links to move or cancel): each takes the Delivery, returns a dict.
CONTEXT_EXTRAS: list[Callable[[Delivery], dict]] = []


def register_context_extra(extra: Callable[[Delivery], dict]) -> None:
    if extra not in CONTEXT_EXTRAS:
        CONTEXT_EXTRAS.append(extra)


def appointment_ics(visits, *, clinic, method: str = "PUBLISH", sequence: int | None = None) -> bytes:
    """One VEVENT per visit (one, or every visit of a course); `sequence` defaults to each
    visit's current one."""
    cal = Calendar()
    cal.add("prodid", "-//ReflexClinic//Appointments//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    for appointment in visits:
        cal.add_component(_event(appointment, clinic=clinic, method=method, sequence=sequence))
    return cal.to_ical()


def _event(appointment, *, clinic, method: str, sequence: int | None) -> Event:
    event = Event()
    # Stable per appointment, so a reminder or a rescheduled time updates the same entry.
    event.add("uid", f"appointment-{appointment.pk}@{settings.EMAIL_MESSAGE_ID_DOMAIN}")
    event.add("sequence", appointment.sequence if sequence is None else sequence)
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", appointment.starts_at.astimezone(dt.UTC))
    event.add("dtend", appointment.ends_at.astimezone(dt.UTC))
    event.add("summary", f"Reflexology with {appointment.practitioner} at {clinic.name}")
    if clinic.address:
        event.add("location", ", ".join(line.strip() for line in clinic.address.splitlines() if line.strip()))
    if method != "PUBLISH":
        # A REQUEST or CANCEL names its organizer and attendee (RFC 5546, 3.2.2 and 3.2.5).
        organizer = vCalAddress(f"mailto:{clinic.email or parseaddr(sender(clinic))[1]}")
        organizer.params["cn"] = clinic.name
        event.add("organizer", organizer)
        attendee = vCalAddress(f"mailto:{appointment.client.email}")
        attendee.params["cn"] = appointment.client.full_name
        event.add("attendee", attendee)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    return event


def _visits(delivery: Delivery) -> list:
    """What the email is about: the appointment, or for a course's confirmation every visit
    of the course still booked (one email for the course, docs/domain.md rule 11)."""
    appointment = delivery.appointment
    if delivery.kind != Delivery.Kind.CONFIRMATION or appointment.course is None:
        return [appointment]
    return [a for a in appointment.course.appointments.all() if a.status == Appointment.Status.BOOKED]


def appointment_parts(delivery: Delivery) -> EmailParts:
    """What the confirmation, the reminder, the change or the cancellation notice says,
    shown in the clinic's time zone."""
    appointment, clinic, client = delivery.appointment, delivery.clinic, delivery.client
    notice = NOTICES[delivery.kind]
    visits = _visits(delivery)
    context = {
        "first_name": client.first_name,
        "clinic": clinic,
        "appointment": appointment,
        "notice": notice,
        "visits": visits,
        "course": appointment.course if len(visits) > 1 else None,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "timezone_name": clinic.timezone.replace("_", " "),
        "address_lines": [line.strip() for line in clinic.address.splitlines() if line.strip()],
    }
    for extra in CONTEXT_EXTRAS:
        context.update(extra(delivery))
    ics_bytes = appointment_ics(visits, clinic=clinic, method=notice.method, sequence=delivery.sequence)
    ics = MIMEText(ics_bytes.decode(), "calendar", "utf-8")
    ics.set_param("method", notice.method)
    ics.add_header("Content-Disposition", "attachment", filename="appointment.ics")
    return EmailParts(context, reply_to=reply_to(clinic), attachments=[ics], timezone=clinic.timezone)


def build_appointment_email(delivery: Delivery) -> ClinicEmail:
    """The confirmation or reminder row's message, exactly as the mailer sends it."""
    return message_for(delivery)
