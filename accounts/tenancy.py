"""Tenant scoping in one place.

Every view that shows clinic data is wrapped in `clinic_required` (or
`owner_required`), which sets `request.clinic`; every lookup goes through
`clinic_get` / `for_clinic`, so another clinic's object is a 404, never a 403
that confirms it exists.
"""

from __future__ import annotations

from functools import wraps
from typing import TypeVar

from django.contrib.auth.decorators import login_required
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

M = TypeVar("M", bound=Model)


def clinic_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        clinic = getattr(request.user, "clinic", None)
        if clinic is None:
            # Operators without a clinic use the admin; there is no clinic page for them.
            raise Http404("No clinic")
        request.clinic = clinic
        # Pages show times in the clinic's timezone, whoever's browser asks.
        with timezone.override(clinic.timezone):
            return view(request, *args, **kwargs)

    return wrapper


def owner_required(view):
    @clinic_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_owner:
            raise Http404("Owners only")
        return view(request, *args, **kwargs)

    return wrapper


def for_clinic(model_or_qs: type[M] | QuerySet[M], clinic) -> QuerySet[M]:
    qs = model_or_qs if isinstance(model_or_qs, QuerySet) else model_or_qs._default_manager.all()
    return qs.filter(clinic=clinic)


def clinic_get(model_or_qs: type[M] | QuerySet[M], clinic, **lookup) -> M:
    return get_object_or_404(for_clinic(model_or_qs, clinic), **lookup)
