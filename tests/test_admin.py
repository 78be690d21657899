"""The Django admin as the operator uses it: edit the zone catalogue and the routine
library, read the delivery log with its filters, and read (never change) the clinical
history, which only the app writes, with its amendment trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import ConsentKind, ConsentSource
from clients.services import consent_record
from outbox.models import Delivery
from routines.models import CheckIn, LibraryStep
from tests.factories import (
    ClientFactory,
    ClinicFactory,
    DeliveryFactory,
    PressureNoteFactory,
    ReflexZoneFactory,
    RoutineFactory,
    TreatmentSessionFactory,
    UserFactory,
)


@pytest.fixture
def operator(db):
    user = UserFactory(username="root", clinic=None, is_staff=True, is_superuser=True)
    http = HttpClient()
    http.force_login(user)
    return http


def test_the_delivery_log_filters_by_status_kind_day_and_clinic(operator, clinic, other_clinic):
    today = timezone.localdate()
    ours = RoutineFactory(clinic=clinic, client__last_name="Failedmail")
    failed = DeliveryFactory(
        routine=ours, local_date=today, status=Delivery.Status.FAILED, last_error="550 no such user"
    )
    DeliveryFactory(routine=ours, local_date=today - dt.timedelta(days=1), status=Delivery.Status.SENT)
    DeliveryFactory(
        routine=RoutineFactory(clinic=other_clinic, client__last_name="Otherclinicmail"),
        local_date=today,
        status=Delivery.Status.FAILED,
    )
    url = reverse("admin:outbox_delivery_changelist")
    response = operator.get(
        url,
        {
            "status__exact": "failed",
            "kind__exact": "routine",
            "clinic__id__exact": clinic.pk,
            "local_date__gte": today.isoformat(),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Failedmail" in html and "550 no such user" in html
    assert "Otherclinicmail" not in html
    assert list(response.context["cl"].result_list) == [failed]


def test_a_delivery_and_its_attempts_and_answers_are_read_only(operator, clinic):
    delivery = DeliveryFactory(routine=RoutineFactory(clinic=clinic))
    CheckIn.objects.create(
        clinic=clinic, client=delivery.client, delivery=delivery, kind="done", local_date=delivery.local_date
    )
    change = reverse("admin:outbox_delivery_change", args=[delivery.pk])
    response = operator.get(change)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert "Did the routine" in response.content.decode()
    assert operator.post(change, {"status": "pending"}).status_code == 403
    assert operator.get(reverse("admin:outbox_delivery_delete", args=[delivery.pk])).status_code == 403
    assert operator.get(reverse("admin:routines_checkin_changelist"), {"kind__exact": "done"}).status_code == 200


def test_clinical_history_is_shown_but_never_changed_in_the_admin(operator, clinic):
    session = TreatmentSessionFactory(clinic=clinic, pain_before=7)
    note = PressureNoteFactory(session=session)
    change = reverse("admin:treatment_sessions_treatmentsession_change", args=[session.pk])
    response = operator.get(change)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert operator.post(change, {"pain_before": "1"}).status_code == 403
    session.refresh_from_db()
    assert session.pain_before == 7
    assert operator.get(reverse("admin:treatment_sessions_treatmentsession_add")).status_code == 403
    assert operator.get(reverse("admin:treatment_sessions_pressurenote_delete", args=[note.pk])).status_code == 403


def test_the_operator_edits_the_zone_catalogue_and_the_routine_library(operator, clinic):
    zone = ReflexZoneFactory(clinic=clinic, code="adm-spine", name="Spine")
    zones_url = reverse("admin:treatment_sessions_reflexzone_changelist")
    assert operator.get(zones_url).status_code == 200
    step = LibraryStep.objects.create(
        clinic=clinic, code="adm-step", kind="reflex", title="Spine walk", instruction="x"
    )
    response = operator.get(reverse("admin:routines_librarystep_change", args=[step.pk]))
    assert response.status_code == 200
    assert 'name="_save"' in response.content.decode()
    assert zone.name in response.content.decode()


def test_a_library_step_is_offered_only_its_own_clinics_zones(operator, clinic):
    elsewhere = ClinicFactory(name="Far Away", slug="far-away")
    theirs = ReflexZoneFactory(clinic=elsewhere, code="adm-far", name="Faraway zone")
    step = LibraryStep.objects.create(clinic=clinic, code="adm-step2", kind="reflex", title="Walk", instruction="x")
    response = operator.get(reverse("admin:routines_librarystep_change", args=[step.pk]))
    form = response.context["adminform"].form
    assert theirs not in form.fields["zones"].queryset
    assert "Faraway zone" not in response.content.decode()


def test_a_clients_consent_history_shows_in_the_admin_and_cannot_be_edited_there(operator, clinic):
    client = ClientFactory(clinic=clinic, first_name="Ines")
    consent_record(
        client=client, kind=ConsentKind.TREATMENT, given=True, source=ConsentSource.RENEWED, note="Said yes at the desk"
    )
    page = operator.get(reverse("admin:clients_client_change", args=[client.pk])).content.decode()
    assert "Said yes at the desk" in page
    assert 'name="consent_records-0-note"' not in page  # shown as text, not an input
    assert 'name="consent_records-0-DELETE"' not in page
