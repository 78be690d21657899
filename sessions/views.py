"""Treatment-session pages: record from an appointment, the session page, edit a draft,
sign, and amend a signed record."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format

from accounts.inputs import parse_id
from accounts.tenancy import clinic_get, clinic_required
from appointments.models import Appointment
from audit.services import audit_view
from clients.models import Client

from . import client_page
from .forms import NOTES_PREFIX, AmendmentReasonForm, PressureNoteFormSet, TreatmentSessionForm, blank_rows
from .models import PressureLevel, Response, TreatmentSession
from .selectors import (
    active_zones,
    amendment_history,
    last_signed_session,
    note_as_dict,
    session_original,
    session_queryset,
    snapshot_lines,
)
from .services import (
    AppointmentCancelled,
    NeedsClearance,
    NothingChanged,
    NoTreatmentConsent,
    SessionAlreadyRecorded,
    SessionError,
    SessionLocked,
    archived_blocker,
    clearance_blocker,
    record_blocker,
    treatment_session_amend,
    treatment_session_record,
    treatment_session_sign,
    treatment_session_update,
)

SIGNED_MESSAGE = (
    "This session is signed, so it is locked. Changes are made as amendments, which keep the signed record."
)


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, f"sessions/{template}", context, status=status)


def _blocked(request: HttpRequest, error: SessionError, *, client: Client, appointment: Appointment) -> HttpResponse:
    """Why the session cannot be recorded or signed yet, with the way forward (the intake, or the appointment)."""
    context = {
        "message": str(error),
        "client": client,
        "appointment": appointment,
        "needs_consent": isinstance(error, NoTreatmentConsent),
    }
    return _render(request, "session_blocked.html", context, status=409)


OVERRIDE_MISSING = "Say why you are treating without the clearance, or record it on the intake first."


def _override(request: HttpRequest, client: Client) -> dict[str, Any] | None:
    """The override of a missing medical permission (docs/domain.md, rule 16), asked for on the
    record form and the sign page while a flag waits for one; kept on the session with who and why."""
    needs_clearance = clearance_blocker(client=client)
    if needs_clearance is None:
        return None
    reason = request.POST.get("override_reason", "").strip()[:1000] if request.method == "POST" else ""
    return {"message": str(needs_clearance), "reason": reason, "error": ""}


def _override_refused(override: dict[str, Any] | None, error: NeedsClearance) -> dict[str, Any]:
    """The override asked for again, with the field's message: the permission was missing and no
    reason was given (or it went missing between showing the page and posting it)."""
    return {**(override or {"reason": ""}), "message": str(error), "error": OVERRIDE_MISSING}


def _copy_from_last(
    request: HttpRequest, *, client: Client, zones: list, exclude_pk: int | None
) -> tuple[list[dict[str, Any]] | None, dict[str, Any] | None]:
    """Rows pre-filled from the client's most recent signed session (?copy=last), and
    the notice that says where they came from. Free-text notes are not copied."""
    if request.GET.get("copy") != "last":
        return None, None
    last = last_signed_session(client=client, exclude_pk=exclude_pk)
    if last is None:
        return None, {
            "level": "info",
            "text": (
                f"{client.first_name} has no earlier signed session to copy from, so the pressure notes start empty."
            ),
        }
    active = {z.pk for z in zones}
    rows = [{**note_as_dict(n), "note": ""} for n in last.pressure_notes.all() if n.zone_id in active]
    skipped = len(last.pressure_notes.all()) - len(rows)
    return rows, {"level": "success", "session": last, "count": len(rows), "skipped": skipped}


def _form_page(
    request: HttpRequest,
    mode: str,
    form: TreatmentSessionForm,
    formset,
    *,
    appointment: Appointment | None = None,
    session: TreatmentSession | None = None,
    reason_form: AmendmentReasonForm | None = None,
    copy_notice: dict[str, Any] | None = None,
    override: dict[str, Any] | None = None,
) -> HttpResponse:
    """The one form page behind record (an appointment), edit and amend (a session)."""
    appointment = appointment or session.appointment
    context = {
        "mode": mode,
        "client": session.client if session else appointment.client,
        "appointment": appointment,
        "session": session,
        "form": form,
        "formset": formset,
        "zones": formset.zones,
        "reason_form": reason_form,
        "override": override,
        "copy_notice": copy_notice,
        "can_copy": mode in ("record", "edit"),
        "pressure_levels": PressureLevel.choices,
        "responses": Response.choices,
    }
    return _render(request, "session_form.html", context)


def _bind(request: HttpRequest, *, zones: list, session: TreatmentSession | None = None):
    """The posted session form and formset, and whether the practitioner only asked for
    more empty rows (the no-JavaScript way to add notes): then nothing is saved."""
    data = request.POST
    adding_rows = "add_rows" in data
    if adding_rows:
        data = data.copy()
        key = f"{NOTES_PREFIX}-TOTAL_FORMS"
        if (rows := parse_id(data.get(key))) is not None:
            data[key] = str(rows + PressureNoteFormSet.extra)
            # The new rows hold the defaults the first spare rows showed, so they come back
            # unchanged and saving skips them, rather than failing on rows nobody touched.
            data.update(blank_rows(range(rows, rows + PressureNoteFormSet.extra)))
    return TreatmentSessionForm(data, instance=session), PressureNoteFormSet(data, zones=zones), adding_rows


def _seen(session: TreatmentSession, doing: str = "") -> str:
    """What the audit trail says was looked at: "session of 3 Nov 2026" (in the clinic's time)."""
    day = date_format(timezone.localtime(session.started_at), "j M Y")
    return f"session of {day}, {doing}" if doing else f"session of {day}"


def _get_session(request: HttpRequest, pk: int) -> TreatmentSession:
    return clinic_get(session_queryset(clinic=request.clinic), request.clinic, pk=pk)


@clinic_required
def session_record(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = clinic_get(
        Appointment.objects.select_related("client", "practitioner").prefetch_related(
            "client__health_flags", "client__permission_requests"
        ),
        request.clinic,
        pk=appointment_id,
    )
    existing = TreatmentSession.objects.filter(appointment=appointment).only("pk").first()
    if existing is not None:
        messages.info(request, "This appointment already has a session; here it is.")
        return redirect("sessions:detail", pk=existing.pk)
    if appointment.status == Appointment.Status.CANCELLED:
        return _render(request, "session_cancelled.html", {"appointment": appointment}, status=404)

    client = appointment.client
    blocker = archived_blocker(client=client) or record_blocker(client=client, starts_at=appointment.starts_at)
    if blocker is not None:
        return _blocked(request, blocker, client=client, appointment=appointment)
    override = _override(request, client)
    zones = active_zones(clinic=request.clinic)
    copy_notice = None
    if request.method == "POST":
        form, formset, adding_rows = _bind(request, zones=zones)
        if not adding_rows and form.is_valid() and formset.is_valid():
            try:
                session = treatment_session_record(
                    appointment=appointment,
                    data=form.cleaned_data,
                    notes=formset.notes(),
                    by=request.user,
                    override_reason=override["reason"] if override else "",
                )
            except SessionAlreadyRecorded as exc:
                messages.info(request, "This appointment already has a session; here it is.")
                return redirect("sessions:detail", pk=exc.session.pk)
            except AppointmentCancelled:
                return _render(request, "session_cancelled.html", {"appointment": appointment}, status=404)
            except NeedsClearance as exc:
                override = _override_refused(override, exc)
                return _form_page(request, "record", form, formset, appointment=appointment, override=override)
            except SessionError as exc:
                return _blocked(request, exc, client=client, appointment=appointment)
            messages.success(request, f"Session recorded for {client.full_name}. Sign it when the record is complete.")
            return redirect("sessions:detail", pk=session.pk)
    else:
        audit_view(request, client, "new session form")
        form = TreatmentSessionForm()
        initial, copy_notice = _copy_from_last(request, client=client, zones=zones, exclude_pk=None)
        formset = PressureNoteFormSet(initial=initial, zones=zones)
    return _form_page(
        request, "record", form, formset, appointment=appointment, copy_notice=copy_notice, override=override
    )


# Pages of older history: further than this is past any client's history (a page of 10 lines
# a week would take 190 years), and keeps the LIMIT of a hand-typed ?page= far from overflowing.
MAX_HISTORY_PAGE = 10_000


@clinic_required
def client_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The client's timeline past the lines on the client page, a page at a time (?page=2, 3, ...)."""
    client = clinic_get(Client, request.clinic, pk=pk)
    audit_view(request, client, "client history")
    page = min(max(parse_id(request.GET.get("page")) or 2, 1), MAX_HISTORY_PAGE)
    timeline = client_page.client_timeline(client=client, page=page)
    return render(
        request,
        "sessions/client_history.html",
        {"client": client, "timeline": timeline, "per_page": client_page.TIMELINE_LENGTH},
    )


@clinic_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = _get_session(request, pk)
    audit_view(request, session.client, _seen(session))
    history = amendment_history(session)
    context = {
        "session": session,
        "client": session.client,
        "notes": session.pressure_notes.all(),
        "history": history,
        "signed_record": snapshot_lines(session_original(session)) if history else None,
    }
    return _render(request, "session_detail.html", context)


@clinic_required
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = _get_session(request, pk)
    if session.is_signed:
        messages.info(request, SIGNED_MESSAGE)
        return redirect("sessions:detail", pk=session.pk)
    zones = active_zones(clinic=request.clinic, keep=(n.zone_id for n in session.pressure_notes.all()))
    copy_notice = None
    if request.method == "POST":
        form, formset, adding_rows = _bind(request, zones=zones, session=session)
        if not adding_rows and form.is_valid() and formset.is_valid():
            try:
                treatment_session_update(session=session, data=form.cleaned_data, notes=formset.notes())
            except SessionLocked:
                messages.info(request, SIGNED_MESSAGE)
                return redirect("sessions:detail", pk=session.pk)
            messages.success(request, "Session saved.")
            return redirect("sessions:detail", pk=session.pk)
    else:
        audit_view(request, session.client, _seen(session, "editing"))
        form = TreatmentSessionForm(instance=session)
        initial, copy_notice = _copy_from_last(request, client=session.client, zones=zones, exclude_pk=session.pk)
        if initial is None:
            initial = [note_as_dict(n) for n in session.pressure_notes.all()]
        formset = PressureNoteFormSet(initial=initial, zones=zones)
    return _form_page(request, "edit", form, formset, session=session, copy_notice=copy_notice)


@clinic_required
def session_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm (works without JavaScript); POST signs. Held back as recording is
    (treatment_session_sign): a missing medical permission asks for the reason here too."""
    session = _get_session(request, pk)
    if session.is_signed:
        messages.info(request, "This session is already signed.")
        return redirect("sessions:detail", pk=session.pk)
    client = session.client
    blocker = record_blocker(client=client, starts_at=session.started_at)
    if blocker is not None:
        return _blocked(request, blocker, client=client, appointment=session.appointment)
    override = None if session.clearance_override else _override(request, client)
    if request.method == "POST":
        try:
            signed = treatment_session_sign(
                session=session, by=request.user, override_reason=override["reason"] if override else ""
            )
        except NeedsClearance as exc:
            override = _override_refused(override, exc)
        except SessionError as exc:
            return _blocked(request, exc, client=client, appointment=session.appointment)
        else:
            if signed:
                messages.success(request, "Session signed. From now on, changes are recorded as amendments.")
            else:
                messages.info(request, "This session is already signed.")
            return redirect("sessions:detail", pk=session.pk)
    else:
        audit_view(request, client, _seen(session, "signing"))
    return _render(request, "session_sign.html", {"session": session, "client": client, "override": override})


@clinic_required
def session_amend(request: HttpRequest, pk: int) -> HttpResponse:
    session = _get_session(request, pk)
    if not session.is_signed:
        messages.info(request, "This session is still a draft, so you can edit it directly.")
        return redirect("sessions:edit", pk=session.pk)
    zones = active_zones(clinic=request.clinic, keep=(n.zone_id for n in session.pressure_notes.all()))
    if request.method == "POST":
        form, formset, adding_rows = _bind(request, zones=zones, session=session)
        reason_form = (
            AmendmentReasonForm(initial={"reason": request.POST.get("reason", "")})
            if adding_rows
            else AmendmentReasonForm(request.POST)
        )
        if not adding_rows and all([form.is_valid(), formset.is_valid(), reason_form.is_valid()]):
            try:
                treatment_session_amend(
                    session=session,
                    by=request.user,
                    reason=reason_form.cleaned_data["reason"],
                    data=form.cleaned_data,
                    notes=formset.notes(),
                )
            except NothingChanged as exc:
                reason_form.add_error(None, str(exc))
            else:
                messages.success(request, "Amendment saved. The signed record and this change are in the history.")
                return redirect("sessions:detail", pk=session.pk)
    else:
        audit_view(request, session.client, _seen(session, "amending"))
        form = TreatmentSessionForm(instance=session)
        formset = PressureNoteFormSet(initial=[note_as_dict(n) for n in session.pressure_notes.all()], zones=zones)
        reason_form = AmendmentReasonForm()
    return _form_page(request, "amend", form, formset, session=session, reason_form=reason_form)
