"""Writes for treatment sessions. A session and its pressure notes always change
together, in one transaction; a signed session changes only through an amendment
that keeps the record as it was."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment
from appointments.services import status_change_log
from audit.services import logged_update
from clients.services import archived_refusal

from .models import PressureNote, SessionAmendment, TreatmentSession
from .selectors import SESSION_FIELDS, session_snapshot, snapshot_changes, snapshot_from

NoteData = dict[str, Any]  # zone (a ReflexZone of the session's clinic), side, pressure, response, minutes, note


class SessionError(Exception):
    """A change the practitioner asked for that the record's state does not allow."""


class AppointmentCancelled(SessionError):
    pass


class SessionAlreadyRecorded(SessionError):
    def __init__(self, session: TreatmentSession):
        super().__init__("This appointment already has a session.")
        self.session = session


class SessionLocked(SessionError):
    pass


class SessionNotSigned(SessionError):
    pass


class NothingChanged(SessionError):
    pass


class NoTreatmentConsent(SessionError):
    pass


class ConsentDueAgain(NoTreatmentConsent):
    pass


class TooEarly(SessionError):
    pass


class NeedsClearance(SessionError):
    pass


class ClientArchived(SessionError):
    pass


# A session may be recorded a few minutes before its appointment starts (setting up, an early start).
START_GRACE = dt.timedelta(minutes=10)


def record_blocker(*, client, starts_at: dt.datetime, now: dt.datetime | None = None) -> SessionError | None:
    """Why a session of `client` starting at `starts_at` cannot be recorded or signed now, or None.

    Consent to treatment before treatment; no record before its time (a few minutes' grace)."""
    now = now or timezone.now()
    if not client.consent_treatment and client.consent_renewal_due:
        # docs/domain.md, rule 14: withdrawn after it became due again, it comes back only renewed.
        return ConsentDueAgain(
            f"{client.full_name} withdrew their consent to treatment after their health flags or treatment plan "
            "changed. Record their renewed consent on the client page, or send them a renewal link, then record "
            "the session."
        )
    if not client.consent_treatment:
        return NoTreatmentConsent(
            f"{client.full_name} has no recorded consent to treatment. Ask them, record it on the intake, "
            "then record the session."
        )
    if client.consent_due_again:
        # docs/domain.md, rule 14: a change of health or plan since the client consented.
        return ConsentDueAgain(
            f"{client.full_name}'s health flags or treatment plan changed after they consented to treatment, "
            "so their consent is due again. Record their renewed consent on the client page, or send them a "
            "renewal link, then sign the session."
        )
    if now < starts_at - START_GRACE:
        return TooEarly("This appointment has not started yet. Record the session once it has begun.")
    return None


def archived_blocker(*, client) -> ClientArchived | None:
    """No new session for an archived client (docs/domain.md, "Archived clients"): unarchiving comes
    first, one click that the audit trail keeps. A draft saved before archiving is still signed."""
    if client.is_archived:
        return ClientArchived(archived_refusal(client, "recording a session"))
    return None


def clearance_blocker(*, client) -> NeedsClearance | None:
    """A "needs medical permission" flag without a clearance or GP permission that holds today blocks
    recording, unless overridden (docs/domain.md, rule 16). Says why for each flag: none recorded,
    not permitted, or expired."""
    uncleared = client.uncleared_medical
    if not uncleared:
        return None
    by_reason: dict[str, list[str]] = {}
    for spec, why in uncleared:
        by_reason.setdefault(why, []).append(f"“{spec.label}”")
    reasons = "; ".join(f"{' and '.join(names)}: {why}" for why, names in by_reason.items())
    names = " and ".join(name for group in by_reason.values() for name in group)
    if len(by_reason) == 1:
        reasons = next(iter(by_reason))
    return NeedsClearance(
        f"{client.full_name} has {names} on record, which needs medical permission, and {reasons}. "
        "Ask the client's GP for permission with the letter on the client's permission page, or say why you "
        "are treating without it."
    )


def session_blocker(
    *, client, starts_at: dt.datetime, override: str = "", now: dt.datetime | None = None
) -> SessionError | None:
    """Why a session cannot be recorded, or signed, now: record_blocker's reasons, then
    clearance_blocker's unless the practitioner has said why they treat without the
    permission (`override`). Recording and signing both ask this, so neither lets through
    what the other holds (docs/domain.md, rules 14 and 16)."""
    blocker = record_blocker(client=client, starts_at=starts_at, now=now)
    if blocker is None and not override.strip():
        blocker = clearance_blocker(client=client)
    return blocker


def _override_fields(client, reason: str, by: User | None) -> dict[str, Any]:
    """The override kept on the session: only while a flag is actually waiting for permission."""
    if not (reason and client.uncleared_medical_flags):
        return {}
    return {"clearance_override": reason, "clearance_override_by": by}


