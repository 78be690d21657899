"""Treatment sessions: recording from an appointment, pressure notes, copy from last
session, signing, amendments, and that nobody outside the clinic gets near them."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from sessions.models import PressureNote, SessionAmendment, TreatmentSession
from sessions.selectors import session_original, session_snapshot, snapshot_changes
from sessions.services import NothingChanged, treatment_session_amend
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    ClientHealthFlagFactory,
    PressureNoteFactory,
    ReflexZoneFactory,
    SessionAmendmentFactory,
    TreatmentSessionFactory,
)

pytestmark = pytest.mark.django_db


# ---------- helpers ----------


@pytest.fixture
def zones(clinic):
    return {
        "spine": ReflexZoneFactory(clinic=clinic, code="test-spine", name="Spine", reflex_map="foot_sole"),
        "shoulder": ReflexZoneFactory(
            clinic=clinic, code="test-shoulder", name="Shoulder", reflex_map="hand_palm", body_area="shoulder"
        ),
        "brain": ReflexZoneFactory(clinic=clinic, code="test-brain", name="Brain", reflex_map="ear", body_area="brain"),
    }


@pytest.fixture
def client_(clinic, practitioner):
    client = ClientFactory(clinic=clinic, first_name="Maya", last_name="Lindqvist", practitioner=practitioner)
    ClientHealthFlagFactory(client=client, flag="feet_injured")
    return client


@pytest.fixture
def appointment(clinic, practitioner, client_):
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    return AppointmentFactory(
        clinic=clinic, client=client_, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )


def note_row(zone, side="right", pressure=3, response="none", minutes=2, note="", delete=False) -> dict:
    row = {"zone": zone.pk if hasattr(zone, "pk") else zone, "side": side, "pressure": pressure}
    row.update({"response": response, "minutes": minutes, "note": note})
    if delete:
        row["DELETE"] = "on"
    return row


def form_data(rows=(), *, initial=0, spare=3, **fields) -> dict:
    """What the browser posts: the session fields, the management form, the rows and
    untouched spare rows (which carry the form's defaults)."""
    data = {"pain_before": 6, "pain_after": 3, "focus": "Lower back", "notes": "Relaxed well."}
    data.update(fields)
    all_rows = [*rows, *({"side": "right", "pressure": 3, "response": "none", "minutes": 2} for _ in range(spare))]
    data.update({"notes-TOTAL_FORMS": len(all_rows), "notes-INITIAL_FORMS": initial})
    data.update({"notes-MIN_NUM_FORMS": 0, "notes-MAX_NUM_FORMS": 1000})
    for i, row in enumerate(all_rows):
        data.update({f"notes-{i}-{k}": "" if v is None else v for k, v in row.items()})
    return data


def counts() -> tuple[int, int]:
    return TreatmentSession.objects.count(), PressureNote.objects.count()


def signed_session(clinic, practitioner, client, zones, **kwargs):
    session = TreatmentSessionFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        signed_at=timezone.now(),
        signed_by=practitioner,
        **kwargs,
    )
    PressureNoteFactory(session=session, zone=zones["spine"], side="right", pressure=3, position=0)
    PressureNoteFactory(session=session, zone=zones["shoulder"], side="left", pressure=2, response="tender", position=1)
    return session


def record_url(appointment) -> str:
    return reverse("sessions:record", args=[appointment.pk])


# ---------- recording ----------


def test_recording_saves_the_session_and_its_pressure_notes_together(practitioner_client, appointment, zones):
    data = form_data(
        [
            note_row(zones["spine"], "right", pressure=4, response="tender", minutes=3, note="Tight at L4"),
            note_row(zones["shoulder"], "left", pressure=2),
        ]
    )
    response = practitioner_client.post(record_url(appointment), data)

    session = TreatmentSession.objects.get(appointment=appointment)
    assert response.status_code == 302
    assert response.url == reverse("sessions:detail", args=[session.pk])
    assert (session.clinic, session.client, session.practitioner) == (
        appointment.clinic,
        appointment.client,
        appointment.practitioner,
    )
    assert session.started_at == appointment.starts_at
    assert (session.pain_before, session.pain_after, session.focus) == (6, 3, "Lower back")
    assert session.signed_at is None
    notes = list(session.pressure_notes.order_by("position"))
    assert [(n.zone, n.side, n.pressure, n.response, n.minutes, n.note) for n in notes] == [
        (zones["spine"], "right", 4, "tender", 3, "Tight at L4"),
        (zones["shoulder"], "left", 2, "none", 2, ""),
    ]
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ATTENDED
    page = practitioner_client.get(response.url).content.decode()
    assert "Session recorded for Maya Lindqvist" in page
    assert "Firm" in page


