"""The pages a client reaches from a routine email's links, without logging in.

Opening a link only shows a question and a button; the button POSTs. Mail scanners and
link previews fetch every URL in an email, so a GET that recorded "I did it" or stopped
the emails would act for the client before they ever read it. The one exception is the
RFC 8058 one-click unsubscribe: a mail provider POSTs `List-Unsubscribe=One-Click` to
the stop link, with no cookie and so no CSRF token, and that stops the emails at once.

The expired and broken-link pages name the clinic and how to reach it: an expired link's
signature is still good, so its delivery says which clinic; a broken one has only the
link's signed clinic segment (accounts/links.py, which draws both pages).
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from accounts.links import BROKEN, link_problem, read_or_problem
from audit.actor import CLIENT_VIA_LINK, acting_as
from outbox.models import Delivery
from routines.checkins import ANSWERABLE, checkin_record, pain_correctable, pause_ends, resumes_on
from routines.links import CHECKIN_LINK, PAIN_SCORES, LinkPayload, read_checkin_token
from routines.models import CheckIn

PAGE = "routines/checkin/page.html"
PROBLEM = "routines/checkin/problem.html"


def _deliveries(payload: LinkPayload):
    return Delivery.objects.filter(pk=payload.delivery_id)


def _chosen_pain(request: HttpRequest, payload: LinkPayload) -> int | None:
    """The score the client settled on: the page lets them correct a mis-tapped number."""
    raw = request.POST.get("pain", "")
    if not raw:
        return payload.pain
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value in PAIN_SCORES else None


def _context(delivery: Delivery | None, payload: LinkPayload, **extra) -> dict:
    context = {
        "kind": payload.kind,
        "pain": payload.pain,
        "scores": PAIN_SCORES,
        "delivery": delivery,
        "first_name": delivery.client.first_name if delivery else "",
        "clinic_name": delivery.clinic.name if delivery else "",
        "preview": delivery is None,
        "routine": delivery.routine if delivery else None,
    }
    if delivery is not None and payload.kind == CheckIn.Kind.PAUSE:
        context["resumes_on"] = pause_ends(delivery) + dt.timedelta(days=1)
    context.update(extra)
    if context["routine"] is not None and context["routine"].paused_until:
        context["paused_resumes_on"] = resumes_on(context["routine"])
    return context


def _record(request: HttpRequest, delivery: Delivery, payload: LinkPayload, one_click: bool = False) -> HttpResponse:
    pain = _chosen_pain(request, payload) if payload.kind == CheckIn.Kind.PAIN else None
    if payload.kind == CheckIn.Kind.PAIN and pain is None:
        return render(request, PAGE, _context(delivery, payload, state="ask", error="Choose a number from 0 to 10."))
    # A number chosen on the page is the client's answer now, even if they answered before
    # today; a bare POST of a link repeats that link's score and changes nothing.
    correction = payload.kind == CheckIn.Kind.PAIN and "pain" in request.POST
    with acting_as(CLIENT_VIA_LINK):
        result = checkin_record(
            delivery=delivery, kind=payload.kind, pain=pain, correction=correction, one_click=one_click
        )
    if result.check_in is None:
        return render(request, PAGE, _context(delivery, payload, state="ask", stopped=True, routine=result.routine))
    state = "corrected" if result.corrected else "done" if result.created else "already"
    return render(
        request,
        PAGE,
        _context(delivery, payload, state=state, check_in=result.check_in, routine=result.routine),
    )


@never_cache
@csrf_exempt  # only for the one-click unsubscribe; every other POST is checked below
@require_http_methods(["GET", "HEAD", "POST"])
def checkin_page(request: HttpRequest, token: str, clinic: str = "") -> HttpResponse:
    payload, problem = read_or_problem(
        request, PROBLEM, CHECKIN_LINK, token, clinic, read=read_checkin_token, rows=_deliveries
    )
    if problem:
        return problem

    if payload.is_preview:
        # A practitioner trying the links of a preview: show the page, record nothing.
        return render(request, PAGE, _context(None, payload, state="preview"))

    delivery = (
        Delivery.objects.select_related("client", "clinic", "routine")
        .filter(pk=payload.delivery_id, kind=Delivery.Kind.ROUTINE, routine__isnull=False)
        .first()
    )
    if delivery is None:
        return link_problem(request, PROBLEM, BROKEN, CHECKIN_LINK.clinic_from_segment(clinic))

    if request.method == "POST":
        one_click = payload.kind == CheckIn.Kind.STOP and request.POST.get("List-Unsubscribe") == "One-Click"
        if one_click:
            return _record(request, delivery, payload, one_click=True)
        return csrf_protect(_record)(request, delivery, payload)

    existing = CheckIn.objects.filter(delivery=delivery, kind=payload.kind).first()
    correctable = delivery.routine.status in ANSWERABLE and pain_correctable(delivery)
    if existing is not None and payload.kind == CheckIn.Kind.PAIN and correctable:
        # The same day, a pain answer can still be changed: ask again, saying what we have.
        return render(request, PAGE, _context(delivery, payload, state="ask", check_in=existing))
    if existing is not None:
        return render(request, PAGE, _context(delivery, payload, state="already", check_in=existing))
    # A routine that has stopped or ended takes no further answers.
    stopped = delivery.routine.status not in ANSWERABLE
    return render(request, PAGE, _context(delivery, payload, state="ask", stopped=stopped))
