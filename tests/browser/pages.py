"""Every main page of the product, found from what a clinic has in it.

`main_pages(clinic)` lists (name, path, who) for each page a person uses: the
staff pages as the clinic owner, the client-facing check-in pages and the sign-in
pages as nobody. It picks its examples by query (a signed session, a draft, a booked
appointment ahead ...), so it serves both the test data of tests/browser/data.py and
the demo clinic of `seed_demo` (`make screenshots`). A page whose example the clinic
lacks is left out rather than pointed at a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from outbox.models import Delivery
from routines.links import make_token
from routines.models import CheckIn, LibraryStep, Routine
from sessions.models import ReflexZone, TreatmentSession


@dataclass(frozen=True)
class MainPage:
    name: str  # also the screenshot's file name
    path: str
    who: str | None  # "owner", or None for a page seen without logging in


def main_pages(clinic) -> list[MainPage]:
    now = timezone.now()
    pages: list[tuple[str, str, str | None]] = [
        ("today", reverse("appointments:day"), "owner"),
        ("week", reverse("appointments:week"), "owner"),
        ("book", reverse("appointments:book"), "owner"),
        ("book-course", reverse("appointments:course_book"), "owner"),
        ("clients", reverse("clients:list"), "owner"),
        ("client-add", reverse("clients:add"), "owner"),
        ("reports", reverse("reports:dashboard"), "owner"),
        ("needs-attention", reverse("attention:clinic"), "owner"),
        ("staff", reverse("staff_list"), "owner"),
        ("staff-add", reverse("staff_add"), "owner"),
        ("zones", reverse("sessions:zone_list"), "owner"),
        ("zone-add", reverse("sessions:zone_add"), "owner"),
        ("library", reverse("routines:library"), "owner"),
        ("library-add", reverse("routines:library_add"), "owner"),
        ("audit", reverse("audit:log"), "owner"),
        ("privacy", reverse("privacy:retention"), "owner"),
        ("exports", reverse("privacy:exports"), "owner"),
    ]
    signed = (
        TreatmentSession.objects.filter(
            clinic=clinic, signed_at__isnull=False, client__archived_at__isnull=True, pressure_notes__isnull=False
        )
        .order_by("-started_at")
        .first()
    )
    if signed:
        client = signed.client
        pages += [
            ("client", reverse("clients:detail", args=[client.pk]), "owner"),
            ("client-history", reverse("sessions:client_history", args=[client.pk]) + "?page=1", "owner"),
            ("client-edit", reverse("clients:edit", args=[client.pk]), "owner"),
            ("client-report", reverse("reports:client_report", args=[client.pk]), "owner"),
            ("client-audit", reverse("audit:client", args=[client.pk]), "owner"),
            ("client-record", reverse("privacy:subject_access", args=[client.pk]), "owner"),
            ("session", reverse("sessions:detail", args=[signed.pk]), "owner"),
            ("session-amend", reverse("sessions:amend", args=[signed.pk]), "owner"),
        ]
    draft = TreatmentSession.objects.filter(clinic=clinic, signed_at__isnull=True).first()
    if draft:
        pages += [
            ("session-draft", reverse("sessions:detail", args=[draft.pk]), "owner"),
            ("session-edit", reverse("sessions:edit", args=[draft.pk]), "owner"),
            ("session-sign", reverse("sessions:sign", args=[draft.pk]), "owner"),
        ]
    to_record = Appointment.objects.filter(
        clinic=clinic,
        status=Appointment.Status.BOOKED,
        treatment_session__isnull=True,
        client__archived_at__isnull=True,
    ).first()
    if to_record:
        pages.append(("session-record", reverse("sessions:record", args=[to_record.pk]), "owner"))
    ahead = (
        Appointment.objects.filter(clinic=clinic, status=Appointment.Status.BOOKED, starts_at__gt=now)
        .order_by("starts_at")
        .first()
    )
    if ahead:
        pages += [
            ("appointment", reverse("appointments:detail", args=[ahead.pk]), "owner"),
            ("appointment-reschedule", reverse("appointments:reschedule", args=[ahead.pk]), "owner"),
            ("appointment-cancel", reverse("appointments:cancel", args=[ahead.pk]), "owner"),
        ]
    for status, name in ((Routine.Status.DRAFT, "routine-draft"), (Routine.Status.ACTIVE, "routine")):
        routine = Routine.objects.filter(clinic=clinic, status=status).order_by("-pk").first()
        if routine:
            pages.append((name, reverse("routines:edit", args=[routine.pk]), "owner"))
            if status == Routine.Status.DRAFT:
                pages.append(("routine-preview", reverse("routines:preview", args=[routine.pk]), "owner"))
    staff = clinic.staff.exclude(role="owner").order_by("pk").first()
    if staff:
        pages.append(("staff-edit", reverse("staff_edit", args=[staff.pk]), "owner"))
    zone = ReflexZone.objects.filter(clinic=clinic).first()
    if zone:
        pages.append(("zone-edit", reverse("sessions:zone_edit", args=[zone.pk]), "owner"))
    step = LibraryStep.objects.filter(clinic=clinic).first()
    if step:
        pages.append(("library-edit", reverse("routines:library_edit", args=[step.pk]), "owner"))

    # What a client sees from an email, and the pages before logging in.
    delivery = Delivery.objects.filter(clinic=clinic, kind=Delivery.Kind.ROUTINE).order_by("-pk").first()
    checkin = lambda kind, pain=None: reverse("checkin:page", args=[make_token(delivery, kind, pain)])  # noqa: E731
    pages += [
        ("checkin-done", checkin(CheckIn.Kind.DONE), None),
        ("checkin-pain", checkin(CheckIn.Kind.PAIN, 4), None),
        ("checkin-pause", checkin(CheckIn.Kind.PAUSE), None),
        ("checkin-tampered", reverse("checkin:page", args=["not-a-real-link"]), None),
        ("login", reverse("login"), None),
        ("password-reset", reverse("password_reset"), None),
        ("not-found", "/clients/999999999/", "owner"),
    ]
    return [MainPage(name, path, who) for name, path, who in pages]
