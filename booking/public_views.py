"""The public booking pages of a clinic, `/book/<clinic slug>/`, and the link that confirms a booking.

Nobody logs in (docs/domain.md, "Online booking"):
1. the page shows the clinic's treatments and practitioners, and a week of free slots;
2. a slot leads to the details form (name, email, phone); sending it holds the slot for
   HOLD_MINUTES and emails a link (booking/services.py);
3. opening the link shows the booking and a button; the button POSTs and books (or
   requests). Mail scanners fetch every link in an email: a GET never books.

Abuse: the details form is rate-limited per address and per email (accounts/ratelimit.py,
counted for every address typed, known or not) and carries a honeypot field people never
see; a filled one is answered as a success, with nothing held and nothing sent. No page
says anything about other bookings but free or not free, nor whether an email address
belongs to a client: the pages and the email read the same for a new and a returning
client.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.inputs import parse_day, parse_instant
from accounts.links import BROKEN, EXPIRED, link_problem
from accounts.localtime import local_today, local_zone
from accounts.models import Clinic
from accounts.ratelimit import attempt_allowed
from appointments.models import TreatmentType, WorkingHours
from appointments.selectors import offered_treatments

from . import services
from .forms import ANYONE, ChooseForm, DetailsForm
from .links import VERIFY_LINK, LinkExpired, LinkInvalid, read_verify_token
from .models import HOLD_MINUTES, BookingHold, BookingSettings
from .slots import Slot, free_slots
from .week import DAYS, slot_week, week_start

RATE_LIMITED = (
    "You have tried to book several times in a short while, so we have paused online booking for you "
    "for up to {minutes} minutes. Please try again later, or contact the clinic."
)


def _open_clinic(slug: str) -> tuple[Clinic, BookingSettings]:
    clinic = get_object_or_404(Clinic, slug=slug)
    return clinic, BookingSettings.for_clinic(clinic)


def _closed(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    return render(request, "booking/public/closed.html", {"clinic": clinic, "clinic_name": clinic.name})


def _choices(clinic: Clinic) -> tuple[list[TreatmentType], list]:
    types = list(offered_treatments(clinic))
    # Whoever has working hours here: a practitioner without any has no slot to offer.
    hours = WorkingHours.objects.filter(clinic=clinic, practitioner__is_active=True).select_related("practitioner")
    practitioners = sorted({h.practitioner for h in hours}, key=lambda p: (str(p), p.pk))
    return types, practitioners


def _one_per_time(slots: list[Slot]) -> list[Slot]:
    """For "anyone", a time once: the client chooses a time, the first free practitioner takes it."""
    seen, kept = set(), []
    for slot in slots:
        if slot.starts_at not in seen:
            seen.add(slot.starts_at)
            kept.append(slot)
    return kept


def _page_url(clinic: Clinic, **query) -> str:
    return reverse("booking_public:page", kwargs={"slug": clinic.slug}) + "?" + urlencode(query)


@never_cache
def booking_page(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, booking = _open_clinic(slug)
    if not booking.online:
        return _closed(request, clinic)
    types, practitioners = _choices(clinic)
    form = ChooseForm(request.GET or None, types=types, practitioners=practitioners)
    context = {"clinic": clinic, "clinic_name": clinic.name, "form": form, "types": types}
    if not form.is_bound and len(types) == 1:
        form = ChooseForm({"type": types[0].pk, "practitioner": ANYONE}, types=types, practitioners=practitioners)
        context["form"] = form
    if form.is_bound and form.is_valid():
        treatment, practitioner = form.cleaned_data["type"], form.cleaned_data["practitioner"]
        today = local_today(clinic)
        last = today + dt.timedelta(weeks=booking.horizon_weeks)
        start = week_start(parse_day(request.GET.get("from")), today=today, last=last, otherwise=today)
        slots = free_slots(clinic, treatment, practitioner=practitioner, start=start, days=DAYS, settings=booking)
        if practitioner is None:
            slots = _one_per_time(slots)
        query = {"type": treatment.pk, "practitioner": practitioner.pk if practitioner else ANYONE}
        week = slot_week(
            slots,
            start=start,
            today=today,
            last=last,
            tz=local_zone(clinic),
            url=lambda day: _page_url(clinic, **query, **{"from": day}),
        )
        details_url = reverse("booking_public:details", kwargs={"slug": clinic.slug})
        context.update(
            {
                "chosen": form.cleaned_data,
                "week": week,
                "slot_url": f"{details_url}?{urlencode(query)}&",
                "taken": request.GET.get("taken") == "1",
            }
        )
    return render(request, "booking/public/page.html", context)


def _limited(request: HttpRequest, email: str) -> bool:
    """Count this attempt per address and per email; True once either is over its limit."""
    window = settings.BOOKING_LIMIT_WINDOW_SECONDS
    by_email = attempt_allowed(
        scope="booking-email", key=email.lower(), limit=settings.BOOKING_LIMIT_PER_EMAIL, window_seconds=window
    )
    by_address = attempt_allowed(
        scope="booking-ip",
        key=request.META.get("REMOTE_ADDR", ""),
        limit=settings.BOOKING_LIMIT_PER_ADDRESS,
        window_seconds=window,
    )
    return not (by_email and by_address)


@dataclass(frozen=True)
class SlotChoice:
    """The slot a client picked on the page, as its link (GET) or the details form's hidden fields (POST) carry it."""

    treatment: TreatmentType
    practitioner: object | None  # None: anyone
    starts_at: dt.datetime

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.treatment.duration_minutes)

    @property
    def query(self) -> dict:
        return {"type": self.treatment.pk, "practitioner": self.practitioner.pk if self.practitioner else ANYONE}


