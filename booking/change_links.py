"""Signed links in appointment emails that let the client move or cancel the visit themselves.

The house pattern of routines/links.py: the token carries only the appointment's id, what
the link is for ("reschedule" or "cancel") and the appointment's calendar SEQUENCE when the
link was made; the purpose is inside the signature, so a "reschedule" link can never
cancel; the salt keeps these tokens apart from every other signed value of the site; and
the clinic is named in a signed path segment of its own (`/c/<clinic>/<token>/`), so an
expired or broken link's page can still say who sent it and how to reach them.

The SEQUENCE makes a link single-use: every move and every cancellation raises it
(appointments/models.py), so once the appointment has changed, by the client or the
clinic, the links of the older emails only say so. The newer email carries new links.

Links expire after MAX_AGE: longer than the furthest a client can book ahead online
(8 weeks by default), and a visit booked further ahead gets fresh links in its reminder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from appointments.models import Appointment
from outbox.models import Delivery
from routines.links import clinic_segment

from .models import BookingSettings

SALT = "booking.change"
MAX_AGE = dt.timedelta(days=70)
RESCHEDULE = "reschedule"
CANCEL = "cancel"
PURPOSES = frozenset({RESCHEDULE, CANCEL})


class LinkInvalid(Exception):
    """The link was changed, cut short, or was never one of ours."""


class LinkExpired(LinkInvalid):
    """The link was genuine but is older than MAX_AGE."""


@dataclass(frozen=True)
class ChangeLink:
    appointment_id: int
    sequence: int
    purpose: str


def make_token(appointment: Appointment, purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown change link purpose {purpose!r}")
    data = {"a": appointment.pk, "s": appointment.sequence, "k": purpose}
    return signing.dumps(data, salt=SALT, compress=True)


def change_url(appointment: Appointment, purpose: str) -> str:
    """The absolute link for an email."""
    path = reverse(
        "change:page",
        kwargs={"clinic": clinic_segment(appointment.clinic_id), "token": make_token(appointment, purpose)},
    )
    return settings.SITE_URL.rstrip("/") + path


def read_change_token(token: str, max_age: dt.timedelta | float | None = MAX_AGE) -> ChangeLink:
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    # SignatureExpired is a BadSignature: it has to be caught first.
    except signing.SignatureExpired as error:
        raise LinkExpired(str(error)) from error
    except signing.BadSignature as error:
        raise LinkInvalid(str(error)) from error
    # A genuine signature over a shape we never issue is still not a link we honour.
    if not isinstance(data, dict) or data.get("k") not in PURPOSES:
        raise LinkInvalid("Unexpected payload")
    appointment_id, sequence = data.get("a"), data.get("s")
    if type(appointment_id) is not int or type(sequence) is not int:
        raise LinkInvalid("Unexpected appointment")
    return ChangeLink(appointment_id=appointment_id, sequence=sequence, purpose=data["k"])


# The emails that carry the links: those that tell the client a time that still holds.
LINKED_KINDS = frozenset({Delivery.Kind.CONFIRMATION, Delivery.Kind.REMINDER, Delivery.Kind.CHANGE})


def email_links(delivery: Delivery) -> dict:
    """The appointment email's context for the links (appointments/emails.py, registered by
    BookingConfig.ready()): none for a cancellation, for a course's confirmation (each visit's
    reminder has its own), or where the clinic takes no changes online."""
    appointment = delivery.appointment
    if delivery.kind not in LINKED_KINDS or appointment.status != Appointment.Status.BOOKED:
        return {}
    if delivery.kind == Delivery.Kind.CONFIRMATION and appointment.course_id is not None:
        return {}
    settings_ = BookingSettings.for_clinic(delivery.clinic)
    if not settings_.online:
        return {}
    return {
        "change_links": {
            "reschedule": change_url(appointment, RESCHEDULE),
            "cancel": change_url(appointment, CANCEL),
            "notice_hours": settings_.cancellation_notice_hours,
        }
    }
