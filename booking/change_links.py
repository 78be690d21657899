"""Signed links in appointment emails that let the client move or cancel the visit themselves.

A `LinkKind` of accounts/links.py, as every link a client opens: its own salt; the token
carries only the appointment's id, what the link is for ("reschedule" or "cancel") and the
appointment's calendar SEQUENCE when the link was made; the purpose is inside the
signature, so a "reschedule" link can never cancel; and the clinic is named in a signed
path segment of its own (`/c/<clinic>/<token>/`), so an expired or broken link's page can
still say who sent it and how to reach them.

The SEQUENCE makes a link single-use: every move and every cancellation raises it
(appointments/models.py), so once the appointment has changed, by the client or the
clinic, the links of the older emails only say so. The newer email carries new links.

Links expire after ten weeks: longer than the furthest a client can book ahead online
(8 weeks by default); a visit booked further ahead gets fresh links in its reminder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse

from accounts.links import LinkExpired, LinkInvalid, LinkKind
from accounts.services import site_url
from appointments.models import Appointment
from outbox.models import Delivery

from .models import BookingSettings

CHANGE_LINK = LinkKind(salt="booking.change", max_age=dt.timedelta(weeks=10))
RESCHEDULE = "reschedule"
CANCEL = "cancel"
PURPOSES = frozenset({RESCHEDULE, CANCEL})

__all__ = ["CANCEL", "CHANGE_LINK", "RESCHEDULE", "ChangeLink", "LinkExpired", "LinkInvalid", "change_url"]


@dataclass(frozen=True)
class ChangeLink:
    appointment_id: int
    sequence: int
    purpose: str


def change_url(appointment: Appointment, purpose: str) -> str:
    """The absolute link for an email."""
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown change link purpose {purpose!r}")
    token = CHANGE_LINK.token({"a": appointment.pk, "s": appointment.sequence, "k": purpose})
    segment = CHANGE_LINK.clinic_segment(appointment.clinic_id)
    return site_url() + reverse("change:page", kwargs={"clinic": segment, "token": token})


def read_change_token(token: str, *, max_age=...) -> ChangeLink:
    """What a genuine, unexpired link is for; LinkExpired or LinkInvalid otherwise."""
    data = CHANGE_LINK.read(token, max_age=max_age)
    appointment_id, sequence, purpose = data.get("a"), data.get("s"), data.get("k")
    # A genuine signature over a shape we never issue is still not a link we honour.
    if purpose not in PURPOSES or type(appointment_id) is not int or type(sequence) is not int:
        raise LinkInvalid("Unexpected payload")
    return ChangeLink(appointment_id=appointment_id, sequence=sequence, purpose=purpose)


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
    try:
        # Loaded with the batch (appointments/email_kinds.py): no query per email.
        settings_ = delivery.clinic.booking_settings
    except BookingSettings.DoesNotExist:
        return {}
    if not settings_.online:
        return {}
    return {
        "change_links": {
            "reschedule": change_url(appointment, RESCHEDULE),
            "cancel": change_url(appointment, CANCEL),
            "notice_hours": settings_.cancellation_notice_hours,
        }
    }
