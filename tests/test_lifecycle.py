"""A client lifecycle a clinic can trust (issue 10, items 1, 2, 3, 7 and 9).

Stop means stop: a client's stop withdraws their consent to routine emails, with when and
from where, and no later routine starts until the practitioner records their renewed
consent. A session needs the client's consent to treatment, a physician's clearance for a
flag that needs medical permission (or the practitioner's override with a reason), and
its appointment to have started; a ruled-out reflex map asks first; archiving asks first."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import BookingError, appointment_book
from audit.models import AuditEntry
from clients.health_flags import FLAG_SPECS, FlagTier, HealthFlag, MapGroup, flag_spec, spec_problems
from clients.models import Client, ConsentKind, ConsentRecord, ConsentSource
from intake.models import IntakeLink
from routines.links import checkin_url
from routines.models import Routine
from sessions.models import TreatmentSession
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    ClientHealthFlagFactory,
    DeliveryFactory,
    ReflexZoneFactory,
    RoutineFactory,
    RoutineStepFactory,
    TreatmentSessionFactory,
)
from tests.test_appointments import booking
from tests.test_clients import intake
from tests.test_sessions import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def maya(clinic, practitioner):
    return ClientFactory(clinic=clinic, first_name="Maya", last_name="Lindqvist", email="maya@example.org")


@pytest.fixture
def delivery(maya, practitioner):
    routine = RoutineFactory(clinic=maya.clinic, client=maya, created_by=practitioner)
    return DeliveryFactory(routine=routine)


def _stop(anon, delivery, one_click=False):
    path = urlsplit(checkin_url(delivery, "stop")).path
    data = {"List-Unsubscribe": "One-Click"} if one_click else {}
    if one_click:
        return anon.post(path, data)
    anon.get(path)  # the page sets the CSRF cookie the button's form needs
    return anon.post(path, {"csrfmiddlewaretoken": anon.cookies["csrftoken"].value})


def _draft(client, practitioner):
    draft = RoutineFactory(clinic=client.clinic, client=client, created_by=practitioner, status=Routine.Status.DRAFT)
    RoutineStepFactory(routine=draft, zone=ReflexZoneFactory(clinic=client.clinic))
    return draft


def _assign(practitioner_client, routine):
    return practitioner_client.post(reverse("routines:assign", kwargs={"pk": routine.pk}), follow=True)


# --- 1. Stop means stop ----------------------------------------------------------------


def test_stop_in_a_routine_email_withdraws_consent_to_routine_emails_with_when_and_where(anon, delivery, maya):
    before = timezone.now()
    _stop(anon, delivery)
    maya.refresh_from_db()
    assert maya.consent_email is False
    withdrawal = maya.email_consent_withdrawal
    assert withdrawal.kind == ConsentKind.ROUTINE_EMAILS and withdrawal.source == ConsentSource.EMAIL_LINK
    assert withdrawal.at >= before
    delivery.routine.refresh_from_db()
    assert delivery.routine.status == Routine.Status.STOPPED


def test_the_one_click_unsubscribe_withdraws_consent_to_routine_emails_too(anon, delivery, maya):
    response = _stop(anon, delivery, one_click=True)
    assert response.status_code == 200
    maya.refresh_from_db()
    assert maya.email_consent_withdrawal.source == ConsentSource.ONE_CLICK


def test_stopping_twice_records_one_withdrawal(anon, delivery, maya):
    _stop(anon, delivery)
    _stop(anon, delivery, one_click=True)
    assert ConsentRecord.objects.filter(client=maya, given=False).count() == 1


def test_assigning_a_later_routine_after_a_stop_is_refused_with_a_clear_message(
    anon, delivery, maya, practitioner, practitioner_client
):
    _stop(anon, delivery)
    draft = _draft(maya, practitioner)
    page = _assign(practitioner_client, draft).content.decode()
    assert "Maya Lindqvist stopped routine emails on" in page
    assert "No routine can be assigned until you record their renewed consent" in page
    assert Routine.objects.get(pk=draft.pk).status == Routine.Status.DRAFT


def test_the_intake_checkbox_cannot_undo_the_clients_stop(anon, delivery, maya, practitioner_client):
    _stop(anon, delivery)
    edit = reverse("clients:edit", args=[maya.pk])
    form_page = practitioner_client.get(edit).content.decode()
    assert "Maya Lindqvist stopped routine emails on" in form_page
    practitioner_client.post(edit, intake(first_name="Maya", last_name="Lindqvist", email="maya@example.org"))
    maya.refresh_from_db()
    assert maya.consent_email is False and maya.email_consent_withdrawal is not None


def test_a_name_with_markup_reads_as_typed_beside_the_intakes_email_box(anon, delivery, maya, practitioner_client):
    Client.objects.filter(pk=maya.pk).update(first_name="<b>Maya</b>")
    _stop(anon, delivery)
    form_page = practitioner_client.get(reverse("clients:edit", args=[maya.pk])).content.decode()
    assert "&lt;b&gt;Maya&lt;/b&gt; Lindqvist stopped routine emails on" in form_page
    assert "<b>Maya</b>" not in form_page


def test_the_client_page_shows_the_withdrawal_at_the_top(anon, delivery, maya, practitioner_client):
    _stop(anon, delivery)
    page = practitioner_client.get(reverse("clients:detail", args=[maya.pk])).content.decode()
    banner = page.index('id="consent-withdrawn"')
    assert banner < page.index("<header")
    assert "Maya stopped routine emails" in page[banner:] and "the stop link in a routine email" in page[banner:]
    assert reverse("clients:consent_renew", args=[maya.pk]) in page[banner:]


def test_renewed_consent_recorded_with_who_when_and_the_clients_say_so_lets_a_routine_be_assigned(
    anon, delivery, maya, practitioner, practitioner_client
):
    _stop(anon, delivery)
    said_at = timezone.localtime(timezone=ZoneInfo(maya.clinic.timezone))
    response = practitioner_client.post(
        reverse("clients:consent_renew", args=[maya.pk]),
        {"said_at": said_at.strftime("%Y-%m-%dT%H:%M"), "note": "Asked by phone to start the emails again."},
        follow=True,
    )
    assert "Renewed consent recorded" in response.content.decode()
    renewed = ConsentRecord.objects.filter(client=maya).first()
    assert (renewed.given, renewed.source, renewed.recorded_by) == (True, ConsentSource.RENEWED, practitioner)
    assert renewed.note == "Asked by phone to start the emails again."
    draft = _draft(maya, practitioner)
    _assign(practitioner_client, draft)
    assert Routine.objects.get(pk=draft.pk).status == Routine.Status.ACTIVE
    # The history keeps the withdrawal as well as the renewal.
    assert [r.given for r in ConsentRecord.objects.filter(client=maya, kind=ConsentKind.ROUTINE_EMAILS)][:2] == [
        True,
        False,
    ]


def test_renewed_consent_without_the_clients_say_so_is_refused_and_nothing_is_saved(
    anon, delivery, maya, practitioner_client
):
    _stop(anon, delivery)
    response = practitioner_client.post(
        reverse("clients:consent_renew", args=[maya.pk]), {"said_at": "2001-01-01T00:00", "note": ""}
    )
    page = response.content.decode()
    assert "Write down what the client said when they agreed again." in page
    assert "The client agreed again after they stopped the emails" in page
    maya.refresh_from_db()
    assert maya.consent_email is False


def test_the_intake_records_each_consent_change_as_a_row_with_who(practitioner_client, practitioner, clinic):
    practitioner_client.post(reverse("clients:add"), intake(consent_email=None))
    client = Client.objects.get()
    given = ConsentRecord.objects.get(client=client)
    assert (given.kind, given.given, given.source, given.recorded_by) == (
        ConsentKind.TREATMENT,
        True,
        ConsentSource.INTAKE,
        practitioner,
    )
    practitioner_client.post(reverse("clients:edit", args=[client.pk]), intake(consent_treatment=None))
    kinds = list(ConsentRecord.objects.filter(client=client).values_list("kind", "given"))
    assert (ConsentKind.TREATMENT, False) in kinds and (ConsentKind.ROUTINE_EMAILS, True) in kinds


def test_consents_recorded_before_the_history_become_given_rows_without_loss(clinic):
    given_at = timezone.now() - dt.timedelta(days=30)
    both = ClientFactory(clinic=clinic, consent_treatment_at=given_at, consent_email_at=given_at)
    neither = ClientFactory(clinic=clinic, consent_treatment=False, consent_email=False)
    migration = importlib.import_module("clients.migrations.0003_consent_records")
    migration.consents_into_rows(apps, None)
    rows = ConsentRecord.objects.filter(client=both)
    assert {(r.kind, r.given, r.at, r.source) for r in rows} == {
        (ConsentKind.TREATMENT, True, given_at, ConsentSource.MIGRATED),
        (ConsentKind.ROUTINE_EMAILS, True, given_at, ConsentSource.MIGRATED),
    }
    assert not ConsentRecord.objects.filter(client=neither).exists()


# --- 2. Consent to treatment before treatment -------------------------------------------


def _appointment(client, practitioner, *, starts_in=dt.timedelta(hours=-1)):
    start = timezone.now().replace(second=0, microsecond=0) + starts_in
    return AppointmentFactory(
        clinic=client.clinic,
        client=client,
        practitioner=practitioner,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
    )


def _record(practitioner_client, appointment, **fields):
    return practitioner_client.post(reverse("sessions:record", args=[appointment.pk]), form_data(**fields))


def test_a_session_cannot_be_recorded_without_consent_to_treatment_and_the_page_links_to_the_intake(
    practitioner_client, practitioner, clinic
):
    client = ClientFactory(clinic=clinic, first_name="Ada", last_name="Byrne", consent_treatment=False)
    appointment = _appointment(client, practitioner)
    for response in (
        practitioner_client.get(reverse("sessions:record", args=[appointment.pk])),
        _record(practitioner_client, appointment),
    ):
        page = response.content.decode()
        assert "Ada Byrne has no recorded consent to treatment" in page
        assert reverse("clients:edit", args=[client.pk]) in page
    assert not TreatmentSession.objects.exists()


def test_a_session_cannot_be_signed_without_consent_to_treatment(practitioner_client, practitioner, clinic):
    client = ClientFactory(clinic=clinic, first_name="Ada", last_name="Byrne", consent_treatment=False)
    session = TreatmentSessionFactory(clinic=clinic, client=client, practitioner=practitioner)
    response = practitioner_client.post(reverse("sessions:sign", args=[session.pk]))
    assert "Ada Byrne has no recorded consent to treatment" in response.content.decode()
    session.refresh_from_db()
    assert not session.is_signed


def test_a_needs_medical_permission_flag_without_clearance_blocks_recording_until_an_override_reason(
    practitioner_client, practitioner, clinic
):
    client = ClientFactory(clinic=clinic, first_name="Ada", last_name="Byrne")
    ClientHealthFlagFactory(client=client, flag="pregnancy")
    appointment = _appointment(client, practitioner)
    page = practitioner_client.get(reverse("sessions:record", args=[appointment.pk])).content.decode()
    assert "“Pregnancy” on record, which needs medical permission, and no physician clearance" in page
    page = _record(practitioner_client, appointment).content.decode()
    assert "Say why you are treating without the clearance" in page
    assert not TreatmentSession.objects.exists()

    response = _record(practitioner_client, appointment, override_reason="Midwife agreed by phone; letter to follow.")
    session = TreatmentSession.objects.get()
    assert response.status_code == 302
    assert (session.clearance_override, session.clearance_override_by) == (
        "Midwife agreed by phone; letter to follow.",
        practitioner,
    )
    detail = practitioner_client.get(reverse("sessions:detail", args=[session.pk])).content.decode()
    assert "without a physician's clearance on record" in detail
    assert "Midwife agreed by phone; letter to follow." in detail


def test_a_recorded_clearance_lets_a_session_be_recorded_without_an_override(practitioner_client, practitioner, clinic):
    client = ClientFactory(clinic=clinic, physician_clearance="Dr Okafor, 3 March: fine to treat gently.")
    ClientHealthFlagFactory(client=client, flag="pregnancy")
    appointment = _appointment(client, practitioner)
    assert _record(practitioner_client, appointment).status_code == 302
    assert TreatmentSession.objects.get().clearance_override == ""


# --- 7. No record before its time -------------------------------------------------------


def test_a_session_cannot_be_recorded_before_its_appointment_starts(practitioner_client, practitioner, maya):
    appointment = _appointment(maya, practitioner, starts_in=dt.timedelta(hours=2))
    for response in (
        practitioner_client.get(reverse("sessions:record", args=[appointment.pk])),
        _record(practitioner_client, appointment),
    ):
        assert "This appointment has not started yet" in response.content.decode()
    assert not TreatmentSession.objects.exists()


def test_a_session_can_be_recorded_a_few_minutes_before_its_appointment_starts(practitioner_client, practitioner, maya):
    appointment = _appointment(maya, practitioner, starts_in=dt.timedelta(minutes=5))
    assert _record(practitioner_client, appointment).status_code == 302
    assert TreatmentSession.objects.filter(appointment=appointment).exists()


def test_a_session_cannot_be_signed_before_its_appointment_starts(practitioner_client, practitioner, maya):
    start = timezone.now() + dt.timedelta(days=1)
    session = TreatmentSessionFactory(clinic=maya.clinic, client=maya, practitioner=practitioner, started_at=start)
    response = practitioner_client.post(reverse("sessions:sign", args=[session.pk]))
    assert "This appointment has not started yet" in response.content.decode()
    session.refresh_from_db()
    assert not session.is_signed


def _mark(practitioner_client, appointment, status):
    return practitioner_client.post(
        reverse("appointments:mark", args=[appointment.pk]), {"status": status}, follow=True
    )


def _undo(practitioner_client, appointment):
    return practitioner_client.post(reverse("appointments:unmark", args=[appointment.pk]), follow=True)


def test_no_show_cannot_be_marked_before_the_appointment_starts(practitioner_client, practitioner, maya):
    appointment = _appointment(maya, practitioner, starts_in=dt.timedelta(hours=2))
    page = _mark(practitioner_client, appointment, "no_show").content.decode()
    assert "This appointment has not started yet, so it can&#x27;t be marked a no-show." in page
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


@pytest.mark.parametrize("status", ["attended", "no_show"])
def test_a_mark_can_be_undone_with_history_until_the_session_is_signed(practitioner_client, practitioner, maya, status):
    appointment = _appointment(maya, practitioner)
    _mark(practitioner_client, appointment, status)
    page = practitioner_client.get(reverse("appointments:detail", args=[appointment.pk])).content.decode()
    assert 'id="undo-mark"' in page
    page = _undo(practitioner_client, appointment).content.decode()
    assert "undone: the appointment is booked again" in page
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    history = page[page.index('id="status-history"') :]
    label = "Attended" if status == "attended" else "No-show"
    assert f"Booked → {label} by {practitioner}" in history and f"{label} → Booked by {practitioner}" in history


def test_attended_cannot_be_undone_once_the_session_is_signed(practitioner_client, practitioner, maya):
    appointment = _appointment(maya, practitioner)
    _record(practitioner_client, appointment)
    session = TreatmentSession.objects.get(appointment=appointment)
    practitioner_client.post(reverse("sessions:sign", args=[session.pk]))
    page = practitioner_client.get(reverse("appointments:detail", args=[appointment.pk])).content.decode()
    assert 'id="undo-mark"' not in page
    page = _undo(practitioner_client, appointment).content.decode()
    assert "The session of this appointment is signed" in page
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ATTENDED


# --- 3. The flag says what it does -------------------------------------------------------


@pytest.mark.parametrize("flag", [HealthFlag.FEET_INJURED, HealthFlag.HANDS_INJURED])
def test_injured_feet_or_hands_sit_in_the_tier_their_warning_describes(practitioner_client, flag):
    """The warning says leave the whole area alone and work elsewhere, not ask a doctor and not
    "work locally around": the flag sits in its own box, "Do not work this area"."""
    spec = flag_spec(flag)
    assert spec.tier == FlagTier.AVOID and not spec.asks_clearance
    page = practitioner_client.get(reverse("clients:add"))
    form = page.context["form"]
    assert flag in dict(form.fields["avoid_flags"].choices)
    assert flag not in dict(form.fields["local_flags"].choices)
    assert flag not in dict(form.fields["medical_flags"].choices)
    assert "Do not work this area" in page.content.decode()


def test_the_warning_of_injured_feet_names_its_tier_do_not_work_this_area(practitioner_client, clinic):
    client = ClientFactory(clinic=clinic)
    ClientHealthFlagFactory(client=client, flag=HealthFlag.FEET_INJURED)
    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "Do not work this area" in page and "do not work the feet" in page
    assert "Work locally around" not in page


def test_a_flag_whose_tier_and_ruled_out_maps_disagree_is_named():
    spec = dataclasses.replace(flag_spec(HealthFlag.VARICOSE_VEINS), rules_out=(MapGroup.FEET,), hands_reason="x")
    problems = spec_problems(specs={**FLAG_SPECS, HealthFlag.VARICOSE_VEINS: spec})
    assert problems == [
        "Health flag 'varicose_veins' is in the tier 'Work locally around' but rules out a group of maps."
    ]


def test_the_reflex_chart_of_a_client_with_injured_feet_opens_on_the_hands_and_feet_zones_say_why(
    practitioner_client, practitioner, clinic
):
    client = ClientFactory(clinic=clinic)
    ClientHealthFlagFactory(client=client, flag=HealthFlag.FEET_INJURED)
    appointment = _appointment(client, practitioner)
    page = practitioner_client.get(reverse("sessions:record", args=[appointment.pk])).content.decode()
    warning = flag_spec(HealthFlag.FEET_INJURED).treatment
    assert 'class="nav-link active" id="rc-picker-tab-hand_palm"' in page
    assert 'class="tab-pane fade show active" id="rc-picker-pane-hand_palm"' in page
    sole = page[page.index('id="rc-picker-pane-foot_sole"') :]
    assert sole.index(f'data-caution="{warning}"') < sole.index('class="rc-zone')
    palm = page[page.index('id="rc-picker-pane-hand_palm"') :]
    assert "data-caution" not in palm


def test_the_reflex_chart_of_a_client_without_flags_opens_on_the_sole_and_asks_nothing(
    practitioner_client, practitioner, maya
):
    appointment = _appointment(maya, practitioner)
    page = practitioner_client.get(reverse("sessions:record", args=[appointment.pk])).content.decode()
    assert 'class="nav-link active" id="rc-picker-tab-foot_sole"' in page
    assert "data-caution" not in page


# --- 9. Archiving asks first -------------------------------------------------------------


@pytest.fixture
def archivable(maya, practitioner):
    """Maya with a running routine, two booked visits to come and one past visit."""
    RoutineFactory(clinic=maya.clinic, client=maya, created_by=practitioner)
    future = [_appointment(maya, practitioner, starts_in=dt.timedelta(days=d)) for d in (3, 10)]
    past = _appointment(maya, practitioner, starts_in=dt.timedelta(days=-3))
    return future, past


def test_archiving_asks_for_confirmation_and_says_what_happens_to_appointments_and_the_routine(
    practitioner_client, maya, archivable
):
    detail = practitioner_client.get(reverse("clients:detail", args=[maya.pk])).content.decode()
    confirm_url = reverse("clients:archive_confirm", args=[maya.pk])
    assert confirm_url in detail
    page = practitioner_client.get(confirm_url).content.decode()
    assert "Archive Maya Lindqvist?" in page
    assert "Their home routine is <strong>stopped</strong>" in page
    assert "Maya has 2 booked appointments to come" in page
    assert "Cancel them, with a cancellation notice to Maya" in page and "Keep them booked" in page
    maya.refresh_from_db()
    assert maya.archived_at is None


def test_archiving_without_choosing_what_happens_to_future_appointments_changes_nothing(
    practitioner_client, maya, archivable
):
    response = practitioner_client.post(reverse("clients:archive", args=[maya.pk]), follow=True)
    assert "Choose whether to cancel or keep the future appointments." in response.content.decode()
    maya.refresh_from_db()
    assert maya.archived_at is None
    assert Routine.objects.get(client=maya).status == Routine.Status.ACTIVE


def test_archiving_with_cancel_cancels_future_appointments_and_stops_the_routine(practitioner_client, maya, archivable):
    future, past = archivable
    response = practitioner_client.post(reverse("clients:archive", args=[maya.pk]), {"future": "cancel"}, follow=True)
    assert "Maya Lindqvist was archived" in response.content.decode()
    maya.refresh_from_db()
    assert maya.is_archived
    statuses = {a.pk: a.status for a in Appointment.objects.filter(client=maya)}
    assert [statuses[a.pk] for a in future] == [Appointment.Status.CANCELLED] * 2
    assert statuses[past.pk] == Appointment.Status.BOOKED
    routine = Routine.objects.get(client=maya)
    assert routine.status == Routine.Status.STOPPED and routine.stop_reason == "The client was archived."


def test_archiving_with_keep_keeps_future_appointments_and_stops_the_routine(practitioner_client, maya, archivable):
    future, _ = archivable
    practitioner_client.post(reverse("clients:archive", args=[maya.pk]), {"future": "keep"})
    maya.refresh_from_db()
    assert maya.is_archived
    assert all(a.status == Appointment.Status.BOOKED for a in Appointment.objects.filter(pk__in=[f.pk for f in future]))
    assert Routine.objects.get(client=maya).status == Routine.Status.STOPPED


# --- 9b. An archived client is unarchived first ----------------------------------------
# docs/domain.md, "Archived clients".


@pytest.fixture
def archived(maya):
    maya.archived_at = timezone.now()
    maya.save()
    return maya


def test_a_session_for_an_archived_client_is_not_recorded_and_the_page_offers_to_unarchive_them(
    practitioner_client, practitioner, archived
):
    appointment = _appointment(archived, practitioner)
    for response in (
        practitioner_client.get(reverse("sessions:record", args=[appointment.pk])),
        _record(practitioner_client, appointment),
    ):
        page = response.content.decode()
        assert "Maya Lindqvist is archived: unarchive them on their client page before recording a session." in page
        assert reverse("clients:unarchive", args=[archived.pk]) in page and "Unarchive Maya" in page
    assert not TreatmentSession.objects.exists()
    assert Appointment.objects.get().status == Appointment.Status.BOOKED

    practitioner_client.post(reverse("clients:unarchive", args=[archived.pk]))
    assert _record(practitioner_client, appointment).status_code == 302
    assert TreatmentSession.objects.filter(client=archived).exists()


def test_a_session_drafted_before_the_client_was_archived_can_still_be_signed(
    practitioner_client, practitioner, archived
):
    draft = TreatmentSessionFactory(
        clinic=archived.clinic,
        client=archived,
        practitioner=practitioner,
        appointment=_appointment(archived, practitioner),
    )
    practitioner_client.post(reverse("sessions:sign", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.is_signed


def test_unarchiving_is_in_the_audit_trail_with_who_did_it(practitioner_client, practitioner, archived):
    response = practitioner_client.post(reverse("clients:unarchive", args=[archived.pk]), follow=True)
    assert "Maya Lindqvist is back on the client list." in response.content.decode()
    entry = AuditEntry.objects.filter(
        content_type__model="client", object_id=archived.pk, action=AuditEntry.Action.UPDATE
    ).latest("pk")
    assert entry.actor == practitioner and entry.changes["archived_at"][1] is None


def test_booking_an_archived_client_at_the_desk_says_to_unarchive_them_first(
    practitioner_client, practitioner, archived, day
):
    for name in ("appointments:book", "appointments:course_book"):
        response = practitioner_client.post(
            reverse(name), booking(archived, practitioner, day, sessions=3, interval_days=7)
        )
        assert response.context["form"].errors["client"] == [
            "Maya Lindqvist is archived: unarchive them on their client page before booking."
        ]
    with pytest.raises(BookingError, match="Maya Lindqvist is archived"):
        appointment_book(
            clinic=archived.clinic,
            client=archived,
            practitioner=practitioner,
            starts_at=timezone.now() + dt.timedelta(days=1),
            ends_at=timezone.now() + dt.timedelta(days=1, hours=1),
        )
    assert not Appointment.objects.exists()


def test_a_routine_is_not_assigned_to_an_archived_client_and_the_page_says_where_to_unarchive(
    practitioner_client, practitioner, archived
):
    draft = _draft(archived, practitioner)
    page = practitioner_client.get(reverse("routines:edit", kwargs={"pk": draft.pk})).content.decode()
    assert "Maya Lindqvist is archived, so no routine emails can go out" in page
    assert reverse("clients:detail", args=[archived.pk]) in page
    response = _assign(practitioner_client, draft)
    assert "Maya Lindqvist is archived: unarchive them on their client page before assigning a routine." in (
        response.content.decode()
    )
    draft.refresh_from_db()
    assert draft.status == Routine.Status.DRAFT


def test_no_intake_link_goes_to_an_archived_client(practitioner_client, archived):
    response = practitioner_client.post(reverse("intake:send", args=[archived.pk]), follow=True)
    assert "Maya Lindqvist is archived: unarchive them on their client page before sending a link." in (
        response.content.decode()
    )
    assert not IntakeLink.objects.exists()


# --- 8. The same person twice ------------------------------------------------------------


@pytest.mark.parametrize(
    "same",
    [
        {"email": "MAYA@example.org", "first_name": "May", "date_of_birth": "1990-01-01"},
        {"email": "other@example.org", "first_name": "maya", "last_name": "lindqvist"},
    ],
    ids=["same email", "same name and date of birth"],
)
def test_a_new_client_who_may_already_be_on_file_is_flagged_with_a_link_to_the_existing_record(
    practitioner_client, clinic, same
):
    existing = ClientFactory(
        clinic=clinic,
        first_name="Maya",
        last_name="Lindqvist",
        email="maya@example.org",
        date_of_birth=dt.date(1980, 5, 17),
    )
    response = practitioner_client.post(reverse("clients:add"), intake(**same))
    page = response.content.decode()
    assert "This may be a client you already have" in page
    assert f'href="{reverse("clients:detail", args=[existing.pk])}"' in page
    assert Client.objects.count() == 1

    response = practitioner_client.post(reverse("clients:add"), intake(**same, not_a_duplicate="1"))
    assert response.status_code == 302
    assert Client.objects.count() == 2


def test_a_client_of_another_clinic_with_the_same_email_is_not_flagged(practitioner_client, other_clinic):
    ClientFactory(clinic=other_clinic, email="maya@example.org")
    response = practitioner_client.post(reverse("clients:add"), intake())
    assert response.status_code == 302
