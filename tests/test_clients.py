"""Clients: the list, the intake form, the client page, archiving, and the admin."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from clients import services
from clients.charts import PainChart
from clients.models import Client, ClientHealthFlag, HealthFlag
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    ClientHealthFlagFactory,
    ClinicFactory,
    PressureNoteFactory,
    ReflexZoneFactory,
    SignedSessionFactory,
    TreatmentSessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("clients:list")
ADD = reverse("clients:add")


def intake(**overrides) -> dict:
    """A valid intake POST; pass a key with None to leave it out (an unticked box)."""
    data = {
        "first_name": "Maya",
        "last_name": "Lindqvist",
        "email": "maya@example.org",
        "phone": "+44 7700 900123",
        "address": "",
        "date_of_birth": "1980-05-17",
        "timezone": "Europe/London",
        "routine_time": "07:30",
        "practitioner": "",
        "consent_treatment": "on",
        "consent_email": "on",
        "physician_clearance": "",
        "physician_clearance_date": "",
        "medical_notes": "",
        "notes": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# Distinct slots, so that one practitioner's appointments never overlap (PostgreSQL refuses that).
_slots = itertools.count()


def _slot(base: dt.datetime) -> dt.datetime:
    return base + dt.timedelta(hours=2 * next(_slots))


def _client_with_history(clinic, practitioner, **kwargs) -> Client:
    client = ClientFactory(clinic=clinic, practitioner=practitioner, **kwargs)
    ClientHealthFlagFactory(client=client, flag=HealthFlag.PREGNANCY)
    ClientHealthFlagFactory(client=client, flag=HealthFlag.VARICOSE_VEINS)
    past = _slot(timezone.now() - dt.timedelta(days=20))
    done = AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=past, status=Appointment.Status.ATTENDED
    )
    TreatmentSessionFactory(clinic=clinic, client=client, practitioner=practitioner, appointment=done, started_at=past)
    AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=_slot(timezone.now() + dt.timedelta(days=3))
    )
    return client


# --- the list ---------------------------------------------------------------------------


def test_client_list_shows_contact_practitioner_next_appointment_last_session_and_flags(
    practitioner_client, clinic, practitioner
):
    client = _client_with_history(clinic, practitioner, first_name="Ada", last_name="Byron", phone="01234 567890")
    response = practitioner_client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Byron, Ada" in page
    assert "01234 567890" in page and client.email in page
    assert "Priya Practitioner" in page
    assert "None booked" not in page and "No sessions yet" not in page
    assert "text-bg-danger flag-badge" in page and "Pregnancy" in page
    assert "text-bg-warning flag-badge" in page and "Varicose veins" in page
    assert reverse("clients:add") in page and "Add client" in page


def test_next_appointment_ignores_cancelled_and_past_appointments(practitioner_client, clinic, practitioner):
    client = ClientFactory(clinic=clinic, last_name="Quiet")
    AppointmentFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        starts_at=timezone.now() + dt.timedelta(days=2),
        status=Appointment.Status.CANCELLED,
    )
    AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=timezone.now() - dt.timedelta(days=2)
    )
    response = practitioner_client.get(LIST)
    assert response.context["clients"][0].next_appointment_at is None
    assert "None booked" in response.content.decode()


def test_search_finds_clients_by_name_email_or_phone(practitioner_client, clinic):
    ClientFactory(clinic=clinic, first_name="Ada", last_name="Byron", email="ada@example.org", phone="0111")
    ClientFactory(clinic=clinic, first_name="Grace", last_name="Hopper", email="grace@navy.example", phone="0999 555")
    for query, expected, absent in [
        ("byron", "Byron, Ada", "Hopper"),
        ("navy.example", "Hopper, Grace", "Byron"),
        ("0999", "Hopper, Grace", "Byron"),
        ("ada byron", "Byron, Ada", "Hopper"),
    ]:
        page = practitioner_client.get(LIST, {"q": query}).content.decode()
        assert expected in page, query
        assert absent not in page, query


def test_search_with_no_match_says_so(practitioner_client, clinic):
    ClientFactory(clinic=clinic)
    response = practitioner_client.get(LIST, {"q": "zzzz"})
    assert "No client matches “zzzz”" in response.content.decode()


def test_list_shows_25_clients_a_page_and_links_the_next_page(practitioner_client, clinic):
    for i in range(30):
        ClientFactory(clinic=clinic, last_name=f"Name{i:02d}")
    first = practitioner_client.get(LIST)
    assert len(first.context["clients"]) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert "?page=2" in first.content.decode()
    second = practitioner_client.get(LIST, {"page": 2})
    assert len(second.context["clients"]) == 5
    assert "Name29" in second.content.decode()
    # A page number that is not a number does not break the page.
    assert practitioner_client.get(LIST, {"page": "lots"}).status_code == 200


def test_list_never_shows_another_clinics_clients(practitioner_client, clinic, other_clinic):
    ClientFactory(clinic=other_clinic, first_name="Hidden", last_name="Elsewhere")
    assert "Elsewhere" not in practitioner_client.get(LIST).content.decode()
    assert "Elsewhere" not in practitioner_client.get(LIST, {"q": "Hidden"}).content.decode()


def test_list_query_count_is_the_same_for_3_and_30_clients(
    practitioner_client, clinic, practitioner, django_assert_num_queries
):
    for _ in range(3):
        _client_with_history(clinic, practitioner)
    # session, user, clinic, count, the page of clients, their flags, their GP permission replies
    with django_assert_num_queries(7):
        response = practitioner_client.get(LIST)
    assert len(response.context["clients"]) == 3
    for _ in range(27):
        _client_with_history(clinic, practitioner)
    with django_assert_num_queries(7):
        response = practitioner_client.get(LIST)
    assert len(response.context["clients"]) == 25


# --- archive and unarchive ------------------------------------------------------------------


def test_archiving_hides_the_client_from_the_list_and_unarchiving_brings_it_back(practitioner_client, clinic):
    client = ClientFactory(clinic=clinic, first_name="Ada", last_name="Byron")
    response = practitioner_client.post(reverse("clients:archive", args=[client.pk]), follow=True)
    assert "Ada Byron was archived" in response.content.decode()
    assert "Unarchive" in response.content.decode()
    assert "Byron, Ada" not in practitioner_client.get(LIST).content.decode()
    archived_page = practitioner_client.get(LIST, {"archived": "1"}).content.decode()
    assert "Byron, Ada" in archived_page

    response = practitioner_client.post(reverse("clients:unarchive", args=[client.pk]), follow=True)
    assert "back on the client list" in response.content.decode()
    assert "Byron, Ada" in practitioner_client.get(LIST).content.decode()
    assert "Byron, Ada" not in practitioner_client.get(LIST, {"archived": "1"}).content.decode()
    # Archiving keeps every row: nothing is deleted.
    assert Client.objects.filter(pk=client.pk).exists()


def test_archive_by_get_changes_nothing(practitioner_client, clinic):
    client = ClientFactory(clinic=clinic)
    response = practitioner_client.get(reverse("clients:archive", args=[client.pk]))
    assert response.status_code == 405
    client.refresh_from_db()
    assert client.archived_at is None


def test_archived_client_page_offers_no_booking(practitioner_client, clinic):
    client = ClientFactory(clinic=clinic, archived_at=timezone.now())
    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "Archived" in page
    assert "Book appointment" not in page


# --- intake ---------------------------------------------------------------------------------


def test_intake_form_defaults_to_the_clinics_timezone_and_has_sections(practitioner_client, clinic):
    clinic.timezone = "Europe/Berlin"
    clinic.save()
    response = practitioner_client.get(ADD)
    page = response.content.decode()
    assert response.context["form"].initial["timezone"] == "Europe/Berlin"
    for heading in (
        "Contact",
        "Home-routine emails",
        "Consent",
        "Needs medical permission",
        "Do not work this area",
        "Work locally around",
    ):
        assert heading in page
    assert 'value="serious_back_injury"' in page


def test_intake_saves_the_client_and_shows_the_flag_warnings(practitioner_client, clinic, practitioner):
    response = practitioner_client.post(
        ADD,
        intake(
            practitioner=str(practitioner.pk),
            medical_flags=[HealthFlag.PREGNANCY],
            avoid_flags=[HealthFlag.FEET_INJURED],
            local_flags=[HealthFlag.VARICOSE_VEINS],
        ),
        follow=True,
    )
    client = Client.objects.get()
    assert response.redirect_chain[-1][0] == reverse("clients:detail", args=[client.pk])
    page = response.content.decode()
    assert "Maya Lindqvist was added" in page
    assert "Health warnings" in page
    assert "Pregnancy: treat only with the midwife" in page
    assert "Feet injured or infected: do not work the feet" in page
    assert "Hand reflexology at home" in page
    assert client.clinic == clinic and client.practitioner == practitioner
    assert client.flag_codes == {"pregnancy", "feet_injured", "varicose_veins"}
    assert client.routine_time == dt.time(7, 30)


def test_bad_intake_shows_field_errors_in_words_and_saves_nothing(practitioner_client):
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = practitioner_client.post(
        ADD,
        intake(email="", phone="", date_of_birth=future, first_name="", medical_flags=[HealthFlag.PREGNANCY]),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["date_of_birth"] == ["The date of birth cannot be in the future."]
    assert form.errors["email"] == ["Enter an email address, or untick the consent to emails."]
    assert form.errors["first_name"] == ["Enter the client's first name."]
    assert "Nothing was saved yet" in response.content.decode()
    assert Client.objects.count() == 0
    assert ClientHealthFlag.objects.count() == 0


def test_intake_needs_a_phone_or_an_email(practitioner_client):
    response = practitioner_client.post(ADD, intake(email="", phone="", consent_email=None))
    assert response.context["form"].errors["phone"] == [
        "Enter a phone number or an email address so the clinic can reach the client."
    ]
    assert not Client.objects.exists()
    response = practitioner_client.post(ADD, intake(email="", consent_email=None))
    assert response.status_code == 302


def test_date_of_birth_before_1900_is_refused(practitioner_client):
    response = practitioner_client.post(ADD, intake(date_of_birth="1899-12-31"))
    assert "before 1900" in response.context["form"].errors["date_of_birth"][0]
    assert not Client.objects.exists()


def test_nonsense_in_every_field_gives_field_errors_not_a_500(practitioner_client):
    response = practitioner_client.post(
        ADD,
        intake(
            email="not-an-email",
            phone="call me",
            date_of_birth="31/31/2020",
            timezone="Mars/Olympus",
            routine_time="25:99",
            medical_flags=["made_up"],
            practitioner="abc",
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    for field in ("email", "phone", "date_of_birth", "timezone", "routine_time", "medical_flags", "practitioner"):
        assert field in errors, field
    assert not Client.objects.exists()


def test_a_client_and_its_flags_are_saved_together_or_not_at_all(clinic, practitioner, monkeypatch):
    def broken_bulk_create(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ClientHealthFlag.objects, "bulk_create", broken_bulk_create)
    data = {"first_name": "Half", "last_name": "Saved", "email": "h@example.org", "flags": ["pregnancy"]}
    with pytest.raises(RuntimeError):
        services.client_create(clinic=clinic, by=practitioner, data=data)
    assert not Client.objects.exists()


def test_consent_to_treatment_missing_is_shown_but_does_not_block_intake(practitioner_client):
    response = practitioner_client.post(ADD, intake(consent_treatment=None), follow=True)
    page = response.content.decode()
    assert Client.objects.count() == 1
    assert "No consent to treatment recorded" in page
    assert "Not given yet" in page


def test_consent_timestamps_are_set_when_given_kept_on_resave_and_cleared_when_withdrawn(practitioner_client, clinic):
    practitioner_client.post(ADD, intake(consent_email=None))
    client = Client.objects.get()
    assert client.consent_treatment_at is not None
    assert client.consent_email is False and client.consent_email_at is None
    given_at = client.consent_treatment_at

    edit = reverse("clients:edit", args=[client.pk])
    practitioner_client.post(edit, intake(notes="second visit"))
    client.refresh_from_db()
    assert client.consent_treatment_at == given_at
    assert client.consent_email_at is not None

    page = practitioner_client.get(edit).content.decode()
    assert "Given on" in page
    detail = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert detail.count("Given on") == 2

    practitioner_client.post(edit, intake(consent_treatment=None, consent_email=None))
    client.refresh_from_db()
    assert (client.consent_treatment, client.consent_treatment_at) == (False, None)
    assert (client.consent_email, client.consent_email_at) == (False, None)


def test_posted_consent_timestamps_are_ignored(practitioner_client):
    practitioner_client.post(ADD, intake(consent_email=None, consent_email_at="2001-01-01T00:00"))
    assert Client.objects.get().consent_email_at is None


def test_editing_the_intake_shows_ticked_flags_and_unticking_removes_them(practitioner_client, clinic):
    client = ClientFactory(clinic=clinic)
    ClientHealthFlagFactory(client=client, flag=HealthFlag.PREGNANCY)
    ClientHealthFlagFactory(client=client, flag=HealthFlag.SWELLING)
    edit = reverse("clients:edit", args=[client.pk])
    form = practitioner_client.get(edit).context["form"]
    assert form.initial["medical_flags"] == ["pregnancy"] and form.initial["local_flags"] == ["swelling"]

    practitioner_client.post(
        edit,
        intake(first_name=client.first_name, last_name=client.last_name, local_flags=[HealthFlag.ARTHRITIS]),
    )
    assert set(client.health_flags.values_list("flag", flat=True)) == {"arthritis"}


def test_a_forged_practitioner_of_another_clinic_is_a_form_error(practitioner_client, other_practitioner):
    response = practitioner_client.post(ADD, intake(practitioner=str(other_practitioner.pk)))
    assert response.status_code == 200
    assert response.context["form"].errors["practitioner"] == ["Choose a practitioner who works at this clinic."]
    assert not Client.objects.exists()
    assert "Oscar" not in response.content.decode()


def test_usual_practitioner_choices_are_this_clinics_active_staff(practitioner_client, clinic, owner):
    UserFactory(username="gone", first_name="Gone", last_name="Away", clinic=clinic, is_active=False)
    UserFactory(username="else", first_name="Elsewhere", clinic=None)
    choices = list(practitioner_client.get(ADD).context["form"].fields["practitioner"].queryset)
    assert {u.username for u in choices} == {"olivia", "priya"}


def test_a_client_keeps_a_practitioner_who_has_left_when_re_saved(practitioner_client, clinic):
    gone = UserFactory(username="gone", clinic=clinic, is_active=False)
    client = ClientFactory(clinic=clinic, practitioner=gone)
    response = practitioner_client.post(
        reverse("clients:edit", args=[client.pk]),
        intake(first_name=client.first_name, last_name=client.last_name, practitioner=str(gone.pk)),
    )
    assert response.status_code == 302


def test_the_service_refuses_another_clinics_practitioner(clinic, practitioner, other_practitioner):
    from django.core.exceptions import ValidationError

    data = {"first_name": "A", "last_name": "B", "email": "a@example.org", "practitioner": other_practitioner}
    with pytest.raises(ValidationError):
        services.client_create(clinic=clinic, by=practitioner, data=data)
    assert not Client.objects.exists()


# --- serious back injury ----------------------------------------------------------------------


def test_serious_back_injury_without_clearance_shows_the_warning_everywhere(practitioner_client, clinic):
    response = practitioner_client.post(ADD, intake(medical_flags=[HealthFlag.SERIOUS_BACK_INJURY]), follow=True)
    client = Client.objects.get()
    page = response.content.decode()
    assert client.needs_clearance
    assert "No physician referral or clearance recorded" in page
    assert "No physician referral or clearance is recorded for the serious back injury yet" in page  # the message
    edit_page = practitioner_client.get(reverse("clients:edit", args=[client.pk])).content.decode()
    assert "No physician referral or clearance recorded" in edit_page


def test_serious_back_injury_with_clearance_shows_it_recorded(practitioner_client, clinic):
    practitioner_client.post(
        ADD,
        intake(
            medical_flags=[HealthFlag.SERIOUS_BACK_INJURY],
            physician_clearance="Dr Okafor: gentle work fine, avoid deep pressure on the spine reflex.",
            physician_clearance_date="2025-03-04",
        ),
    )
    client = Client.objects.get()
    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "No physician referral or clearance recorded" not in page
    assert "Physician clearance on record (4 March 2025)" in page
    assert "Dr Okafor: gentle work fine" in page


# --- the client page --------------------------------------------------------------------------


def test_client_page_shows_header_buttons_and_timeline(practitioner_client, clinic, practitioner):
    client = ClientFactory(
        clinic=clinic, first_name="Ada", last_name="Byron", date_of_birth=dt.date(1990, 1, 1), practitioner=practitioner
    )
    past = timezone.now() - dt.timedelta(days=14)
    attended = AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=past, status=Appointment.Status.ATTENDED
    )
    session = TreatmentSessionFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        appointment=attended,
        started_at=past,
        focus="Lower back",
        pain_before=7,
        pain_after=4,
        signed_at=past,
        signed_by=practitioner,
    )
    AppointmentFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        status=Appointment.Status.NO_SHOW,
        starts_at=past - dt.timedelta(days=7),
    )
    upcoming = AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=timezone.now() + dt.timedelta(days=2)
    )
    draft = TreatmentSessionFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        started_at=past - dt.timedelta(days=30),
        focus="Shoulders",
    )

    response = practitioner_client.get(reverse("clients:detail", args=[client.pk]))
    page = response.content.decode()
    assert "Ada Byron" in page and f"{client.age} years old" in page and "Usually sees Priya Practitioner" in page
    assert f"{reverse('appointments:book')}?client={client.pk}" in page
    assert f"{reverse('appointments:course_book')}?client={client.pk}" in page
    assert reverse("clients:edit", args=[client.pk]) in page
    assert reverse("clients:archive", args=[client.pk]) in page
    for badge in ("Booked", "Attended", "No-show", "Signed", "Draft"):
        assert badge in page, badge
    assert "Lower back" in page and "Pain 7 → 4" in page
    assert reverse("sessions:detail", args=[session.pk]) in page
    assert reverse("sessions:detail", args=[draft.pk]) in page
    assert reverse("sessions:record", args=[upcoming.pk]) in page
    timeline = response.context["timeline"].entries
    assert [e.at for e in timeline] == sorted((e.at for e in timeline), reverse=True)
    assert timeline[0].appointment == upcoming
    # The session recorded from an appointment shares its line rather than appearing twice.
    assert len(timeline) == 4


def test_pain_chart_has_both_series_a_legend_and_the_numbers_table(practitioner_client, clinic, practitioner):
    client = ClientFactory(clinic=clinic)
    start = timezone.now() - dt.timedelta(days=40)
    for i, (before, after) in enumerate([(8, 5), (6, 3), (4, 2)]):
        SignedSessionFactory(
            clinic=clinic,
            client=client,
            practitioner=practitioner,
            started_at=start + dt.timedelta(days=7 * i),
            pain_before=before,
            pain_after=after,
        )
    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert '<svg class="pain-chart"' in page and 'role="img"' in page and "aria-label=" in page
    assert re.search(r"<title[^>]*>Pain before and after each session</title>", page)
    assert 'class="pain-series pain-series-before"' in page
    assert 'class="pain-series pain-series-after"' in page
    assert 'stroke-dasharray="6 4"' in page and "<rect" in page and "<circle" in page
    assert "Pain before</text>" in page and "Pain after</text>" in page
    assert "Show the numbers" in page and 'class="table table-sm mt-2 mb-0 pain-table"' in page
    assert "<td>8</td><td>5</td>" in page.replace("\n", "").replace("                    ", "")


def test_pain_chart_copes_with_missing_scores_and_a_single_session():
    class S:
        def __init__(self, day, before, after):
            self.started_at = dt.datetime(2026, 1, day, 10, tzinfo=dt.UTC)
            self.pain_before, self.pain_after = before, after

    chart = PainChart.from_sessions([S(5, 6, None)], "Europe/London")
    svg = chart.svg()
    assert "pain-series-before" in svg and "pain-series-after" not in svg
    assert "after not recorded" in chart.summary
    assert not PainChart.from_sessions([], "Europe/London").has_data
    many = PainChart.from_sessions([S(d, 5, 3) for d in range(1, 25)], "Europe/London")
    assert many.svg().count("<polyline") == 2


def test_client_page_without_sessions_says_so(practitioner_client, clinic):
    client = ClientFactory(clinic=clinic)
    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "No pain scores yet" in page
    assert "No appointments or sessions yet" in page


def test_client_page_draws_the_zone_heat_map_from_this_clients_notes_only(practitioner_client, clinic, practitioner):
    client = ClientFactory(clinic=clinic)
    someone_else = ClientFactory(clinic=clinic)
    lumbar = ReflexZoneFactory(clinic=clinic, code="lumbar", name="Lumbar spine")
    neck = ReflexZoneFactory(clinic=clinic, code="neck", name="Neck reflex")
    for _ in range(2):
        session = TreatmentSessionFactory(clinic=clinic, client=client, practitioner=practitioner)
        PressureNoteFactory(session=session, zone=lumbar, side="left", pressure=4, response="tender")
    other_session = TreatmentSessionFactory(clinic=clinic, client=someone_else, practitioner=practitioner)
    PressureNoteFactory(session=other_session, zone=neck)

    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "Pressure and response by reflex zone" in page
    assert "Zones worked, in numbers" in page
    assert "Lumbar spine" in page and "Firm" in page
    worked = [
        h
        for h in practitioner_client.get(reverse("clients:detail", args=[client.pk])).context["heat"]
        if h.times_worked
    ]
    assert [(h.zone.name, h.side, h.times_worked, h.times_tender) for h in worked] == [("Lumbar spine", "left", 2, 2)]


def test_client_page_without_pressure_notes_says_there_is_nothing_to_draw(practitioner_client, clinic):
    client = ClientFactory(clinic=clinic)
    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "No pressure notes recorded yet" in page


def _detail_queries(http, client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert http.get(reverse("clients:detail", args=[client.pk])).status_code == 200
    return len(ctx)


def _add_history(clinic, client, practitioner, n: int) -> None:
    for _ in range(n):
        when = _slot(timezone.now() - dt.timedelta(days=400))
        appointment = AppointmentFactory(
            clinic=clinic,
            client=client,
            practitioner=practitioner,
            starts_at=when,
            status=Appointment.Status.ATTENDED,
        )
        session = TreatmentSessionFactory(
            clinic=clinic, client=client, practitioner=practitioner, appointment=appointment, started_at=when
        )
        PressureNoteFactory(session=session, zone=ReflexZoneFactory(clinic=clinic), response="tender")


def test_client_page_query_count_does_not_grow_with_history(practitioner_client, clinic, practitioner):
    client = ClientFactory(clinic=clinic)
    ClientHealthFlagFactory(client=client, flag=HealthFlag.SERIOUS_BACK_INJURY)
    _add_history(clinic, client, practitioner, 3)
    with_three = _detail_queries(practitioner_client, client)
    # session, user, clinic, client, flags, the timeline's appointments and sessions without
    # one, the pain chart's latest signed sessions, the heat map's own few, the home
    # routine's four (current routine, at-home pain, delivery log, adherence), the intake's
    # two (answers waiting for review, the last link sent) and the GP permission requests
    # (read once for the medical-permission card and the warnings)
    assert with_three <= 18
    _add_history(clinic, client, practitioner, 27)
    assert _detail_queries(practitioner_client, client) == with_three


# --- tenancy: every view --------------------------------------------------------------------


def _urls(pk: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("clients:detail", args=[pk])),
        ("get", reverse("clients:edit", args=[pk])),
        ("post", reverse("clients:edit", args=[pk])),
        ("get", reverse("clients:archive", args=[pk])),
        ("post", reverse("clients:archive", args=[pk])),
        ("get", reverse("clients:unarchive", args=[pk])),
        ("post", reverse("clients:unarchive", args=[pk])),
    ]


def test_another_clinic_gets_404_for_every_client_page_and_action(other_client, clinic):
    client = ClientFactory(clinic=clinic, first_name="Private")
    for method, url in _urls(client.pk):
        response = getattr(other_client, method)(url, intake(first_name="Hacked"))
        assert response.status_code == 404, (method, url)
    client.refresh_from_db()
    assert client.first_name == "Private" and client.archived_at is None


def test_other_clinic_sees_only_its_own_list_and_adds_into_its_own_clinic(other_client, clinic, other_clinic):
    ClientFactory(clinic=clinic, last_name="Mine")
    assert "Mine" not in other_client.get(LIST).content.decode()
    other_client.post(ADD, intake(last_name="Theirs"))
    assert Client.objects.get(last_name="Theirs").clinic == other_clinic


def test_anonymous_visitor_is_sent_to_log_in_from_every_client_page(anon, clinic):
    client = ClientFactory(clinic=clinic)
    login = reverse("login")
    for method, url in [("get", LIST), ("get", ADD), ("post", ADD), *_urls(client.pk)]:
        response = getattr(anon, method)(url)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith(login), (method, url)
    assert Client.objects.count() == 1


def test_the_owner_sees_and_edits_every_client_of_the_clinic(owner_client, clinic, practitioner):
    client = ClientFactory(clinic=clinic, practitioner=practitioner)
    assert owner_client.get(reverse("clients:detail", args=[client.pk])).status_code == 200


# --- admin ----------------------------------------------------------------------------------


def test_admin_lists_and_searches_clients_but_never_deletes_them(clinic):
    from django.test import Client as HttpClient

    admin_user = UserFactory(username="root", clinic=None, is_staff=True, is_superuser=True)
    http = HttpClient()
    http.force_login(admin_user)
    client = ClientFactory(clinic=clinic, last_name="Byron")
    ClientHealthFlagFactory(client=client, flag=HealthFlag.PREGNANCY)
    response = http.get(reverse("admin:clients_client_changelist"), {"q": "byron", "archived": "no"})
    assert response.status_code == 200 and "Byron" in response.content.decode()
    assert http.get(reverse("admin:clients_client_change", args=[client.pk])).status_code == 200
    assert http.get(reverse("admin:clients_client_delete", args=[client.pk])).status_code == 403
    assert http.get(reverse("admin:clients_clienthealthflag_changelist")).status_code == 200


# --- phone numbers (issue 10, item 15) ----------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["07700 900123", "07700900123", "+44 7700 900123", "+447700900123", "0044 7700 900 123", "+44 (0)7700 900123"],
)
def test_client_search_finds_a_phone_number_whatever_its_spacing_or_plus44_or_0_prefix(
    practitioner_client, clinic, typed
):
    practitioner_client.post(ADD, intake(first_name="Oona", last_name="Marsh", phone="07700 900 123"))
    ClientFactory(clinic=clinic, first_name="Other", last_name="Person", phone="020 7946 0958")
    assert Client.objects.get(last_name="Marsh").phone == "+447700900123"
    page = practitioner_client.get(LIST, {"q": typed}).content.decode()
    assert "Marsh, Oona" in page and "Person, Other" not in page
    # Shown as people read it, dialled as stored.
    assert 'href="tel:+447700900123"' in page and "07700 900123" in page


def test_part_of_a_phone_number_finds_the_client_too(practitioner_client, clinic):
    ClientFactory(clinic=clinic, first_name="Oona", last_name="Marsh", phone="07700 900123")
    for part in ("07700", "900 123", "7700 900"):
        assert "Marsh, Oona" in practitioner_client.get(LIST, {"q": part}).content.decode(), part


def test_a_number_without_a_country_code_is_read_in_the_clinics_region(practitioner_client, clinic):
    clinic.timezone = "America/New_York"
    clinic.save()
    practitioner_client.post(ADD, intake(last_name="Abbott", phone="(212) 555-0147"))
    assert Client.objects.get(last_name="Abbott").phone == "+12125550147"
    page = practitioner_client.get(LIST, {"q": "212-555-0147"}).content.decode()
    assert "Abbott, Maya" in page


def test_an_intake_phone_that_is_not_a_number_gets_a_message_by_the_field(practitioner_client):
    response = practitioner_client.post(ADD, intake(phone="ring after 6"))
    assert response.context["form"].errors["phone"][0].startswith("Enter a phone number using digits")
    assert not Client.objects.exists()


def test_existing_numbers_are_normalised_and_text_that_is_no_number_is_kept(clinic):
    from importlib import import_module

    from django.apps import apps

    dublin = ClinicFactory(slug="dublin-phones", timezone="Europe/Dublin")
    rows = {
        "london": ClientFactory(clinic=clinic, last_name="London"),
        "dublin": ClientFactory(clinic=dublin, last_name="Dublin"),
        "words": ClientFactory(clinic=clinic, last_name="Words"),
    }
    # As older rows were stored, before numbers were normalised on save.
    for key, typed in (("london", "07700 900 123"), ("dublin", "085 123 4567"), ("words", "ask reception")):
        Client.objects.filter(pk=rows[key].pk).update(phone=typed)
    import_module("clients.migrations.0002_phone_numbers_e164").to_e164(apps, None)
    phones = dict(Client.objects.values_list("last_name", "phone"))
    assert phones == {"London": "+447700900123", "Dublin": "+353851234567", "Words": "ask reception"}
