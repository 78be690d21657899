"""`manage.py seed_demo`: the demo clinic people click through after `make run`."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Clinic, User
from appointments.models import Appointment
from clients.models import Client, ClientHealthFlag, ConsentKind, ConsentRecord, HealthFlag
from sessions.models import PressureNote, ReflexZone, TreatmentSession


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [Clinic, User, Client, ClientHealthFlag, Appointment, TreatmentSession, PressureNote, ReflexZone]
    return {m.__name__: m.objects.count() for m in models}


@pytest.mark.django_db
def test_seed_creates_demo_clinic_with_about_twenty_clients_and_demo_logins(settings):
    settings.DEBUG = True
    output = seed()

    demo = Clinic.objects.get(slug="demo")
    assert demo.name == "Demo Reflexology"
    assert demo.timezone == "Europe/London"
    assert 18 <= Client.objects.filter(clinic=demo).count() <= 25
    owner = authenticate(username="owner", password="demo")
    practitioner = authenticate(username="demo", password="demo")
    assert owner.clinic == demo and owner.is_owner and owner.is_demo
    assert practitioner.clinic == demo and not practitioner.is_owner and practitioner.is_demo
    assert User.objects.filter(clinic=demo, role=User.Role.PRACTITIONER).count() == 2
    assert "owner / demo" in output and "demo / demo" in output
    assert settings.SITE_URL in output


@pytest.mark.django_db
def test_seed_gives_a_believable_history_of_signed_sessions_with_pressure_notes():
    seed()
    demo = Clinic.objects.get(slug="demo")
    now = timezone.now()
    past = Appointment.objects.filter(clinic=demo, starts_at__lt=now)
    assert past.filter(status=Appointment.Status.ATTENDED).count() > 40
    assert past.filter(status=Appointment.Status.NO_SHOW).exists()
    assert past.filter(status=Appointment.Status.CANCELLED).exists()
    assert past.order_by("starts_at").first().starts_at > now - dt.timedelta(weeks=11)

    sessions = TreatmentSession.objects.filter(clinic=demo)
    assert sessions.filter(signed_at__isnull=False).count() > 40
    assert sessions.exclude(notes="").count() == sessions.count()
    assert sessions.filter(focus__icontains="lower back").exists()
    notes = PressureNote.objects.filter(session__clinic=demo)
    assert notes.count() > 100
    # Every note points at the clinic's own catalogue, never another clinic's zones.
    assert not notes.exclude(zone__clinic=demo).exists()

    # Over a course pain comes down: the last session of a long course is lower than the first.
    course_client = Client.objects.get(clinic=demo, last_name="Ellis")
    by_date = list(course_client.treatment_sessions.order_by("started_at").values_list("pain_before", flat=True))
    assert len(by_date) >= 5
    assert by_date[-1] < by_date[0]


@pytest.mark.django_db
def test_seed_books_upcoming_appointments_including_today():
    seed()
    demo = Clinic.objects.get(slug="demo")
    tz = ZoneInfo(demo.timezone)
    today = timezone.now().astimezone(tz).date()
    booked = Appointment.objects.filter(clinic=demo)
    today_rows = [a for a in booked if a.starts_at.astimezone(tz).date() == today]
    assert len(today_rows) >= 5
    upcoming = booked.filter(starts_at__gt=timezone.now(), status=Appointment.Status.BOOKED)
    assert upcoming.filter(starts_at__lt=timezone.now() + dt.timedelta(days=14)).count() >= 10
    assert upcoming.filter(practitioner__username="demo").exists()


@pytest.mark.django_db
def test_seed_flags_a_few_clients_including_back_injury_with_and_without_clearance():
    seed()
    demo_clients = Client.objects.filter(clinic=Clinic.objects.get(slug="demo"))
    flagged = {f.flag for f in ClientHealthFlag.objects.filter(client__in=demo_clients)}
    assert {HealthFlag.FEET_INJURED, HealthFlag.SERIOUS_BACK_INJURY, HealthFlag.PREGNANCY} <= flagged
    back = [c for c in demo_clients.prefetch_related("health_flags") if c.has_flag(HealthFlag.SERIOUS_BACK_INJURY)]
    assert {c.needs_clearance for c in back} == {True, False}
    assert demo_clients.filter(consent_email=False).exists()
    assert demo_clients.exclude(timezone="Europe/London").exists()


@pytest.mark.django_db
def test_seed_adds_a_second_clinic_whose_staff_cannot_log_in_with_demo():
    seed()
    harbour = Clinic.objects.get(slug="harbour")
    assert harbour.name == "Harbour Reflexology"
    assert Client.objects.filter(clinic=harbour).count() >= 3
    staff = User.objects.filter(clinic=harbour)
    assert {u.role for u in staff} == {User.Role.OWNER, User.Role.PRACTITIONER}
    assert not any(u.is_demo or u.has_usable_password() for u in staff)
    # The two clinics share nothing.
    assert not Appointment.objects.filter(clinic=harbour).exclude(client__clinic=harbour).exists()


@pytest.mark.django_db
def test_demo_user_sees_none_of_the_second_clinics_clients(settings):
    from django.test import Client as HttpClient

    settings.DEBUG = True
    seed()
    http = HttpClient()
    assert http.login(username="demo", password="demo")
    harbour_client = Client.objects.filter(clinic__slug="harbour").first()
    # The demo practitioner belongs to the demo clinic: Harbour's client is not found.
    assert http.get(f"/clients/{harbour_client.pk}/").status_code == 404


@pytest.mark.django_db
def test_running_seed_twice_changes_nothing_and_says_so():
    seed()
    before = counts()
    output = seed()
    assert counts() == before
    assert "already present; nothing changed" in output


@pytest.mark.django_db
def test_demo_owner_sees_home_routine_adherence_at_home_pain_and_rebooking_in_the_reports(settings):
    import re

    from django.test import Client as HttpClient

    settings.DEBUG = True
    seed()
    http = HttpClient()
    assert http.login(username="owner", password="demo")
    page = http.get("/reports/?range=quarter")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode()))
    adherence = re.search(r"Adherence (\d+\.\d)%", text)
    assert adherence and 20 < float(adherence.group(1)) < 95
    assert int(re.search(r"Pain check-ins (\d+)", text).group(1)) > 10
    assert float(re.search(r"Rebooked \d+ (\d+\.\d)%", text).group(1)) > 50


@pytest.mark.django_db
def test_every_demo_consent_has_its_history_row_as_the_intake_would_record_it():
    seed()
    for client in Client.objects.filter(clinic__slug="demo"):
        records = {r.kind: r for r in ConsentRecord.objects.filter(client=client)}
        assert records[ConsentKind.TREATMENT].given and records[ConsentKind.TREATMENT].at == client.consent_treatment_at
        assert (ConsentKind.ROUTINE_EMAILS in records) == client.consent_email


@pytest.mark.django_db
def test_the_demo_clinic_takes_bookings_online_with_free_times_in_the_coming_weeks(client):
    from booking.models import BookingSettings
    from booking.slots import free_slots

    seed()
    demo = Clinic.objects.get(slug="demo")
    assert BookingSettings.objects.get(clinic=demo).online
    assert not BookingSettings.objects.get(clinic__slug="harbour").online
    treatment = demo.treatment_types.get(name="Foot reflexology")
    assert free_slots(demo, treatment, start=timezone.localdate(), days=14)
    page = client.get(f"/book/demo/?type={treatment.pk}&practitioner=any")
    assert "Free times from" in page.content.decode()
