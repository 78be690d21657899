"""Nobody reads or changes another clinic's data, and nobody anonymous reads anything.

Every URL of the clinic apps is listed in CASES; `test_every_clinic_url_is_covered`
fails when a new view is added without a row here. For each row:
- an anonymous visitor is sent to the login page (GET and POST);
- a user of another clinic gets a 404 for this clinic's object (GET and POST), and on
  pages that are not about one object (lists, calendars, forms with ?client=...),
  never sees this clinic's data.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from appointments.models import Appointment, TimeOff, TreatmentType, WorkingHours
from booking.models import BookingHold, BookingSettings
from clients.models import Client, ConsentRecord
from intake.models import IntakeLink, IntakeSubmission
from permission.models import PermissionRequest
from privacy.models import ClinicExport
from routines.models import LibraryStep, Routine, RoutineStep
from sessions.models import PressureNote, ReflexZone, TreatmentSession

SECRET_NAME = "Zebedee Quillfeather"


@dataclass(frozen=True)
class Case:
    obj: str | None = None  # which object of the world the URL is about; None for pages
    kwarg: str = "pk"
    query: str = ""  # e.g. "?client={client}"
    kwargs: tuple[tuple[str, str], ...] = ()  # fixed URL arguments, e.g. (("table", "zones"),)


CASES: dict[str, Case] = {
    "home": Case(),
    "staff_list": Case(),
    "staff_add": Case(),
    "staff_edit": Case(obj="staff"),
    "staff_unlock": Case(obj="staff"),
    "clinic_settings": Case(),
    # The signed-in person's own sign-in pages: about no clinic's data.
    "security": Case(),
    "two_factor_enrol": Case(),
    "two_factor_verify": Case(),
    "clients:list": Case(query="?q=Zebedee"),
    "clients:add": Case(),
    "clients:detail": Case(obj="client"),
    "clients:edit": Case(obj="client"),
    "clients:archive": Case(obj="client"),
    "clients:archive_confirm": Case(obj="client"),
    "clients:unarchive": Case(obj="client"),
    "clients:consent_renew": Case(obj="client"),
    "clients:treatment_consent_renew": Case(obj="client"),
    "appointments:day": Case(query="?practitioner=all&date={day}"),
    "appointments:week": Case(query="?practitioner=all&date={day}"),
    "appointments:book": Case(query="?client={client}"),
    "appointments:course_book": Case(query="?client={client}"),
    "appointments:detail": Case(obj="appointment"),
    "appointments:card": Case(obj="appointment"),
    "appointments:reschedule": Case(obj="appointment"),
    "appointments:cancel": Case(obj="appointment"),
    "appointments:mark": Case(obj="appointment"),
    "appointments:unmark": Case(obj="appointment"),
    # The signed-in person's own calendar address: about no other clinic's data.
    "appointments:feed_settings": Case(),
    "sessions:zone_list": Case(),
    "sessions:zone_add": Case(),
    "sessions:zone_edit": Case(obj="zone"),
    "sessions:record": Case(obj="appointment", kwarg="appointment_id"),
    "sessions:detail": Case(obj="session"),
    "sessions:edit": Case(obj="session"),
    "sessions:sign": Case(obj="session"),
    "sessions:amend": Case(obj="signed_session"),
    "sessions:client_history": Case(obj="client", query="?page=1"),
    "routines:propose": Case(obj="signed_session", kwarg="session_pk"),
    "routines:edit": Case(obj="routine"),
    "routines:preview": Case(obj="routine"),
    "routines:preview_html": Case(obj="routine"),
    "routines:assign": Case(obj="routine"),
    "routines:stop": Case(obj="routine"),
    "routines:library": Case(),
    "routines:library_add": Case(),
    "routines:library_edit": Case(obj="library_step"),
    "reports:dashboard": Case(query="?range=year"),
    "reports:export": Case(kwargs=(("table", "practitioners"),), query="?range=year"),
    "reports:client_report": Case(obj="client"),
    "audit:log": Case(query="?client={client}"),
    "audit:client": Case(obj="client"),
    "audit:staff": Case(obj="staff"),
    "audit:export": Case(query="?client={client}"),
    "attention:mine": Case(),
    "attention:clinic": Case(),
    "attention:count": Case(),
    "permission:client": Case(obj="client"),
    "permission:open": Case(obj="client"),
    "permission:detail": Case(obj="permission_request"),
    "permission:gp": Case(obj="permission_request"),
    "permission:reply": Case(obj="permission_request"),
    "permission:letter": Case(obj="permission_request"),
    "permission:letter_download": Case(obj="permission_request"),
    "privacy:retention": Case(),
    "privacy:subject_access": Case(obj="client"),
    "privacy:subject_access_json": Case(obj="client"),
    "privacy:anonymise": Case(obj="client"),
    "privacy:exports": Case(),
    "privacy:export_status": Case(obj="clinic_export"),
    "privacy:export_download": Case(obj="clinic_export"),
    "booking:overview": Case(),
    "booking:request_accept": Case(obj="booking_request"),
    "booking:request_decline": Case(obj="booking_request"),
    "booking:settings": Case(),
    "booking:types": Case(),
    "booking:type_add": Case(),
    "booking:type_edit": Case(obj="treatment_type"),
    "booking:hours": Case(obj="staff"),
    "booking:time_off_add": Case(obj="staff"),
    "booking:time_off_delete": Case(obj="time_off"),
    "intake:send": Case(obj="client"),
    "intake:review": Case(obj="intake_submission"),
}

# URLs that are not about a clinic's data at all.
PUBLIC = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    # Clients open these from routine emails without an account: the signed token is the
    # permission, and it binds one delivery (see the test at the end of this file).
    "checkin:page",
    # A practitioner's calendar feed: the secret in the address is the permission
    # (tests/test_calendar_feed.py checks that it shows one practitioner's own only).
    "feeds:ics",
    # ... and these from appointment emails, to move or cancel that one appointment
    # (tests/test_client_changes.py: a link of one clinic never touches another's).
    "change:page",
    # The same for the intake link (tests/test_intake_link.py): the token binds one link row.
    "intake_public:page",
    # For load balancers and monitors: which parts work, never any clinic's data.
    "health",
    # Online booking's public pages: a clinic's page is open while it takes bookings, and the
    # confirmation link's signed token binds one hold (tests/test_booking_public.py).
    "booking_public:page",
    "booking_public:details",
    "booking_public:sent",
    "booking_public:verify",
}


def _names(resolver, prefix=""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if p.app_name == "admin":
                continue
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            yield from _names(p, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + p.name


def test_every_clinic_url_is_covered():
    missing = sorted(set(_names(get_resolver())) - set(CASES) - PUBLIC)
    assert not missing, f"add these URLs to tests/test_tenancy.py CASES: {missing}"


def _url(name: str, case: Case, world) -> str:
    kwargs = {case.kwarg: world[case.obj].pk} if case.obj else {}
    kwargs.update(case.kwargs)
    query = case.query.format(client=world["client"].pk, day=world["day"]) if case.query else ""
    return reverse(name, kwargs=kwargs) + query


def _snapshot(clinic):
    """Everything of `clinic` that a leak through a POST could change."""
    return (
        list(Client.objects.filter(clinic=clinic).order_by("pk").values()),
        list(Appointment.objects.filter(clinic=clinic).order_by("pk").values()),
        list(TreatmentSession.objects.filter(clinic=clinic).order_by("pk").values()),
        list(PressureNote.objects.filter(session__clinic=clinic).order_by("pk").values()),
        list(ReflexZone.objects.filter(clinic=clinic).order_by("pk").values()),
        list(clinic.staff.order_by("pk").values()),
        list(Routine.objects.filter(clinic=clinic).order_by("pk").values()),
        list(RoutineStep.objects.filter(routine__clinic=clinic).order_by("pk").values()),
        list(LibraryStep.objects.filter(clinic=clinic).order_by("pk").values()),
        list(ConsentRecord.objects.filter(client__clinic=clinic).order_by("pk").values()),
        list(ClinicExport.objects.filter(clinic=clinic).order_by("pk").values()),
        list(PermissionRequest.objects.filter(clinic=clinic).order_by("pk").values()),
        *(
            list(model.objects.filter(clinic=clinic).order_by("pk").values())
            for model in (
                TreatmentType,
                WorkingHours,
                TimeOff,
                BookingHold,
                BookingSettings,
                IntakeLink,
                IntakeSubmission,
            )
        ),
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_anonymous_visitor_is_sent_to_log_in(name, world, anon):
    url = _url(name, CASES[name], world)
    for method in ("get", "post"):
        response = getattr(anon, method)(url)
        assert response.status_code == 302, (method, url)
        assert response.url.startswith(reverse("login")), (method, url)


@pytest.mark.parametrize("name", sorted(CASES))
def test_user_of_another_clinic_never_sees_or_changes_this_clinics_data(name, world, clinic, other_client):
    case = CASES[name]
    url = _url(name, case, world)
    before = _snapshot(clinic)
    get = other_client.get(url)
    post = other_client.post(url, {"status": "attended", "name": "Hijacked", "reason": "x", "first_name": "Hijacked"})
    if case.obj:
        assert get.status_code == 404, url
        assert post.status_code == 404, url
    for response in (get, post):
        assert response.status_code != 500, url
        assert SECRET_NAME not in response.content.decode(), url
    assert _snapshot(clinic) == before, f"{name}: a POST from another clinic changed data"


def test_a_check_in_link_records_only_for_its_own_clinics_delivery(clinic, other_clinic, anon):
    from django.core import signing

    from routines.links import SALT, checkin_url
    from routines.models import CheckIn
    from tests.factories import DeliveryFactory, RoutineFactory

    ours = DeliveryFactory(routine=RoutineFactory(clinic=clinic))
    theirs = DeliveryFactory(routine=RoutineFactory(clinic=other_clinic))
    url = checkin_url(ours, "stop")
    token = url.rstrip("/").rsplit("/", 1)[1]
    # Pointing our genuine token at the other clinic's delivery breaks the signature.
    payload = token.split(":")[0]
    forged_payload = signing.dumps({"d": theirs.pk, "k": "stop", "p": None}, salt=SALT, compress=True).split(":")[0]
    forged = token.replace(payload, forged_payload, 1)
    response = anon.post(reverse("checkin:page", args=[forged]))
    assert response.status_code == 400
    assert not CheckIn.objects.exists()
    theirs.routine.refresh_from_db()
    assert theirs.routine.status == "active"
    # The genuine token records against its own delivery, clinic and client only.
    assert anon.post(url).status_code == 200
    check_in = CheckIn.objects.get()
    assert (check_in.delivery, check_in.clinic, check_in.client) == (ours, clinic, ours.client)
    theirs.routine.refresh_from_db()
    assert theirs.routine.status == "active"
