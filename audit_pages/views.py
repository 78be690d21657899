"""The owner's audit pages: the clinic's whole trail, one client's, one staff member's,
each with filters and a CSV export of what the filters select."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from accounts.models import User
from accounts.tenancy import clinic_get, owner_required
from clients.models import Client
from reports.csv import csv_response
from reports.tables import Table

from .forms import AuditFilterForm
from .selectors import audit_entries, audit_rows

PAGE_SIZE = 50
CSV_COLUMNS = ["When", "Who", "Client", "Client id", "Action", "Record or page", "Before and after"]


def _filtered(request: HttpRequest, **fixed):
    """The filter form and the selected rows; `fixed` is the page's own client or staff member."""
    form = AuditFilterForm(request.GET or None, clinic=request.clinic)
    filters = {**form.filters(), **fixed}
    return form, filters, audit_entries(clinic=request.clinic, **filters)


def _page(request: HttpRequest, *, heading: str, **fixed) -> HttpResponse:
    form, filters, entries = _filtered(request, **fixed)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    query.update({name: obj.pk for name, obj in fixed.items()})
    return render(
        request,
        "audit_pages/audit_log.html",
        {
            "form": form,
            "fixed": fixed,
            "heading": heading,
            "page": page,
            "rows": audit_rows(page.object_list, clinic=request.clinic),
            "export_query": urlencode(query),
            "page_query": urlencode({k: v for k, v in request.GET.items() if k != "page" and v}),
        },
    )


@owner_required
def audit_log(request: HttpRequest) -> HttpResponse:
    return _page(request, heading="Audit trail")


@owner_required
def audit_client(request: HttpRequest, pk: int) -> HttpResponse:
    client = clinic_get(Client, request.clinic, pk=pk)
    return _page(request, heading=f"Audit trail of {client.full_name}", client=client)


@owner_required
def audit_staff(request: HttpRequest, pk: int) -> HttpResponse:
    member = clinic_get(User, request.clinic, pk=pk)
    return _page(request, heading=f"Audit trail of {member}'s actions", staff=member)


@owner_required
def audit_export(request: HttpRequest) -> HttpResponse:
    """Every row the filters select (not one page of them), as CSV through the reports'
    RFC 4180 writer and its formula-injection guard: names and notes are clients' text."""
    _form, _filters, entries = _filtered(request)
    rows = audit_rows(entries, clinic=request.clinic)
    table = Table(
        slug="audit",
        title="Audit trail",
        columns=CSV_COLUMNS,
        rows=[
            (
                r.when.isoformat(timespec="seconds"),
                r.who,
                r.client_name,
                r.client_id,
                r.action,
                r.record,
                r.changes_text,
            )
            for r in rows
        ],
    )
    return csv_response(table, f"{request.clinic.slug}-audit-trail.csv")
