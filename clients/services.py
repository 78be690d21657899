"""Writes for the clients app. A client and its health flags change together or not at all."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Clinic, User
from audit.services import logged_bulk_create, logged_update
from clients.models import Client, ClientHealthFlag, ConsentKind, ConsentRecord, ConsentSource, HealthFlag

logger = logging.getLogger(__name__)

# The intake fields a practitioner edits; consent timestamps and archiving are set here, never posted.
EDITABLE_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "address",
    "date_of_birth",
    "gp_name",
    "gp_practice",
    "timezone",
    "routine_time",
    "prefers_hands",
    "practitioner",
    "consent_treatment",
    "consent_email",
    "physician_clearance",
    "physician_clearance_date",
    "medical_notes",
    "medications",
    "notes",
)

# Each kind of consent and the client fields that hold its latest record (flag, when given).
CONSENT_FIELDS: dict[str, tuple[str, str]] = {
    ConsentKind.TREATMENT: ("consent_treatment", "consent_treatment_at"),
    ConsentKind.ROUTINE_EMAILS: ("consent_email", "consent_email_at"),
}


# The client's own renewed say-so, which alone undoes their withdrawal of routine emails, or
# gives back a consent to treatment given before their health or plan changed (rule 14).
RENEWING_SOURCES = (ConsentSource.RENEWED, ConsentSource.CLIENT_LINK)


class ConsentRefused(ValidationError):
    """A consent change that only the client can make (they stopped the emails themselves)."""


def withdrawal_message(client: Client) -> str:
    """What the practitioner reads while the client's own withdrawal of routine emails stands."""
    withdrawal = client.email_consent_withdrawal
    when = timezone.localtime(withdrawal.at, ZoneInfo(client.clinic.timezone))
    return (
        f"{client.full_name} stopped routine emails on {date_format(when, 'j F Y, H:i')} "
        f"(from {withdrawal.get_source_display()}). No routine can be assigned until you record their "
        "renewed consent on the client's page: when they said so, and what they said."
    )


def renewal_message(client: Client) -> str:
    """Why the intake's checkbox cannot give back a consent to treatment given before the
    client's health or plan changed (docs/domain.md, rule 14)."""
    return (
        f"{client.full_name} consented to treatment before their health flags or treatment plan changed, "
        "so this box cannot renew it. Use “Record renewed consent” on the client page, with what they said, "
        "or email them a renewal link."
    )


def archived_refusal(client: Client, doing: str) -> str:
    """What a practitioner reads when they try `doing` for an archived client (docs/domain.md, "Archived clients")."""
    return f"{client.full_name} is archived: unarchive them on their client page before {doing}."


@transaction.atomic
def consent_record(
    *,
    client: Client,
    kind: str,
    given: bool,
    source: str,
    by: User | None = None,
    at: dt.datetime | None = None,
    note: str = "",
    statement: str = "",
    signed_name: str = "",
    link_ref: str = "",
) -> ConsentRecord:
    """Record a consent given or withdrawn, and make it the client's current one.

    A routine-email consent the client withdrew from an email comes back only with their
    renewed say-so: recorded by the practitioner (source RENEWED, with a note) or given by
    the client themselves through a link (CLIENT_LINK, with the statement they signed and
    the link's reference); the intake's checkbox cannot undo it. Nor can it give back a
    consent to treatment due again, or withdrawn since it became due (rule 14): the same
    renewed say-so is the only way."""
    kind = ConsentKind(kind)
    source = ConsentSource(source)
    at = at or timezone.now()
    note = (note or "").strip()
    giving_emails = given and kind == ConsentKind.ROUTINE_EMAILS
    if giving_emails and source not in RENEWING_SOURCES and client.email_consent_withdrawal is not None:
        raise ConsentRefused({"consent_email": withdrawal_message(client)})
    giving_treatment = given and kind == ConsentKind.TREATMENT
    if giving_treatment and source not in RENEWING_SOURCES and client.consent_renewal_due:
        raise ConsentRefused({"consent_treatment": renewal_message(client)})
    if source == ConsentSource.RENEWED and not (given and note):
        raise ValidationError({"note": "Write down what the client said when they agreed again."})
    if source == ConsentSource.CLIENT_LINK and not (statement and signed_name and link_ref):
        raise ValueError("A consent given through a link keeps its statement, the signed name and the link.")
    record = ConsentRecord.objects.create(
        client=client,
        kind=kind,
        given=given,
        at=at,
        source=source,
        recorded_by=by,
        note=note,
        statement=statement,
        signed_name=signed_name,
        link_ref=link_ref,
    )
    flag, stamp = CONSENT_FIELDS[kind]
    values = {flag: given, stamp: at if given else None}
    logged_update(Client.objects.filter(pk=client.pk), **values, updated_at=timezone.now())
    for name, value in values.items():
        setattr(client, name, value)
    return record


