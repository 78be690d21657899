"""The pages a client reaches from the "move" and "cancel" links of an appointment email,
without logging in: the signed token is the permission (booking/change_links.py).

Opening a link only shows the appointment and a button or a choice of times; the change
is a POST, so a mail scanner that fetches every link changes nothing. Every refusal is a
page of its own in plain words: a used, past, late, expired or broken link never changes
anything and never answers 500. The expired and broken-link pages name the clinic and
how to reach it: an expired link's signature is still good, so its appointment says
which clinic; a broken one has only the link's signed clinic segment.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.inputs import parse_day, parse_instant
from accounts.links import BROKEN, link_problem, read_or_problem
from accounts.localtime import local_today, local_zone
from appointments.models import Appointment

from . import changes
from .change_links import CANCEL, CHANGE_LINK, ChangeLink, read_change_token
from .models import BookingSettings
from .week import slot_week, week_start

PAGE = "booking/change_page.html"
PROBLEM = "booking/change_problem.html"


def _appointments(link: ChangeLink):
    return Appointment.objects.filter(pk=link.appointment_id)


def _horizon(appointment: Appointment, settings, now: dt.datetime) -> tuple[dt.date, dt.date]:
    today = local_today(appointment.clinic, now)
    return today, today + dt.timedelta(weeks=settings.horizon_weeks)


def _picker_start(request: HttpRequest, appointment: Appointment, settings, now: dt.datetime) -> dt.date:
    """The first day the picker shows: the one asked for (?from=), else a few days before the
    appointment, so its week is on screen with "earlier" and "later" either side."""
    today, last = _horizon(appointment, settings, now)
    own_day = appointment.starts_at.astimezone(local_zone(appointment.clinic)).date()
    otherwise = max(today, own_day - dt.timedelta(days=3))
    return week_start(parse_day(request.GET.get("from")), today=today, last=last, otherwise=otherwise)


def _page(request, appointment, link: ChangeLink, settings, *, state: str, status: int = 200, **extra) -> HttpResponse:
    context = {
        "appointment": appointment,
        "clinic": appointment.clinic,
        "clinic_name": appointment.clinic.name,
        "first_name": appointment.client.first_name,
        "purpose": link.purpose,
        "state": state,
        "notice_hours": settings.cancellation_notice_hours,
        # A move takes effect at once, also where new bookings are requests (docs/domain.md,
        # "Changes from the email"): the page says so where a client might expect to wait.
        "requests": settings.mode == BookingSettings.Mode.REQUEST,
        **extra,
    }
    return render(request, PAGE, context, status=status)


def _picker(request, appointment, link, settings, now, *, start: dt.date | None = None, **extra) -> HttpResponse:
    start = start or _picker_start(request, appointment, settings, now)
    slots = changes.reschedule_slots(appointment, settings=settings, start=start, now=now)
    today, last = _horizon(appointment, settings, now)
    tz = local_zone(appointment.clinic)
    week = slot_week(slots, start=start, today=today, last=last, tz=tz, url=lambda day: f"?from={day:%Y-%m-%d}")
    return _page(request, appointment, link, settings, state=changes.OPEN, week=week, **extra)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def change_page(request: HttpRequest, clinic: str, token: str) -> HttpResponse:
    link, problem = read_or_problem(
        request, PROBLEM, CHANGE_LINK, token, clinic, read=read_change_token, rows=_appointments
    )
    if problem:
        return problem
    appointment = (
        Appointment.objects.select_related("clinic", "client", "practitioner", "treatment_type")
        .filter(pk=link.appointment_id)
        .first()
    )
    if appointment is None:
        return link_problem(request, PROBLEM, BROKEN, CHANGE_LINK.clinic_from_segment(clinic))

    now = timezone.now()
    settings = BookingSettings.for_clinic(appointment.clinic)
    state = changes.change_state(appointment, sequence=link.sequence, settings=settings, now=now)
    if state != changes.OPEN:
        return _page(request, appointment, link, settings, state=state)
    if request.method != "POST":
        if link.purpose == CANCEL:
            return _page(request, appointment, link, settings, state=state)
        return _picker(
            request, appointment, link, settings, now, start=_picker_start(request, appointment, settings, now)
        )

    try:
        if link.purpose == CANCEL:
            done = changes.client_cancel(appointment=appointment, sequence=link.sequence, now=now)
        else:
            starts_at = parse_instant(request.POST.get("slot"))
            if starts_at is None:
                return _picker(request, appointment, link, settings, now, error="Choose a time.")
            done = changes.client_reschedule(
                appointment=appointment, sequence=link.sequence, starts_at=starts_at, now=now
            )
    except changes.ChangeRefused as refused:
        appointment.refresh_from_db()
        return _page(request, appointment, link, settings, state=refused.state)
    except changes.SlotTaken:
        # The next free times from the day the client chose (or today), so they can pick again.
        day = max(starts_at.astimezone(local_zone(appointment.clinic)).date(), local_today(appointment.clinic, now))
        return _picker(request, appointment, link, settings, now, start=day, taken=True, status=409)
    return _page(request, done, link, settings, state="done")
