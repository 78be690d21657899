"""Practitioner pages for home routines (propose from a session, edit, preview, assign,
stop) and the owner's routine library."""

from __future__ import annotations

import base64
import datetime as dt
import re

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin

from accounts.inputs import parse_id
from accounts.localtime import local_today
from accounts.services import clinic_set_routine_minutes
from accounts.tenancy import clinic_get, clinic_required, owner_required
from clients.services import withdrawal_message
from sessions.models import TreatmentSession

from .emails import preview_routine_email
from .forms import AddStepForm, LibraryStepForm, RoutineMinutesForm, ScheduleForm, StepForm, StopForm
from .models import LibraryStep, Routine, StepKind
from .proposal import RoutineNotProposable, routine_propose, total_minutes
from .selectors import draft_for_session, library_steps, routine_queryset
from .services import (
    EDITABLE,
    RUNNING,
    LibraryCodeTaken,
    RoutineCannotBeAssigned,
    RoutineLocked,
    library_step_save,
    routine_add_step,
    routine_assign,
    routine_move_step,
    routine_remove_step,
    routine_stop,
    routine_update_schedule,
    routine_update_step,
)


def _get_routine(request: HttpRequest, pk: int) -> Routine:
    return clinic_get(routine_queryset(clinic=request.clinic), request.clinic, pk=pk)


@clinic_required
def routine_propose_view(request: HttpRequest, session_pk: int) -> HttpResponse:
    """POST builds a draft from the signed session and opens the editor; GET goes back to the session."""
    session = clinic_get(TreatmentSession.objects.select_related("client"), request.clinic, pk=session_pk)
    if request.method != "POST":
        return redirect("sessions:detail", pk=session.pk)
    existing = draft_for_session(session=session)
    if existing is not None:
        messages.info(request, "This session already has a draft routine; here it is.")
        return redirect("routines:edit", pk=existing.pk)
    try:
        routine = routine_propose(session=session, by=request.user)
    except RoutineNotProposable as exc:
        messages.error(request, str(exc))
        return redirect("sessions:detail", pk=session.pk)
    messages.success(
        request,
        f"A draft routine for {session.client.first_name} is ready from this session. "
        "Change what you like, preview the email, then assign it.",
    )
    if routine.left_out:
        messages.info(
            request,
            "No hand reflex matches " + ", ".join(routine.left_out) + ", so the draft leaves it out.",
        )
    if routine.left_out_for_time:
        messages.info(
            request,
            f"To keep the routine to {request.clinic.routine_minutes} minutes a day, the draft leaves out: "
            + ", ".join(routine.left_out_for_time)
            + ". Add a step back from the library if it matters more.",
        )
    return redirect("routines:edit", pk=routine.pk)


def _editor_context(request, routine: Routine, **forms) -> dict:
    steps = list(routine.steps.all())
    client = routine.client
    step_forms = forms.pop("step_forms", {})
    return {
        "routine": routine,
        "client": client,
        "steps": [
            (step, step_forms.get(step.pk) or StepForm(instance=step, prefix=f"step-{step.pk}")) for step in steps
        ],
        "editable": routine.status in EDITABLE,
        "running": routine.status in RUNNING,
        # docs/domain.md, rule 9: the flags whose advice every routine email carries, from their specs.
        "advised_flags": [spec for spec in client.flag_specs if spec.email_advice],
        "total_minutes": total_minutes(steps),
        # docs/domain.md, rule 7: the clinic's few minutes a day; the editor warns above them.
        "routine_minutes": request.clinic.routine_minutes,
        "add_form": forms.get("add_form") or AddStepForm(clinic=request.clinic),
        "schedule_form": forms.get("schedule_form") or ScheduleForm(instance=routine, prefix="schedule"),
        "can_email": bool(client.email and client.consent_email and not client.is_archived),
        "withdrawal": withdrawal_message(client) if client.email_consent_withdrawal else "",
    }


