"""What appointments add to the client pages (registered in clients/panels.py by AppointmentsConfig.ready())."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from clients import panels

from .models import Appointment


def next_appointment_at() -> Subquery:
    """Per client of the client list: when their next booked appointment starts."""
    return Subquery(
        Appointment.objects.filter(
            client=OuterRef("pk"), status=Appointment.Status.BOOKED, starts_at__gte=timezone.now()
        )
        .order_by("starts_at")
        .values("starts_at")[:1]
    )


def register() -> None:
    panels.register_list_column("next_appointment_at", next_appointment_at)
