"""A practitioner's private calendar feed (docs/domain.md, rule 13): their appointments as one
iCalendar file that a phone's calendar subscribes to by a secret address.

The address is the only key, so the feed says as little as a lock screen may show: the
time, the client's first name and the treatment. Never a surname, an email, a phone
number, a note or a health flag (a phone calendar syncs to places the clinic does not
control). The secret is kept hashed (CalendarFeed.token_hash)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Appointment

# What the feed carries around today: a month back (what happened) and half a year ahead.
FEED_PAST = dt.timedelta(days=31)
FEED_AHEAD = dt.timedelta(days=183)
# A phone asks again after this long (RFC 7986 REFRESH-INTERVAL, and the older X-PUBLISHED-TTL).
FEED_REFRESH = dt.timedelta(minutes=30)


def new_token() -> str:
    """256 random bits, URL-safe: the secret part of a feed address."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def event_summary(appointment: Appointment) -> str:
    """'Jane · Reflexology': the client's first name and the treatment, nothing more."""
    treatment = appointment.treatment_type.name if appointment.treatment_type_id else "Reflexology"
    return f"{appointment.client.first_name} · {treatment}"


def feed_ics(practitioner, appointments) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//ReflexClinic//Practitioner calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{practitioner.clinic.name}: {practitioner.get_full_name() or practitioner}")
    cal.add("x-wr-timezone", practitioner.clinic.timezone)
    cal.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", FEED_REFRESH)
    stamp = timezone.now().astimezone(dt.UTC)
    for appointment in appointments:
        event = Event()
        # Not the UID of the client's own invitation: this is another calendar's copy.
        event.add("uid", f"feed-appointment-{appointment.pk}@{settings.EMAIL_MESSAGE_ID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", appointment.starts_at.astimezone(dt.UTC))
        event.add("dtend", appointment.ends_at.astimezone(dt.UTC))
        event.add("summary", event_summary(appointment))
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()
