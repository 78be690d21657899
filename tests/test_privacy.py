"""Privacy rights: a client's complete record in one download (subject access), retention
with anonymisation after it, and the clinic's export of all its data.

The record and the export read the tables found by walking the models (privacy/tables.py),
so the completeness test below walks them independently and fails when a table holding
client data is missing from the download.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from clients.models import Client
from privacy import selectors, services
from privacy.models import Anonymisation, ClinicExport
from privacy.services import clinic_tables
from privacy.tasks import build_clinic_export
from reports.metrics import build
from reports.scope import Scope
from routines.models import Routine
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    ClientHealthFlagFactory,
    CourseFactory,
    DeliveryFactory,
    OwnerFactory,
    PressureNoteFactory,
    ReflexZoneFactory,
    RoutineFactory,
    RoutineStepFactory,
    SessionAmendmentFactory,
    TreatmentSessionFactory,
)

# Everything below that could identify Winifred; none of it may survive anonymisation.
IDENTIFIERS = ("Winifred", "Applethwaite", "winnie@", "07700 900123", "Mill Lane", "warfarin", "sister", "flinched")


def treated_client(clinic, practitioner, *, started_at: dt.datetime, **fields) -> Client:
    """A client with one of everything: flag, course, appointment, signed session with a
    pressure note and an amendment, a routine with a step, an email with its attempt, a check-in."""
    client = ClientFactory(
        clinic=clinic,
        practitioner=practitioner,
        **{
            "first_name": "Winifred",
            "last_name": "Applethwaite",
            "email": "winnie@example.org",
            "phone": "07700 900123",
            "address": "1 Mill Lane, Hebden",
            "date_of_birth": dt.date(1970, 5, 17),
            "medical_notes": "Takes warfarin.",
            "notes": "Lives with her sister.",
            **fields,
        },
    )
    ClientHealthFlagFactory(client=client, flag="feet_injured")
    CourseFactory(clinic=clinic, client=client, practitioner=practitioner)
    appointment = AppointmentFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        starts_at=started_at,
        ends_at=started_at + dt.timedelta(hours=1),
        status=Appointment.Status.ATTENDED,
        notes="Winifred prefers mornings.",
    )
    session = TreatmentSessionFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        appointment=appointment,
        started_at=started_at,
        pain_before=7,
        pain_after=3,
        notes="Winifred spoke about her sister.",
        signed_at=started_at,
        signed_by=practitioner,
    )
    zone = ReflexZoneFactory(clinic=clinic)
    PressureNoteFactory(session=session, zone=zone, pressure=4, response="tender", note="Winifred flinched here.")
    SessionAmendmentFactory(
        session=session,
        by=practitioner,
        reason="Winifred phoned to correct it.",
        before={"pain_after": 4, "notes": "Winifred flinched."},
        after={"pain_after": 3, "notes": "Winifred spoke about her sister."},
    )
    routine = RoutineFactory(
        clinic=clinic, client=client, created_by=practitioner, session=session, starts_on=started_at.date()
    )
    routine.intro = "Hello Winifred!"
    routine.save()
    RoutineStepFactory(routine=routine, zone=zone)
    delivery = DeliveryFactory(routine=routine, local_date=started_at.date())
    delivery.attempt_log.create(outcome="sent", smtp_code=250)
    delivery.check_ins.create(clinic=clinic, client=client, kind="pain", pain=2, local_date=started_at.date())
    return client


def _leads_to_client(model, seen=()) -> bool:
    """Independently of privacy.tables: does a chain of keys lead from `model` to Client?"""
    if model is Client:
        return True
    return any(
        (f.many_to_one or f.one_to_one)
        and f.related_model not in seen
        and _leads_to_client(f.related_model, (*seen, model))
        for f in model._meta.concrete_fields
        if f.is_relation
    )


def _project_models():
    # Every model of an app that is not Django's own or installed from a package.
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if "site-packages" not in m._meta.app_config.path and not m._meta.app_config.name.startswith("django.")
    ]


# --- Subject access ---------------------------------------------------------------------


@pytest.fixture
def winifred(clinic, practitioner):
    return treated_client(clinic, practitioner, started_at=timezone.now() - dt.timedelta(days=30))


def test_the_complete_record_holds_every_table_that_leads_to_the_client(owner_client, winifred, clinic):
    response = owner_client.get(reverse("privacy:subject_access_json", args=[winifred.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    record = json.loads(response.content)
    client_models = [m for m in _project_models() if m is not Client and _leads_to_client(m)]
    assert client_models
    missing = [m._meta.label_lower for m in client_models if m._meta.label_lower not in record["tables"]]
    assert not missing, f"the subject access download leaves out {missing}"
    # Each kind of data the brief names is there, row for row.
    counts = {label: len(table["rows"]) for label, table in record["tables"].items()}
    for label in (
        "clients.clienthealthflag",
        "appointments.appointment",
        "appointments.course",
        "treatment_sessions.treatmentsession",
        "treatment_sessions.pressurenote",
        "treatment_sessions.sessionamendment",
        "routines.routine",
        "routines.routinestep",
        "routines.checkin",
    ):
        assert counts[label] == 1, label
    assert record["client"]["email"] == "winnie@example.org"
    assert record["client"]["consent_treatment"] is True
    assert "Winifred flinched here." in response.content.decode()


def test_the_complete_record_holds_nothing_of_another_client(owner_client, winifred, clinic, practitioner):
    treated_client(clinic, practitioner, started_at=timezone.now(), first_name="Bartholomew", last_name="Other")
    text = owner_client.get(reverse("privacy:subject_access_json", args=[winifred.pk])).content.decode()
    assert "Bartholomew" not in text
    record = json.loads(text)
    assert all(len(t["rows"]) <= 1 for t in record["tables"].values())


def test_the_printable_record_shows_sessions_pressure_notes_and_amendments_without_inline_code(owner_client, winifred):
    response = owner_client.get(reverse("privacy:subject_access", args=[winifred.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for text in ("Winifred Applethwaite", "Takes warfarin.", "Feet injured or infected", "Tender", "Firm"):
        assert text in page, text
    assert "Winifred phoned to correct it." in page
    assert "privacy/record.css" in page
    # A strict CSP: no inline style or script, only files from static/.
    assert "style=" not in page
    assert "<style" not in page
    assert page.count("<script") == page.count("<script src=")


def test_a_practitioner_cannot_read_a_complete_record(practitioner_client, winifred):
    for name in ("privacy:subject_access", "privacy:subject_access_json"):
        assert practitioner_client.get(reverse(name, args=[winifred.pk])).status_code == 404


# --- Retention ----------------------------------------------------------------------------


def _years_ago(years: int, days: int = 0) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=365 * years + 2 + days)


def test_the_retention_report_lists_clients_seven_years_after_their_last_treatment(owner_client, clinic, practitioner):
    old = treated_client(clinic, practitioner, started_at=_years_ago(8), first_name="Olderthan", last_name="Seven")
    treated_client(clinic, practitioner, started_at=_years_ago(6), first_name="Youngerthan", last_name="Seven")
    page = owner_client.get(reverse("privacy:retention")).content.decode()
    assert "Olderthan Seven" in page
    assert "Youngerthan Seven" not in page
    assert [r.client for r in selectors.clients_past_retention(clinic)] == [old]


def test_a_client_treated_as_a_minor_is_kept_until_twenty_five(clinic, practitioner):
    child = treated_client(
        clinic,
        practitioner,
        started_at=_years_ago(10),
        first_name="Young",
        date_of_birth=dt.date.today().replace(year=dt.date.today().year - 22),
    )
    retention = selectors.client_retention(child)
    assert retention.treated_as_minor
    assert retention.kept_until == child.date_of_birth.replace(year=child.date_of_birth.year + 25)
    assert not retention.is_past
    assert selectors.clients_past_retention(clinic) == []
    later = retention.kept_until + dt.timedelta(days=1)
    assert [r.client for r in selectors.clients_past_retention(clinic, today=later)] == [child]


def test_a_client_never_treated_counts_from_their_last_appointment_or_else_the_record(clinic, practitioner):
    never_seen = ClientFactory(clinic=clinic, first_name="Neverseen")
    Client.objects.filter(pk=never_seen.pk).update(created_at=_years_ago(8))
    booked_once = ClientFactory(clinic=clinic, first_name="Bookedonce")
    Client.objects.filter(pk=booked_once.pk).update(created_at=_years_ago(9))
    AppointmentFactory(clinic=clinic, client=booked_once, practitioner=practitioner, starts_at=_years_ago(5))
    assert [r.client.first_name for r in selectors.clients_past_retention(clinic)] == ["Neverseen"]
    assert selectors.client_retention(booked_once).last_treatment == timezone.localtime(_years_ago(5)).date()


def test_the_owner_sets_the_clinics_retention_period(owner_client, clinic, practitioner):
    treated_client(clinic, practitioner, started_at=_years_ago(4), first_name="Fouryears")
    assert "Fouryears" not in owner_client.get(reverse("privacy:retention")).content.decode()
    response = owner_client.post(reverse("privacy:retention"), {"years_after_last_treatment": 3, "minor_until_age": 25})
    assert response.status_code == 302
    assert "Fouryears" in owner_client.get(reverse("privacy:retention")).content.decode()


def test_a_retention_period_below_one_year_is_refused_next_to_the_field(owner_client, clinic):
    response = owner_client.post(reverse("privacy:retention"), {"years_after_last_treatment": 0, "minor_until_age": 25})
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    assert selectors.retention_policy(clinic).pk is None


# --- Anonymisation ------------------------------------------------------------------------


def _figures(clinic, start: dt.date):
    scope = Scope(clinic=clinic, start=start, end=timezone.localdate(), now=timezone.now())
    return {slug: (t.columns, t.rows, t.figures) for slug, t in build(scope).items()}


def test_anonymising_removes_identifiers_and_keeps_every_report_figure(owner_client, owner, clinic, practitioner):
    started = _years_ago(8)
    client = treated_client(clinic, practitioner, started_at=started)
    treated_client(clinic, practitioner, started_at=started + dt.timedelta(days=3), first_name="Kept", last_name="Too")
    before = _figures(clinic, started.date() - dt.timedelta(days=60))
    response = owner_client.post(reverse("privacy:anonymise", args=[client.pk]), {"confirm": "on"}, follow=True)
    assert "record was anonymised" in response.content.decode()
    assert _figures(clinic, started.date() - dt.timedelta(days=60)) == before
    record = json.dumps(selectors.subject_access_data(client), default=str)
    leaks = [text for text in IDENTIFIERS if text in record]
    assert not leaks, f"still in the record after anonymisation: {leaks}"
    client.refresh_from_db()
    assert client.full_name == f"Anonymised client {client.pk}"
    assert client.date_of_birth == dt.date(1970, 1, 1)
    assert (client.email, client.phone, client.address) == ("", "", "")
    assert client.is_archived
    session = client.treatment_sessions.get()
    assert (session.pain_before, session.pain_after) == (7, 3)
    assert session.pressure_notes.get().pressure == 4
    assert session.amendments.get().before == {"pain_after": 4, "notes": ""}
    assert Routine.objects.get(client=client).status == Routine.Status.STOPPED
    assert Anonymisation.objects.get(client=client).by == owner
    # The other client of the clinic is untouched.
    assert Client.objects.filter(first_name="Kept", email="winnie@example.org").exists()


def test_anonymising_a_client_within_retention_is_refused_with_a_reason(owner_client, clinic, practitioner):
    client = treated_client(clinic, practitioner, started_at=_years_ago(2))
    response = owner_client.post(reverse("privacy:anonymise", args=[client.pk]), {"confirm": "on"}, follow=True)
    page = response.content.decode()
    assert "must be kept until" in page
    assert "cannot be anonymised yet" in page
    client.refresh_from_db()
    assert client.first_name == "Winifred"
    assert client.treatment_sessions.get().notes == "Winifred spoke about her sister."
    assert not Anonymisation.objects.exists()


def test_the_anonymise_page_says_why_a_client_within_retention_is_kept(owner_client, clinic, practitioner):
    client = treated_client(clinic, practitioner, started_at=_years_ago(2))
    page = owner_client.get(reverse("privacy:anonymise", args=[client.pk])).content.decode()
    assert "cannot be anonymised yet" in page
    assert "years after the last treatment" in page
    assert "<form" not in page.split("<main", 1)[1]


def test_anonymising_needs_the_box_ticked(owner_client, clinic, practitioner):
    client = treated_client(clinic, practitioner, started_at=_years_ago(8))
    response = owner_client.post(reverse("privacy:anonymise", args=[client.pk]), {})
    assert response.status_code == 200
    assert "Tick the box to confirm." in response.content.decode()
    client.refresh_from_db()
    assert client.first_name == "Winifred"


def test_an_anonymisation_that_fails_at_its_last_step_changes_nothing(clinic, practitioner):
    from accounts.models import User

    client = treated_client(clinic, practitioner, started_at=_years_ago(8))
    # Recording who anonymised fails last (an unsaved user): everything before it is undone.
    with pytest.raises(ValueError):
        services.client_anonymise(client=client, by=User(username="ghost"))
    client.refresh_from_db()
    assert (client.first_name, client.email) == ("Winifred", "winnie@example.org")
    assert client.treatment_sessions.get().notes == "Winifred spoke about her sister."
    assert Routine.objects.get(client=client).status == Routine.Status.ACTIVE
    assert not Anonymisation.objects.exists()


def test_anonymising_is_irreversible_and_happens_once(owner, clinic, practitioner):
    client = treated_client(clinic, practitioner, started_at=_years_ago(8))
    services.client_anonymise(client=client, by=owner)
    with pytest.raises(Exception, match="already been anonymised"):
        services.client_anonymise(client=client, by=owner)
    assert selectors.clients_past_retention(clinic) == []


def test_every_free_text_column_of_a_client_table_is_removed_or_kept_on_purpose():
    # A new table's notes are removed by default; keeping one is a decision written in KEPT_TEXT.
    for table in selectors.client_tables():
        kept = services.KEPT_TEXT.get(table.label, set())
        text = {f.name for f in table.model._meta.concrete_fields if services.is_free_text(f)}
        assert kept <= text, f"{table.label}: KEPT_TEXT names columns that are not free text: {kept - text}"
    assert {f.name for t in selectors.client_tables()[:1] for f in services.removed_columns(t)} >= {
        "first_name",
        "last_name",
        "email",
        "phone",
        "address",
        "notes",
        "medical_notes",
        "physician_clearance",
    }


# --- Clinic export ------------------------------------------------------------------------


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_owner_exports_every_table_as_csv_and_json_with_only_the_clinics_rows(
    owner_client, owner, clinic, other_clinic, practitioner, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.PRIVACY_EXPORT_DIR = tmp_path
    treated_client(clinic, practitioner, started_at=timezone.now() - dt.timedelta(days=3))
    ClientFactory(clinic=other_clinic, first_name="Zebedee", last_name="Outsider")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = owner_client.post(reverse("privacy:exports"))
    export = ClinicExport.objects.get()
    assert response.url == reverse("privacy:export_status", args=[export.pk])
    assert len(queued) == 1
    waiting = owner_client.get(response.url).content.decode()
    assert 'http-equiv="refresh"' in waiting
    assert "Waiting to start" in waiting

    build_clinic_export.apply(args=[export.pk])  # what the worker runs

    page = owner_client.get(response.url).content.decode()
    assert "Ready to download" in page
    assert 'http-equiv="refresh"' not in page
    archive = _zip(owner_client.get(reverse("privacy:export_download", args=[export.pk])))
    expected = {f"{t.label}.{ext}" for t in clinic_tables() for ext in ("csv", "json")}
    assert set(archive.namelist()) == expected
    assert {"clients.client.csv", "treatment_sessions.pressurenote.json", "accounts.user.json"} <= expected
    everything = "".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())
    assert "Winifred" in everything
    assert "Outsider" not in everything
    assert "Elsewhere Reflexology" not in everything
    assert "md5$" not in everything and "password" not in everything
    for table in clinic_tables():
        rows = json.loads(archive.read(f"{table.label}.json"))
        lines = list(csv.reader(io.StringIO(archive.read(f"{table.label}.csv").decode("utf-8-sig"))))
        assert lines[0] == table.columns
        assert len(lines) - 1 == len(rows) == table.rows(clinic).count(), table.label
    clients = json.loads(archive.read("clients.client.json"))
    assert {c["clinic_id"] for c in clients} == {clinic.pk}


def test_a_second_click_while_an_export_runs_reuses_it(owner_client, clinic, settings, tmp_path):
    settings.PRIVACY_EXPORT_DIR = tmp_path
    first = owner_client.post(reverse("privacy:exports"))
    second = owner_client.post(reverse("privacy:exports"))
    assert first.url == second.url
    assert ClinicExport.objects.count() == 1


def test_a_newer_export_deletes_the_older_zip(owner, clinic, settings, tmp_path):
    settings.PRIVACY_EXPORT_DIR = tmp_path
    first = services.clinic_export_build(export_id=ClinicExport.objects.create(clinic=clinic, requested_by=owner).pk)
    assert services.export_path(first).is_file()
    second = services.clinic_export_build(export_id=ClinicExport.objects.create(clinic=clinic, requested_by=owner).pk)
    first.refresh_from_db()
    assert first.status == ClinicExport.Status.REPLACED
    assert [p.name for p in tmp_path.iterdir()] == [second.file_name]


def test_an_export_not_ready_cannot_be_downloaded(owner_client, owner, clinic):
    export = ClinicExport.objects.create(clinic=clinic, requested_by=owner)
    assert owner_client.get(reverse("privacy:export_download", args=[export.pk])).status_code == 404


def test_a_practitioner_cannot_export_the_clinic(practitioner_client, clinic):
    assert practitioner_client.post(reverse("privacy:exports")).status_code == 404
    assert not ClinicExport.objects.exists()


def test_another_clinics_owner_gets_404_for_this_clinics_privacy_pages(clinic, other_clinic, owner, practitioner):
    from django.test import Client as HttpClient

    client = treated_client(clinic, practitioner, started_at=_years_ago(8))
    export = ClinicExport.objects.create(clinic=clinic, requested_by=owner, status=ClinicExport.Status.DONE)
    other_owner = HttpClient()
    other_owner.force_login(OwnerFactory(username="otto", clinic=other_clinic))
    for name, pk in (
        ("privacy:subject_access", client.pk),
        ("privacy:subject_access_json", client.pk),
        ("privacy:anonymise", client.pk),
        ("privacy:export_status", export.pk),
        ("privacy:export_download", export.pk),
    ):
        url = reverse(name, args=[pk])
        assert other_owner.get(url).status_code == 404, name
        assert other_owner.post(url, {"confirm": "on"}).status_code == 404, name
    client.refresh_from_db()
    assert client.first_name == "Winifred"
    assert "Winifred" not in other_owner.get(reverse("privacy:retention")).content.decode()
    assert not Anonymisation.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@pytest.mark.redis
def test_a_real_celery_worker_builds_the_export_while_the_page_reports_progress(clinic, owner, practitioner, tmp_path):
    import time

    import redis
    from django.db import connection

    from tests.worker_process import WorkerProcess, database_url

    treated_client(clinic, practitioner, started_at=timezone.now() - dt.timedelta(days=3))
    broker = django_settings.CELERY_BROKER_URL
    redis.Redis.from_url(broker).flushdb()
    worker = WorkerProcess(
        database_url=database_url(connection.settings_dict),
        redis_url=broker,
        email_url="consolemail://",
        settings={"PRIVACY_EXPORT_DIR": str(tmp_path)},
        name="privacy",
    )
    worker.start()
    try:
        with django_settings_override(PRIVACY_EXPORT_DIR=tmp_path):
            export = services.clinic_export_request(clinic=clinic, by=owner)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                export.refresh_from_db()
                if export.is_finished:
                    break
                time.sleep(0.2)
            assert export.status == ClinicExport.Status.DONE, worker.log_tail()
            assert export.tables_done == export.tables_total == len(clinic_tables())
            with zipfile.ZipFile(services.export_path(export)) as archive:
                assert "clients.client.json" in archive.namelist()
                assert "Winifred" in archive.read("clients.client.json").decode()
    finally:
        worker.stop(timeout=5)
        redis.Redis.from_url(broker).flushdb()


def django_settings_override(**values):
    from django.test import override_settings

    return override_settings(**values)
