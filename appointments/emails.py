"""The appointment confirmation and reminder, built from their Delivery row, with the
appointment as a calendar file. Rendered by the outbox (outbox/render.py)."""

from __future__ import annotations

import datetime as dt
from email.mime.text import MIMEText

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from outbox.kinds import EmailParts
from outbox.mailer import message_for
from outbox.models import Delivery
from outbox.render import ClinicEmail, reply_to


def appointment_ics(appointment, *, clinic) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//ReflexClinic//Appointments//EN")
    cal.add("version", "2.0")
    # PUBLISH, not REQUEST: the client is told about a booking, not asked to accept one.
    cal.add("method", "PUBLISH")
    event = Event()
    # Stable per appointment, so a reminder or a rescheduled time updates the same entry.
    event.add("uid", f"appointment-{appointment.pk}@{settings.EMAIL_MESSAGE_ID_DOMAIN}")
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", appointment.starts_at.astimezone(dt.UTC))
    event.add("dtend", appointment.ends_at.astimezone(dt.UTC))
    event.add("summary", f"Reflexology with {appointment.practitioner} at {clinic.name}")
    if clinic.address:
        event.add("location", ", ".join(line.strip() for line in clinic.address.splitlines() if line.strip()))
    event.add("status", "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical()


def appointment_parts(delivery: Delivery) -> EmailParts:
    """What the booking confirmation or the 24-hour reminder says, shown in the clinic's time zone."""
    appointment, clinic, client = delivery.appointment, delivery.clinic, delivery.client
    context = {
        "first_name": client.first_name,
        "clinic": clinic,
        "appointment": appointment,
        "is_reminder": delivery.kind == Delivery.Kind.REMINDER,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "timezone_name": clinic.timezone.replace("_", " "),
        "address_lines": [line.strip() for line in clinic.address.splitlines() if line.strip()],
    }
    ics = MIMEText(appointment_ics(appointment, clinic=clinic).decode(), "calendar", "utf-8")
    ics.set_param("method", "PUBLISH")
    ics.add_header("Content-Disposition", "attachment", filename="appointment.ics")
    return EmailParts(context, reply_to=reply_to(clinic), attachments=[ics], timezone=clinic.timezone)


def build_appointment_email(delivery: Delivery) -> ClinicEmail:
    """The confirmation or reminder row's message, exactly as the mailer sends it."""
    return message_for(delivery)
