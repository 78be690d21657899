"""Writes for medical permission (docs/domain.md, rule 16): open a request, note the GP,
record the GP's reply. Each is one transaction; a reply is recorded once."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.services import logged_update
from clients.models import Client

from .models import PermissionRequest, PermissionStatus


class NothingToAsk(ValidationError):
    """The client has no flag of the tier "needs medical permission" without a permission that holds."""


class AlreadyAnswered(ValidationError):
    """The reply to this request is recorded already; a new request asks again."""


def open_request_of(client: Client) -> PermissionRequest | None:
    return client.permission_requests.filter(status=PermissionStatus.REQUESTED).first()


@transaction.atomic
def permission_request_open(*, client: Client, by: User) -> PermissionRequest:
    """Open a request covering the client's medical flags that wait for permission, or return the
    one already open (two clicks open one). Raises NothingToAsk when no flag waits."""
    # The client's row lock serialises two clicks, so they cannot both open a request.
    Client.objects.select_for_update().filter(pk=client.pk).first()
    existing = open_request_of(client)
    if existing is not None:
        return existing
    flags = [spec.value for spec in client.uncleared_medical_flags]
    if not flags:
        raise NothingToAsk(f"{client.full_name} has no health flag waiting for a doctor's permission.")
    return PermissionRequest.objects.create(
        clinic_id=client.clinic_id,
        client=client,
        flags=flags,
        requested_at=timezone.now(),
        requested_by=by,
        # The GP the client named on their intake, if any; the letter's page can change it.
        gp_name=client.gp_name,
        gp_practice=client.gp_practice,
    )


def permission_request_set_gp(*, request: PermissionRequest, gp_name: str, gp_practice: str) -> None:
    """Who the letter is addressed to (the client's GP), before it is printed."""
    request.gp_name, request.gp_practice = gp_name.strip(), gp_practice.strip()
    request.save(update_fields=["gp_name", "gp_practice", "updated_at"])


def clearance_summary(request: PermissionRequest) -> str:
    """The client's physician-clearance text for a permitted reply: the one line other pages show."""
    gp = ", ".join(part for part in (request.gp_name, request.gp_practice) if part) or "the client's GP"
    flags = " and ".join(spec.label.lower() for spec in request.flag_specs)
    until = f", until {request.expires_on:%-d %B %Y}" if request.expires_on else ""
    note = f" {request.note}" if request.note else ""
    return f"Permission from {gp} for {flags}, signed {request.received_on:%-d %B %Y}{until}.{note}"


@transaction.atomic
def permission_reply_record(
    *,
    request: PermissionRequest,
    by: User,
    permitted: bool,
    received_on: dt.date,
    expires_on: dt.date | None = None,
    gp_name: str = "",
    gp_practice: str = "",
    note: str = "",
) -> PermissionRequest:
    """Record the GP's reply, with who recorded it and when. A permitted reply also becomes the
    client's physician-clearance summary, in the same transaction (as consent_record keeps the
    consent fields). Raises AlreadyAnswered when a reply is recorded already (two clicks record one)."""
    if expires_on is not None and expires_on < received_on:
        raise ValidationError({"expires_on": "The permission cannot end before the GP signed it."})
    values = {
        "status": PermissionStatus.PERMITTED if permitted else PermissionStatus.NOT_PERMITTED,
        "received_on": received_on,
        "expires_on": expires_on if permitted else None,
        "gp_name": gp_name.strip() or request.gp_name,
        "gp_practice": gp_practice.strip() or request.gp_practice,
        "note": note.strip(),
        "recorded_by": by,
        "recorded_at": timezone.now(),
    }
    answered = logged_update(
        PermissionRequest.objects.filter(pk=request.pk, status=PermissionStatus.REQUESTED),
        **values,
        updated_at=timezone.now(),
    )
    if not answered:
        raise AlreadyAnswered("The GP's reply to this request is recorded already. Open a new request to ask again.")
    for name, value in values.items():
        setattr(request, name, value)
    if permitted:
        client = request.client
        summary = {"physician_clearance": clearance_summary(request), "physician_clearance_date": received_on}
        logged_update(Client.objects.filter(pk=client.pk), **summary, updated_at=timezone.now())
        for name, value in summary.items():
            setattr(client, name, value)
    return request
