"""Reads for medical permission. Every function starts from the clinic."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Clinic
from accounts.tenancy import clinic_get, for_clinic

from .models import PermissionRequest


def request_for_page(*, clinic: Clinic, pk: int) -> PermissionRequest:
    """One request of the clinic (404 otherwise), with its client, clinic and the people named on it."""
    qs = PermissionRequest.objects.select_related(
        "client__clinic", "client__practitioner", "requested_by", "recorded_by"
    ).prefetch_related("client__health_flags", "client__permission_requests")
    return clinic_get(qs, clinic, pk=pk)


def client_requests(*, clinic: Clinic, client) -> QuerySet[PermissionRequest]:
    """The client's requests, newest first, with who asked and who recorded the reply."""
    return for_clinic(PermissionRequest, clinic).filter(client=client).select_related("requested_by", "recorded_by")