def test_owner_can_record_a_session_for_a_practitioners_appointment(owner_client, appointment, zones):
    response = owner_client.post(record_url(appointment), form_data([note_row(zones["brain"])]))
    assert response.status_code == 302
    assert TreatmentSession.objects.get(appointment=appointment).practitioner == appointment.practitioner


def test_record_form_works_without_javascript(practitioner_client, appointment, zones):
    response = practitioner_client.get(record_url(appointment))
    page = response.content.decode()
    assert response.status_code == 200
    # The plain formset: management form, rows, zones grouped by map, pressure in words.
    assert 'name="notes-TOTAL_FORMS"' in page
    assert 'name="notes-0-zone"' in page
    assert 'name="notes-0-DELETE"' in page
    assert '<optgroup label="Foot sole">' in page
    assert '<optgroup label="Ear">' in page
    for words in ("Very light", "Light", "Medium", "Firm", "Deep"):
        assert words in page
    assert "0 no pain" in page
    assert "10 worst" in page
    assert '<template id="note-empty-row">' in page
    assert "notes-__prefix__-zone" in page
    assert "Copy from last session" in page
    # Health-flag warnings where the practitioner acts on the client.
    assert "Health warnings" in page
    assert "use hand reflexology instead" in page


def test_record_form_lists_only_this_clinics_active_zones(practitioner_client, appointment, zones, other_clinic):
    ReflexZoneFactory(clinic=other_clinic, code="x-spine", name="Elsewhere spine")
    ReflexZoneFactory(clinic=appointment.clinic, code="old", name="Retired zone", is_active=False)
    page = practitioner_client.get(record_url(appointment)).content.decode()
    assert "Spine" in page
    assert "Elsewhere spine" not in page
    assert "Retired zone" not in page


def test_record_form_shows_the_chart_picker(practitioner_client, appointment, zones):
    page = practitioner_client.get(record_url(appointment)).content.decode()
    assert 'id="chart-picker"' in page
    assert "rc-zone" in page
    assert f'data-zone-id="{zones["spine"].pk}"' in page
    assert 'id="zone-modal"' in page
    assert "session-form.js" in page


