"""Client pages: list, intake (add/edit), the client page, archive and unarchive."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.tenancy import clinic_get, clinic_required
from audit.services import audit_view
from clients import archiving, panels, selectors, services
from clients.charts import PainChart
from clients.forms import ClientForm, ClientSearchForm, RenewedConsentForm
from clients.models import Client, ConsentKind, ConsentSource

PAGE_SIZE = 25


@clinic_required
def client_list(request: HttpRequest) -> HttpResponse:
    search = ClientSearchForm(request.GET)
    query = search.query
    archived = request.GET.get("archived") == "1"
    clients = selectors.client_list(clinic=request.clinic, query=query, archived=archived)
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "clients/client_list.html",
        {"page": page, "clients": page.object_list, "query": query, "archived": archived, "search": search},
    )


def _save_messages(request: HttpRequest, client: Client, verb: str) -> None:
    messages.success(request, f"{client.full_name} {verb}.")
    if client.needs_clearance:
        flags = " and ".join(s.label.lower() for s in client.flag_specs if s.asks_clearance)
        messages.warning(
            request,
            f"No physician referral or clearance is recorded for the {flags} yet. "
            "Add it on the intake before treating.",
        )
    if not client.consent_treatment:
        messages.warning(request, "Consent to treatment is not recorded yet; it is needed before the first session.")


def _form_invalid_from_service(form: ClientForm, error: ValidationError) -> None:
    # The service re-validates for callers other than this form; show what it found on the form.
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@clinic_required
def client_add(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None, clinic=request.clinic, initial={"practitioner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_create(clinic=request.clinic, by=request.user, data=form.service_data())
        except ValidationError as error:
            _form_invalid_from_service(form, error)
        else:
            _save_messages(request, client, "was added")
            return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/client_form.html", {"form": form, "client": None})


@clinic_required
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = selectors.client_for_page(clinic=request.clinic, pk=pk)
    form = ClientForm(request.POST or None, instance=client, clinic=request.clinic)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_update(client=client, by=request.user, data=form.service_data())
        except ValidationError as error:
            _form_invalid_from_service(form, error)
        else:
            _save_messages(request, client, "was saved")
            return redirect("clients:detail", pk=client.pk)
    # The header and warnings show the stored client, not the values being edited.
    stored = selectors.client_for_page(clinic=request.clinic, pk=pk)
    return render(request, "clients/client_form.html", {"form": form, "client": stored})


@clinic_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = selectors.client_for_page(clinic=request.clinic, pk=pk)
    audit_view(request, client, "client page")
    # The timeline, heat map and home routine come from the apps above clients (clients/panels.py).
    context = panels.panels_context(client)
    sessions, home_pain = context.pop("pain_sessions", []), context.pop("home_pain", [])
    chart = PainChart.from_sessions(
        sessions, request.clinic.timezone, home=home_pain, earlier=context.pop("pain_sessions_earlier", 0)
    )
    context.update(client=client, pain_chart=chart)
    return render(request, "clients/client_detail.html", context)


def _archive_action(request: HttpRequest, pk: int, change, message: str) -> HttpResponse:
    # Look the client up before checking the method, so that another clinic's id is a 404
    # whatever the method, and GET never changes anything.
    client = clinic_get(Client, request.clinic, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    change(client=client, by=request.user)
    messages.success(request, message.format(name=client.full_name))
    return redirect("clients:detail", pk=client.pk)


ARCHIVE_CHOICES = {"cancel": True, "keep": False}


@clinic_required
def client_archive_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Archiving asks first, and says what happens to future appointments and the routine."""
    client = selectors.client_for_page(clinic=request.clinic, pk=pk)
    if client.is_archived:
        return redirect("clients:detail", pk=client.pk)
    return render(
        request,
        "clients/archive_confirm.html",
        {"client": client, "effects": archiving.archive_effects(client), "error": request.GET.get("choose") == "1"},
    )


@clinic_required
def client_archive(request: HttpRequest, pk: int) -> HttpResponse:
    client = clinic_get(Client, request.clinic, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    choice = request.POST.get("future", "")
    effects = archiving.archive_effects(client)
    if effects.get("future_appointments") and choice not in ARCHIVE_CHOICES:
        # Nothing happens until the practitioner says what to do with the booked visits.
        return redirect(reverse("clients:archive_confirm", args=[client.pk]) + "?choose=1")
    archiving.client_archive_with_effects(
        client=client, by=request.user, cancel_future=ARCHIVE_CHOICES.get(choice, False)
    )
    messages.success(request, f"{client.full_name} was archived. Their records are kept; unarchive to see them again.")
    return redirect("clients:detail", pk=client.pk)


@clinic_required
def client_unarchive(request: HttpRequest, pk: int) -> HttpResponse:
    return _archive_action(request, pk, services.client_unarchive, "{name} is back on the client list.")


# What recording a renewed consent is about, per kind: why it is needed, and what follows.
RENEWALS = {
    ConsentKind.ROUTINE_EMAILS: {
        "title": "Renewed consent to routine emails",
        "needed": lambda client: client.email_consent_withdrawal is not None,
        "nothing": "{name} has not stopped routine emails; there is nothing to renew.",
        "done": "Renewed consent recorded: routines can be assigned to {name} again.",
        "intro": "Record this only when {first} has told you they want home-routine emails again.",
    },
    ConsentKind.TREATMENT: {
        "title": "Renewed consent to treatment",
        "needed": lambda client: client.consent_renewal_due,
        "nothing": "{name}'s consent to treatment is not due again; there is nothing to renew.",
        "done": "Renewed consent to treatment recorded: {name}'s sessions can be signed again.",
        "intro": (
            "Record this only when {first} has agreed again to treatment, knowing their health flags and "
            "treatment plan as they are now."
        ),
    },
}


def _consent_renew(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Only the client's renewed say-so, recorded here with who, when and what they said, ends
    a stop of routine emails (stop means stop) or a consent to treatment due again (docs/domain.md, rule 14)."""
    client = selectors.client_for_page(clinic=request.clinic, pk=pk)
    renewal = RENEWALS[kind]
    names = {"name": client.full_name, "first": client.first_name}
    if not renewal["needed"](client):
        messages.info(request, renewal["nothing"].format(**names))
        return redirect("clients:detail", pk=client.pk)
    form = RenewedConsentForm(request.POST or None, client=client, kind=kind)
    if request.method == "POST" and form.is_valid():
        services.consent_record(
            client=client,
            kind=kind,
            given=True,
            source=ConsentSource.RENEWED,
            by=request.user,
            at=form.cleaned_data["said_at"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, renewal["done"].format(**names))
        return redirect("clients:detail", pk=client.pk)
    context = {
        "client": client,
        "form": form,
        "withdrawal": client.email_consent_withdrawal if kind == ConsentKind.ROUTINE_EMAILS else None,
        "title": renewal["title"],
        "intro": renewal["intro"].format(**names),
    }
    return render(request, "clients/consent_renew.html", context)


@clinic_required
def client_consent_renew(request: HttpRequest, pk: int) -> HttpResponse:
    return _consent_renew(request, pk, ConsentKind.ROUTINE_EMAILS)


@clinic_required
def client_treatment_consent_renew(request: HttpRequest, pk: int) -> HttpResponse:
    return _consent_renew(request, pk, ConsentKind.TREATMENT)
