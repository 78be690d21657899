"""Reads for the report pages that are not report tables: whether there is anything to
report yet, and the per-client progress report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists

from accounts.models import Clinic
from appointments.models import Appointment
from clients.models import Client
from routines.models import CheckIn, check_in_words
from sessions.models import TreatmentSession

from .scope import SIGNED, Scope

# A printed report stays a few pages long; the client page has the full delivery log.
CHECK_IN_DAYS = 60


def has_history(scope: Scope) -> bool:
    """Whether any of the scope's clients ever had an appointment or a session (any date):
    a clinic (or practitioner) without any gets the "how to start" page, not empty charts."""
    # Two EXISTS that refer to nothing outside them: each is one index lookup that stops at
    # the first row (correlated per client, PostgreSQL hashed them and read all the
    # clinic's appointments).
    appointments = Appointment.objects.filter(clinic=scope.clinic)
    sessions = TreatmentSession.objects.filter(clinic=scope.clinic)
    if scope.practitioner is not None:
        appointments = appointments.filter(client__practitioner=scope.practitioner)
        sessions = sessions.filter(client__practitioner=scope.practitioner)
    return Clinic.objects.filter(pk=scope.clinic.pk).filter(Exists(appointments) | Exists(sessions)).exists()


@dataclass
class CheckInDay:
    day: dt.date
    words: list[str] = field(default_factory=list)


def client_sessions(client: Client) -> list[TreatmentSession]:
    """The client's signed sessions oldest first (a draft is not a result yet), with who
    treated them and how many zones were worked (pressure notes), in one query."""
    return list(
        TreatmentSession.objects.filter(clinic=client.clinic_id, client=client, **SIGNED)
        .select_related("practitioner")
        .annotate(zones_worked=Count("pressure_notes"))
        .order_by("started_at", "id")
    )


def client_check_in_days(client: Client, *, days: int = CHECK_IN_DAYS) -> tuple[list[CheckInDay], bool]:
    """What the client answered from the routine emails, one line per client-local day,
    newest first, for the latest `days` days with an answer; and whether there were more."""
    rows = (
        CheckIn.objects.filter(clinic=client.clinic_id, client=client)
        .order_by("-local_date", "kind", "id")
        .values_list("local_date", "kind", "pain")
    )
    out: list[CheckInDay] = []
    more = False
    for local_date, kind, pain in rows.iterator():
        if not out or out[-1].day != local_date:
            if len(out) == days:
                more = True
                break
            out.append(CheckInDay(local_date))
        out[-1].words.append(check_in_words(kind, pain))
    return out, more
