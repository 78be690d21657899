"""The online booking's emails as outbox kinds (outbox/kinds.py), registered in BookingConfig.ready():
the link that confirms the client's address (and so the booking), and the clinic's "no" to a
request. Both go to the address typed on the booking page: before the link is followed,
there may be no client row at all. The confirmation of a booking made is the appointments'
own confirmation email."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from accounts.services import site_url
from outbox.kinds import EmailKind, EmailParts
from outbox.models import Delivery
from outbox.render import reply_to

from .links import verify_url
from .models import HOLD_MINUTES, BookingHold


def _context(hold: BookingHold, clinic) -> dict:
    return {
        "first_name": hold.first_name,
        "clinic": clinic,
        "treatment": hold.treatment_type.name,
        "practitioner": hold.practitioner,
        "starts_at": hold.starts_at,
        "ends_at": hold.ends_at,
        "timezone_name": clinic.timezone.replace("_", " "),
        "booking_page": site_url() + reverse("booking_public:page", kwargs={"slug": clinic.slug}),
    }


def _verify_parts(delivery: Delivery) -> EmailParts:
    hold = delivery.booking_hold
    context = {**_context(hold, delivery.clinic), "link": verify_url(hold), "minutes": HOLD_MINUTES}
    return EmailParts(context, reply_to=reply_to(delivery.clinic), timezone=delivery.clinic.timezone)


def _skip_verify(delivery: Delivery, now: dt.datetime, batch: None) -> str | None:
    hold = delivery.booking_hold
    if hold.status != BookingHold.Status.HELD:
        return f"Not sent: the booking is already {hold.get_status_display().lower()}"
    if hold.expires_at <= now:
        return "Not sent: the time was held for 15 minutes, and they have passed"
    return None


def _declined_parts(delivery: Delivery) -> EmailParts:
    return EmailParts(
        _context(delivery.declined_booking, delivery.clinic),
        reply_to=reply_to(delivery.clinic),
        timezone=delivery.clinic.timezone,
    )


_HOLD = ("treatment_type", "practitioner")
VERIFY = EmailKind(
    slug=Delivery.Kind.BOOKING_VERIFY,
    template_dir="booking/email/verify",
    build=_verify_parts,
    skip=_skip_verify,
    select_related=tuple(f"booking_hold__{name}" for name in _HOLD),
    html=False,
)
DECLINED = EmailKind(
    slug=Delivery.Kind.BOOKING_DECLINED,
    template_dir="booking/email/declined",
    build=_declined_parts,
    select_related=tuple(f"declined_booking__{name}" for name in _HOLD),
    html=False,
)
KINDS = (VERIFY, DECLINED)
