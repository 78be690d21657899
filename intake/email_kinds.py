"""The intake's emails as outbox kinds (outbox/kinds.py), registered in IntakeConfig.ready():
the link to the intake form (or to renew consent), and the copy of a consent the client
signed through it. The link is made when the email is built, from the link row."""

from __future__ import annotations

import datetime as dt

from outbox.kinds import EmailKind, EmailParts
from outbox.models import Delivery
from outbox.render import reply_to

from .links import INTAKE_LINK, intake_url
from .models import IntakeLink


def _not_for_client(delivery: Delivery) -> str | None:
    if not delivery.client.email:
        return "Not sent: the client has no email address"
    if delivery.client.is_archived:
        return "Not sent: the client is archived"
    return None


def _link_parts(delivery: Delivery) -> EmailParts:
    link = delivery.intake_link
    context = {
        "first_name": delivery.client.first_name,
        "clinic": delivery.clinic,
        "link": intake_url(link),
        "renewal": link.purpose == IntakeLink.Purpose.RENEWAL,
        "days": INTAKE_LINK.max_age.days,
    }
    return EmailParts(context, reply_to=reply_to(delivery.clinic))


def _skip_link(delivery: Delivery, now: dt.datetime, batch: None) -> str | None:
    if delivery.intake_link.used_at is not None:
        return "Not sent: the client has already answered through this link"
    return _not_for_client(delivery)


def _copy_parts(delivery: Delivery) -> EmailParts:
    submission = delivery.intake_submission
    context = {
        "first_name": delivery.client.first_name,
        "clinic": delivery.clinic,
        "treatment": submission.treatment_consent,
        "emails": submission.email_consent,
    }
    return EmailParts(context, reply_to=reply_to(delivery.clinic), timezone=delivery.clinic.timezone)


def _skip_copy(delivery: Delivery, now: dt.datetime, batch: None) -> str | None:
    return _not_for_client(delivery)


INTAKE_LINK_EMAIL = EmailKind(
    slug=Delivery.Kind.INTAKE_LINK,
    template_dir="intake/email/intake_link",
    build=_link_parts,
    skip=_skip_link,
    select_related=("intake_link",),
    html=False,
)
CONSENT_COPY = EmailKind(
    slug=Delivery.Kind.CONSENT_COPY,
    template_dir="intake/email/consent_copy",
    build=_copy_parts,
    skip=_skip_copy,
    select_related=("intake_submission__treatment_consent", "intake_submission__email_consent"),
    html=False,
)
