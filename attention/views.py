from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

from accounts.tenancy import clinic_required, owner_required

from .selectors import Scope, attention_count, attention_list


def _scope(request, *, whole_clinic: bool) -> Scope:
    return Scope(request.clinic, None if whole_clinic else request.user)


@clinic_required
def mine(request):
    """A practitioner's own loose ends: their drafts, their appointments, their clients' emails."""
    return _page(request, whole_clinic=False)


@owner_required
def clinic(request):
    """The owner's view: every practitioner's loose ends in the clinic."""
    return _page(request, whole_clinic=True)


def _page(request, *, whole_clinic: bool):
    sections = attention_list(_scope(request, whole_clinic=whole_clinic))
    return render(
        request,
        "attention/list.html",
        {"sections": sections, "whole_clinic": whole_clinic, "total": sum(len(s.items) for s in sections)},
    )


@clinic_required
def count(request):
    """The navigation's badge (static/js/attention-count.js): the owner's count is the
    clinic's, a practitioner's their own. One query, and none on every page it is shown on."""
    whole_clinic = request.user.is_owner
    return JsonResponse({"count": attention_count(_scope(request, whole_clinic=whole_clinic))})
