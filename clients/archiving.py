"""Archiving a client, and what it does to their future appointments and their routine.

Apart from clients/services.py because it acts through the appointments and routines
services (which themselves read clients), so clients/services.py stays below them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment
from appointments.services import AppointmentNotOpen, appointment_cancel
from clients.models import Client
from clients.services import client_archive
from routines.models import Routine
from routines.services import RUNNING, routine_stop

ARCHIVE_REASON = "The client was archived."


@dataclass(frozen=True)
class ArchiveEffects:
    """What archiving the client now would touch: asked about and said before it happens."""

    future_appointments: list[Appointment]
    running_routine: Routine | None


def archive_effects(client: Client) -> ArchiveEffects:
    future = Appointment.objects.filter(
        client=client, status=Appointment.Status.BOOKED, starts_at__gt=timezone.now()
    ).select_related("practitioner")
    routine = Routine.objects.filter(client=client, status__in=RUNNING).order_by("-assigned_at").first()
    return ArchiveEffects(list(future.order_by("starts_at")), routine)


@transaction.atomic
def client_archive_with_effects(*, client: Client, by: User, cancel_future: bool) -> ArchiveEffects:
    """Archive the client, stop their routine, and cancel their future appointments (the cancel
    service tells the client) or keep them, as the practitioner chose. All or nothing."""
    effects = archive_effects(client)
    client_archive(client=client, by=by)
    for routine in Routine.objects.filter(client=client, status__in=RUNNING):
        routine_stop(routine=routine, by=by, reason=ARCHIVE_REASON)
    if cancel_future:
        for appointment in effects.future_appointments:
            try:
                appointment_cancel(appointment=appointment, reason=ARCHIVE_REASON)
            except AppointmentNotOpen:
                continue  # cancelled or marked a moment ago: nothing left to cancel
    return effects
