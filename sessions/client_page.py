"""What treatment sessions add to the client pages (registered in clients/panels.py by
TreatmentSessionsConfig.ready()): the last session on the list; the latest lines of the
timeline of appointments and sessions (the older ones on pages of their own,
sessions.views.client_history), the latest signed sessions for the pain chart and the
zone heat map on the client page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, OuterRef, Q, Subquery, Window
from django.utils import timezone

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


# Past lines on the client page, and per page of the older history (docs/domain.md, "The
# client page"): the page stays the same size however long the history grows.
TIMELINE_LENGTH = 10
# Signed sessions on the client page's pain chart; the progress report draws them all.
PAIN_CHART_LENGTH = 10


@dataclass
class TimelineEntry:
    """One line of the client's history: an appointment (with the session recorded
    from it, if any), or a session recorded without an appointment."""

    at: datetime
    appointment: Appointment | None = None
    session: TreatmentSession | None = None


@dataclass
class Timeline:
    # Newest first: on page 1 every appointment still to come, then the latest past lines.
    entries: list[TimelineEntry] = field(default_factory=list)
    page: int = 1
    has_older: bool = False


def client_timeline(*, client: Client, page: int = 1, per_page: int = TIMELINE_LENGTH) -> Timeline:
    """Page `page` of the client's past appointments and sessions merged newest first
    (`per_page` lines; page 1 also lists the appointments still to come), in two queries
    however long the history: each source is read only as far as the page reaches."""
    now = timezone.now()
    reach = page * per_page + 1  # one line more than the page says whether older ones exist
    appointments = Appointment.objects.filter(clinic=client.clinic_id, client=client).select_related(
        "practitioner", "course", "treatment_session"
    )
    past = appointments.filter(starts_at__lte=now).order_by("-starts_at", "-pk")
    if page == 1:
        appointments = appointments.filter(Q(starts_at__gt=now) | Q(pk__in=past.values("pk")[:reach]))
    else:
        appointments = past[:reach]
    loose = (
        TreatmentSession.objects.filter(clinic=client.clinic_id, client=client, appointment__isnull=True)
        .select_related("practitioner")
        .order_by("-started_at", "-pk")[:reach]
    )
    entries = [
        TimelineEntry(at=a.starts_at, appointment=a, session=getattr(a, "treatment_session", None))
        for a in appointments
    ]
    upcoming = sorted((e for e in entries if e.at > now), key=lambda e: e.at, reverse=True)
    history = [e for e in entries if e.at <= now] + [TimelineEntry(at=s.started_at, session=s) for s in loose]
    history.sort(key=lambda e: e.at, reverse=True)
    skip = (page - 1) * per_page
    return Timeline(
        entries=upcoming + history[skip : skip + per_page],
        page=page,
        has_older=len(history) > skip + per_page,
    )


def latest_signed_sessions(*, client: Client, count: int = PAIN_CHART_LENGTH) -> tuple[list[TreatmentSession], int]:
    """The client's latest `count` signed sessions, oldest first, and how many signed ones
    came before them (the chart numbers sessions from the first)."""
    latest = list(
        TreatmentSession.objects.filter(clinic=client.clinic_id, client=client, signed_at__isnull=False)
        # Counted over every signed session before LIMIT applies: one query.
        .annotate(signed_total=Window(Count("pk")))
        .order_by("-started_at", "-pk")[:count]
    )[::-1]
    return latest, (latest[0].signed_total - len(latest) if latest else 0)


def client_zone_heat(*, client: Client) -> list[ZoneHeat]:
    """Per-zone pressure and response history for the heat map on the client page."""
    return zone_heat(PressureNote.objects.filter(session__client=client, session__clinic=client.clinic_id))


def panel(client: Client) -> dict:
    # The pain chart draws signed sessions only: a draft's scores are not a result yet
    # (the timeline lists the draft, marked Draft).
    sessions, earlier = latest_signed_sessions(client=client)
    return {
        "timeline": client_timeline(client=client),
        "pain_sessions": sessions,
        "pain_sessions_earlier": earlier,
        "heat": client_zone_heat(client=client),
    }


def register() -> None:
    panels.register_list_column("last_session_at", last_session_at)
    panels.register_panel("sessions", panel)
