"""Reads for appointments: calendars, clashes, and the choice lists of the booking forms."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from accounts.models import User
from accounts.tenancy import clinic_get
from clients.models import Client, ClientHealthFlag

from . import feeds
from .models import Appointment, CalendarFeed, TimeOff, TreatmentType, WorkingHours


def active_clients(clinic) -> QuerySet[Client]:
    return Client.objects.filter(clinic=clinic).active()


def active_staff(clinic) -> QuerySet[User]:
    # Owners treat clients too, so every active member of staff can hold appointments.
    return User.objects.filter(clinic=clinic, is_active=True)


def offered_treatments(clinic) -> QuerySet[TreatmentType]:
    """The treatments a clinic offers now, in its own order (the desk's and the public page's choice)."""
    return TreatmentType.objects.filter(clinic=clinic, active=True)


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
    *, clinic, start: dt.datetime, end: dt.datetime, practitioner: User | None = None, light: bool = False
) -> QuerySet[Appointment]:
    """Appointments starting in [start, end), ready for a calendar page in a fixed number of queries.

    Each row carries `session_id` (the treatment session recorded for it, or None) so the
    page can offer "Record session" or "Open session" without a query per row. `light`:
    for the busy clinic's calendars, which show only a mark for health flags (`has_flags`)
    and load the rest on a click, not every client's flags.
    """
    qs = (
        Appointment.objects.filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
        .select_related("client", "practitioner")
        # The session recorded from it, through the reverse one-to-one (a LEFT JOIN, at most one row).
        .annotate(session_id=F("treatment_session__id"))
        .order_by("starts_at", "practitioner__first_name", "pk")
    )
    if light:
        qs = qs.annotate(has_flags=Exists(ClientHealthFlag.objects.filter(client=OuterRef("client_id"))))
    else:
        qs = qs.prefetch_related("client__health_flags", "client__permission_requests")
    if practitioner is not None:
        qs = qs.filter(practitioner=practitioner)
    return qs


def calendar_appointments_for_card() -> QuerySet[Appointment]:
    """One appointment's card on a calendar: what `calendar_appointments` gives a row, flags included."""
    return (
        Appointment.objects.select_related("client", "practitioner")
        .prefetch_related("client__health_flags", "client__permission_requests")
        .annotate(session_id=F("treatment_session__id"))
    )


def appointment_for_detail(clinic, pk: int) -> Appointment:
    qs = Appointment.objects.select_related(
        "client", "practitioner", "course", "treatment_session", "treatment_type"
    ).prefetch_related(
        "client__health_flags", "client__permission_requests", "status_changes__by", "course__appointments"
    )
    return clinic_get(qs, clinic, pk=pk)


def calendar_feed_for_token(token: str) -> CalendarFeed | None:
    """The feed whose secret is `token`, of a practitioner still active; None for a wrong or reset one."""
    return (
        CalendarFeed.objects.select_related("practitioner__clinic")
        .filter(token_hash=feeds.token_hash(token), practitioner__is_active=True, practitioner__clinic__isnull=False)
        .first()
    )


def feed_appointments(practitioner: User, *, now: dt.datetime) -> QuerySet[Appointment]:
    """What the practitioner's feed shows: their appointments that hold their time, a month
    back to half a year on."""
    return (
        Appointment.objects.filter(
            clinic=practitioner.clinic_id,
            practitioner=practitioner,
            status__in=Appointment.BLOCKING,
            starts_at__gte=now - feeds.FEED_PAST,
            starts_at__lt=now + feeds.FEED_AHEAD,
        )
        .select_related("client", "treatment_type")
        .only("pk", "starts_at", "ends_at", "client__first_name", "treatment_type__name")
        .order_by("starts_at", "pk")
    )


def calendar_feed_of(practitioner: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(practitioner=practitioner).first()


def calendar_treatment_type(clinic) -> TreatmentType | None:
    """The treatment the day calendar shows free slots for: the clinic's shortest one offered
    (any free time that fits it is worth showing)."""
    return offered_treatments(clinic).order_by("duration_minutes", "order", "pk").first()


def day_working_hours(clinic, day: dt.date, people: list[User]) -> list[WorkingHours]:
    return list(WorkingHours.objects.filter(clinic=clinic, weekday=day.weekday(), practitioner__in=people))


def time_off_between(clinic, start: dt.datetime, end: dt.datetime, people: list[User]) -> list[TimeOff]:
    return list(TimeOff.objects.filter(clinic=clinic, practitioner__in=people, starts_at__lt=end, ends_at__gt=start))