def test_an_invalid_note_row_saves_nothing(practitioner_client, appointment, zones):
    before = counts()
    data = form_data([note_row(zones["spine"]), note_row(zones["shoulder"], minutes=90)])
    response = practitioner_client.post(record_url(appointment), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved yet" in page
    assert "Minutes must be between 1 and 60." in page
    assert counts() == before
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_a_zone_from_another_clinic_is_a_form_error(practitioner_client, appointment, zones, other_clinic):
    foreign = ReflexZoneFactory(clinic=other_clinic, code="foreign", name="Foreign zone")
    before = counts()
    response = practitioner_client.post(record_url(appointment), form_data([note_row(foreign)]))
    assert response.status_code == 200
    assert "Choose a zone from this clinic&#x27;s reflex charts." in response.content.decode()
    assert counts() == before


def test_a_zone_that_exists_on_one_side_only_refuses_the_other_side(practitioner_client, appointment, zones, clinic):
    liver = ReflexZoneFactory(clinic=clinic, code="test-liver", name="Liver", sides="right")
    before = counts()
    response = practitioner_client.post(record_url(appointment), form_data([note_row(liver, "left")]))
    assert response.status_code == 200
    assert "Liver is on the right side only." in response.content.decode()
    assert counts() == before


def test_the_same_zone_and_side_twice_is_an_error_on_the_second_row(practitioner_client, appointment, zones):
    before = counts()
    data = form_data([note_row(zones["spine"], "right"), note_row(zones["spine"], "right", pressure=5)])
    response = practitioner_client.post(record_url(appointment), data)
    assert response.status_code == 200
    assert "Spine, right side is already recorded in row 1." in response.content.decode()
    assert response.context["formset"].forms[1].errors["zone"]
    assert not response.context["formset"].forms[0].errors
    assert counts() == before


def test_the_same_zone_on_both_sides_is_two_notes(practitioner_client, appointment, zones):
    data = form_data([note_row(zones["spine"], "right"), note_row(zones["spine"], "left")])
    assert practitioner_client.post(record_url(appointment), data).status_code == 302
    assert PressureNote.objects.filter(zone=zones["spine"]).count() == 2


@pytest.mark.parametrize("pain", [11, -1, "severe"])
def test_pain_outside_0_to_10_is_a_field_error(practitioner_client, appointment, zones, pain):
    before = counts()
    response = practitioner_client.post(record_url(appointment), form_data(pain_after=pain))
    assert response.status_code == 200
    assert "Pain is scored from 0 (no pain) to 10 (worst)" in response.content.decode()
    assert response.context["form"].errors["pain_after"]
    assert counts() == before


def test_a_row_marked_for_removal_is_not_saved_even_if_incomplete(practitioner_client, appointment, zones):
    data = form_data([note_row(zones["spine"]), note_row(zones["shoulder"], minutes="", delete=True)])
    assert practitioner_client.post(record_url(appointment), data).status_code == 302
    assert list(PressureNote.objects.values_list("zone__code", flat=True)) == ["test-spine"]


def test_add_more_rows_without_javascript_saves_nothing_and_keeps_the_input(practitioner_client, appointment, zones):
    data = form_data([note_row(zones["spine"], note="Keep me")], add_rows="1")
    response = practitioner_client.post(record_url(appointment), data)
    assert response.status_code == 200
    assert counts() == (0, 0)
    assert len(response.context["formset"].forms) == 4 + 3
    assert "Keep me" in response.content.decode()


def test_an_appointment_with_a_session_redirects_to_it(practitioner_client, appointment, zones):
    session = TreatmentSessionFactory(
        clinic=appointment.clinic,
        client=appointment.client,
        practitioner=appointment.practitioner,
        appointment=appointment,
    )
    detail = reverse("sessions:detail", args=[session.pk])
    assert practitioner_client.get(record_url(appointment)).url == detail
    response = practitioner_client.post(record_url(appointment), form_data([note_row(zones["spine"])]))
    assert response.url == detail
    assert TreatmentSession.objects.count() == 1
    assert PressureNote.objects.count() == 0


def test_a_cancelled_appointment_cannot_be_recorded_and_says_why(practitioner_client, appointment, zones):
    appointment.status = Appointment.Status.CANCELLED
    appointment.save()
    for response in (
        practitioner_client.get(record_url(appointment)),
        practitioner_client.post(record_url(appointment), form_data([note_row(zones["spine"])])),
    ):
        assert response.status_code == 404
        assert "This appointment was cancelled" in response.content.decode()
    assert counts() == (0, 0)


# ---------- copy from last session ----------


def test_copy_from_last_session_prefills_the_rows_but_not_the_notes(
    practitioner_client, appointment, zones, clinic, practitioner, client_
):
    older = signed_session(clinic, practitioner, client_, zones, started_at=timezone.now() - dt.timedelta(days=30))
    PressureNoteFactory(session=older, zone=zones["brain"], side="left")
    last = signed_session(clinic, practitioner, client_, zones, started_at=timezone.now() - dt.timedelta(days=7))
    last.pressure_notes.filter(zone=zones["spine"]).update(note="Private remark", pressure=5, minutes=4)
    # A newer draft is not a finished record, so it is not the one copied.
    TreatmentSessionFactory(clinic=clinic, client=client_, practitioner=practitioner)

    response = practitioner_client.get(record_url(appointment) + "?copy=last")
    page = response.content.decode()

    assert response.status_code == 200
    assert "Copied 2 pressure notes from the session of" in page
    assert reverse("sessions:detail", args=[last.pk]) in page
    assert "Private remark" not in page
    initial = response.context["formset"].initial
    assert [(r["zone"], r["side"], r["pressure"], r["response"], r["minutes"], r["note"]) for r in initial] == [
        (zones["spine"], "right", 5, "none", 4, ""),
        (zones["shoulder"], "left", 2, "tender", 2, ""),
    ]
    assert f'<option value="{zones["spine"].pk}" selected>Spine</option>' in page
    assert TreatmentSession.objects.filter(appointment=appointment).count() == 0


def test_copy_from_last_session_for_a_client_with_none_says_so(practitioner_client, appointment, zones):
    response = practitioner_client.get(record_url(appointment) + "?copy=last")
    assert response.status_code == 200
    assert "Maya has no earlier signed session to copy from" in response.content.decode()
    assert response.context["formset"].initial is None


def test_copied_rows_save_as_the_new_sessions_notes(
    practitioner_client, appointment, zones, clinic, practitioner, client_
):
    last = signed_session(clinic, practitioner, client_, zones, started_at=timezone.now() - dt.timedelta(days=7))
    rows = [note_row(n.zone, n.side, n.pressure, n.response, n.minutes) for n in last.pressure_notes.all()]
    assert practitioner_client.post(record_url(appointment), form_data(rows, initial=2)).status_code == 302
    new = TreatmentSession.objects.get(appointment=appointment)
    assert new.pressure_notes.count() == 2
    assert last.pressure_notes.count() == 2


# ---------- edit, sign ----------


@pytest.fixture
def draft(clinic, practitioner, client_, zones, appointment):
    session = TreatmentSessionFactory(
        clinic=clinic, client=client_, practitioner=practitioner, appointment=appointment, pain_before=6, pain_after=3
    )
    PressureNoteFactory(session=session, zone=zones["spine"], side="right", pressure=3, position=0)
    PressureNoteFactory(session=session, zone=zones["shoulder"], side="left", pressure=2, position=1)
    return session


def test_edit_changes_a_draft_and_its_notes(practitioner_client, draft, zones):
    spine_note = draft.pressure_notes.get(zone=zones["spine"])
    rows = [
        note_row(zones["spine"], "right", pressure=4),
        note_row(zones["shoulder"], "left", pressure=2, delete=True),
        note_row(zones["brain"], "right", response="sensitive"),
    ]
    response = practitioner_client.post(
        reverse("sessions:edit", args=[draft.pk]), form_data(rows, initial=2, pain_after=2)
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.pain_after == 2
    notes = {(n.zone.code, n.side): n for n in draft.pressure_notes.all()}
    assert set(notes) == {("test-spine", "right"), ("test-brain", "right")}
    # The unchanged row is updated in place, not deleted and re-created.
    assert notes[("test-spine", "right")].pk == spine_note.pk
    assert notes[("test-spine", "right")].pressure == 4


def test_a_retired_zone_already_in_a_draft_does_not_block_editing_it(practitioner_client, draft, zones):
    zones["shoulder"].is_active = False
    zones["shoulder"].save()
    rows = [note_row(zones["spine"], "right"), note_row(zones["shoulder"], "left", pressure=2)]
    response = practitioner_client.post(reverse("sessions:edit", args=[draft.pk]), form_data(rows, initial=2))
    assert response.status_code == 302
    assert draft.pressure_notes.filter(zone=zones["shoulder"]).exists()


def test_edit_form_is_prefilled_with_the_drafts_notes(practitioner_client, draft, zones):
    response = practitioner_client.get(reverse("sessions:edit", args=[draft.pk]))
    assert response.status_code == 200
    assert len(response.context["formset"].initial) == 2
    assert f'<option value="{zones["shoulder"].pk}" selected>Shoulder</option>' in response.content.decode()


def test_sign_asks_for_confirmation_and_get_changes_nothing(practitioner_client, draft):
    response = practitioner_client.get(reverse("sessions:sign", args=[draft.pk]))
    assert response.status_code == 200
    assert "Sign this session?" in response.content.decode()
    draft.refresh_from_db()
    assert draft.signed_at is None


def test_signing_locks_the_session(practitioner_client, practitioner, draft, zones):
    response = practitioner_client.post(reverse("sessions:sign", args=[draft.pk]), follow=True)
    assert "Session signed" in response.content.decode()
    draft.refresh_from_db()
    assert draft.signed_at is not None
    assert draft.signed_by == practitioner
    before = session_snapshot(draft)

    edit_url = reverse("sessions:edit", args=[draft.pk])
    get = practitioner_client.get(edit_url)
    assert get.status_code == 302
    assert get.url == reverse("sessions:detail", args=[draft.pk])
    post = practitioner_client.post(edit_url, form_data([note_row(zones["brain"])], pain_after=0), follow=True)
    assert "This session is signed, so it is locked." in post.content.decode()
    draft.refresh_from_db()
    assert session_snapshot(draft) == before
    assert not SessionAmendment.objects.exists()


def test_signing_twice_keeps_the_first_signature(practitioner_client, owner_client, practitioner, draft):
    practitioner_client.post(reverse("sessions:sign", args=[draft.pk]))
    draft.refresh_from_db()
    first = draft.signed_at
    response = owner_client.post(reverse("sessions:sign", args=[draft.pk]), follow=True)
    assert "already signed" in response.content.decode()
    draft.refresh_from_db()
    assert (draft.signed_at, draft.signed_by) == (first, practitioner)


# ---------- amendments ----------


@pytest.fixture
def signed(practitioner_client, draft):
    practitioner_client.post(reverse("sessions:sign", args=[draft.pk]))
    draft.refresh_from_db()
    return draft


def amend_rows(zones, spine_pressure=3):
    return [note_row(zones["spine"], "right", pressure=spine_pressure), note_row(zones["shoulder"], "left", pressure=2)]


def test_amendment_keeps_the_original_and_records_who_when_what(owner_client, owner, signed, zones):
    original = session_snapshot(signed)
    url = reverse("sessions:amend", args=[signed.pk])
    data = form_data(amend_rows(zones, spine_pressure=4), initial=2, pain_after=2, reason="Client phoned: pain was 2")
    response = owner_client.post(url, data)

    assert response.status_code == 302
    amendment = SessionAmendment.objects.get(session=signed)
    assert amendment.by == owner
    assert timezone.now() - amendment.at < dt.timedelta(minutes=1)
    assert amendment.reason == "Client phoned: pain was 2"
    assert amendment.before == original
    assert amendment.after["pain_after"] == 2
    spine_after = next(n for n in amendment.after["pressure_notes"] if n["zone_code"] == "test-spine")
    assert spine_after == {
        "zone_code": "test-spine",
        "zone_name": "Spine",
        "map": "foot_sole",
        "side": "right",
        "pressure": 4,
        "response": "none",
        "minutes": 2,
        "note": "",
    }
    signed.refresh_from_db()
    assert signed.pain_after == 2
    assert signed.is_signed
    assert session_original(signed) == original

    # A second amendment still leaves the signed original recoverable.
    data = form_data(amend_rows(zones, spine_pressure=4), initial=2, pain_after=1, reason="Second thoughts")
    assert owner_client.post(url, data).status_code == 302
    assert SessionAmendment.objects.filter(session=signed).count() == 2
    assert session_original(signed) == original


def test_session_original_is_the_record_itself_when_never_amended(signed):
    assert session_original(signed) == session_snapshot(signed)


def test_an_amendment_that_changes_nothing_is_refused(practitioner_client, signed, zones):
    url = reverse("sessions:amend", args=[signed.pk])
    response = practitioner_client.post(url, form_data(amend_rows(zones), initial=2, notes="", reason="Just checking"))
    assert response.status_code == 200
    assert "Nothing changed" in response.content.decode()
    assert not SessionAmendment.objects.exists()


def test_the_amend_service_refuses_no_change(practitioner, signed):
    notes = [
        {"zone": n.zone, "side": n.side, "pressure": n.pressure, "response": n.response, "minutes": n.minutes}
        for n in signed.pressure_notes.all()
    ]
    data = {"pain_before": 6, "pain_after": 3, "focus": "Lower back", "notes": ""}
    with pytest.raises(NothingChanged):
        treatment_session_amend(session=signed, by=practitioner, reason="No-op", data=data, notes=notes)
    assert not SessionAmendment.objects.exists()


def test_an_amendment_needs_a_reason(practitioner_client, signed, zones):
    url = reverse("sessions:amend", args=[signed.pk])
    response = practitioner_client.post(url, form_data(amend_rows(zones), initial=2, pain_after=1, reason="  "))
    assert response.status_code == 200
    assert "Say why the signed record is being amended." in response.content.decode()
    signed.refresh_from_db()
    assert signed.pain_after == 3


def test_amend_on_a_draft_redirects_to_edit(practitioner_client, draft):
    response = practitioner_client.get(reverse("sessions:amend", args=[draft.pk]))
    assert response.url == reverse("sessions:edit", args=[draft.pk])


def test_amendment_history_shows_on_the_session_page(owner_client, signed, zones):
    rows = [note_row(zones["spine"], "right", pressure=4), note_row(zones["brain"], "left")]
    data = form_data(rows, initial=2, pain_after=2, reason="Corrected after the call")
    owner_client.post(reverse("sessions:amend", args=[signed.pk]), data)

    page = owner_client.get(reverse("sessions:detail", args=[signed.pk])).content.decode()
    assert "Amendment history" in page
    assert "Olivia Owner" in page
    assert "Corrected after the call" in page
    assert "Pain after: 3 → 2" in page
    assert "Spine (foot sole), right: pressure Medium → Firm" in page
    assert "Added Brain (ear), left" in page
    assert "Removed Shoulder (hand palm), left" in page
    # The signed original stays readable on the page.
    assert "The record as it was signed" in page
    assert "Pain after: 3" in page
    assert "Shoulder (hand palm), left: Light pressure" in page


def test_reordering_notes_is_not_a_change():
    note_a = {"zone_code": "a", "zone_name": "A", "map": "ear", "side": "left", "pressure": 3}
    note_b = {**note_a, "zone_code": "b", "zone_name": "B"}
    for n in (note_a, note_b):
        n.update({"response": "none", "minutes": 2, "note": ""})
    before = {"pain_before": 0, "pain_after": None, "focus": "", "notes": "", "pressure_notes": [note_a, note_b]}
    after = {**before, "pressure_notes": [note_b, note_a]}
    assert snapshot_changes(before, after) == []
    assert snapshot_changes(before, {**before, "pain_before": None}) == ["Pain before: 0 → not recorded"]


# ---------- the session page ----------


def test_session_page_shows_the_record(practitioner_client, draft, client_):
    PressureNote.objects.filter(session=draft, zone__code="test-spine").update(
        pressure=4, response="gritty", note="Grainy"
    )
    response = practitioner_client.get(reverse("sessions:detail", args=[draft.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Maya Lindqvist" in page
    assert reverse("clients:detail", args=[client_.pk]) in page
    assert "Health warnings" in page
    assert "6 → 3" in page
    assert "Lower back" in page
    for text in ("Spine", "Foot sole", "Right", "Firm", "Gritty / congested", "Grainy", "Hand palm", "Light"):
        assert text in page
    assert "Draft" in page
    assert reverse("sessions:edit", args=[draft.pk]) in page
    assert reverse("sessions:sign", args=[draft.pk]) in page


def test_signed_session_page_shows_who_signed_and_offers_amend_not_edit(practitioner_client, signed):
    page = practitioner_client.get(reverse("sessions:detail", args=[signed.pk])).content.decode()
    assert "Signed by Priya Practitioner" in page
    assert reverse("sessions:amend", args=[signed.pk]) in page
    assert reverse("sessions:edit", args=[signed.pk]) not in page


@pytest.mark.parametrize("n_notes", [3, 30])
def test_session_page_query_count_does_not_grow_with_notes(
    practitioner_client, clinic, practitioner, client_, django_assert_num_queries, n_notes
):
    session = TreatmentSessionFactory(
        clinic=clinic, client=client_, practitioner=practitioner, signed_at=timezone.now(), signed_by=practitioner
    )
    for i in range(n_notes):
        zone = ReflexZoneFactory(clinic=clinic, code=f"z{i}", name=f"Zone {i}")
        PressureNoteFactory(session=session, zone=zone, side="left" if i % 2 else "right")
    snapshot = session_snapshot(session)
    SessionAmendmentFactory.create_batch(2, session=session, by=practitioner, before=snapshot, after=snapshot)
    url = reverse("sessions:detail", args=[session.pk])
    # login session, user, clinic; the session with its joins; flags, GP permission requests,
    # notes, amendments; and the audit trail's one insert for the view (who looked at this record)
    with django_assert_num_queries(9):
        response = practitioner_client.get(url)
    assert response.status_code == 200
    assert f"Zone {n_notes - 1}" in response.content.decode()


@pytest.mark.parametrize("n_notes", [3, 30])
def test_edit_page_query_count_does_not_grow_with_notes(
    practitioner_client, clinic, practitioner, client_, django_assert_num_queries, n_notes
):
    session = TreatmentSessionFactory(clinic=clinic, client=client_, practitioner=practitioner)
    for i in range(n_notes):
        zone = ReflexZoneFactory(clinic=clinic, code=f"z{i}", name=f"Zone {i}")
        PressureNoteFactory(session=session, zone=zone)
    # as the session page, plus the clinic's zones (loaded once for all the rows)
    with django_assert_num_queries(10):
        response = practitioner_client.get(reverse("sessions:edit", args=[session.pk]))
    assert response.status_code == 200


# ---------- tenancy ----------


@pytest.fixture
def urls(appointment, draft, zones, clinic, practitioner, client_):
    other_appt = AppointmentFactory(
        clinic=clinic,
        client=client_,
        practitioner=practitioner,
        starts_at=appointment.starts_at - dt.timedelta(days=7),
        ends_at=appointment.starts_at - dt.timedelta(days=7, hours=-1),
    )
    signed = signed_session(clinic, practitioner, client_, zones)
    return {
        "record": reverse("sessions:record", args=[other_appt.pk]),
        "detail": reverse("sessions:detail", args=[draft.pk]),
        "edit": reverse("sessions:edit", args=[draft.pk]),
        "sign": reverse("sessions:sign", args=[draft.pk]),
        "amend": reverse("sessions:amend", args=[signed.pk]),
    }


def _everything():
    return (
        list(TreatmentSession.objects.order_by("pk").values()),
        list(PressureNote.objects.order_by("pk").values()),
        list(SessionAmendment.objects.order_by("pk").values()),
        list(Appointment.objects.order_by("pk").values()),
    )


@pytest.mark.parametrize("view", ["record", "detail", "edit", "sign", "amend"])
def test_other_clinic_gets_404_for_every_session_view(other_client, urls, zones, view, other_practitioner):
    ReflexZoneFactory(clinic=other_practitioner.clinic, code="theirs")
    before = _everything()
    get = other_client.get(urls[view])
    post = other_client.post(urls[view], form_data([note_row(zones["brain"])], pain_after=0, reason="hijack"))
    assert get.status_code == 404
    assert post.status_code == 404
    assert "Maya" not in get.content.decode() + post.content.decode()
    assert _everything() == before


@pytest.mark.parametrize("view", ["record", "detail", "edit", "sign", "amend"])
def test_anonymous_visitor_is_sent_to_log_in_for_every_session_view(anon, urls, zones, view):
    before = _everything()
    for response in (anon.get(urls[view]), anon.post(urls[view], form_data([note_row(zones["brain"])]))):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert _everything() == before


# --- adding rows without JavaScript (issue 10, item 14) ---------------------------------


class _FormFields(HTMLParser):
    """What a browser without JavaScript posts from the page's form: every named field's
    current value (the selected option, else the first; checked boxes only), leaving out
    the <template> the script would copy rows from."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self.in_template = 0
        self.select: str | None = None
        self.first_option: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "template":
            self.in_template += 1
        if self.in_template:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.data[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self.select, self.first_option = a.get("name"), None
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = a.get("value", "")
            if "selected" in a:
                self.data[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a.get("name")
            self.data[self.textarea] = ""

    def handle_endtag(self, tag):
        if tag == "template":
            self.in_template -= 1
        elif tag == "select" and self.select:
            self.data.setdefault(self.select, self.first_option or "")
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea and not self.in_template:
            self.data[self.textarea] += data


def posted_from(page: str) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(page)
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data


def test_without_javascript_add_more_rows_keeps_new_rows_blank_and_saving_ignores_them(
    practitioner_client, appointment, zones
):
    first = practitioner_client.get(record_url(appointment)).content.decode()
    data = posted_from(first)
    data.update({"notes-0-zone": zones["spine"].pk, "notes-0-note": "Keep me"})
    more = practitioner_client.post(record_url(appointment), {**data, "add_rows": "1"})
    page = more.content.decode()
    assert more.status_code == 200 and counts() == (0, 0)
    assert "Keep me" in page and 'class="invalid-feedback' not in page
    # The three new rows show the same defaults as the spare rows did, no zone chosen.
    new_rows = posted_from(page)
    for i in range(3, 6):
        assert new_rows[f"notes-{i}-zone"] == ""
        assert (new_rows[f"notes-{i}-side"], new_rows[f"notes-{i}-minutes"]) == ("right", "2")
    # The practitioner fills one new row and saves: the untouched rows are skipped.
    new_rows.update({"notes-4-zone": zones["shoulder"].pk, "notes-4-side": "left"})
    saved = practitioner_client.post(record_url(appointment), new_rows)
    assert saved.status_code == 302
    assert sorted(PressureNote.objects.values_list("zone__code", "side", "note")) == [
        ("test-shoulder", "left", ""),
        ("test-spine", "right", "Keep me"),
    ]
