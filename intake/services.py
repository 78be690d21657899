"""Writes for intake links and submissions.

- `intake_link_send`: a link row and the email that carries it (an outbox row), together.
- `intake_submit`: what the client sent through a link: their consents are recorded at
  once, as their own act with the statement they signed; their answers wait, as a
  submission, for the practitioner. The link's conditional UPDATE lets one submission
  through, however many times the form is posted.
- `intake_accept`: the fields the practitioner accepts go into the record, each change in
  the audit trail as "given by the client" with who accepted it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.localtime import local_today
from accounts.models import User
from audit.actor import GIVEN_BY_CLIENT, acting_as
from audit.services import logged_update
from clients.models import Client, ConsentKind, ConsentSource
from clients.services import archived_refusal, client_flags_set, consent_record
from outbox.models import Delivery
from outbox.services import delivery_create

from .models import IntakeLink, IntakeSubmission
from .review import REVIEW_FIELDS, stored_value

logger = logging.getLogger(__name__)


class IntakeError(Exception):
    """Something the practitioner asked that cannot be done; the message says why."""


class LinkUsed(Exception):
    """The link has already brought a submission: it cannot bring another."""


@transaction.atomic
def intake_link_send(*, client: Client, by: User | None = None, purpose: str = IntakeLink.Purpose.INTAKE) -> IntakeLink:
    """A new link for `client`, emailed by the outbox once the caller's transaction commits."""
    if client.is_archived:
        raise IntakeError(archived_refusal(client, "sending a link"))
    if not client.email:
        raise IntakeError(f"{client.full_name} has no email address: add one on the intake first.")
    link = IntakeLink.objects.create(clinic_id=client.clinic_id, client=client, purpose=purpose, sent_by=by)
    link.delivery = delivery_create(
        kind=Delivery.Kind.INTAKE_LINK,
        clinic_id=client.clinic_id,
        local_date=local_today(client.clinic),
        client=client,
        **client.as_recipient,
    )
    link.save(update_fields=["delivery"])
    logger.info("Intake link %s (%s) for client %s", link.pk, purpose, client.pk)
    return link


def send_intake_link(client: Client, by: User | None = None) -> IntakeLink:
    """The intake link for a new or returning client (the booking flow calls this for a new client)."""
    return intake_link_send(client=client, by=by)


def _client_link_consent(link: IntakeLink, kind: str, at: dt.datetime, statement: str, signed_name: str):
    return consent_record(
        client=link.client,
        kind=kind,
        given=True,
        source=ConsentSource.CLIENT_LINK,
        at=at,
        statement=statement,
        signed_name=signed_name,
        link_ref=link.reference,
    )


@transaction.atomic
def intake_submit(
    *,
    link: IntakeLink,
    answers: Mapping[str, Any],
    signed_name: str,
    treatment_statement: str,
    email_statement: str = "",
) -> IntakeSubmission:
    """Record what the client sent through `link`; LinkUsed if it was used already.

    `answers`: {review field: value as text}; `email_statement` is empty when the client
    did not ask for routine emails."""
    now = timezone.now()
    if not IntakeLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now):
        raise LinkUsed(link.reference)
    link.used_at = now
    treatment = _client_link_consent(link, ConsentKind.TREATMENT, now, treatment_statement, signed_name)
    emails = None
    if email_statement:
        emails = _client_link_consent(link, ConsentKind.ROUTINE_EMAILS, now, email_statement, signed_name)
    # Only what differs from the record is worth a review.
    changed = {name: value for name, value in answers.items() if value != stored_value(link.client, name)}
    submission = IntakeSubmission.objects.create(
        clinic_id=link.clinic_id,
        client=link.client,
        link=link,
        submitted_at=now,
        answers=changed,
        treatment_consent=treatment,
        email_consent=emails,
        status=IntakeSubmission.Status.PENDING if changed else IntakeSubmission.Status.REVIEWED,
    )
    client = link.client
    submission.copy_delivery = delivery_create(
        kind=Delivery.Kind.CONSENT_COPY,
        clinic_id=client.clinic_id,
        local_date=local_today(client.clinic, now),
        client=client,
        **client.as_recipient,
    )
    submission.save(update_fields=["copy_delivery"])
    logger.info("Intake submission %s through link %s", submission.pk, link.pk)
    return submission


@transaction.atomic
def intake_accept(*, submission: IntakeSubmission, fields: Iterable[str], by: User) -> list[str]:
    """Write the accepted fields into the client's record and close the review; returns the
    fields written. A submission already reviewed changes nothing (two clicks, one review)."""
    submission = IntakeSubmission.objects.select_for_update().select_related("client").get(pk=submission.pk)
    if not submission.is_pending:
        return []
    client = submission.client
    wanted = [name for name in REVIEW_FIELDS if name in set(fields) and name in submission.answers]
    values = {name: REVIEW_FIELDS[name].to_record(submission.answers[name]) for name in wanted if name != "flags"}
    with acting_as(f"{GIVEN_BY_CLIENT}, accepted by {by}", by):
        if values:
            logged_update(Client.objects.filter(pk=client.pk), **values, updated_at=timezone.now())
        if "flags" in wanted:
            # Changed as of when the client said so: the consent they signed with it covers it.
            client_flags_set(client=client, flags=submission.answers["flags"], changed_at=submission.submitted_at)
        logged_update(
            IntakeSubmission.objects.filter(pk=submission.pk, status=IntakeSubmission.Status.PENDING),
            status=IntakeSubmission.Status.REVIEWED,
            reviewed_at=timezone.now(),
            reviewed_by=by,
            accepted=wanted,
        )
    logger.info("Intake submission %s reviewed by user %s: accepted %s", submission.pk, by.pk, wanted)
    return wanted
