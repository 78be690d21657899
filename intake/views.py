"""Staff pages of the intake: send a link, review what a client sent."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from accounts.tenancy import clinic_get, clinic_required
from audit.services import audit_view
from clients.models import Client

from .models import IntakeLink, IntakeSubmission
from .review import REVIEW_FIELDS, review_rows
from .services import IntakeError, intake_accept, intake_link_send

SENT = {
    IntakeLink.Purpose.INTAKE: "The intake form link is on its way to {name} ({email}).",
    IntakeLink.Purpose.RENEWAL: "A link to renew their consent to treatment is on its way to {name} ({email}).",
}


@clinic_required
def intake_send(request: HttpRequest, pk: int) -> HttpResponse:
    client = clinic_get(Client, request.clinic, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    purpose = request.POST.get("purpose", "")
    if purpose not in IntakeLink.Purpose.values:
        purpose = IntakeLink.Purpose.INTAKE
    try:
        intake_link_send(client=client, by=request.user, purpose=purpose)
    except IntakeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, SENT[purpose].format(name=client.full_name, email=client.email))
    return redirect("clients:detail", pk=client.pk)


@clinic_required
def intake_review(request: HttpRequest, pk: int) -> HttpResponse:
    """What the client said against what the record holds, field by field; the practitioner accepts all or some."""
    submission = clinic_get(
        IntakeSubmission.objects.select_related(
            "client", "link", "treatment_consent", "email_consent", "reviewed_by"
        ).prefetch_related("client__health_flags"),
        request.clinic,
        pk=pk,
    )
    client = submission.client
    if request.method == "POST" and submission.is_pending:
        accept_all = "accept_all" in request.POST
        fields = list(submission.answers) if accept_all else request.POST.getlist("fields")
        fields = [name for name in fields if name in REVIEW_FIELDS]
        accepted = intake_accept(submission=submission, fields=fields, by=request.user)
        labels = ", ".join(REVIEW_FIELDS[name].label.lower() for name in accepted)
        if accepted:
            messages.success(request, f"Accepted into {client.full_name}'s record, as given by the client: {labels}.")
        else:
            messages.info(request, f"Reviewed: nothing of what {client.full_name} sent was taken into the record.")
        return redirect("clients:detail", pk=client.pk)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    audit_view(request, client, "intake review")
    context = {"submission": submission, "client": client, "rows": review_rows(submission)}
    return render(request, "intake/review.html", context)