def _sync_notes(*, session: TreatmentSession, notes: list[NoteData]) -> None:
    """Make the session's pressure notes equal `notes`. Rows are matched by zone and side
    and updated in place, so an unchanged note keeps its id."""
    existing = {(n.zone_id, n.side): n for n in session.pressure_notes.all()}
    for position, data in enumerate(notes):
        key = (data["zone"].pk, data["side"])
        values = {
            "pressure": int(data["pressure"]),
            "response": data["response"],
            "minutes": int(data["minutes"]),
            "note": data.get("note") or "",
            "position": position,
        }
        note = existing.pop(key, None)
        if note is None:
            PressureNote.objects.create(session=session, zone=data["zone"], side=data["side"], **values)
        elif any(getattr(note, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(note, k, v)
            note.save(update_fields=list(values))
    if existing:
        PressureNote.objects.filter(pk__in=[n.pk for n in existing.values()]).delete()


def _field_values(data: dict[str, Any]) -> dict[str, Any]:
    # Pain may be left unrecorded (None); text fields store "" rather than NULL.
    return {name: data.get(name) if name.startswith("pain") else (data.get(name) or "") for name in SESSION_FIELDS}


def _apply_fields(*, session: TreatmentSession, data: dict[str, Any]) -> None:
    for name, value in _field_values(data).items():
        setattr(session, name, value)
    session.save(update_fields=[*SESSION_FIELDS, "updated_at"])


def _locked(session: TreatmentSession) -> TreatmentSession:
    # Re-read under a row lock so a concurrent sign or amendment cannot interleave.
    return TreatmentSession.objects.select_for_update().get(pk=session.pk)


@transaction.atomic
def treatment_session_record(
    *,
    appointment: Appointment,
    data: dict[str, Any],
    notes: list[NoteData],
    by: User | None = None,
    override_reason: str = "",
) -> TreatmentSession:
    """Create the session of `appointment` with its pressure notes, and mark the
    appointment attended. Raises SessionAlreadyRecorded when a session exists,
    ClientArchived, NoTreatmentConsent, TooEarly, or NeedsClearance without `override_reason`."""
    appointment = Appointment.objects.select_for_update().select_related("client").get(pk=appointment.pk)
    if appointment.status == Appointment.Status.CANCELLED:
        raise AppointmentCancelled("This appointment was cancelled.")
    override_reason = (override_reason or "").strip()
    client = appointment.client
    blocker = archived_blocker(client=client) or session_blocker(
        client=client, starts_at=appointment.starts_at, override=override_reason
    )
    if blocker is not None:
        raise blocker
    existing = TreatmentSession.objects.filter(appointment=appointment).first()
    if existing is not None:
        raise SessionAlreadyRecorded(existing)
    try:
        # A savepoint, so a lost race on the one-to-one leaves the outer transaction usable.
        with transaction.atomic():
            session = TreatmentSession.objects.create(
                clinic_id=appointment.clinic_id,
                appointment=appointment,
                client_id=appointment.client_id,
                practitioner_id=appointment.practitioner_id,
                started_at=appointment.starts_at,
                **_override_fields(appointment.client, override_reason, by),
                **_field_values(data),
            )
    except IntegrityError:
        raise SessionAlreadyRecorded(TreatmentSession.objects.get(appointment=appointment)) from None
    _sync_notes(session=session, notes=notes)
    if appointment.status != Appointment.Status.ATTENDED:
        was = appointment.status
        appointment.status = Appointment.Status.ATTENDED
        appointment.save(update_fields=["status", "updated_at"])
        status_change_log(appointment=appointment, from_status=was, by=by)
    return session


@transaction.atomic
def treatment_session_update(*, session: TreatmentSession, data: dict[str, Any], notes: list[NoteData]) -> None:
    """Change a draft (unsigned) session. Raises SessionLocked once it is signed."""
    session = _locked(session)
    if session.is_signed:
        raise SessionLocked("This session is signed; change it with an amendment.")
    _apply_fields(session=session, data=data)
    _sync_notes(session=session, notes=notes)


def treatment_session_sign(*, session: TreatmentSession, by: User, override_reason: str = "") -> bool:
    """Sign and lock the session. Returns False when it was already signed; the
    conditional update means two clicks cannot both sign it. Raises what recording raises
    (session_blocker), checked again now: a consent due again, or a GP's permission refused
    or expired since the draft was saved, holds the signature too. A session recorded with
    the practitioner's reason for treating without permission keeps it; otherwise
    `override_reason` is theirs, now, and is kept with the signature."""
    now = timezone.now()
    client = session.client
    override_reason = (override_reason or "").strip()
    blocker = session_blocker(
        client=client, starts_at=session.started_at, override=session.clearance_override or override_reason, now=now
    )
    if blocker is not None:
        raise blocker
    override = {} if session.clearance_override else _override_fields(client, override_reason, by)
    signed = logged_update(
        TreatmentSession.objects.filter(pk=session.pk, signed_at__isnull=True),
        signed_at=now,
        signed_by=by,
        updated_at=now,
        **override,
    )
    if signed:
        session.signed_at, session.signed_by = now, by
        for name, value in override.items():
            setattr(session, name, value)
    return bool(signed)


@transaction.atomic
def treatment_session_amend(
    *, session: TreatmentSession, by: User, reason: str, data: dict[str, Any], notes: list[NoteData]
) -> SessionAmendment:
    """Change a signed session, keeping who, when, why and the record before and after.
    Raises NothingChanged when the new record equals the current one."""
    session = _locked(session)
    if not session.is_signed:
        raise SessionNotSigned("This session is still a draft; edit it instead.")
    reason = (reason or "").strip()
    if not reason:
        raise SessionError("Say why the signed record is being amended.")
    before = session_snapshot(session)
    after = snapshot_from(data, notes)
    if not snapshot_changes(before, after):
        raise NothingChanged("Nothing changed: the amendment is the same as the signed record.")
    _apply_fields(session=session, data=data)
    _sync_notes(session=session, notes=notes)
    return SessionAmendment.objects.create(
        session=session, by=by, reason=reason, before=before, after=session_snapshot(session)
    )
