"""A client moves or cancels their own appointment from the links in its emails.

What may happen is decided in one place (`change_state`), read by the page to say what the
client can do and again by the services under the appointment's row lock, so a page left
open cannot act on an appointment that changed meanwhile (docs/domain.md, "Changes from
the email"):

- a link is good for the appointment as its email described it: once the appointment
  has moved or been cancelled (its SEQUENCE went up), the link only says so;
- nothing changes after the appointment has begun, nor later than the clinic's
  cancellation notice before it: the page gives the clinic's phone number instead;
- a new time is one of the free slots the booking page would offer (booking/slots.py),
  with the same practitioner for as long as the visit takes now.

The changes go through the appointment services, so the client gets the same notice a
practitioner's change sends (a calendar file with the same UID and a higher SEQUENCE), and
they are made `acting_as(CLIENT_VIA_LINK)`: the audit trail records them as the client's,
and the needs-attention list reads them back from there (attention/selectors.py).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.localtime import local_today, local_zone
from appointments.models import Appointment, TreatmentType
from appointments.services import (
    BookingError,
    appointment_cancel,
    appointment_reschedule,
    queue_practitioner_writes,
)
from audit.actor import CLIENT_VIA_LINK, acting_as

from .models import BookingSettings
from .slots import Slot, free_slots
from .week import DAYS

# What a change link's page can say; only OPEN lets the client act.
OPEN = "open"
PAST = "past"  # the appointment has begun or is over
CANCELLED = "cancelled"  # cancelled already, by the client or the clinic
CHANGED = "changed"  # moved (or cancelled) since this link's email: a newer email has the links
OFFLINE = "offline"  # the clinic has turned online changes off since
TOO_LATE = "too_late"  # inside the cancellation notice

CLIENT_CANCEL_REASON = "by the client, from their email"
# How many days of free slots the reschedule page shows at a time: a week, as the booking page.
PICKER_DAYS = DAYS


class ChangeRefused(Exception):
    """The appointment cannot be changed from this link now; `state` says why."""

    def __init__(self, state: str):
        super().__init__(state)
        self.state = state


class SlotTaken(Exception):
    """The chosen time is not free (any more): someone took it, or it was never offered."""


def change_state(
    appointment: Appointment, *, sequence: int, settings: BookingSettings, now: dt.datetime | None = None
) -> str:
    now = now or timezone.now()
    if appointment.starts_at <= now or appointment.status in (Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW):
        return PAST
    if appointment.sequence != sequence:
        return CHANGED
    if appointment.status == Appointment.Status.CANCELLED:
        return CANCELLED
    if not settings.online:
        return OFFLINE
    # At least the notice ahead: exactly 24 hours before a 24-hour notice is still in time.
    if appointment.starts_at - now < notice(settings):
        return TOO_LATE
    return OPEN


def notice(settings: BookingSettings) -> dt.timedelta:
    return dt.timedelta(hours=settings.cancellation_notice_hours)


def visit_kind(appointment: Appointment) -> TreatmentType:
    """What a new time must fit: the appointment's treatment type, or, booked without one at
    the desk, its own length with no buffer (unsaved: free_slots reads only the two lengths)."""
    if appointment.treatment_type_id is not None:
        return appointment.treatment_type
    return TreatmentType(
        clinic_id=appointment.clinic_id, duration_minutes=appointment.duration_minutes, buffer_after_minutes=0
    )


def reschedule_slots(
    appointment: Appointment,
    *,
    settings: BookingSettings,
    start: dt.date | None = None,
    days: int = PICKER_DAYS,
    now: dt.datetime | None = None,
) -> list[Slot]:
    """The times the visit can move to: its practitioner's free slots of its length, from `start`."""
    return free_slots(
        appointment.clinic,
        visit_kind(appointment),
        practitioner=appointment.practitioner,
        start=start or local_today(appointment.clinic, now),
        days=days,
        now=now,
        settings=settings,
    )


def _lock(appointment: Appointment, *, sequence: int, now: dt.datetime) -> tuple[Appointment, BookingSettings]:
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinic", "practitioner", "treatment_type")
        .get(pk=appointment.pk)
    )
    settings = BookingSettings.for_clinic(locked.clinic)
    state = change_state(locked, sequence=sequence, settings=settings, now=now)
    if state != OPEN:
        raise ChangeRefused(state)
    return locked, settings


@transaction.atomic
def client_cancel(*, appointment: Appointment, sequence: int, now: dt.datetime | None = None) -> Appointment:
    """Cancel from the client's link; the cancellation notice removes it from their calendar."""
    locked, _ = _lock(appointment=appointment, sequence=sequence, now=now or timezone.now())
    with acting_as(CLIENT_VIA_LINK):
        return appointment_cancel(appointment=locked, reason=CLIENT_CANCEL_REASON)


@transaction.atomic
def client_reschedule(
    *, appointment: Appointment, sequence: int, starts_at: dt.datetime, now: dt.datetime | None = None
) -> Appointment:
    """Move to `starts_at`, one of the free slots offered; SlotTaken when it is not (any more).

    Two clients choosing one slot: the second waits in line behind the first (the
    practitioner's queue of writes, appointments/services.py) and then finds the slot no
    longer free; anything that skipped the line is refused by the database's exclusion
    constraint. Either way the second gets SlotTaken and its transaction leaves nothing behind."""
    now = now or timezone.now()
    locked, settings = _lock(appointment=appointment, sequence=sequence, now=now)
    # In line with the practitioner's other bookings and online holds before reading what is
    # free, so no hold slips in between the read and the move (booking/services.py does the same).
    queue_practitioner_writes(locked.practitioner_id)
    day = starts_at.astimezone(local_zone(locked.clinic)).date()
    offered = {
        s.starts_at: s for s in reschedule_slots(appointment=locked, settings=settings, start=day, days=1, now=now)
    }
    slot = offered.get(starts_at)
    if slot is None:
        raise SlotTaken
    try:
        with acting_as(CLIENT_VIA_LINK):
            return appointment_reschedule(
                appointment=locked, practitioner=locked.practitioner, starts_at=slot.starts_at, ends_at=slot.ends_at
            )
    except BookingError as error:
        raise SlotTaken from error
