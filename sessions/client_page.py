"""What treatment sessions add to the client pages (registered in clients/panels.py by
TreatmentSessionsConfig.ready()): the last session on the list; the timeline of
appointments and sessions, the sessions for the pain chart and the zone heat map on the
client page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import OuterRef, Subquery

from appointments.models import Appointment
from clients import panels
from clients.models import Client

from .charts import ZoneHeat, zone_heat
from .models import PressureNote, TreatmentSession


def last_session_at() -> Subquery:
    """Per client of the client list: when their latest session started."""
    return Subquery(
        TreatmentSession.objects.filter(client=OuterRef("pk")).order_by("-started_at").values("started_at")[:1]
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


def panel(client: Client) -> dict:
    history = client_history(client=client)
    # The pain chart draws signed sessions only: a draft's scores are not a result yet
    # (the timeline lists the draft, marked Draft).
    return {
        "timeline": history.timeline,
        "pain_sessions": [s for s in history.sessions if s.is_signed],
        "heat": client_zone_heat(client=client),
    }


def register() -> None:
    panels.register_list_column("last_session_at", last_session_at)
    panels.register_panel("sessions", panel)
