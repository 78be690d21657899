"""Reads for appointments: calendars, clashes, and the choice lists of the booking forms."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, QuerySet

from accounts.models import User
from accounts.tenancy import clinic_get
from clients.models import Client

from .models import Appointment


def active_clients(clinic) -> QuerySet[Client]:
    return Client.objects.filter(clinic=clinic).active()


def active_staff(clinic) -> QuerySet[User]:
    # Owners treat clients too, so every active member of staff can hold appointments.
    return User.objects.filter(clinic=clinic, is_active=True)


def clashing_appointments(
    *, practitioner: User, starts_at: dt.datetime, ends_at: dt.datetime, exclude_pk: int | None = None
) -> list[Appointment]:
    """Appointments of `practitioner` that hold any part of [starts_at, ends_at).

    Half-open intervals, like the PostgreSQL constraint's tstzrange '[)': one
    appointment may end exactly when the next begins.
    """
    return _blocking_overlaps(Q(practitioner=practitioner), starts_at, ends_at, exclude_pk)


def client_clashes(
    *, client: Client, starts_at: dt.datetime, ends_at: dt.datetime, exclude_pk: int | None = None
) -> list[Appointment]:
    """Appointments of `client`, with any practitioner, that hold any part of [starts_at, ends_at)."""
    return _blocking_overlaps(Q(client=client), starts_at, ends_at, exclude_pk)


def _blocking_overlaps(
    who: Q, starts_at: dt.datetime, ends_at: dt.datetime, exclude_pk: int | None
) -> list[Appointment]:
    qs = Appointment.objects.filter(
        who,
        status__in=Appointment.BLOCKING,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).select_related("client", "practitioner")
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs)


def calendar_appointments(
    *, clinic, start: dt.datetime, end: dt.datetime, practitioner: User | None = None
) -> QuerySet[Appointment]:
    """Appointments starting in [start, end), ready for a calendar page in a fixed number of queries.

    Each row carries `session_id` (the treatment session recorded for it, or None) so the
    page can offer "Record session" or "Open session" without a query per row.
    """
    qs = (
        Appointment.objects.filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
        .select_related("client", "practitioner")
        .prefetch_related("client__health_flags", "client__permission_requests")
        # The session recorded from it, through the reverse one-to-one (a LEFT JOIN, at most one row).
        .annotate(session_id=F("treatment_session__id"))
        .order_by("starts_at", "practitioner__first_name", "pk")
    )
    if practitioner is not None:
        qs = qs.filter(practitioner=practitioner)
    return qs


def appointment_for_detail(clinic, pk: int) -> Appointment:
    qs = Appointment.objects.select_related("client", "practitioner", "course", "treatment_session").prefetch_related(
        "client__health_flags", "client__permission_requests", "status_changes__by", "course__appointments"
    )
    return clinic_get(qs, clinic, pk=pk)