def _slot_choice(clinic: Clinic, data) -> SlotChoice | None:
    types, practitioners = _choices(clinic)
    choose = ChooseForm(data, types=types, practitioners=practitioners)
    starts_at = parse_instant(data.get("at"))
    if starts_at is None or not choose.is_valid():
        return None
    return SlotChoice(choose.cleaned_data["type"], choose.cleaned_data["practitioner"], starts_at)


@never_cache
@require_http_methods(["GET", "POST"])
def booking_details(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, booking = _open_clinic(slug)
    if not booking.online:
        return _closed(request, clinic)
    choice = _slot_choice(clinic, request.POST if request.method == "POST" else request.GET)
    if choice is None:
        # Not a slot the page offered (an old or edited link): back to choosing one.
        return redirect("booking_public:page", slug=clinic.slug)
    form = DetailsForm(request.POST or None, clinic=clinic)
    if request.method == "GET":
        return _details_page(request, clinic, form, choice)
    if form.is_bot:
        return redirect("booking_public:sent", slug=clinic.slug)
    if not form.is_valid():
        return _details_page(request, clinic, form, choice, status=400)
    person = form.cleaned_data
    if _limited(request, person["email"]):
        form.add_error(None, RATE_LIMITED.format(minutes=settings.BOOKING_LIMIT_WINDOW_SECONDS // 60))
        return _details_page(request, clinic, form, choice, status=429)
    try:
        services.hold_create(
            clinic=clinic,
            treatment_type=choice.treatment,
            practitioner=choice.practitioner,
            starts_at=choice.starts_at,
            first_name=person["first_name"],
            last_name=person["last_name"],
            email=person["email"],
            phone=person["phone"],
        )
    except services.SlotGone:
        day = choice.starts_at.astimezone(local_zone(clinic)).date()
        return redirect(_page_url(clinic, **choice.query, **{"from": day}, taken=1))
    except services.BookingClosed:
        return _closed(request, clinic)
    return redirect("booking_public:sent", slug=clinic.slug)


def _details_page(request, clinic: Clinic, form: DetailsForm, choice: SlotChoice, status: int = 200) -> HttpResponse:
    context = {
        "clinic": clinic,
        "clinic_name": clinic.name,
        "form": form,
        "choice": choice,
        "at": choice.starts_at.isoformat(),
        "back": _page_url(clinic, **choice.query, **{"from": choice.starts_at.astimezone(local_zone(clinic)).date()}),
        "minutes": HOLD_MINUTES,
    }
    return render(request, "booking/public/details.html", context, status=status)


@never_cache
def booking_sent(request: HttpRequest, slug: str) -> HttpResponse:
    clinic = get_object_or_404(Clinic, slug=slug)
    return render(
        request, "booking/public/sent.html", {"clinic": clinic, "clinic_name": clinic.name, "minutes": HOLD_MINUTES}
    )


# --- The link in the email ---------------------------------------------------------------


def _problem(request: HttpRequest, problem: str, clinic_id: int | None) -> HttpResponse:
    return link_problem(request, "booking/public/problem.html", problem, clinic_id, minutes=HOLD_MINUTES)


def _hold_page(request: HttpRequest, hold: BookingHold, *, state: str, status: int = 200) -> HttpResponse:
    context = {
        "hold": hold,
        "state": state,
        "clinic": hold.clinic,
        "clinic_name": hold.clinic.name,
        "booking_page": reverse("booking_public:page", kwargs={"slug": hold.clinic.slug}),
        "minutes": HOLD_MINUTES,
    }
    return render(request, "booking/public/verify.html", context, status=status)


def _state(hold: BookingHold, now: dt.datetime) -> str:
    if hold.status == BookingHold.Status.HELD and hold.expires_at <= now:
        return BookingHold.Status.EXPIRED
    return hold.status


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, clinic: str, token: str) -> HttpResponse:
    segment_clinic = VERIFY_LINK.clinic_from_segment(clinic)
    try:
        try:
            hold_id, expired = read_verify_token(token), False
        except LinkExpired:
            # Genuine but old: what became of the booking still tells the client the most.
            hold_id, expired = read_verify_token(token, max_age=None), True
    except LinkInvalid:
        return _problem(request, BROKEN, segment_clinic)
    hold = (
        BookingHold.objects.select_related("clinic", "practitioner", "treatment_type", "appointment")
        .filter(pk=hold_id, clinic_id=segment_clinic)
        .first()
    )
    if hold is None:
        # A genuine old link whose unconfirmed hold has since been forgotten is simply expired.
        return _problem(request, EXPIRED if expired else BROKEN, segment_clinic)
    now = timezone.now()
    if expired and hold.status == BookingHold.Status.HELD:
        return _problem(request, EXPIRED, hold.clinic_id)
    if request.method == "GET":
        state = _state(hold, now)
        return _hold_page(request, hold, state="confirm" if state == BookingHold.Status.HELD else state)
    try:
        hold = services.hold_verify(hold_id=hold.pk, now=now)
    except services.HoldNotOpen as refused:
        return _hold_page(request, refused.hold, state=refused.hold.status)
    except services.SlotGone:
        hold.refresh_from_db()
        return _hold_page(request, hold, state="taken", status=409)
    except services.BookingClosed:
        return _closed(request, hold.clinic)
    return _hold_page(request, hold, state="done" if hold.status == BookingHold.Status.BOOKED else hold.status)
