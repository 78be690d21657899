"""The audit trail (issue 11): every change to a client's record, consent, health flags,
appointments, sessions, pressure notes and routines, with who, when, before and after;
every view of a client's clinical pages; and the owner's pages and CSV export over it.

Changes made with queryset.update() or bulk_create() (signing, cancelling, flags, routine
steps) send no model signals: these tests are what shows they are recorded anyway.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.actor import CLIENT_VIA_LINK, SYSTEM
from audit.models import AuditEntry
from clients.models import Client, ClientHealthFlag
from clients.services import client_archive, client_update
from routines.links import checkin_url
from routines.models import Routine, RoutineStep
from routines.services import routine_move_step
from sessions.models import PressureNote, TreatmentSession
from sessions.services import treatment_session_update
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    DeliveryFactory,
    OwnerFactory,
    PressureNoteFactory,
    ReflexZoneFactory,
    RoutineFactory,
    RoutineStepFactory,
    TreatmentSessionFactory,
)

pytestmark = pytest.mark.django_db

LOG = reverse("audit:log")
EXPORT = reverse("audit:export")


@pytest.fixture
def maya(clinic, practitioner):
    return ClientFactory(clinic=clinic, first_name="Maya", last_name="Lindqvist", practitioner=practitioner)


def _changes(model, **lookup) -> list[AuditEntry]:
    rows = AuditEntry.objects.filter(content_type__model=model._meta.model_name, **lookup)
    return list(rows.exclude(action=AuditEntry.Action.ACCESS).order_by("pk"))


def _views(client) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(client=client, action=AuditEntry.Action.ACCESS).order_by("pk"))


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- changes: who, when, before and after ----------------------------------------------


def test_archiving_a_client_records_the_practitioner_the_clinic_and_before_and_after(
    practitioner_client, practitioner, clinic, maya
):
    practitioner_client.post(reverse("clients:archive", args=[maya.pk]))
    (entry,) = _changes(Client, object_id=maya.pk, action=AuditEntry.Action.UPDATE)
    assert (entry.actor, entry.actor_label) == (practitioner, "Priya Practitioner")
    assert (entry.clinic, entry.client_id) == (clinic, maya.pk)
    before, after = entry.changes["archived_at"]
    assert before is None and after is not None
    # updated_at moves on every save and says nothing: it is never recorded.
    assert "updated_at" not in entry.changes
    assert entry.timestamp <= timezone.now()


def test_withdrawing_email_consent_on_the_intake_is_recorded_with_its_timestamp(maya, practitioner):
    client_update(client=maya, by=practitioner, data={"consent_email": False})
    (entry,) = _changes(Client, object_id=maya.pk, action=AuditEntry.Action.UPDATE)
    assert entry.changes["consent_email"] == [True, False]
    assert entry.changes["consent_email_at"][1] is None


def test_health_flags_set_on_the_intake_are_recorded_though_they_are_bulk_created(maya, practitioner):
    client_update(client=maya, by=practitioner, data={"flags": ["feet_injured", "serious_back_injury"]})
    created = _changes(ClientHealthFlag, client=maya, action=AuditEntry.Action.CREATE)
    assert sorted(e.changes["flag"][1] for e in created) == ["feet_injured", "serious_back_injury"]
    client_update(client=maya, by=practitioner, data={"flags": ["serious_back_injury"]})
    (removed,) = _changes(ClientHealthFlag, client=maya, action=AuditEntry.Action.DELETE)
    assert removed.changes["flag"] == ["feet_injured", None]
    assert ClientHealthFlag.objects.filter(client=maya).count() == 1


def test_cancelling_an_appointment_records_the_status_and_reason_though_it_is_a_conditional_update(
    practitioner_client, practitioner, clinic, maya
):
    appointment = AppointmentFactory(clinic=clinic, client=maya, practitioner=practitioner)
    practitioner_client.post(reverse("appointments:cancel", args=[appointment.pk]), {"reason": "Flu"})
    (entry,) = _changes(type(appointment), object_id=appointment.pk, action=AuditEntry.Action.UPDATE)
    assert entry.changes["status"] == ["booked", "cancelled"]
    assert entry.changes["cancel_reason"] == ["", "Flu"]
    assert (entry.actor, entry.client_id) == (practitioner, maya.pk)


def test_signing_a_session_records_who_signed_it_and_a_second_click_records_nothing(
    practitioner_client, practitioner, clinic, maya
):
    draft = TreatmentSessionFactory(clinic=clinic, client=maya, practitioner=practitioner)
    practitioner_client.post(reverse("sessions:sign", args=[draft.pk]))
    practitioner_client.post(reverse("sessions:sign", args=[draft.pk]))
    (entry,) = _changes(TreatmentSession, object_id=draft.pk, action=AuditEntry.Action.UPDATE)
    assert entry.changes["signed_by"] == [None, practitioner.pk]
    assert entry.changes["signed_at"][0] is None
    assert entry.actor == practitioner


def test_changing_a_pressure_note_on_a_draft_records_its_pressure_before_and_after(clinic, practitioner, maya):
    session = TreatmentSessionFactory(clinic=clinic, client=maya, practitioner=practitioner)
    zone = ReflexZoneFactory(clinic=clinic)
    note = PressureNoteFactory(session=session, zone=zone, side="left", pressure=2)
    data = {"pain_before": 6, "pain_after": 3, "focus": "Lower back"}
    notes = [{"zone": zone, "side": "left", "pressure": 4, "response": note.response, "minutes": note.minutes}]
    treatment_session_update(session=session, data=data, notes=notes)
    (entry,) = _changes(PressureNote, object_id=note.pk, action=AuditEntry.Action.UPDATE)
    assert entry.changes["pressure"] == [2, 4]
    assert (entry.clinic, entry.client_id) == (clinic, maya.pk)


def test_moving_a_routine_step_records_both_positions_and_outside_a_request_the_actor_is_system(clinic, maya):
    routine = RoutineFactory(clinic=clinic, client=maya, status=Routine.Status.DRAFT)
    first = RoutineStepFactory(routine=routine, position=1)
    second = RoutineStepFactory(routine=routine, position=2)
    routine_move_step(step=second, up=True)
    moved = {e.object_id: e.changes["position"] for e in _changes(RoutineStep, action=AuditEntry.Action.UPDATE)}
    assert moved == {first.pk: [1, 2], second.pk: [2, 1]}
    assert {e.actor_label for e in _changes(RoutineStep)} == {SYSTEM}


def test_a_client_stopping_emails_from_their_link_is_recorded_as_the_client(clinic, practitioner, maya, anon):
    delivery = DeliveryFactory(routine=RoutineFactory(clinic=clinic, client=maya, created_by=practitioner))
    assert anon.post(urlsplit(checkin_url(delivery, "stop")).path).status_code == 200
    (entry,) = _changes(Routine, object_id=delivery.routine_id, action=AuditEntry.Action.UPDATE)
    assert entry.changes["status"] == ["active", "stopped"]
    assert (entry.actor, entry.actor_label, entry.client_id) == (None, CLIENT_VIA_LINK, maya.pk)


def test_a_change_made_outside_a_request_is_recorded_as_the_system(maya, practitioner):
    client_archive(client=maya, by=practitioner)
    (entry,) = _changes(Client, object_id=maya.pk, action=AuditEntry.Action.UPDATE)
    assert (entry.actor, entry.actor_label) == (None, SYSTEM)


# --- views: who looked at whose record ----------------------------------------------


@pytest.mark.parametrize(
    "page, what",
    [
        ("clients:detail", "client page"),
        ("reports:client_report", "progress report"),
    ],
)
def test_opening_a_clients_clinical_page_writes_one_view_row(practitioner_client, practitioner, maya, page, what):
    assert practitioner_client.get(reverse(page, args=[maya.pk])).status_code == 200
    (view,) = _views(maya)
    assert (view.actor, view.what, view.clinic_id) == (practitioner, what, maya.clinic_id)


def test_every_session_page_writes_a_view_row_naming_the_session(practitioner_client, clinic, practitioner, maya):
    # A visit that has begun: no session is recorded before its appointment starts.
    begun = timezone.now() - dt.timedelta(minutes=30)
    appointment = AppointmentFactory(
        clinic=clinic, client=maya, practitioner=practitioner, starts_at=begun, ends_at=begun + dt.timedelta(hours=1)
    )
    session = TreatmentSessionFactory(
        clinic=clinic, client=maya, practitioner=practitioner, started_at=dt.datetime(2026, 3, 3, 10, tzinfo=dt.UTC)
    )
    for url in (
        reverse("sessions:detail", args=[session.pk]),
        reverse("sessions:edit", args=[session.pk]),
        reverse("sessions:sign", args=[session.pk]),
        reverse("sessions:record", args=[appointment.pk]),
    ):
        assert practitioner_client.get(url).status_code == 200, url
    assert [v.what for v in _views(maya)] == [
        "session of 3 Mar 2026",
        "session of 3 Mar 2026, editing",
        "session of 3 Mar 2026, signing",
        "new session form",
    ]


def test_saving_a_form_is_a_change_not_a_view(practitioner_client, maya):
    practitioner_client.post(reverse("clients:archive", args=[maya.pk]))
    assert _views(maya) == []


# --- the owner's pages ---------------------------------------------------------------


def test_the_owner_reads_a_clients_trail_with_who_when_and_before_and_after(owner_client, practitioner_client, maya):
    practitioner_client.get(reverse("clients:detail", args=[maya.pk]))
    practitioner_client.post(reverse("clients:archive", args=[maya.pk]))
    page = owner_client.get(reverse("audit:client", args=[maya.pk])).content.decode()
    assert "Audit trail of Maya Lindqvist" in page
    assert "Priya Practitioner" in page
    assert "Viewed</span> client page" in page
    assert "Changed</span> Client: Maya Lindqvist" in page
    assert "<dt>Archived at</dt>" in page and "— <span" in page


def test_the_staff_page_shows_only_that_staff_members_actions(owner_client, practitioner_client, owner, clinic, maya):
    other = ClientFactory(clinic=clinic, first_name="Noor", last_name="Haddad")
    practitioner_client.get(reverse("clients:detail", args=[maya.pk]))
    owner_client.get(reverse("clients:detail", args=[other.pk]))
    page = owner_client.get(reverse("audit:staff", args=[owner.pk])).content.decode()
    # Each row links to its client's trail (the client filter lists every client).
    assert f'{reverse("audit:client", args=[other.pk])}">Noor Haddad</a>' in page
    assert reverse("audit:client", args=[maya.pk]) not in page


def test_filters_narrow_the_trail_to_views_and_dates(owner_client, practitioner_client, maya):
    practitioner_client.get(reverse("clients:detail", args=[maya.pk]))
    practitioner_client.post(reverse("clients:archive", args=[maya.pk]))
    views = owner_client.get(LOG, {"kind": "views"}).content.decode()
    assert "client page" in views and "Archived at" not in views
    tomorrow = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    later = owner_client.get(LOG, {"start": tomorrow}).content.decode()
    assert "Nothing in the audit trail matches these filters." in later


def test_bad_filters_get_a_message_by_the_field_not_an_error_page(owner_client, maya):
    response = owner_client.get(LOG, {"start": "2026-13-45", "end": "soon", "client": "x", "kind": "all"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a date like 2026-03-03." in page
    assert "Choose a client of this clinic." in page
    assert "Choose changes, views or both." in page


def test_dates_at_the_ends_of_the_calendar_get_a_message_not_an_error_page(owner_client, maya):
    for url in (LOG, EXPORT):
        response = owner_client.get(url, {"start": "0001-01-01", "end": "9999-12-31"})
        assert response.status_code == 200
    assert (
        "Enter a date between the years 1900 and 2999." in owner_client.get(LOG, {"end": "9999-12-31"}).content.decode()
    )


def test_a_practitioner_cannot_read_the_audit_trail(practitioner_client, maya):
    for url in (LOG, EXPORT, reverse("audit:client", args=[maya.pk])):
        assert practitioner_client.get(url).status_code == 404


def test_another_clinics_owner_sees_none_of_this_clinics_rows(owner_client, other_clinic, practitioner_client, maya):
    practitioner_client.get(reverse("clients:detail", args=[maya.pk]))
    outsider = OwnerFactory(clinic=other_clinic)
    owner_client.force_login(outsider)
    assert "Maya" not in owner_client.get(LOG).content.decode()
    assert owner_client.get(reverse("audit:client", args=[maya.pk])).status_code == 404
    assert "Maya" not in owner_client.get(EXPORT, {"client": maya.pk}).content.decode()


def test_the_csv_export_has_every_filtered_row_and_disarms_formulas(owner_client, practitioner_client, clinic):
    sly = ClientFactory(clinic=clinic, first_name="=HYPERLINK(1)", last_name="Sly")
    practitioner_client.get(reverse("clients:detail", args=[sly.pk]))
    response = owner_client.get(EXPORT, {"client": sly.pk, "kind": "views"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="calm-feet-audit-trail.csv"' in response["Content-Disposition"]
    header, *rows = _csv(response)
    assert header == ["When", "Who", "Client", "Client id", "Action", "Record or page", "Before and after"]
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("Priya Practitioner", "'=HYPERLINK(1) Sly", str(sly.pk), "viewed", "client page")
    ]


# Pinned: the page names the rows that changes point at with one query per related model,
# so three times the history costs no more queries. Login session, user, clinic; the count
# and the page of rows; one per model named in the changes (here five); the filter's client
# and staff choices.
AUDIT_PAGE_QUERIES = 12


def _history(clinic, practitioner, http) -> None:
    client = ClientFactory(clinic=clinic)
    appointment = AppointmentFactory(clinic=clinic, client=client, practitioner=practitioner)
    session = TreatmentSessionFactory(clinic=clinic, client=client, practitioner=practitioner)
    PressureNoteFactory(session=session)
    http.get(reverse("clients:detail", args=[client.pk]))
    http.post(reverse("appointments:cancel", args=[appointment.pk]), {"reason": "Flu"})
    http.post(reverse("sessions:sign", args=[session.pk]))


@pytest.mark.parametrize("copies", [1, 3])
def test_the_audit_page_query_count_is_pinned(
    owner_client, practitioner_client, clinic, practitioner, copies, django_assert_num_queries
):
    for _ in range(copies):
        _history(clinic, practitioner, practitioner_client)
    with django_assert_num_queries(AUDIT_PAGE_QUERIES):
        page = owner_client.get(LOG).content.decode()
    assert page.count("Signed by") == copies


def test_dates_and_choices_are_shown_in_words(owner_client, clinic, maya, practitioner):
    routine = RoutineFactory(clinic=clinic, client=maya, status=Routine.Status.DRAFT, starts_on=dt.date(2026, 3, 3))
    routine.starts_on = dt.date(2026, 3, 10)
    routine.status = Routine.Status.ACTIVE
    routine.save()
    page = owner_client.get(reverse("audit:client", args=[maya.pk])).content.decode()
    assert "3 Mar 2026 <span" in page and "10 Mar 2026</dd>" in page
    assert "Draft <span" in page and "Active</dd>" in page


def test_opening_a_clients_complete_record_writes_a_view_row(owner_client, owner, maya):
    assert owner_client.get(reverse("privacy:subject_access", args=[maya.pk])).status_code == 200
    assert owner_client.get(reverse("privacy:subject_access_json", args=[maya.pk])).status_code == 200
    assert [(v.actor, v.what) for v in _views(maya)] == [
        (owner, "complete record"),
        (owner, "complete record (JSON download)"),
    ]


def test_anonymising_a_client_leaves_no_identifier_in_the_audit_trail(clinic, owner, practitioner):
    from privacy.services import client_anonymise
    from tests.test_privacy import IDENTIFIERS, _years_ago, treated_client

    client = treated_client(clinic, practitioner, started_at=_years_ago(8))
    client_anonymise(client=client, by=owner)
    trail = json.dumps(list(AuditEntry.objects.filter(client=client).values()), default=str)
    # The anonymisation keeps only the year of birth: the full date must not survive in a "before".
    leaks = [text for text in (*IDENTIFIERS, "1970-05-17") if text in trail]
    assert not leaks, f"still in the audit trail after anonymisation: {leaks}"
    # Who acted and when stay.
    assert AuditEntry.objects.filter(client=client, actor_label=SYSTEM).exists()
