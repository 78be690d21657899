"""Writes for online booking: hold a slot, confirm it from the emailed link, and the clinic's
answer to a request (docs/domain.md, "Online booking").

A client's chosen slot becomes a BookingHold at once, which keeps it from everybody else
for HOLD_MINUTES while the verification email travels; following the link turns the hold
into an appointment (or, where the clinic accepts requests, into a request that keeps
blocking the slot until the clinic answers).

Two clients choosing one slot: each `hold_create` takes the practitioner's booking lock
(the one every appointment booking of that practitioner takes, appointments/services.py)
before it looks at the slot again, so the second waits for the first and then finds the
slot held. Holds expire by the clock, which no constraint can read; the lock is the
database's guarantee here. The appointment made from a hold is guarded as every
appointment is, by the exclusion constraint.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.localtime import local_today, local_zone
from accounts.models import Clinic, User
from appointments.models import TreatmentType
from appointments.services import BookingError, appointment_book, queue_practitioner_writes
from audit.actor import CLIENT_VIA_LINK, acting_as
from clients.models import Client
from clients.services import client_unarchive
from outbox.models import Delivery
from outbox.services import delivery_create

from . import slots as slot_finder
from .models import HOLD_MINUTES, BookingHold, BookingSettings

logger = logging.getLogger(__name__)

# On the appointment, for the practitioner only: the client came back online from the archive.
BOOKED_ONLINE_UNARCHIVED = "Booked online. The client was archived; booking brought them back to the client list."


class BookingClosed(Exception):
    """The clinic does not take bookings online (any more)."""


class SlotGone(Exception):
    """The chosen time is not free (any more): someone took it, or it was never offered."""


class HoldNotOpen(Exception):
    """The link's hold is no longer waiting: already confirmed, requested, declined or expired."""

    def __init__(self, hold: BookingHold):
        super().__init__(hold.status)
        self.hold = hold


def free_at(
    *,
    clinic: Clinic,
    treatment_type: TreatmentType,
    practitioner: User | None,
    starts_at: dt.datetime,
    settings: BookingSettings,
    now: dt.datetime,
) -> list[slot_finder.Slot]:
    """The free slots starting at `starts_at` (one per practitioner free then)."""
    day = starts_at.astimezone(local_zone(clinic)).date()
    offered = slot_finder.free_slots(
        clinic, treatment_type, practitioner=practitioner, start=day, days=1, now=now, settings=settings
    )
    return [s for s in offered if s.starts_at == starts_at]


@transaction.atomic
def hold_create(
    *,
    clinic: Clinic,
    treatment_type: TreatmentType,
    practitioner: User | None,
    starts_at: dt.datetime,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    now: dt.datetime | None = None,
) -> BookingHold:
    """Hold `starts_at` (with `practitioner`, or whoever is free for "anyone") and email the link.

    SlotGone when the time is not one of the free slots once this booking's turn comes."""
    now = now or timezone.now()
    settings = BookingSettings.for_clinic(clinic)
    if not settings.online:
        raise BookingClosed
    if treatment_type.clinic_id != clinic.pk or not treatment_type.active:
        raise SlotGone
    look = {"clinic": clinic, "treatment_type": treatment_type, "practitioner": practitioner, "starts_at": starts_at}
    candidates = free_at(**look, settings=settings, now=now)
    if not candidates:
        raise SlotGone
    # Queue behind every other booking of these practitioners (always in id order, so two
    # "anyone" bookings never wait on each other), then look again: what the first look
    # saw may have been taken while we waited.
    for pk in sorted({s.practitioner.pk for s in candidates}):
        queue_practitioner_writes(pk)
    still_free = free_at(**look, settings=settings, now=now)
    if not still_free:
        raise SlotGone
    slot = still_free[0]
    hold = BookingHold.objects.create(
        clinic=clinic,
        practitioner=slot.practitioner,
        treatment_type=treatment_type,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        expires_at=now + dt.timedelta(minutes=HOLD_MINUTES),
    )
    hold.verify_delivery = delivery_create(
        kind=Delivery.Kind.BOOKING_VERIFY,
        clinic_id=clinic.pk,
        to_email=email,
        to_name=hold.full_name,
        local_date=local_today(clinic, now),
    )
    hold.save(update_fields=["verify_delivery"])
    return hold


def _client_for(hold: BookingHold, *, by: User | None) -> tuple[Client, bool, bool]:
    """The clinic's client with the verified address, or a new one; (client, is new, was archived).

    Only an address the client has just proved they read counts: a returning client is
    booked as themselves, and nobody learns whether an address was known (the pages and
    emails say the same either way). An archived client is booked as themselves too, and
    back on the client list (docs/domain.md, "Archived clients"): their health flags,
    consents and GP's word still hold, which a new record would lose."""
    known = (
        Client.objects.filter(clinic=hold.clinic, email__iexact=hold.email)
        .order_by(F("archived_at").desc(nulls_first=True), "-created_at", "-pk")
        .first()
    )
    if known is not None:
        was_archived = known.is_archived
        if was_archived:
            client_unarchive(client=known, by=by)
        return known, False, was_archived
    client = Client(
        clinic=hold.clinic,
        first_name=hold.first_name,
        last_name=hold.last_name,
        email=hold.email,
        phone=hold.phone,
        timezone=hold.clinic.timezone,
        practitioner=hold.practitioner,
    )
    try:
        client.full_clean(exclude=["practitioner"])
    except ValidationError as error:
        # The booking form checked these already; a value it let through is our mistake to log.
        logger.warning("Online booking %s made an invalid client: %s", hold.pk, error.message_dict)
        raise
    client.save()
    return client, True, False


