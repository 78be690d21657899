"""Owner pages for privacy rights: a client's complete record, retention and anonymisation,
and the clinic's data export. Every page is the owner's: a practitioner gets a 404."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.tenancy import clinic_get, owner_required
from clients.models import Client
from reports.scope import clinic_today

from . import selectors, services
from .forms import AnonymiseForm, RetentionPolicyForm
from .models import ClinicExport


def _download_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-_") or "record"


@owner_required
def subject_access_json(request: HttpRequest, pk: int) -> HttpResponse:
    client = clinic_get(Client, request.clinic, pk=pk)
    response = JsonResponse(selectors.subject_access_data(client), json_dumps_params={"indent": 2})
    name = _download_name(f"{client.full_name}-record-{client.pk}")
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response


@owner_required
def subject_access_page(request: HttpRequest, pk: int) -> HttpResponse:
    client = clinic_get(Client, request.clinic, pk=pk)
    details, tables = selectors.subject_access_page(client)
    context = {"client": client, "details": details, "tables": tables, "today": clinic_today(request.clinic)}
    return render(request, "privacy/subject_access.html", context)


@owner_required
@require_http_methods(["GET", "POST"])
def retention_report(request: HttpRequest) -> HttpResponse:
    policy = selectors.retention_policy(request.clinic)
    form = RetentionPolicyForm(request.POST if request.method == "POST" else None, instance=policy)
    if request.method == "POST" and form.is_valid():
        services.retention_policy_save(clinic=request.clinic, **form.cleaned_data)
        messages.success(request, "Retention settings saved.")
        return redirect("privacy:retention")
    context = {
        "form": form,
        "policy": policy,
        "past": selectors.clients_past_retention(request.clinic),
        "anonymised": selectors.anonymised_count(request.clinic),
    }
    return render(request, "privacy/retention.html", context)


@owner_required
@require_http_methods(["GET", "POST"])
def anonymise(request: HttpRequest, pk: int) -> HttpResponse:
    client = clinic_get(Client, request.clinic, pk=pk)
    form = AnonymiseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        name = client.full_name
        try:
            services.client_anonymise(client=client, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{name}'s record was anonymised.")
        return redirect("privacy:retention")
    context = {
        "client": client,
        "form": form,
        "retention": selectors.client_retention(client),
        "already": hasattr(client, "anonymisation"),
    }
    return render(request, "privacy/anonymise.html", context)


@owner_required
@require_http_methods(["GET", "POST"])
def export_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        export = services.clinic_export_request(clinic=request.clinic, by=request.user)
        return redirect("privacy:export_status", pk=export.pk)
    return render(request, "privacy/exports.html", {"exports": selectors.clinic_exports(request.clinic)[:20]})


@owner_required
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    export = clinic_get(selectors.clinic_exports(request.clinic), request.clinic, pk=pk)
    return render(request, "privacy/export_status.html", {"export": export})


@owner_required
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    export = clinic_get(ClinicExport, request.clinic, pk=pk)
    path = services.export_path(export)
    if export.status != ClinicExport.Status.DONE or not export.file_name or not path.is_file():
        raise Http404("This export is not ready")
    return FileResponse(path.open("rb"), as_attachment=True, filename=export.file_name, content_type="application/zip")
