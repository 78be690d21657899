"""Who and when a report covers, and the querysets every table starts from.

A Scope is one clinic, an inclusive range of clinic-local days and optionally one
practitioner (then only their clients: Client.practitioner == user). Every queryset
here filters on the clinic first and the date next, the order of the indexes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from appointments.models import Appointment
from clients.models import Client
from outbox.models import Delivery
from routines.models import CheckIn
from sessions.models import PressureNote, TreatmentSession, ZoneDay

from .forms import DEFAULT_RANGE, ReportFilterForm


@dataclass(frozen=True)
class Scope:
    clinic: object
    start: dt.date  # first clinic-local day, inclusive
    end: dt.date  # last clinic-local day, inclusive
    practitioner: object | None = None
    # "Now" for figures that must leave the future out (booked appointments); tests pin it.
    now: dt.datetime | None = None

    @cached_property
    def shared(self) -> dict:
        """Results one statement computes for several tables of this scope (see
        metrics.shared): built once per Scope, i.e. once per page or export."""
        return {}

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.clinic.timezone)

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=self.tz)

    @property
    def end_at(self) -> dt.datetime:
        """Local midnight after the last day: ranges are half-open, [start_at, end_at)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=self.tz)

    @property
    def as_of(self) -> dt.datetime:
        return self.now or timezone.now()

    def local_midnight(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.min, tzinfo=self.tz)

    @property
    def label(self) -> str:
        return f"{self.start:%-d %b %Y} to {self.end:%-d %b %Y}"


def preset_range(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """Up to today: this calendar quarter, this calendar year, or (the default) whole
    weeks, Monday first: this week and the three before it."""
    if preset == "quarter":
        return dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if preset == "year":
        return dt.date(today.year, 1, 1), today
    monday = today - dt.timedelta(days=today.weekday())
    return monday - dt.timedelta(weeks=3), today


def clinic_today(clinic) -> dt.date:
    return timezone.localtime(timezone.now(), ZoneInfo(clinic.timezone)).date()


def scope_and_form(request) -> tuple[Scope, ReportFilterForm]:
    """The scope asked for in the query string, and the bound form with any errors.

    Whatever part of the input is bad falls back: a bad range to the default range, a
    practitioner of another clinic to everyone (the form says why). Practitioners
    always get their own clients, whatever the query string says.
    """
    clinic, user = request.clinic, request.user
    form = ReportFilterForm(request.GET or None, clinic=clinic, user=user)
    today = clinic_today(clinic)
    start, end = preset_range(DEFAULT_RANGE, today)
    practitioner = None if user.is_owner else user
    if form.is_bound:
        form.is_valid()
        data = form.cleaned_data
        preset = data.get("range") or DEFAULT_RANGE
        if preset == "custom":
            if not any(f in form.errors for f in ("range", "start", "end")) and data.get("start") and data.get("end"):
                start, end = data["start"], data["end"]
        else:
            start, end = preset_range(preset, today)
        if user.is_owner:
            practitioner = data.get("practitioner")
    return Scope(clinic=clinic, start=start, end=end, practitioner=practitioner), form


def scope_from_request(request) -> Scope:
    return scope_and_form(request)[0]


# Results count signed sessions only: a draft is still being written, so its pain scores and
# zones are not yet what happened (docs/domain.md, Words: session). The hand-written
# statements in metrics.py say the same with signed_sql(); bench/dashboard.py's SQL too.
SIGNED = {"signed_at__isnull": False}


def signed_sql(alias: str) -> str:
    """SIGNED as SQL, for a statement reading sessions under `alias`."""
    return f"{alias}.signed_at IS NOT NULL"


def _by_practitioner(qs: QuerySet, scope: Scope, client_path: str = "client") -> QuerySet:
    if scope.practitioner is None:
        return qs
    return qs.filter(**{f"{client_path}__practitioner": scope.practitioner})


def sessions_qs(scope: Scope, *, in_range: bool = True) -> QuerySet[TreatmentSession]:
    """Sessions of the scope's clients; started in the range, or (in_range=False) any
    time before its end, for figures that need a client's history."""
    qs = TreatmentSession.objects.filter(clinic=scope.clinic, started_at__lt=scope.end_at, **SIGNED)
    if in_range:
        qs = qs.filter(started_at__gte=scope.start_at)
    return _by_practitioner(qs, scope)


def notes_qs(scope: Scope) -> QuerySet[PressureNote]:
    """Pressure notes of the signed sessions in scope (for sessions.charts.zone_heat). A note
    carries its session's clinic and start, so the range is read from the notes' own index
    (pressurenote_clinic_start_idx), the clinic's only. The notes of drafts are left out by
    NOT EXISTS over the same range of the clinic's sessions: a draft is rare, so the planner
    estimates the notes kept about right (a join on signed sessions, whose conditions it
    takes as independent of the notes' own, made it expect a fiftieth and sort on disk)."""
    in_range = {"clinic": scope.clinic, "started_at__gte": scope.start_at, "started_at__lt": scope.end_at}
    drafts = TreatmentSession.objects.filter(pk=OuterRef("session_id"), **in_range).exclude(**SIGNED)
    qs = PressureNote.objects.filter(~Exists(drafts), **in_range)
    return _by_practitioner(qs, scope, "session__client")


def zone_days_qs(scope: Scope) -> QuerySet[ZoneDay]:
    """The clinic's pressure notes per local day, zone and side (signed sessions only) of
    the range's days. Kept for the whole clinic, so for the owner's scope only."""
    if scope.practitioner is not None:
        raise ValueError("zone days count the whole clinic; a practitioner's scope reads notes_qs")
    return ZoneDay.objects.filter(clinic=scope.clinic, day__gte=scope.start, day__lte=scope.end)


def appointments_qs(scope: Scope, *, open_ended: bool = False) -> QuerySet[Appointment]:
    """Appointments starting in the range, or (open_ended=True) any time from its start on."""
    qs = Appointment.objects.filter(clinic=scope.clinic, starts_at__gte=scope.start_at)
    if not open_ended:
        qs = qs.filter(starts_at__lt=scope.end_at)
    return _by_practitioner(qs, scope)


def deliveries_qs(scope: Scope) -> QuerySet[Delivery]:
    """Emails of every kind whose client-local day is in the range."""
    qs = Delivery.objects.filter(clinic=scope.clinic, local_date__gte=scope.start, local_date__lte=scope.end)
    return _by_practitioner(qs, scope)


def checkins_qs(scope: Scope) -> QuerySet[CheckIn]:
    qs = CheckIn.objects.filter(clinic=scope.clinic, local_date__gte=scope.start, local_date__lte=scope.end)
    return _by_practitioner(qs, scope)


def clients_qs(scope: Scope) -> QuerySet[Client]:
    qs = Client.objects.filter(clinic=scope.clinic)
    if scope.practitioner is not None:
        qs = qs.filter(practitioner=scope.practitioner)
    return qs
