"""The page a client opens from an intake (or consent renewal) email, without logging in.

Opening the link only shows the form; sending it POSTs. An expired, used or broken link
gets a friendly page naming the clinic and how to reach it: an expired link's signature
is still good, so its row says which clinic; a broken one has only the link's signed
clinic segment (accounts/links.py). Nothing on these pages says whether an address
belongs to a client: the link alone is the permission.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.links import BROKEN, link_problem, read_or_problem
from audit.actor import CLIENT_VIA_LINK, acting_as

from .forms import IntakeForm, RenewalForm
from .links import INTAKE_LINK, read_intake_token
from .models import IntakeLink
from .services import LinkUsed, intake_submit

PAGE = "intake/public/page.html"
PROBLEM = "intake/public/problem.html"
FORMS = {IntakeLink.Purpose.INTAKE: IntakeForm, IntakeLink.Purpose.RENEWAL: RenewalForm}


USED = "used"  # answers sent already
CLOSED = "closed"  # the client is archived


def _problem(request: HttpRequest, problem: str, clinic_id: int | None) -> HttpResponse:
    return link_problem(request, PROBLEM, problem, clinic_id)


def _links(payload) -> QuerySet[IntakeLink]:
    return IntakeLink.objects.filter(pk=payload.link_id)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def intake_page(request: HttpRequest, clinic: str, token: str) -> HttpResponse:
    payload, problem = read_or_problem(
        request, PROBLEM, INTAKE_LINK, token, clinic, read=read_intake_token, rows=_links
    )
    if problem:
        return problem
    link = (
        IntakeLink.objects.select_related("client__clinic")
        .prefetch_related("client__health_flags")
        .filter(pk=payload.link_id, purpose=payload.purpose)
        .first()
    )
    if link is None:
        return _problem(request, BROKEN, INTAKE_LINK.clinic_from_segment(clinic))
    if link.used_at is not None:
        return _problem(request, USED, link.clinic_id)
    if link.client.is_archived:
        return _problem(request, CLOSED, link.clinic_id)

    client = link.client
    form = FORMS[link.purpose](request.POST if request.method == "POST" else None, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            with acting_as(CLIENT_VIA_LINK), transaction.atomic():
                intake_submit(
                    link=link,
                    answers=form.answers(),
                    signed_name=form.cleaned_data["signed_name"],
                    treatment_statement=form.treatment_statement,
                    email_statement=form.email_statement,
                )
        except LinkUsed:
            return _problem(request, USED, link.clinic_id)
        context = {"state": "sent", "link": link, "first_name": client.first_name, "clinic_name": client.clinic.name}
        return render(request, PAGE, context)
    context = {
        "state": "ask",
        "form": form,
        "link": link,
        "first_name": client.first_name,
        "clinic_name": client.clinic.name,
        "renewal": link.purpose == IntakeLink.Purpose.RENEWAL,
        "flag_specs": client.flag_specs,
    }
    return render(request, PAGE, context)
