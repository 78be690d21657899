"""The clinic's side of online booking: the settings and treatment types (owners), each
practitioner's working hours and time off (their own, or anyone's for an owner), and the
requests waiting for an answer where the clinic accepts them (docs/domain.md, "Online booking")."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import site_url
from accounts.tenancy import clinic_get, clinic_required, for_clinic, owner_required
from appointments.models import TimeOff, TreatmentType, WorkingHours

from . import services
from .forms import BookingSettingsForm, TimeOffForm, TreatmentTypeForm, WorkingHoursFormSet
from .models import BookingHold, BookingSettings


def _staff_member(request, pk: int) -> User:
    """A member of the clinic's staff whose hours this user may edit: their own, or anyone's for an owner."""
    member = clinic_get(User, request.clinic, pk=pk, is_active=True)
    if member.pk != request.user.pk and not request.user.is_owner:
        raise Http404("Own hours only")
    return member


@clinic_required
def overview(request):
    """Requests waiting for an answer, and where each part of online booking is set up."""
    holds = for_clinic(BookingHold, request.clinic).filter(status=BookingHold.Status.REQUESTED)
    if not request.user.is_owner:
        holds = holds.filter(practitioner=request.user)
    staff = list(User.objects.filter(clinic=request.clinic, is_active=True)) if request.user.is_owner else []
    context = {
        "requests": list(holds.select_related("practitioner", "treatment_type").order_by("starts_at")),
        "settings": BookingSettings.for_clinic(request.clinic),
        "staff": staff,
        "public_url": site_url() + reverse("booking_public:page", kwargs={"slug": request.clinic.slug}),
    }
    return render(request, "booking/overview.html", context)


def _answer(request, pk: int, answer) -> BookingHold | None:
    hold = clinic_get(BookingHold, request.clinic, pk=pk)
    if hold.practitioner_id != request.user.pk and not request.user.is_owner:
        raise Http404("Own requests only")
    if request.method != "POST":  # the buttons POST; a GET changes nothing
        return None
    try:
        return answer(clinic=request.clinic, hold_id=hold.pk, by=request.user)
    except services.HoldNotOpen as refused:
        messages.info(request, f"This request was already answered: {refused.hold.get_status_display().lower()}.")
    except services.SlotGone:
        messages.error(
            request,
            f"{hold.full_name}'s requested time is no longer free, so it can't be accepted. "
            "Decline it, and the client is invited to choose another time.",
        )
    return None


@clinic_required
def request_accept(request, pk: int):
    hold = _answer(request, pk, services.request_accept)
    if hold is not None:
        messages.success(request, f"Booked: {hold.full_name}. The confirmation is on its way to them.")
    return redirect("booking:overview")


@clinic_required
def request_decline(request, pk: int):
    hold = _answer(request, pk, services.request_decline)
    if hold is not None:
        messages.success(request, f"Declined. {hold.full_name} is emailed and invited to choose another time.")
    return redirect("booking:overview")


@owner_required
def settings_edit(request):
    instance = BookingSettings.for_clinic(request.clinic)
    form = BookingSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "The online booking settings were saved.")
        return redirect("booking:settings")
    return render(request, "booking/settings.html", {"form": form})


@owner_required
def type_list(request):
    types = list(for_clinic(TreatmentType, request.clinic))
    return render(request, "booking/type_list.html", {"types": types})


@owner_required
def type_edit(request, pk: int | None = None):
    instance = clinic_get(TreatmentType, request.clinic, pk=pk) if pk is not None else None
    form = TreatmentTypeForm(request.POST or None, instance=instance, clinic=request.clinic)
    if request.method == "POST" and form.is_valid():
        treatment = form.save()
        messages.success(request, f"{treatment.name} was saved.")
        return redirect("booking:types")
    return render(request, "booking/type_form.html", {"form": form, "treatment": instance})


@clinic_required
def hours_edit(request, pk: int):
    member = _staff_member(request, pk)
    hours = WorkingHours.objects.filter(clinic=request.clinic, practitioner=member)
    formset = WorkingHoursFormSet(request.POST or None, queryset=hours)
    if request.method == "POST" and formset.is_valid():
        with transaction.atomic():
            for interval in formset.save(commit=False):
                interval.clinic = request.clinic
                interval.practitioner = member
                interval.save()
            for gone in formset.deleted_objects:
                gone.delete()
        messages.success(request, f"{member}'s working hours were saved.")
        return redirect("booking:hours", pk=member.pk)
    time_off = TimeOff.objects.filter(practitioner=member, ends_at__gt=timezone.now()).order_by("starts_at")
    context = {"member": member, "formset": formset, "time_off": list(time_off), "own": member.pk == request.user.pk}
    return render(request, "booking/hours.html", context)


@clinic_required
def time_off_add(request, pk: int):
    member = _staff_member(request, pk)
    form = TimeOffForm(request.POST or None, clinic=request.clinic)
    if request.method == "POST" and form.is_valid():
        form.save(practitioner=member)
        messages.success(request, f"The time off was added: no online bookings with {member} then.")
        return redirect("booking:hours", pk=member.pk)
    return render(request, "booking/time_off_form.html", {"member": member, "form": form})


@clinic_required
def time_off_delete(request, pk: int):
    away = clinic_get(TimeOff, request.clinic, pk=pk)
    member = _staff_member(request, away.practitioner_id)
    if request.method == "POST":  # the button POSTs; a GET changes nothing
        away.delete()
        messages.success(request, "The time off was removed.")
    return redirect("booking:hours", pk=member.pk)
