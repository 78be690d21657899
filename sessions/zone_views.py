"""Owner views for the reflex-zone catalogue: list with chart previews, add, edit."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render

from accounts.tenancy import clinic_get, for_clinic, owner_required

from .catalogue import ZoneCodeTaken, reflex_zone_save
from .charts import MAP_LABELS, MAP_ORDER
from .models import ReflexZone
from .zone_forms import ReflexZoneForm

CODE_TAKEN = "Another zone in your catalogue already uses this code. Choose a different code."


@owner_required
def zone_list(request):
    zones = for_clinic(ReflexZone, request.clinic).order_by("reflex_map", "sort_order", "name")
    grouped: dict[str, list[ReflexZone]] = {m: [] for m in MAP_ORDER}
    for z in zones:
        grouped.setdefault(z.reflex_map, []).append(z)
    maps = [
        {"map": m, "label": MAP_LABELS.get(m, m), "zones": zs, "active": sum(z.is_active for z in zs)}
        for m, zs in grouped.items()
        if zs
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
