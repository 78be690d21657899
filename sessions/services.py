"""Writes for treatment sessions. A session and its pressure notes always change
together, in one transaction; a signed session changes only through an amendment
that keeps the record as it was."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment
from audit.services import logged_update

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
    *, appointment: Appointment, data: dict[str, Any], notes: list[NoteData]
) -> TreatmentSession:
    """Create the session of `appointment` with its pressure notes, and mark the
    appointment attended. Raises SessionAlreadyRecorded when a session exists."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status == Appointment.Status.CANCELLED:
        raise AppointmentCancelled("This appointment was cancelled.")
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
                **_field_values(data),
            )
    except IntegrityError:
        raise SessionAlreadyRecorded(TreatmentSession.objects.get(appointment=appointment)) from None
    _sync_notes(session=session, notes=notes)
    if appointment.status != Appointment.Status.ATTENDED:
        appointment.status = Appointment.Status.ATTENDED
        appointment.save(update_fields=["status", "updated_at"])
    return session


@transaction.atomic
def treatment_session_update(*, session: TreatmentSession, data: dict[str, Any], notes: list[NoteData]) -> None:
    """Change a draft (unsigned) session. Raises SessionLocked once it is signed."""
    session = _locked(session)
    if session.is_signed:
        raise SessionLocked("This session is signed; change it with an amendment.")
    _apply_fields(session=session, data=data)
    _sync_notes(session=session, notes=notes)


def treatment_session_sign(*, session: TreatmentSession, by: User) -> bool:
    """Sign and lock the session. Returns False when it was already signed; the
    conditional update means two clicks cannot both sign it."""
    now = timezone.now()
    signed = logged_update(
        TreatmentSession.objects.filter(pk=session.pk, signed_at__isnull=True),
        signed_at=now,
        signed_by=by,
        updated_at=now,
    )
    if signed:
        session.signed_at, session.signed_by = now, by
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
