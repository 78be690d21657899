"""Appointment pages: day and week calendars, booking, course booking, and the
actions on one appointment. Times are shown in the clinic's timezone."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.inputs import has_control_characters, parse_day, parse_id, parse_moment
from accounts.localtime import local_day_bounds, local_zone, short_date
from accounts.models import User
from accounts.tenancy import clinic_get, clinic_required

from . import feeds, free_time, grid, selectors, services
from .forms import BookForm, CancelForm, CourseForm, SlotForm
from .models import Appointment


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site, as our pages write it: any other text would be taken by
    # redirect() for a view name, and control characters are no part of a path we link to.
    if (
        target.startswith("/")
        and not has_control_characters(target)
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return fallback


# --- calendars ---------------------------------------------------------------------------


def _calendar_scope(request) -> tuple[dt.date, User | None, list[User]]:
    """The day asked for (today if missing or garbled) and whose calendar: one practitioner, or None for the clinic.

    Practitioners see their own calendar by default, owners the whole clinic.
    """
    day = parse_day(request.GET.get("date")) or timezone.localdate()
    staff = list(selectors.active_staff(request.clinic))
    wanted = request.GET.get("practitioner", "")
    if wanted == "all":
        who = None
    elif (pk := parse_id(wanted)) is not None:
        who = next((u for u in staff if u.pk == pk), None) or clinic_get(User, request.clinic, pk=pk)
    else:
        who = None if request.user.is_owner else request.user
    return day, who, staff


def _calendar_query(who: User | None, day: dt.date) -> str:
    return f"?date={day.isoformat()}&practitioner={who.pk if who else 'all'}"


def _calendar_context(request, *, view_name: str, day: dt.date, step: int, who, staff) -> dict:
    today = timezone.localdate()
    url = reverse(view_name)
    return {
        "day": day,
        "today": today,
        "who": who,
        "staff": staff,
        "prev_url": url + _calendar_query(who, day - dt.timedelta(days=step)),
        "next_url": url + _calendar_query(who, day + dt.timedelta(days=step)),
        "today_url": url + _calendar_query(who, today),
        "day_url": reverse("appointments:day") + _calendar_query(who, day),
        "week_url": reverse("appointments:week") + _calendar_query(who, day),
        "book_query": f"?practitioner={who.pk}" if who else "",
        "step_name": "day" if step == 1 else "week",
    }


def _columns_for(request, who: User | None, staff: list[User], appointments: list[Appointment]) -> list[User]:
    """Whose columns the day shows: one person's, or everyone on the staff with the signed-in
    person first, so an owner sees who is free; then anyone no longer active who still has
    appointments that day."""
    if who is not None:
        return [who]
    people = {u.pk: u for u in sorted(staff, key=lambda u: u.pk != request.user.pk)}
    people.update({a.practitioner_id: a.practitioner for a in appointments if a.practitioner_id not in people})
    return list(people.values())


def _add_free_time(request, columns: dict[int, grid.Column], *, day: dt.date, who, bounds) -> None:
    """Each column's working hours (shaded), time off (blocked) and free slots for the clinic's
    shortest treatment, each slot a link to the booking form filled in with who and when."""
    clinic, tz = request.clinic, local_zone(request.clinic)
    people = [column.person for column in columns.values()]
    for hours in selectors.day_working_hours(clinic, day, people):
        start, end = hours.starts, hours.ends
        columns[hours.practitioner_id].shading.append(
            grid.Block("work", start.hour * 60 + start.minute, end.hour * 60 + end.minute)
        )
    for away in selectors.time_off_between(clinic, *bounds, people):
        columns[away.practitioner_id].shading.append(
            grid.Block(
                "off", grid.wall_minutes(away.starts_at, day, tz), grid.wall_minutes(away.ends_at, day, tz), away
            )
        )
    treatment = selectors.calendar_treatment_type(clinic)
    slots = free_time.calendar_free_slots(clinic, treatment, practitioner=who, start=day, days=1, now=timezone.now())
    if not slots:
        return
    book_url = reverse("appointments:book")
    by_person: dict[int, list] = {}
    for slot in slots:
        by_person.setdefault(slot.practitioner.pk, []).append(slot)
    for pk, theirs in by_person.items():
        if pk not in columns:
            continue
        for slot in grid.free_runs(theirs, treatment.duration_minutes):
            block = grid.Block(
                "free", grid.wall_minutes(slot.starts_at, day, tz), grid.wall_minutes(slot.ends_at, day, tz), slot
            )
            local = slot.starts_at.astimezone(tz)
            block.url = (
                f"{book_url}?practitioner={pk}&start={local:%Y-%m-%dT%H:%M}"
                f"&type={treatment.pk}&duration={treatment.duration_minutes}"
            )
            columns[pk].items.append(block)


@clinic_required
def day_view(request):
    day, who, staff = _calendar_scope(request)
    tz = local_zone(request.clinic)
    start, end = local_day_bounds(day, tz)
    appointments = list(
        selectors.calendar_appointments(
            clinic=request.clinic, start=start, end=end, practitioner=who, light=who is None
        )
    )
    columns = {p.pk: grid.Column(person=p) for p in _columns_for(request, who, staff, appointments)}
    detail_url = reverse("appointments:detail", kwargs={"pk": 0}).removesuffix("0/")
    cancelled = []
    for appointment in appointments:
        if appointment.status == Appointment.Status.CANCELLED:
            # A cancelled visit gives its time back: it is listed under the grid, not on it.
            cancelled.append(appointment)
            continue
        block = grid.Block(
            "appointment",
            grid.wall_minutes(appointment.starts_at, day, tz),
            grid.wall_minutes(appointment.ends_at, day, tz),
            appointment,
        )
        block.url = f"{detail_url}{appointment.pk}/"
        column = columns[appointment.practitioner_id]
        column.items.append(block)
        column.count += 1
    _add_free_time(request, columns, day=day, who=who, bounds=(start, end))
    for column in columns.values():
        column.items.sort(key=lambda b: b.start)
    context = _calendar_context(request, view_name="appointments:day", day=day, step=1, who=who, staff=staff)
    heading = f"Today · {short_date(day)}" if day == context["today"] else f"{short_date(day)} {day:%Y}"
    context.update(
        appointments=appointments,
        count=len(appointments) - len(cancelled),
        grid=grid.lay_out(list(columns.values())),
        cancelled=cancelled,
        title=short_date(day),
        heading=heading,
    )
    return render(request, "appointments/day.html", context)


@clinic_required
def week_view(request):
    day, who, staff = _calendar_scope(request)
    tz = local_zone(request.clinic)
    monday = day - dt.timedelta(days=day.weekday())
    start, end = local_day_bounds(monday, tz, days=7)
    columns: dict[dt.date, list[Appointment]] = {monday + dt.timedelta(days=n): [] for n in range(7)}
    for appointment in selectors.calendar_appointments(
        clinic=request.clinic, start=start, end=end, practitioner=who, light=True
    ):
        columns[appointment.starts_at.astimezone(tz).date()].append(appointment)
    context = _calendar_context(request, view_name="appointments:week", day=day, step=7, who=who, staff=staff)
    day_url = reverse("appointments:day")
    context.update(
        monday=monday,
        sunday=monday + dt.timedelta(days=6),
        columns=[(d, items, day_url + _calendar_query(who, d)) for d, items in columns.items()],
        has_any=any(columns.values()),
        heading=f"Week of {short_date(monday)} {monday:%Y}",
        detail_url=reverse("appointments:detail", kwargs={"pk": 0}).removesuffix("0/"),
    )
    return render(request, "appointments/week.html", context)


# --- booking -----------------------------------------------------------------------------


def _prefill_from_query(request) -> dict:
    """Initial values from ?client=<id>&start=<iso>&practitioner=<id>&type=<id>&duration=<minutes>;
    anything garbled is ignored."""
    initial: dict = {"practitioner": request.user.pk}
    if client := parse_id(request.GET.get("client")):
        initial["client"] = client
    if practitioner := parse_id(request.GET.get("practitioner")):
        initial["practitioner"] = practitioner
    if (start := parse_moment(request.GET.get("start"))) is not None:
        # A bare local time means the clinic's wall clock; an offset is converted to it.
        if start.tzinfo is not None:
            start = start.astimezone(local_zone(request.clinic))
        initial["date"] = start.date()
        initial["start_time"] = start.time().replace(second=0, microsecond=0)
    # The treatment a free slot on the day calendar was offered for, and its length.
    if treatment := parse_id(request.GET.get("type")):
        initial["treatment_type"] = treatment
    if (minutes := parse_id(request.GET.get("duration"))) is not None:
        initial["duration"] = minutes
    return initial


def _add_clashes(form, error: services.BookingError, *, field: str | None = None, intro: str = "") -> None:
    if intro:
        form.add_error(field, intro)
    for message in error.messages:
        form.add_error(field, message)


def _booking_page(request, *, form_class, template: str, make, clash_field: str | None = None, clash_intro=""):
    """The flow both booking pages share: the form (prefilled from the query string on
    GET); on a valid POST `make(cleaned_data)` books and returns (the appointment to
    open, the success message); clashes the service finds become form errors."""
    if request.method != "POST":
        form = form_class(clinic=request.clinic, initial=_prefill_from_query(request))
        return render(request, template, {"form": form})
    form = form_class(request.POST, clinic=request.clinic)
    if form.is_valid():
        try:
            appointment, message = make(form.cleaned_data)
        except services.BookingError as error:
            _add_clashes(form, error, field=clash_field, intro=clash_intro)
        else:
            messages.success(request, message)
            return redirect("appointments:detail", pk=appointment.pk)
    return render(request, template, {"form": form})


def _who_and_what(request, data: dict) -> dict:
    """What both booking services take alike from the request and the form."""
    return {
        "clinic": request.clinic,
        "client": data["client"],
        "practitioner": data["practitioner"],
        "notes": data["notes"],
        "treatment_type": data["treatment_type"],
        "created_by": request.user,
    }


@clinic_required
def book(request):
    def make(data):
        appointment = services.appointment_book(
            **_who_and_what(request, data), starts_at=data["starts_at"], ends_at=data["ends_at"]
        )
        local = timezone.localtime(appointment.starts_at)
        who = services.practitioner_name(appointment.practitioner)
        return appointment, f"Booked {appointment.client.full_name} with {who} on {short_date(local)} at {local:%H:%M}."

    return _booking_page(
        request, form_class=BookForm, template="appointments/book.html", make=make, clash_field="start_time"
    )


@clinic_required
def course_book(request):
    def make(data):
        course = services.course_book(
            **_who_and_what(request, data),
            first_date=data["date"],
            start_time=data["start_time"],
            sessions=data["sessions"],
            interval_days=data["interval_days"],
            duration_minutes=data["duration"],
        )
        message = (
            f"Booked a course of {course.planned_sessions} sessions every {course.interval_days} days "
            f"for {course.client.full_name}."
        )
        return course.appointments.order_by("starts_at").first(), message

    return _booking_page(
        request,
        form_class=CourseForm,
        template="appointments/course_book.html",
        make=make,
        clash_intro="Nothing was booked, because these dates clash:",
    )


# --- one appointment ---------------------------------------------------------------------


@clinic_required
def detail(request, pk: int):
    appointment = selectors.appointment_for_detail(request.clinic, pk)
    return render(request, "appointments/detail.html", {"appointment": appointment})


@clinic_required
def card(request, pk: int):
    """An appointment's details as a fragment, for the calendars that load them on a click
    (appointments/static/appointments/calendar.js); the quick actions return to `next`."""
    appointment = clinic_get(selectors.calendar_appointments_for_card(), request.clinic, pk=pk)
    back = _safe_next(request, reverse("appointments:day"))
    return render(
        request,
        "appointments/card.html",
        {"appointment": appointment, "next": back, "show_practitioner": True},
    )


def _refuse_closed(request, appointment: Appointment, action: str):
    messages.error(request, str(services.AppointmentNotOpen(appointment, action)))
    return redirect("appointments:detail", pk=appointment.pk)


@clinic_required
def reschedule(request, pk: int):
    appointment = selectors.appointment_for_detail(request.clinic, pk)
    if not appointment.is_open:
        return _refuse_closed(request, appointment, "rescheduled")
    form_kwargs = {"clinic": request.clinic, "duration_minutes": appointment.duration_minutes}
    if request.method == "POST":
        form = SlotForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.appointment_reschedule(
                    appointment=appointment,
                    practitioner=data["practitioner"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                )
            except services.AppointmentNotOpen:
                return _refuse_closed(request, appointment, "rescheduled")
            except services.BookingError as error:
                _add_clashes(form, error, field="start_time")
            else:
                local = timezone.localtime(data["starts_at"])
                messages.success(request, f"Moved to {short_date(local)} at {local:%H:%M}.")
                return redirect("appointments:detail", pk=appointment.pk)
    else:
        local = timezone.localtime(appointment.starts_at)
        form = SlotForm(
            initial={
                "practitioner": appointment.practitioner_id,
                "date": local.date(),
                "start_time": local.time(),
                "duration": appointment.duration_minutes,
            },
            **form_kwargs,
        )
    return render(request, "appointments/reschedule.html", {"appointment": appointment, "form": form})


@clinic_required
def cancel(request, pk: int):
    appointment = selectors.appointment_for_detail(request.clinic, pk)
    if not appointment.is_open:
        return _refuse_closed(request, appointment, "cancelled")
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_cancel(appointment=appointment, reason=form.cleaned_data["reason"])
        except services.AppointmentNotOpen:
            return _refuse_closed(request, appointment, "cancelled")
        messages.success(request, "Appointment cancelled; the time is free again.")
        return redirect("appointments:detail", pk=appointment.pk)
    return render(request, "appointments/cancel.html", {"appointment": appointment, "form": form})


MARK_LABELS = {Appointment.Status.ATTENDED: "attended", Appointment.Status.NO_SHOW: "a no-show"}


@clinic_required
def mark(request, pk: int):
    # Look up first, so another clinic's appointment is a 404 whatever the method.
    appointment = clinic_get(Appointment.objects.select_related("client"), request.clinic, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    back = _safe_next(request, reverse("appointments:detail", kwargs={"pk": pk}))
    status = request.POST.get("status", "")
    if status not in MARK_LABELS:
        messages.error(request, "Choose attended or no-show.")
        return redirect(back)
    try:
        services.appointment_mark(appointment=appointment, status=status, by=request.user)
    except (services.AppointmentNotOpen, services.MarkRefused) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{appointment.client.full_name} marked {MARK_LABELS[status]}.")
    return redirect(back)


@clinic_required
def unmark(request, pk: int):
    """Undo "attended" or "no-show" until the session is signed; the history keeps both."""
    appointment = clinic_get(Appointment.objects.select_related("client"), request.clinic, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    was = appointment.get_status_display().lower()
    try:
        services.appointment_unmark(appointment=appointment, by=request.user)
    except services.MarkRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{was.capitalize()}” undone: the appointment is booked again.")
    return redirect("appointments:detail", pk=pk)


# --- the private calendar feed -----------------------------------------------------------


# The new address waits here between the POST that made it and the page that shows it, once.
FEED_ADDRESS_KEY = "calendar_feed_address"


@clinic_required
def feed_settings(request):
    """Where a practitioner gets (or resets) the secret address of their own calendar feed.
    Only its hash is kept, so the address is shown once, on the page the reset leads to."""
    if request.method == "POST":
        token = services.calendar_feed_reset(practitioner=request.user)
        request.session[FEED_ADDRESS_KEY] = request.build_absolute_uri(reverse("feeds:ics", kwargs={"token": token}))
        return redirect("appointments:feed_settings")
    address = request.session.pop(FEED_ADDRESS_KEY, "")
    webcal = address.replace("https://", "webcal://", 1).replace("http://", "webcal://", 1)
    context = {"feed": selectors.calendar_feed_of(request.user), "address": address, "webcal": webcal}
    return render(request, "appointments/feed.html", context)


def feed(request, token: str):
    """The feed itself, public: the secret in the address is the permission. A wrong or
    reset secret is the same 404 as any unknown address."""
    found = selectors.calendar_feed_for_token(token)
    if found is None:
        raise Http404("No such feed")
    practitioner = found.practitioner
    body = feeds.feed_ics(practitioner, selectors.feed_appointments(practitioner, now=timezone.now()))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="appointments.ics"'
    # A calendar app may keep it; a shared proxy may not (the address is the key), and a
    # search engine that somehow met the address never lists it.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
