"""Reads for the clients app. Every function starts from the clinic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Clinic, User
from accounts.tenancy import clinic_get
from appointments.models import Appointment
from clients.models import Client
from clients.phones import region_for_timezone
from sessions.charts import ZoneHeat, zone_heat
from sessions.models import PressureNote, TreatmentSession


def client_list(*, clinic: Clinic, query: str = "", archived: bool = False) -> QuerySet[Client]:
    """The clinic's clients for the list page, with everything a row shows in a fixed
    number of queries whatever the page size: the next booked appointment and the last
    session come as subqueries, the flags as one prefetch."""
    clients = Client.objects.filter(clinic=clinic)
    clients = clients.filter(archived_at__isnull=not archived)
    # Subqueries rather than Min/Max over joins: joining appointments and sessions
    # together would multiply rows per client before the aggregate.
    next_appointment = (
        Appointment.objects.filter(
            client=OuterRef("pk"), status=Appointment.Status.BOOKED, starts_at__gte=timezone.now()
        )
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    last_session = (
        TreatmentSession.objects.filter(client=OuterRef("pk")).order_by("-started_at").values("started_at")[:1]
    )
    return (
        clients.search(query, region=region_for_timezone(clinic.timezone))
        .select_related("practitioner")
        .prefetch_related("health_flags")
        .annotate(next_appointment_at=Subquery(next_appointment), last_session_at=Subquery(last_session))
        .order_by("last_name", "first_name", "id")
    )


def client_for_page(*, clinic: Clinic, pk: int) -> Client:
    """One client of the clinic (404 otherwise) with its practitioner and flags loaded."""
    return clinic_get(Client.objects.select_related("practitioner").prefetch_related("health_flags"), clinic, pk=pk)


def practitioner_choices(*, clinic: Clinic, keep: int | None = None) -> QuerySet[User]:
    """Who may be a client's usual practitioner: the clinic's active staff, plus `keep`
    (the one already chosen, who may have left since) so that re-saving a client works."""
    return User.objects.filter(Q(is_active=True) | Q(pk=keep), clinic=clinic).order_by(
        "first_name", "last_name", "username"
    )


@dataclass
class TimelineEntry:
    """One line of the client's history: an appointment (with the session recorded
    from it, if any), or a session recorded without an appointment."""

    at: datetime
    appointment: Appointment | None = None
    session: TreatmentSession | None = None


@dataclass
class ClientHistory:
    timeline: list[TimelineEntry] = field(default_factory=list)
    # Oldest first, for the pain chart.
    sessions: list[TreatmentSession] = field(default_factory=list)


def client_history(*, client: Client) -> ClientHistory:
    """Appointments and sessions merged newest first, in two queries however long the history."""
    appointments = list(
        Appointment.objects.filter(clinic=client.clinic_id, client=client).select_related("practitioner", "course")
    )
    sessions = list(
        TreatmentSession.objects.filter(clinic=client.clinic_id, client=client)
        .select_related("practitioner")
        .order_by("started_at", "id")
    )
    by_appointment = {s.appointment_id: s for s in sessions if s.appointment_id}
    entries = [TimelineEntry(at=a.starts_at, appointment=a, session=by_appointment.get(a.pk)) for a in appointments]
    entries += [TimelineEntry(at=s.started_at, session=s) for s in sessions if s.appointment_id is None]
    entries.sort(key=lambda e: e.at, reverse=True)
    return ClientHistory(timeline=entries, sessions=sessions)


def client_zone_heat(*, client: Client) -> list[ZoneHeat]:
    """Per-zone pressure and response history for the heat map on the client page."""
    return zone_heat(PressureNote.objects.filter(session__client=client, session__clinic=client.clinic_id))
