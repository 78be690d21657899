"""What appointments add to the client pages (registered in clients/panels.py by AppointmentsConfig.ready())."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from clients import panels
from clients.models import Client

from .models import Appointment
from .services import AppointmentNotOpen, appointment_cancel


def next_appointment_at() -> Subquery:
    """Per client of the client list: when their next booked appointment starts."""
    return Subquery(
        Appointment.objects.filter(
            client=OuterRef("pk"), status=Appointment.Status.BOOKED, starts_at__gte=timezone.now()
        )
        .order_by("starts_at")
        .values("starts_at")[:1]
    )


def future_appointments(client: Client) -> list[Appointment]:
    """What archiving would cancel or keep: the client's booked visits still to come."""
    return list(
        Appointment.objects.filter(client=client, status=Appointment.Status.BOOKED, starts_at__gt=timezone.now())
        .select_related("practitioner")
        .order_by("starts_at")
    )


def archive(*, client: Client, by, cancel_future: bool, reason: str) -> None:
    """Archiving cancels the future visits (the cancel service tells the client) or keeps them."""
    if not cancel_future:
        return
    for appointment in future_appointments(client):
        try:
            appointment_cancel(appointment=appointment, reason=reason)
        except AppointmentNotOpen:
            continue  # cancelled or marked a moment ago: nothing left to cancel


def register() -> None:
    panels.register_list_column("next_appointment_at", next_appointment_at)
    panels.register_archive_effect("future_appointments", lookup=future_appointments, apply=archive)