@clinic_required
def routine_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor. Every change is a small POST form (no JavaScript needed) that redirects back."""
    routine = _get_routine(request, pk)
    if request.method != "POST":
        return render(request, "routines/routine_edit.html", _editor_context(request, routine))
    action = request.POST.get("action", "")
    step = None
    if "step" in request.POST:
        step = get_object_or_404(routine.steps.all(), pk=parse_id(request.POST["step"]) or 0)
    forms: dict = {}
    try:
        if action == "add":
            forms["add_form"] = form = AddStepForm(request.POST, clinic=request.clinic)
            if form.is_valid():
                library_step = form.cleaned_data["library_step"]
                routine_add_step(routine=routine, library_step=library_step)
                messages.success(request, f"Added “{library_step.title}”.")
                return redirect("routines:edit", pk=routine.pk)
        elif action == "remove" and step:
            routine_remove_step(step=step)
            messages.success(request, f"Removed “{step.title}”.")
            return redirect("routines:edit", pk=routine.pk)
        elif action in ("up", "down") and step:
            routine_move_step(step=step, up=action == "up")
            messages.success(request, f"Moved “{step.title}” {action}.")
            return redirect(f"{_edit_url(routine)}#step-{step.pk}")
        elif action == "save_step" and step:
            form = StepForm(request.POST, instance=step, prefix=f"step-{step.pk}")
            forms["step_forms"] = {step.pk: form}
            if form.is_valid():
                routine_update_step(step=step, data=form.cleaned_data)
                messages.success(request, f"Saved “{step.title}”.")
                return redirect(f"{_edit_url(routine)}#step-{step.pk}")
        elif action == "schedule":
            forms["schedule_form"] = form = ScheduleForm(request.POST, instance=routine, prefix="schedule")
            if form.is_valid():
                routine_update_schedule(routine=routine, data=form.cleaned_data)
                messages.success(request, "Schedule saved.")
                return redirect("routines:edit", pk=routine.pk)
        else:
            messages.error(request, "That change was not understood; nothing was saved.")
            return redirect("routines:edit", pk=routine.pk)
    except RoutineLocked as exc:
        messages.error(request, str(exc))
        return redirect("routines:edit", pk=routine.pk)
    # A form with errors: show the page again with the messages next to the fields.
    routine = _get_routine(request, pk)
    return render(request, "routines/routine_edit.html", _editor_context(request, routine, **forms), status=400)


def _edit_url(routine: Routine) -> str:
    return reverse("routines:edit", kwargs={"pk": routine.pk})


def _preview_date(routine: Routine) -> dt.date:
    today = local_today(routine.client)
    return max(today, routine.starts_on)


def _preview_message(routine: Routine):
    """The email as the client will get it on its next day."""
    return preview_routine_email(routine, _preview_date(routine))


_CID = re.compile(r"cid:([^\"'\s)>]+)")


def html_with_inline_images(message) -> str | None:
    """The HTML part of the message as it goes out, with each cid: picture turned into a
    data: URL so a browser shows it. Walks the built MIME tree, so it shows exactly what
    a mail client would get, however the pictures are attached."""
    html = None
    images: dict[str, str] = {}
    for part in message.message().walk():
        if part.is_multipart():
            continue
        mimetype = part.get_content_type()
        if mimetype == "text/html" and html is None:
            html = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        elif cid := (part.get("Content-ID") or "").strip().strip("<>"):
            payload = part.get_payload(decode=True) or b""
            images[cid] = f"data:{mimetype};base64,{base64.b64encode(payload).decode()}"
    if html is None:
        return None
    return _CID.sub(lambda m: images.get(m.group(1), m.group(0)), html)


@clinic_required
def routine_preview(request: HttpRequest, pk: int) -> HttpResponse:
    routine = _get_routine(request, pk)
    message = _preview_message(routine)
    context = {
        "routine": routine,
        "client": routine.client,
        "message": message,
        "preview_date": _preview_date(routine),
    }
    return render(request, "routines/routine_preview.html", context)


@xframe_options_sameorigin
@clinic_required
def routine_preview_html(request: HttpRequest, pk: int) -> HttpResponse:
    routine = _get_routine(request, pk)
    html = html_with_inline_images(_preview_message(routine))
    if html is None:
        raise Http404("The email has no HTML part")
    response = HttpResponse(html)
    # The email's HTML runs nothing and loads nothing from elsewhere; say so to the browser too.
    response["Content-Security-Policy"] = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return response


@clinic_required
def routine_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    routine = _get_routine(request, pk)
    if request.method != "POST":
        return redirect("routines:edit", pk=routine.pk)
    try:
        routine_assign(routine=routine, by=request.user)
    except RoutineCannotBeAssigned as exc:
        messages.error(request, str(exc))
        return redirect("routines:edit", pk=routine.pk)
    messages.success(
        request,
        f"Routine assigned. {routine.client.first_name} gets the first email on "
        f"{routine.starts_on:%A %-d %B} at {routine.client.routine_time:%H:%M} their time.",
    )
    return redirect("routines:edit", pk=routine.pk)


@clinic_required
def routine_stop_view(request: HttpRequest, pk: int) -> HttpResponse:
    routine = _get_routine(request, pk)
    if request.method != "POST":
        return redirect("routines:edit", pk=routine.pk)
    form = StopForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The routine was not stopped: " + " ".join(form.errors["reason"]))
        return redirect("routines:edit", pk=routine.pk)
    if routine_stop(routine=routine, by=request.user, reason=form.cleaned_data["reason"]):
        messages.success(request, f"Routine stopped. {routine.client.first_name} gets no more routine emails.")
    else:
        messages.info(request, "This routine was not running, so there was nothing to stop.")
    return redirect("routines:edit", pk=routine.pk)


# --- Owner: the clinic's routine library -------------------------------------------


@owner_required
def library_list(request: HttpRequest) -> HttpResponse:
    """The library, and how many minutes a day a proposed routine may take (docs/domain.md, rule 7)."""
    minutes_form = RoutineMinutesForm(request.POST or None, instance=request.clinic)
    if request.method == "POST" and minutes_form.is_valid():
        clinic_set_routine_minutes(clinic=request.clinic, minutes=minutes_form.cleaned_data["routine_minutes"])
        messages.success(request, f"Proposed routines now take at most {request.clinic.routine_minutes} minutes a day.")
        return redirect("routines:library")
    steps = list(library_steps(clinic=request.clinic))
    reflex = [s for s in steps if s.kind == StepKind.REFLEX]
    tips = [s for s in steps if s.kind == StepKind.LIFESTYLE]
    context = {"reflex": reflex, "tips": tips, "minutes_form": minutes_form}
    return render(request, "routines/library_list.html", context, status=400 if minutes_form.errors else 200)


def _library_form_page(request: HttpRequest, step: LibraryStep | None) -> HttpResponse:
    form = LibraryStepForm(request.POST or None, instance=step, clinic=request.clinic)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.clinic = request.clinic
        try:
            library_step_save(step=saved, zones=form.cleaned_data["zones"])
        except LibraryCodeTaken:
            form.add_error(None, "Another library entry was saved with the same name just now. Try again.")
        else:
            messages.success(request, f"{'Saved' if step else 'Added'} “{saved.title}”.")
            return redirect("routines:library")
    return render(request, "routines/library_form.html", {"form": form, "step": step})


@owner_required
def library_add(request: HttpRequest) -> HttpResponse:
    return _library_form_page(request, None)


@owner_required
def library_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _library_form_page(request, clinic_get(LibraryStep, request.clinic, pk=pk))
