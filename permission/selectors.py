"""Reads for medical permission. Every function starts from the clinic."""

from __future__ import annotations

from django.db.models import Prefetch, prefetch_related_objects

from accounts.models import Clinic
from accounts.tenancy import clinic_get
from clients.models import Client

from .models import PermissionRequest


def request_for_page(*, clinic: Clinic, pk: int) -> PermissionRequest:
    """One request of the clinic (404 otherwise), with its client, clinic and the people named on it."""
    qs = PermissionRequest.objects.select_related(
        "client__clinic", "client__practitioner", "requested_by", "recorded_by"
    ).prefetch_related("client__health_flags", "client__permission_requests")
    return clinic_get(qs, clinic, pk=pk)


def with_requests(client: Client) -> list[PermissionRequest]:
    """The client's requests, newest first, with who asked and who recorded each reply, read once
    and kept on the client, so its warnings read the same rows (one query)."""
    prefetch_related_objects(
        [client],
        Prefetch("permission_requests", PermissionRequest.objects.select_related("requested_by", "recorded_by")),
    )
    return list(client.permission_requests.all())
