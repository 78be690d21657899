"""Writes for the clients app. A client and its health flags change together or not at all."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Clinic, User
from audit.services import logged_bulk_create
from clients.models import Client, ClientHealthFlag, HealthFlag

logger = logging.getLogger(__name__)

# The intake fields a practitioner edits; consent timestamps and archiving are set here, never posted.
EDITABLE_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "address",
    "date_of_birth",
    "timezone",
    "routine_time",
    "prefers_hands",
    "practitioner",
    "consent_treatment",
    "consent_email",
    "physician_clearance",
    "physician_clearance_date",
    "medical_notes",
    "notes",
)

# (consent flag, its timestamp)
_CONSENTS = (("consent_treatment", "consent_treatment_at"), ("consent_email", "consent_email_at"))


def _apply(client: Client, data: Mapping[str, Any], stored: Client | None) -> None:
    """Copy the edited fields and stamp consents. `stored` is the row as it is in the
    database (None for a new client): a ModelForm has already written the posted values
    onto the instance, so only the stored row says whether consent was given before."""
    for name in EDITABLE_FIELDS:
        if name in data:
            setattr(client, name, data[name])
    now = timezone.now()
    for flag, stamp in _CONSENTS:
        if not getattr(client, flag):
            setattr(client, stamp, None)
        elif stored is not None and getattr(stored, flag) and getattr(stored, stamp):
            # Re-saving the intake keeps the moment consent was first given.
            setattr(client, stamp, getattr(stored, stamp))
        else:
            setattr(client, stamp, now)


def _set_flags(client: Client, flags: Iterable[str]) -> None:
    wanted = {HealthFlag(f) for f in flags}
    current = set(client.health_flags.values_list("flag", flat=True))
    client.health_flags.exclude(flag__in=wanted).delete()
    logged_bulk_create(ClientHealthFlag, [ClientHealthFlag(client=client, flag=f) for f in sorted(wanted - current)])
    # A page that prefetched the flags must not keep showing the old ones.
    getattr(client, "_prefetched_objects_cache", {}).pop("health_flags", None)


def _validate(client: Client) -> None:
    # The form limits the choice already; this guards every other caller (demo data, shell).
    if client.practitioner is not None and client.practitioner.clinic_id != client.clinic_id:
        raise ValidationError({"practitioner": "Choose a practitioner who works at this clinic."})
    client.full_clean(exclude=["practitioner"])


@transaction.atomic
def client_create(*, clinic: Clinic, by: User, data: Mapping[str, Any]) -> Client:
    client = Client(clinic=clinic)
    _apply(client, data, stored=None)
    _validate(client)
    client.save()
    _set_flags(client, data.get("flags", ()))
    logger.info("Client %s created in clinic %s by user %s", client.pk, clinic.pk, by.pk)
    return client


@transaction.atomic
def client_update(*, client: Client, by: User, data: Mapping[str, Any]) -> Client:
    stored = Client.objects.select_for_update().only(*(f for pair in _CONSENTS for f in pair)).get(pk=client.pk)
    _apply(client, data, stored=stored)
    _validate(client)
    client.save()
    if "flags" in data:
        _set_flags(client, data["flags"])
    logger.info("Client %s updated by user %s", client.pk, by.pk)
    return client


def client_archive(*, client: Client, by: User) -> Client:
    if client.archived_at is None:
        client.archived_at = timezone.now()
        client.save(update_fields=["archived_at", "updated_at"])
        logger.info("Client %s archived by user %s", client.pk, by.pk)
    return client


def client_unarchive(*, client: Client, by: User) -> Client:
    if client.archived_at is not None:
        client.archived_at = None
        client.save(update_fields=["archived_at", "updated_at"])
        logger.info("Client %s unarchived by user %s", client.pk, by.pk)
    return client