def _apply(client: Client, data: Mapping[str, Any], stored: Client | None) -> dict[str, bool]:
    """Copy the edited fields; return the consents the intake changes, {kind: given}.

    `stored` is the row as it is in the database (None for a new client): a ModelForm has
    already written the posted values onto the instance, so only the stored row says
    what the consents were. They stay as stored here; consent_record changes them and
    keeps the history (re-saving the intake keeps the moment consent was first given)."""
    for name in EDITABLE_FIELDS:
        if name in data:
            setattr(client, name, data[name])
    changes = {}
    for kind, (flag, stamp) in CONSENT_FIELDS.items():
        wanted = bool(getattr(client, flag))
        was = bool(stored is not None and getattr(stored, flag))
        setattr(client, flag, was)
        setattr(client, stamp, getattr(stored, stamp) if stored is not None and was else None)
        if wanted != was:
            changes[kind] = wanted
    return changes


def _record_intake_consents(client: Client, changes: dict[str, bool], by: User) -> None:
    for kind, given in changes.items():
        consent_record(client=client, kind=kind, given=given, source=ConsentSource.INTAKE, by=by)


def _set_flags(client: Client, flags: Iterable[str], *, changed_at: dt.datetime | None = None) -> None:
    """Make the client's flags `flags`. A change to an existing client's flags is a change
    of health: with `changed_at`, consent to treatment given before it is due again."""
    wanted = {HealthFlag(f) for f in flags}
    current = set(client.health_flags.values_list("flag", flat=True))
    client.health_flags.exclude(flag__in=wanted).delete()
    logged_bulk_create(ClientHealthFlag, [ClientHealthFlag(client=client, flag=f) for f in sorted(wanted - current)])
    # A page that prefetched the flags must not keep showing the old ones.
    getattr(client, "_prefetched_objects_cache", {}).pop("health_flags", None)
    if changed_at is not None and wanted != current:
        client_health_changed(client=client, at=changed_at)


def client_health_changed(*, client: Client, at: dt.datetime | None = None) -> None:
    """docs/domain.md, rule 14: the client's health flags or treatment plan changed at `at`;
    a consent to treatment given before then is due again."""
    at = at or timezone.now()
    # Never backwards: a later change stands (an earlier answer accepted late says nothing newer).
    later = Q(health_changed_at__isnull=True) | Q(health_changed_at__lt=at)
    if logged_update(Client.objects.filter(later, pk=client.pk), health_changed_at=at, updated_at=timezone.now()):
        client.health_changed_at = at


@transaction.atomic
def client_flags_set(*, client: Client, flags: Iterable[str], changed_at: dt.datetime) -> None:
    """The client's flags, as accepted from what they said (intake/services.py)."""
    _set_flags(client, flags, changed_at=changed_at)


def _validate(client: Client) -> None:
    # The form limits the choice already; this guards every other caller (demo data, shell).
    if client.practitioner is not None and client.practitioner.clinic_id != client.clinic_id:
        raise ValidationError({"practitioner": "Choose a practitioner who works at this clinic."})
    client.full_clean(exclude=["practitioner"])


@transaction.atomic
def client_create(*, clinic: Clinic, by: User, data: Mapping[str, Any]) -> Client:
    client = Client(clinic=clinic)
    changes = _apply(client, data, stored=None)
    _validate(client)
    client.save()
    _record_intake_consents(client, changes, by)
    _set_flags(client, data.get("flags", ()))
    logger.info("Client %s created in clinic %s by user %s", client.pk, clinic.pk, by.pk)
    return client


@transaction.atomic
def client_update(*, client: Client, by: User, data: Mapping[str, Any]) -> Client:
    stored = (
        Client.objects.select_for_update()
        .only(*(f for pair in CONSENT_FIELDS.values() for f in pair))
        .get(pk=client.pk)
    )
    changes = _apply(client, data, stored=stored)
    _validate(client)
    client.save()
    # Flags first: a consent ticked in the same save is given knowing the new flags.
    if "flags" in data:
        _set_flags(client, data["flags"], changed_at=timezone.now())
    _record_intake_consents(client, changes, by)
    logger.info("Client %s updated by user %s", client.pk, by.pk)
    return client


def client_archive(*, client: Client, by: User) -> Client:
    if client.archived_at is None:
        client.archived_at = timezone.now()
        client.save(update_fields=["archived_at", "updated_at"])
        logger.info("Client %s archived by user %s", client.pk, by.pk)
    return client


def client_unarchive(*, client: Client, by: User | None) -> Client:
    """Back on the client list; the audit trail keeps who (a practitioner, or the client booking
    online: `by` None)."""
    if client.archived_at is not None:
        client.archived_at = None
        client.save(update_fields=["archived_at", "updated_at"])
        logger.info("Client %s unarchived by user %s", client.pk, by.pk if by else None)
    return client
