"""The Django admin as the operator uses it: edit the zone catalogue and the routine
library, read the delivery log with its filters, and read (never change) the clinical
history, which only the app writes, with its amendment trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import ConsentKind, ConsentSource, HealthFlag
from clients.services import consent_record
from outbox.models import Delivery
from routines.models import CheckIn, LibraryStep
from tests.factories import (
    ClientFactory,
    ClientHealthFlagFactory,
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


def _admin_form_data(response) -> dict:
    """What the admin's change form posts back unchanged: the fields it offers and the inlines' management forms."""
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: ("" if value is None else value) for name, value in data.items() if value is not False}
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
    return data


def test_the_admin_cannot_give_consent_move_the_health_change_or_clear_a_flag_that_holds_sessions(operator, clinic):
    # docs/domain.md, rules 14 and 16: these are what hold a session back; only the app writes them.
    given = timezone.now() - dt.timedelta(days=30)
    client = ClientFactory(
        clinic=clinic,
        first_name="Ines",
        consent_treatment_at=given,
        health_changed_at=given + dt.timedelta(days=1),
    )
    ClientHealthFlagFactory(client=client, flag=HealthFlag.PREGNANCY)
    unconsented = ClientFactory(clinic=clinic, first_name="Ola", consent_treatment=False, consent_treatment_at=None)
    for someone in (client, unconsented):
        change = reverse("admin:clients_client_change", args=[someone.pk])
        response = operator.get(change)
        page = response.content.decode()
        for field in ("consent_treatment", "consent_email", "health_changed_at", "physician_clearance"):
            assert f'name="{field}"' not in page, field
        assert 'name="health_flags-0-flag"' not in page  # the flags are shown as text
        data = {
            **_admin_form_data(response),
            "first_name": f"{someone.first_name} Renamed",
            "consent_treatment": "on",
            "health_changed_at_0": "",
            "health_changed_at_1": "",
            "physician_clearance": "Typed in the admin.",
            "health_flags-0-DELETE": "on",
        }
        assert operator.post(change, data).status_code == 302
    client.refresh_from_db()
    unconsented.refresh_from_db()
    assert client.first_name == "Ines Renamed"  # the rest of the client's details are the operator's to fix
    assert client.health_flags.get().flag == HealthFlag.PREGNANCY
    assert client.consent_due_again and client.physician_clearance == "" and client.uncleared_medical_flags
    assert not unconsented.consent_treatment and not unconsented.consent_records.exists()


def test_the_admin_adds_no_health_flag_and_books_no_course(operator, clinic):
    client = ClientFactory(clinic=clinic)
    flag = ClientHealthFlagFactory(client=client, flag=HealthFlag.PREGNANCY)
    assert operator.get(reverse("admin:clients_clienthealthflag_add")).status_code == 403
    assert (
        operator.post(reverse("admin:clients_clienthealthflag_delete", args=[flag.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert operator.get(reverse("admin:appointments_course_add")).status_code == 403
    assert client.health_flags.count() == 1