def send_intake_link_hook(client: Client) -> None:
    """A new client gets the intake link with their confirmation (issue 12, part 1), where the
    intake app is installed."""
    if not apps.is_installed("intake"):
        return
    from intake.services import send_intake_link

    send_intake_link(client)


def _book(hold: BookingHold, *, by: User | None) -> BookingHold:
    client, is_new, was_archived = _client_for(hold, by=by)
    try:
        appointment = appointment_book(
            clinic=hold.clinic,
            client=client,
            practitioner=hold.practitioner,
            starts_at=hold.starts_at,
            ends_at=hold.ends_at,
            treatment_type=hold.treatment_type,
            notes=BOOKED_ONLINE_UNARCHIVED if was_archived else "Booked online",
            created_by=by,
        )
    except BookingError as error:
        raise SlotGone from error
    if is_new:
        send_intake_link_hook(client)
    hold.client = client
    hold.appointment = appointment
    hold.status = BookingHold.Status.BOOKED
    return hold


def _lock_hold(hold_id: int, clinic: Clinic | None = None) -> BookingHold:
    holds = BookingHold.objects.select_for_update(of=("self",)).select_related(
        "clinic", "practitioner", "treatment_type"
    )
    if clinic is not None:
        holds = holds.filter(clinic=clinic)
    return holds.get(pk=hold_id)


@transaction.atomic
def hold_verify(*, hold_id: int, now: dt.datetime | None = None) -> BookingHold:
    """The client followed the link: book (or request) the held time.

    HoldNotOpen for a hold already confirmed, answered or expired (a second click changes
    nothing); SlotGone when the clinic booked the time meanwhile (the hold is released);
    BookingClosed when the clinic turned online booking off since. Nothing is half saved."""
    now = now or timezone.now()
    hold = _lock_hold(hold_id)
    if hold.status == BookingHold.Status.HELD and hold.expires_at <= now:
        hold.status = BookingHold.Status.EXPIRED
        hold.save(update_fields=["status"])
    if hold.status != BookingHold.Status.HELD:
        raise HoldNotOpen(hold)
    settings = BookingSettings.for_clinic(hold.clinic)
    if not settings.online:
        raise BookingClosed
    with acting_as(CLIENT_VIA_LINK):
        if settings.mode == BookingSettings.Mode.REQUEST:
            hold.status = BookingHold.Status.REQUESTED
        else:
            try:
                with transaction.atomic():
                    _book(hold, by=None)
            except SlotGone:
                hold.status = BookingHold.Status.EXPIRED
                hold.save(update_fields=["status"])
                raise
        hold.save()
    return hold


@transaction.atomic
def request_accept(*, clinic: Clinic, hold_id: int, by: User) -> BookingHold:
    """The clinic accepts a request: the appointment is made and confirmed to the client as any booking is.

    SlotGone when the time was booked meanwhile; HoldNotOpen when it was answered already."""
    hold = _lock_hold(hold_id, clinic)
    if hold.status != BookingHold.Status.REQUESTED:
        raise HoldNotOpen(hold)
    with transaction.atomic():
        _book(hold, by=by)
    hold.decided_at = timezone.now()
    hold.decided_by = by
    hold.save()
    return hold


@transaction.atomic
def request_decline(*, clinic: Clinic, hold_id: int, by: User) -> BookingHold:
    """The clinic declines a request: the time is free again and the client is told, kindly."""
    hold = _lock_hold(hold_id, clinic)
    if hold.status != BookingHold.Status.REQUESTED:
        raise HoldNotOpen(hold)
    now = timezone.now()
    hold.status = BookingHold.Status.DECLINED
    hold.decided_at = now
    hold.decided_by = by
    hold.decline_delivery = delivery_create(
        kind=Delivery.Kind.BOOKING_DECLINED,
        clinic_id=clinic.pk,
        to_email=hold.email,
        to_name=hold.full_name,
        local_date=local_today(clinic, now),
    )
    hold.save()
    return hold


# Unconfirmed holds keep a name, an email and a phone number of someone who may never have
# meant to book (or never typed them): kept a day for the clinic's questions, then forgotten.
LAPSED_HOLDS_KEPT = dt.timedelta(days=1)


def holds_forget_lapsed(*, now: dt.datetime | None = None) -> int:
    """Delete the holds whose link was never followed, a day after they expired; returns how many."""
    now = now or timezone.now()
    lapsed = BookingHold.objects.filter(
        status__in=(BookingHold.Status.HELD, BookingHold.Status.EXPIRED), expires_at__lt=now - LAPSED_HOLDS_KEPT
    )
    deleted, _ = lapsed.delete()
    return deleted
