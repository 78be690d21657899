"""Persona fixtures and the service markers.

Personas: `owner` and `practitioner` of one clinic, `other_practitioner` of another
clinic (who must never see the first clinic's data) and `anon`, a visitor who is
not logged in. `*_client` fixtures are Django test clients logged in as each.

Tests marked `postgres` or `redis` need that server, and tests marked `browser` need
Chromium at /usr/bin/chromium, Playwright and axe-core in node_modules (`make setup`).
Without them they skip with a reason; with REQUIRE_SERVICES=1 (as in CI) they fail instead.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone

from appointments.models import Appointment
from booking.models import BookingHold
from permission.models import PermissionRequest
from privacy.models import ClinicExport
from routines.models import LibraryStep, Routine, RoutineStep
from sessions.models import ReflexZone
from tests.browser.launch import missing_for_browser
from tests.factories import (
    AppointmentFactory,
    BookingHoldFactory,
    ClientFactory,
    ClinicFactory,
    IntakeSubmissionFactory,
    OwnerFactory,
    PressureNoteFactory,
    ReflexZoneFactory,
    TimeOffFactory,
    TreatmentSessionFactory,
    TreatmentTypeFactory,
    UserFactory,
    WorkingHoursFactory,
)

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def redis_available() -> bool:
    url = os.environ.get("REDIS_URL") or settings.REDIS_URL
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if item.get_closest_marker("redis") and not redis_available():
        _missing("needs Redis: set REDIS_URL=redis://...")
    if item.get_closest_marker("browser") and (reason := missing_for_browser()):
        _missing(reason)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 is slow on purpose; every persona hashes a password, which made the suite crawl.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    # Rate-limit counts (accounts.ratelimit) live in the cache, which outlives a test run
    # (files under var/, or Redis): every test starts with none.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Calm Feet Reflexology", slug="calm-feet")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Elsewhere Reflexology", slug="elsewhere")


@pytest.fixture
def owner(clinic):
    return OwnerFactory(username="olivia", first_name="Olivia", last_name="Owner", clinic=clinic)


@pytest.fixture
def practitioner(clinic):
    return UserFactory(username="priya", first_name="Priya", last_name="Practitioner", clinic=clinic)


@pytest.fixture
def other_practitioner(other_clinic):
    """Works at another clinic: should have no access to anything of `clinic`."""
    return UserFactory(username="oscar", first_name="Oscar", last_name="Outsider", clinic=other_clinic)


def _logged_in(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


@pytest.fixture
def owner_client(owner):
    return _logged_in(owner)


@pytest.fixture
def practitioner_client(practitioner):
    return _logged_in(practitioner)


@pytest.fixture
def other_client(other_practitioner):
    return _logged_in(other_practitioner)


@pytest.fixture
def anon():
    return HttpClient()


@pytest.fixture
def world(clinic, practitioner, owner):
    """One of everything in `clinic`, all named so a leak is easy to spot (tests/test_tenancy.py,
    and the pages of tests/test_fuzz.py and tests/test_safety.py)."""
    client = ClientFactory(clinic=clinic, first_name="Zebedee", last_name="Quillfeather", email="zq@example.org")
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=2)
    appointment = AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )
    other_appt = AppointmentFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        starts_at=start - dt.timedelta(days=7),
        ends_at=start - dt.timedelta(days=7, hours=-1),
        status=Appointment.Status.ATTENDED,
    )
    zone = ReflexZone.objects.filter(clinic=clinic).first() or ReflexZoneFactory(clinic=clinic)
    session = TreatmentSessionFactory(clinic=clinic, client=client, practitioner=practitioner)
    signed = TreatmentSessionFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        appointment=other_appt,
        signed_at=timezone.now(),
        signed_by=practitioner,
    )
    PressureNoteFactory(session=signed, zone=zone)
    routine = Routine.objects.create(
        clinic=clinic, client=client, session=signed, created_by=practitioner, starts_on=start.date()
    )
    RoutineStep.objects.create(routine=routine, kind="reflex", zone=zone, title="Spine", instruction="Press.")
    clinic_export = ClinicExport.objects.create(clinic=clinic, requested_by=owner, status=ClinicExport.Status.DONE)
    permission_request = PermissionRequest.objects.create(
        clinic=clinic, client=client, flags=["pregnancy"], requested_at=timezone.now(), requested_by=practitioner
    )
    # Online booking: a treatment, the practitioner's hours, a holiday and a request waiting.
    treatment = TreatmentTypeFactory(clinic=clinic, name="Reflexology")
    WorkingHoursFactory(clinic=clinic, practitioner=practitioner, weekday=start.weekday())
    time_off = TimeOffFactory(clinic=clinic, practitioner=practitioner, starts_at=start + dt.timedelta(days=3))
    booking_request = BookingHoldFactory(
        clinic=clinic,
        practitioner=practitioner,
        treatment_type=treatment,
        first_name="Zebedee",
        last_name="Quillfeather",
        email="zq@example.org",
        status=BookingHold.Status.REQUESTED,
        starts_at=start + dt.timedelta(days=1),
    )
    return {
        "permission_request": permission_request,
        "treatment_type": treatment,
        "time_off": time_off,
        "booking_request": booking_request,
        "intake_submission": IntakeSubmissionFactory(link__client=client),
        "clinic_export": clinic_export,
        "routine": routine,
        "library_step": LibraryStep.objects.filter(clinic=clinic).first(),
        "client": client,
        "appointment": appointment,
        "zone": zone,
        "session": session,
        "signed_session": signed,
        "staff": practitioner,
        "day": start.date().isoformat(),
    }


@pytest.fixture
def outbox_sends_at_once():
    """Celery's eager mode: a send task queued when a transaction commits runs right away,
    in the process that queued it (a live server's thread too), through the real mailer."""
    from reflexclinic.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def outbox_sends(outbox_sends_at_once, django_capture_on_commit_callbacks):
    """Run the outbox as the app does, in this process: `with outbox_sends(): ...` around
    the request that makes emails, and what it queued is sent when it commits."""

    def committed():
        return django_capture_on_commit_callbacks(execute=True)

    return committed


@pytest.fixture
def day() -> dt.date:
    """A Tuesday a week or two ahead: in the future and away from any clock change."""
    today = timezone.localdate()
    tuesday = today + dt.timedelta(days=(1 - today.weekday()) % 7 + 7)
    while tuesday.month in (3, 10) and tuesday.day > 20:
        tuesday += dt.timedelta(days=14)
    return tuesday
