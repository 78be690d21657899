"""Owner views for the reflex-zone catalogue: list with chart previews, add, edit."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render

from accounts.tenancy import clinic_get, for_clinic, owner_required

from .catalogue import ZoneCodeTaken, reflex_zone_save
from .models import ReflexZone
from .reflex_maps import group_by_map
from .zone_forms import ReflexZoneForm

CODE_TAKEN = "Another zone in your catalogue already uses this code. Choose a different code."


@owner_required
def zone_list(request):
    zones = for_clinic(ReflexZone, request.clinic).order_by("reflex_map", "sort_order", "name")
    maps = [
        {"map": m, "label": m.label, "zones": zs, "active": sum(z.is_active for z in zs)}
        for m, zs in group_by_map(zones).items()
    ]
    return render(request, "sessions/zone_list.html", {"maps": maps, "total": sum(len(g["zones"]) for g in maps)})


def _save(request, form: ReflexZoneForm, *, created: bool):
    zone = form.save(commit=False)
    zone.clinic = request.clinic
    try:
        reflex_zone_save(zone=zone)
    except ZoneCodeTaken:
        form.add_error("code", CODE_TAKEN)
        return None
    messages.success(request, f"{'Added' if created else 'Saved'} the zone “{zone.name}”.")
    return redirect("sessions:zone_list")


@owner_required
def zone_add(request):
    form = ReflexZoneForm(request.POST or None, clinic=request.clinic, initial={"rx": 4, "ry": 4, "x": 50, "y": 50})
    if request.method == "POST" and form.is_valid() and (response := _save(request, form, created=True)):
        return response
    return render(request, "sessions/zone_form.html", {"form": form, "zone": None})


@owner_required
def zone_edit(request, pk: int):
    zone = clinic_get(ReflexZone, request.clinic, pk=pk)
    form = ReflexZoneForm(request.POST or None, instance=zone, clinic=request.clinic)
    if request.method == "POST" and form.is_valid() and (response := _save(request, form, created=False)):
        return response
    # The preview shows the zone as saved, not the unsaved edits of a form with errors.
    saved = ReflexZone.objects.get(pk=zone.pk) if form.is_bound else zone
    return render(request, "sessions/zone_form.html", {"form": form, "zone": saved})
