"""Medical permission pages (docs/domain.md, rule 16): the client's permission page with the
one-click request, a request's status with the GP's reply, and the letter to print or download."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string

from accounts.localtime import local_today
from accounts.tenancy import clinic_required
from audit.services import audit_view
from clients import selectors as client_selectors

from . import selectors, services
from .forms import GPForm, ReplyForm
from .letter import gp_letter
from .models import PermissionRequest


@clinic_required
def client_permission(request: HttpRequest, pk: int) -> HttpResponse:
    """The client's flags waiting for a doctor's word, and every request with its reply."""
    client = client_selectors.client_for_page(clinic=request.clinic, pk=pk)
    requests = selectors.with_requests(client)
    audit_view(request, client, "medical permission")
    return render(
        request,
        "permission/client_permission.html",
        {
            "client": client,
            "requests": requests,
            "open_request": next((r for r in requests if r.is_open), None),
            "uncleared": client.uncleared_medical,
        },
    )


@clinic_required
def permission_open(request: HttpRequest, pk: int) -> HttpResponse:
    # The client is looked up first, so another clinic's id is a 404 whatever the method.
    client = client_selectors.client_for_page(clinic=request.clinic, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        permission = services.permission_request_open(client=client, by=request.user)
    except services.NothingToAsk as error:
        messages.info(request, error.message)
        return redirect("permission:client", pk=client.pk)
    messages.success(request, f"Permission request open for {client.full_name}: print the letter for their GP.")
    return redirect("permission:detail", pk=permission.pk)


def _detail(request: HttpRequest, permission: PermissionRequest, *, gp_form=None, reply_form=None, status=200):
    initial = {"gp_name": permission.gp_name, "gp_practice": permission.gp_practice}
    return render(
        request,
        "permission/request_detail.html",
        {
            "permission": permission,
            "client": permission.client,
            "gp_form": gp_form or GPForm(initial=initial, prefix="gp"),
            "reply_form": reply_form or ReplyForm(initial=initial, clinic=request.clinic, prefix="reply"),
            "refusal": permission.refusal(local_today(request.clinic)) if permission.is_answered else "",
        },
        status=status,
    )


@clinic_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    permission = selectors.request_for_page(clinic=request.clinic, pk=pk)
    audit_view(request, permission.client, "medical permission request")
    return _detail(request, permission)


@clinic_required
def request_gp(request: HttpRequest, pk: int) -> HttpResponse:
    permission = selectors.request_for_page(clinic=request.clinic, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = GPForm(request.POST, prefix="gp")
    if not permission.is_open:
        messages.info(request, "The GP's reply is recorded already; the letter is as it was sent.")
        return redirect("permission:detail", pk=permission.pk)
    if not form.is_valid():
        return _detail(request, permission, gp_form=form)
    services.permission_request_set_gp(request=permission, **form.cleaned_data)
    messages.success(request, "The GP's details are on the letter.")
    return redirect("permission:detail", pk=permission.pk)


@clinic_required
def request_reply(request: HttpRequest, pk: int) -> HttpResponse:
    permission = selectors.request_for_page(clinic=request.clinic, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ReplyForm(request.POST, clinic=request.clinic, prefix="reply")
    if not form.is_valid():
        return _detail(request, permission, reply_form=form)
    data = form.cleaned_data
    try:
        services.permission_reply_record(
            request=permission,
            by=request.user,
            permitted=data["outcome"] == "permitted",
            received_on=data["received_on"],
            expires_on=data["expires_on"],
            gp_name=data["gp_name"],
            gp_practice=data["gp_practice"],
            note=data["note"],
        )
    except services.AlreadyAnswered as error:
        messages.info(request, error.message)
        return redirect("permission:detail", pk=permission.pk)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _detail(request, permission, reply_form=form)
    client = permission.client
    if data["outcome"] == "permitted":
        messages.success(request, f"Permission recorded: sessions for {client.full_name} can go ahead.")
    else:
        messages.warning(
            request, f"Recorded that the GP did not give permission: sessions for {client.full_name} stay on hold."
        )
    return redirect("permission:detail", pk=permission.pk)


@clinic_required
def letter_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The letter as a page to print (permission/letter.css holds the print layout)."""
    permission = selectors.request_for_page(clinic=request.clinic, pk=pk)
    audit_view(request, permission.client, "GP letter")
    return render(request, "permission/letter.html", {"letter": gp_letter(permission, by=request.user)})


@clinic_required
def letter_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The same letter as a plain-text file, for an email to the surgery or a word processor."""
    permission = selectors.request_for_page(clinic=request.clinic, pk=pk)
    audit_view(request, permission.client, "GP letter download")
    letter = gp_letter(permission, by=request.user)
    text = render_to_string("permission/letter.txt", {"letter": letter})
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{letter.filename}"'
    return response
