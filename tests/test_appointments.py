"""Appointments: booking, rescheduling, cancelling, marking, courses, calendars.

The clinic's timezone is Europe/London; times are typed in local wall time and stored
in UTC. Overlap is refused with a message naming the clash; on PostgreSQL the
database also refuses it (tested at the end, including two simultaneous bookings).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.localtime import short_date
from appointments import selectors, services
from appointments.models import Appointment, Course
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    ClientHealthFlagFactory,
    TreatmentSessionFactory,
    TreatmentTypeFactory,
    UserFactory,
)
from tests.races import book_at_once

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def appointment_for(practitioner, start: dt.datetime, minutes: int = 60, **kwargs) -> Appointment:
    kwargs.setdefault("client", ClientFactory(clinic=practitioner.clinic))
    return AppointmentFactory(
        clinic=practitioner.clinic,
        practitioner=practitioner,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        **kwargs,
    )


def last_sunday(year: int, month: int) -> dt.date:
    day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


@pytest.fixture
def jane(clinic):
    return ClientFactory(clinic=clinic, first_name="Jane", last_name="Doe")


def booking(client, practitioner, day: dt.date, time: str = "10:00", duration: int = 60, **extra) -> dict:
    return {
        "client": client.pk,
        "practitioner": practitioner.pk,
        "date": day.isoformat(),
        "start_time": time,
        "duration": duration,
        "notes": "",
        **extra,
    }


# --- booking -------------------------------------------------------------------------------


def test_practitioner_books_an_appointment_in_local_time_stored_as_utc(practitioner_client, practitioner, jane, day):
    response = practitioner_client.post(reverse("appointments:book"), booking(jane, practitioner, day, "10:30"))

    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("appointments:detail", kwargs={"pk": appointment.pk})
    assert appointment.starts_at == local(day, 10, 30).astimezone(UTC)
    assert appointment.duration_minutes == 60
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.created_by == practitioner
    page = practitioner_client.get(response.url).content.decode()
    assert "Booked Jane Doe with Priya" in page
    assert "10:30–11:30" in page


def test_book_page_defaults_to_me_and_an_hour_and_prefills_client_and_start(practitioner_client, practitioner, jane):
    url = reverse("appointments:book") + f"?client={jane.pk}&start=2026-12-01T14:15"
    form = practitioner_client.get(url).context["form"]

    assert form.initial["practitioner"] == practitioner.pk
    assert form.initial["client"] == jane.pk
    assert form.initial["date"] == dt.date(2026, 12, 1)
    assert form.initial["start_time"] == dt.time(14, 15)
    assert form["duration"].value() == 60


def test_book_page_turns_a_utc_start_into_clinic_time(practitioner_client):
    # 13:00 UTC on a summer day is 14:00 in London.
    form = practitioner_client.get(reverse("appointments:book") + "?start=2026-07-01T13:00:00%2B00:00").context["form"]
    assert form.initial["start_time"] == dt.time(14, 0)


def test_book_page_ignores_a_garbled_start(practitioner_client):
    response = practitioner_client.get(reverse("appointments:book") + "?start=next-tuesday&client=abc")
    assert response.status_code == 200
    assert "date" not in response.context["form"].initial


@pytest.mark.parametrize("start", ["0001-01-01T00:00%2B14:00", "9999-12-31T23:59-12:00", "2026-02-30T10:00"])
def test_book_page_ignores_a_start_out_of_range_rather_than_failing(practitioner_client, start):
    response = practitioner_client.get(reverse("appointments:book") + f"?start={start}&duration=²")
    assert response.status_code == 200
    assert "date" not in response.context["form"].initial
    assert response.context["form"].initial.get("duration") != "²"


def test_book_page_offers_only_this_clinics_active_clients_and_staff(
    practitioner_client, clinic, other_clinic, jane, other_practitioner
):
    archived = ClientFactory(clinic=clinic, first_name="Archie", archived_at=timezone.now())
    stranger = ClientFactory(clinic=other_clinic, first_name="Stranger")
    form = practitioner_client.get(reverse("appointments:book")).context["form"]

    clients = set(form.fields["client"].queryset)
    assert jane in clients
    assert archived not in clients
    assert stranger not in clients
    assert other_practitioner not in set(form.fields["practitioner"].queryset)


def test_overlapping_booking_is_refused_with_a_message_naming_the_clash(
    practitioner_client, practitioner, jane, clinic, day
):
    appointment_for(
        practitioner, local(day, 10), client=ClientFactory(clinic=clinic, first_name="Ann", last_name="Lee")
    )

    response = practitioner_client.post(reverse("appointments:book"), booking(jane, practitioner, day, "10:30"))

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Priya already has an appointment from 10:00 to 11:00 on {short_date(day)}" in page
    assert "Ann Lee" in page
    assert Appointment.objects.count() == 1


def test_booking_that_starts_when_the_previous_one_ends_is_allowed(practitioner_client, practitioner, jane, day):
    appointment_for(practitioner, local(day, 10))

    response = practitioner_client.post(reverse("appointments:book"), booking(jane, practitioner, day, "11:00"))

    assert response.status_code == 302
    assert Appointment.objects.count() == 2


def test_another_practitioner_can_take_the_same_time(practitioner_client, practitioner, owner, jane, day):
    appointment_for(practitioner, local(day, 10))

    response = practitioner_client.post(reverse("appointments:book"), booking(jane, owner, day, "10:00"))

    assert response.status_code == 302
    assert Appointment.objects.filter(practitioner=owner).count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"duration": "-30"}, "duration", "Choose a length from the list"),
        ({"duration": "600"}, "duration", "Choose a length from the list"),
        ({"date": "31/02/2026"}, "date", "Enter a date like"),
        ({"date": "banana"}, "date", "Enter a date like"),
        ({"date": "0202-03-03"}, "date", "more than three years away"),
        ({"start_time": "25:99"}, "start_time", "Enter a time like"),
        ({"client": "999999"}, "client", "Choose one of this clinic&#x27;s clients."),
        ({"client": ""}, "client", "Choose a client."),
        ({"practitioner": "abc"}, "practitioner", "Choose a practitioner of this clinic."),
    ],
)
def test_bad_booking_input_shows_a_field_error_and_saves_nothing(
    practitioner_client, practitioner, jane, day, change, field, message
):
    response = practitioner_client.post(reverse("appointments:book"), booking(jane, practitioner, day) | change)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    assert not Appointment.objects.exists()


def test_forged_post_with_another_clinics_client_or_practitioner_is_a_field_error(
    practitioner_client, practitioner, other_clinic, other_practitioner, jane, day
):
    stranger = ClientFactory(clinic=other_clinic, first_name="Stranger")

    forged_client = practitioner_client.post(reverse("appointments:book"), booking(stranger, practitioner, day))
    forged_staff = practitioner_client.post(reverse("appointments:book"), booking(jane, other_practitioner, day))

    assert "client" in forged_client.context["form"].errors
    assert "practitioner" in forged_staff.context["form"].errors
    assert "Stranger" not in forged_client.content.decode()
    assert not Appointment.objects.exists()


def test_a_practitioner_who_chooses_a_treatment_books_its_length_and_sees_it_on_the_appointment(
    practitioner_client, practitioner, clinic, jane, day
):
    """docs/domain.md, "The desk": the treatment's length unless another is chosen."""
    foot = TreatmentTypeFactory(clinic=clinic, name="Foot reflexology", duration_minutes=45)

    form = practitioner_client.get(reverse("appointments:book")).content.decode()
    response = practitioner_client.post(
        reverse("appointments:book"), booking(jane, practitioner, day, "10:00", duration="", treatment_type=foot.pk)
    )

    assert "Foot reflexology (45 min)" in form and "As long as the treatment" in form
    appointment = Appointment.objects.get()
    assert (appointment.treatment_type, appointment.duration_minutes) == (foot, 45)
    page = practitioner_client.get(response.url).content.decode()
    assert "Foot reflexology" in page and "10:00–10:45 (45 minutes)" in page


def test_a_length_chosen_with_a_treatment_is_the_one_booked(practitioner_client, practitioner, clinic, jane, day):
    foot = TreatmentTypeFactory(clinic=clinic, name="Foot reflexology", duration_minutes=45)

    practitioner_client.post(
        reverse("appointments:book"), booking(jane, practitioner, day, "10:00", duration=90, treatment_type=foot.pk)
    )

    appointment = Appointment.objects.get()
    assert (appointment.treatment_type, appointment.duration_minutes) == (foot, 90)


def test_a_booking_with_neither_a_length_nor_a_treatment_asks_for_one_and_saves_nothing(
    practitioner_client, practitioner, jane, day
):
    response = practitioner_client.post(reverse("appointments:book"), booking(jane, practitioner, day, duration=""))

    assert "Choose a length, or a treatment to take its length from." in response.content.decode()
    assert not Appointment.objects.exists()


def test_another_clinics_treatment_is_a_field_error_and_never_named(
    practitioner_client, practitioner, other_clinic, jane, day
):
    theirs = TreatmentTypeFactory(clinic=other_clinic, name="Secret hot stones", duration_minutes=45)

    response = practitioner_client.post(
        reverse("appointments:book"), booking(jane, practitioner, day, duration="", treatment_type=theirs.pk)
    )

    page = response.content.decode()
    assert "Choose one of this clinic&#x27;s treatments." in page
    assert "Secret hot stones" not in page
    assert not Appointment.objects.exists()


def test_a_course_booked_with_a_treatment_keeps_it_on_every_visit(practitioner_client, practitioner, clinic, jane, day):
    foot = TreatmentTypeFactory(clinic=clinic, name="Foot reflexology", duration_minutes=45)

    practitioner_client.post(
        reverse("appointments:course_book"),
        booking(jane, practitioner, day, "09:00", duration="", treatment_type=foot.pk, sessions=3, interval_days=7),
    )

    visits = Course.objects.get().appointments.all()
    assert [(v.treatment_type, v.duration_minutes) for v in visits] == [(foot, 45)] * 3


def test_booking_an_archived_client_is_refused(practitioner_client, practitioner, clinic, day):
    archived = ClientFactory(clinic=clinic, archived_at=timezone.now())
    response = practitioner_client.post(reverse("appointments:book"), booking(archived, practitioner, day))
    assert "client" in response.context["form"].errors
    assert not Appointment.objects.exists()


def test_service_refuses_end_before_start_without_saving(clinic, practitioner, jane, day):
    start = local(day, 10)
    with pytest.raises(IntegrityError), transaction.atomic():
        services.appointment_book(
            clinic=clinic,
            client=jane,
            practitioner=practitioner,
            starts_at=start,
            ends_at=start - dt.timedelta(hours=1),
        )
    assert not Appointment.objects.exists()


# --- daylight saving -----------------------------------------------------------------------


def test_ten_oclock_the_day_after_clocks_go_forward_is_nine_utc(practitioner_client, practitioner, jane):
    monday = last_sunday(timezone.localdate().year + 1, 3) + dt.timedelta(days=1)

    practitioner_client.post(reverse("appointments:book"), booking(jane, practitioner, monday, "10:00"))

    assert Appointment.objects.get().starts_at == dt.datetime.combine(monday, dt.time(9, 0), tzinfo=UTC)


def test_ten_oclock_the_day_after_clocks_go_back_is_ten_utc(practitioner_client, practitioner, jane):
    monday = last_sunday(timezone.localdate().year + 1, 10) + dt.timedelta(days=1)

    practitioner_client.post(reverse("appointments:book"), booking(jane, practitioner, monday, "10:00"))

    assert Appointment.objects.get().starts_at == dt.datetime.combine(monday, dt.time(10, 0), tzinfo=UTC)


def test_a_time_skipped_when_the_clocks_go_forward_is_a_field_error(practitioner_client, practitioner, jane):
    sunday = last_sunday(timezone.localdate().year + 1, 3)

    response = practitioner_client.post(reverse("appointments:book"), booking(jane, practitioner, sunday, "01:30"))

    assert "the clocks go forward" in response.context["form"].errors["start_time"][0]
    assert not Appointment.objects.exists()


def test_weekly_course_keeps_its_local_time_across_a_clock_change(practitioner_client, practitioner, jane):
    first = last_sunday(timezone.localdate().year + 1, 3) - dt.timedelta(days=6)  # the Monday before

    practitioner_client.post(
        reverse("appointments:course_book"),
        booking(jane, practitioner, first, "10:00", sessions=2, interval_days=7),
    )

    starts = [a.starts_at.astimezone(LONDON).time() for a in Appointment.objects.order_by("starts_at")]
    assert starts == [dt.time(10, 0), dt.time(10, 0)]


# --- reschedule, cancel, mark -----------------------------------------------------------------


def test_reschedule_moves_the_appointment(practitioner_client, practitioner, owner, day):
    appointment = appointment_for(practitioner, local(day, 10))
    url = reverse("appointments:reschedule", kwargs={"pk": appointment.pk})
    form = practitioner_client.get(url).context["form"]
    assert form.initial["start_time"] == dt.time(10, 0)

    response = practitioner_client.post(
        url, {"practitioner": owner.pk, "date": day.isoformat(), "start_time": "15:00", "duration": 45}
    )

    appointment.refresh_from_db()
    assert response.status_code == 302
    assert appointment.practitioner == owner
    assert appointment.starts_at == local(day, 15).astimezone(UTC)
    assert appointment.duration_minutes == 45
    assert "Moved to" in practitioner_client.get(response.url).content.decode()


def test_reschedule_within_its_own_slot_is_not_a_clash_with_itself(practitioner_client, practitioner, day):
    appointment = appointment_for(practitioner, local(day, 10))
    url = reverse("appointments:reschedule", kwargs={"pk": appointment.pk})

    response = practitioner_client.post(
        url, {"practitioner": practitioner.pk, "date": day.isoformat(), "start_time": "10:30", "duration": 60}
    )

    assert response.status_code == 302


def test_reschedule_onto_another_appointment_is_refused(practitioner_client, practitioner, day):
    appointment_for(practitioner, local(day, 14))
    appointment = appointment_for(practitioner, local(day, 10))
    url = reverse("appointments:reschedule", kwargs={"pk": appointment.pk})

    response = practitioner_client.post(
        url, {"practitioner": practitioner.pk, "date": day.isoformat(), "start_time": "13:30", "duration": 60}
    )

    assert "Priya already has an appointment from 14:00 to 15:00" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.starts_at == local(day, 10).astimezone(UTC)


def test_cancel_asks_first_then_cancels_with_a_reason_and_frees_the_slot(practitioner_client, practitioner, jane, day):
    appointment = appointment_for(practitioner, local(day, 10))
    url = reverse("appointments:cancel", kwargs={"pk": appointment.pk})

    confirm = practitioner_client.get(url)
    assert "Cancel this appointment?" in confirm.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED

    response = practitioner_client.post(url, {"reason": "Client unwell"}, follow=True)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.cancel_reason == "Client unwell"
    assert "the time is free again" in response.content.decode()

    rebook = practitioner_client.post(reverse("appointments:book"), booking(jane, practitioner, day, "10:00"))
    assert rebook.status_code == 302


@pytest.mark.parametrize(("status", "shown"), [("attended", "marked attended"), ("no_show", "marked a no-show")])
def test_mark_attended_or_no_show(practitioner_client, practitioner, day, status, shown):
    # Two weeks before `day`: in the past, since a no-show cannot be marked before the start (issue 10, item 7).
    appointment = appointment_for(practitioner, local(day - dt.timedelta(days=14), 10))

    response = practitioner_client.post(
        reverse("appointments:mark", kwargs={"pk": appointment.pk}), {"status": status}, follow=True
    )

    appointment.refresh_from_db()
    assert appointment.status == status
    assert shown in response.content.decode()


def test_mark_returns_to_the_calendar_it_came_from_but_never_off_site(practitioner_client, practitioner, day):
    first = appointment_for(practitioner, local(day, 10))
    second = appointment_for(practitioner, local(day, 12))
    back = reverse("appointments:day") + f"?date={day.isoformat()}"

    response = practitioner_client.post(
        reverse("appointments:mark", kwargs={"pk": first.pk}), {"status": "attended", "next": back}
    )
    evil = practitioner_client.post(
        reverse("appointments:mark", kwargs={"pk": second.pk}), {"status": "attended", "next": "https://evil.example/"}
    )

    assert response.url == back
    assert evil.url == reverse("appointments:detail", kwargs={"pk": second.pk})


def test_mark_is_post_only_and_refuses_unknown_statuses(practitioner_client, practitioner, day):
    appointment = appointment_for(practitioner, local(day, 10))
    url = reverse("appointments:mark", kwargs={"pk": appointment.pk})

    assert practitioner_client.get(url).status_code == 405
    response = practitioner_client.post(url, {"status": "cancelled"}, follow=True)

    assert "Choose attended or no-show." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


@pytest.mark.parametrize("status", ["attended", "no_show", "cancelled"])
def test_only_booked_appointments_can_be_changed_and_the_page_says_so(practitioner_client, practitioner, day, status):
    appointment = appointment_for(practitioner, local(day, 10), status=status)
    pk = {"pk": appointment.pk}
    slot = {"practitioner": practitioner.pk, "date": day.isoformat(), "start_time": "15:00", "duration": 60}

    responses = [
        practitioner_client.get(reverse("appointments:reschedule", kwargs=pk), follow=True),
        practitioner_client.post(reverse("appointments:reschedule", kwargs=pk), slot, follow=True),
        practitioner_client.get(reverse("appointments:cancel", kwargs=pk), follow=True),
        practitioner_client.post(reverse("appointments:cancel", kwargs=pk), {"reason": "x"}, follow=True),
        practitioner_client.post(reverse("appointments:mark", kwargs=pk), {"status": "attended"}, follow=True),
    ]

    for response in responses:
        assert "Only booked appointments can be rescheduled, cancelled or marked." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == status
    assert appointment.starts_at == local(day, 10).astimezone(UTC)


# --- detail ----------------------------------------------------------------------------------


def test_detail_shows_health_warnings_status_and_a_record_session_button(practitioner_client, practitioner, jane, day):
    ClientHealthFlagFactory(client=jane, flag="serious_back_injury")
    appointment = appointment_for(practitioner, local(day, 10), client=jane)

    page = practitioner_client.get(reverse("appointments:detail", kwargs={"pk": appointment.pk})).content.decode()

    assert "Health warnings" in page
    assert "Serious back injury" in page
    assert "No physician referral or clearance" in page
    assert "Booked" in page
    assert reverse("sessions:record", kwargs={"appointment_id": appointment.pk}) in page
    assert "Record session" in page
    assert "Reschedule" in page


def test_detail_offers_open_session_once_a_session_exists(practitioner_client, practitioner, clinic, jane, day):
    appointment = appointment_for(practitioner, local(day, 10), client=jane, status="attended")
    session = TreatmentSessionFactory(clinic=clinic, client=jane, practitioner=practitioner, appointment=appointment)

    page = practitioner_client.get(reverse("appointments:detail", kwargs={"pk": appointment.pk})).content.decode()

    assert "Open session" in page
    assert reverse("sessions:detail", kwargs={"pk": session.pk}) in page
    assert "Record session" not in page


# --- courses ---------------------------------------------------------------------------------


def test_course_books_n_appointments_at_the_interval(practitioner_client, practitioner, jane, day):
    response = practitioner_client.post(
        reverse("appointments:course_book"),
        booking(jane, practitioner, day, "09:15", duration=45, sessions=4, interval_days=14),
        follow=True,
    )

    course = Course.objects.get()
    starts = [a.starts_at for a in course.appointments.order_by("starts_at")]
    assert (course.planned_sessions, course.interval_days) == (4, 14)
    assert starts == [local(day + dt.timedelta(days=14 * n), 9, 15).astimezone(UTC) for n in range(4)]
    assert all(a.duration_minutes == 45 for a in course.appointments.all())
    assert "Booked a course of 4 sessions every 14 days for Jane Doe" in response.content.decode()


def test_course_with_a_clash_saves_nothing_and_lists_the_clashing_dates(
    practitioner_client, practitioner, clinic, jane, day
):
    bob = ClientFactory(clinic=clinic, first_name="Bob", last_name="Stone")
    appointment_for(practitioner, local(day + dt.timedelta(days=7), 10, 30), client=bob)
    appointment_for(practitioner, local(day + dt.timedelta(days=21), 9, 0), minutes=90, client=bob)

    response = practitioner_client.post(
        reverse("appointments:course_book"), booking(jane, practitioner, day, "10:00", sessions=5, interval_days=7)
    )

    page = response.content.decode()
    assert "Nothing was booked" in page
    assert f"from 10:30 to 11:30 on {short_date(day + dt.timedelta(days=7))} (Bob Stone)" in page
    assert f"from 09:00 to 10:30 on {short_date(day + dt.timedelta(days=21))} (Bob Stone)" in page
    assert not Course.objects.exists()
    assert Appointment.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [({"sessions": 0}, "sessions"), ({"sessions": 21}, "sessions"), ({"interval_days": 0}, "interval_days")],
)
def test_course_size_and_interval_are_checked(practitioner_client, practitioner, jane, day, change, field):
    data = booking(jane, practitioner, day, sessions=6, interval_days=7) | change
    response = practitioner_client.post(reverse("appointments:course_book"), data)

    assert field in response.context["form"].errors
    assert not Course.objects.exists()
    assert not Appointment.objects.exists()


def test_course_page_prefills_the_client(practitioner_client, jane):
    form = practitioner_client.get(reverse("appointments:course_book") + f"?client={jane.pk}").context["form"]
    assert form.initial["client"] == jane.pk


# --- calendars -------------------------------------------------------------------------------


def test_login_lands_on_today(practitioner_client):
    response = practitioner_client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("appointments:day")
    assert "Today" in response.content.decode()


def test_practitioner_sees_their_own_day_by_default_and_can_switch_to_the_clinic(
    practitioner_client, practitioner, owner, clinic, day
):
    appointment_for(practitioner, local(day, 10), client=ClientFactory(clinic=clinic, first_name="Mine"))
    appointment_for(owner, local(day, 10), client=ClientFactory(clinic=clinic, first_name="Theirs"))
    url = reverse("appointments:day") + f"?date={day.isoformat()}"

    own = practitioner_client.get(url).content.decode()
    everyone = practitioner_client.get(url + "&practitioner=all").content.decode()

    assert "Mine" in own
    assert "Theirs" not in own
    assert "Mine" in everyone
    assert "Theirs" in everyone


def test_owner_sees_the_whole_clinic_a_column_per_practitioner(owner_client, practitioner, owner, clinic, day):
    appointment_for(practitioner, local(day, 10), client=ClientFactory(clinic=clinic, first_name="Mine"))
    url = reverse("appointments:day") + f"?date={day.isoformat()}"

    response = owner_client.get(url)
    only_priya = owner_client.get(url + f"&practitioner={practitioner.pk}")

    columns = [(c.person, c.count) for c in response.context["grid"].columns]
    assert columns == [(owner, 0), (practitioner, 1)]
    assert response.context["who"] is None
    assert only_priya.context["who"] == practitioner


def test_day_view_shows_times_flags_status_and_quick_actions(practitioner_client, practitioner, jane, day):
    ClientHealthFlagFactory(client=jane, flag="feet_injured")
    appointment = appointment_for(practitioner, local(day, 10), client=jane)

    page = practitioner_client.get(reverse("appointments:day") + f"?date={day.isoformat()}").content.decode()

    assert "10:00" in page
    assert "Jane Doe" in page
    assert "Feet injured or infected" in page
    assert "Booked" in page
    assert reverse("sessions:record", kwargs={"appointment_id": appointment.pk}) in page
    assert reverse("appointments:mark", kwargs={"pk": appointment.pk}) in page
    assert 'value="attended"' in page
    assert 'value="no_show"' not in page  # not before it has started (docs/domain.md, "The desk")


def test_empty_day_says_so_kindly_and_offers_to_book(practitioner_client, day):
    page = practitioner_client.get(reverse("appointments:day") + f"?date={day.isoformat()}").content.decode()
    assert "Nothing booked for you on this day." in page
    assert "Book an appointment" in page


def test_day_navigation_and_garbled_date_falls_back_to_today(practitioner_client, practitioner, day):
    response = practitioner_client.get(reverse("appointments:day") + f"?date={day.isoformat()}")
    garbled = practitioner_client.get(reverse("appointments:day") + "?date=31-31-31&practitioner=xyz")

    assert response.context["next_url"].endswith(
        f"?date={(day + dt.timedelta(days=1)).isoformat()}&practitioner={practitioner.pk}"
    )
    assert response.context["prev_url"].endswith(
        f"?date={(day - dt.timedelta(days=1)).isoformat()}&practitioner={practitioner.pk}"
    )
    assert garbled.status_code == 200
    assert garbled.context["day"] == timezone.localdate()


def test_week_view_is_seven_days_from_monday(practitioner_client, practitioner, jane, day):
    appointment_for(practitioner, local(day, 10), client=jane)  # day is a Tuesday

    response = practitioner_client.get(
        reverse("appointments:week") + f"?date={(day + dt.timedelta(days=3)).isoformat()}"
    )

    columns = response.context["columns"]
    assert [d.weekday() for d, _items, _url in columns] == list(range(7))
    assert columns[0][0] == day - dt.timedelta(days=1)
    assert [len(items) for _d, items, _url in columns] == [0, 1, 0, 0, 0, 0, 0]
    page = response.content.decode()
    assert "Jane Doe" in page
    assert "rc-week-scroll" in page  # the grid scrolls in its own box, not the page
    assert response.context["next_url"].split("date=")[1].startswith((day + dt.timedelta(days=10)).isoformat())


def test_empty_week_says_so_kindly(owner_client, day):
    page = owner_client.get(reverse("appointments:week") + f"?date={day.isoformat()}").content.decode()
    assert "Nothing is booked this week" in page


def test_calendar_of_another_clinics_practitioner_is_404(practitioner_client, other_practitioner):
    for name in ("appointments:day", "appointments:week"):
        response = practitioner_client.get(reverse(name) + f"?practitioner={other_practitioner.pk}")
        assert response.status_code == 404


# Query counts of the calendars: tests/test_calendar_grid.py.


# --- tenancy and login -----------------------------------------------------------------------


@pytest.fixture
def their_appointment(practitioner, day):
    return appointment_for(practitioner, local(day, 10))


@pytest.mark.parametrize("name", ["detail", "reschedule", "cancel", "mark"])
def test_other_clinic_gets_404_for_every_appointment_page(other_client, their_appointment, name):
    url = reverse(f"appointments:{name}", kwargs={"pk": their_appointment.pk})

    assert other_client.get(url).status_code == 404
    assert other_client.post(url, {"status": "attended", "reason": "x"}).status_code == 404
    their_appointment.refresh_from_db()
    assert their_appointment.status == Appointment.Status.BOOKED


def test_other_clinic_cannot_book_for_this_clinics_client(other_client, other_practitioner, jane, day):
    response = other_client.post(reverse("appointments:book"), booking(jane, other_practitioner, day))
    assert "client" in response.context["form"].errors
    assert "Jane" not in response.content.decode()
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("name", ["day", "week", "book", "course_book", "detail", "reschedule", "cancel", "mark"])
def test_anonymous_visitor_is_sent_to_log_in(anon, their_appointment, name):
    kwargs = {"pk": their_appointment.pk} if name in ("detail", "reschedule", "cancel", "mark") else {}
    url = reverse(f"appointments:{name}", kwargs=kwargs)
    for response in (anon.get(url), anon.post(url, {"status": "attended"})):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    their_appointment.refresh_from_db()
    assert their_appointment.status == Appointment.Status.BOOKED


# --- PostgreSQL: the database guarantees no overlap -----------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_exclusion_constraint_refuses_an_overlapping_row_written_directly(practitioner, day):
    appointment_for(practitioner, local(day, 10))
    appointment_for(practitioner, local(day, 11))  # touching is fine
    appointment_for(practitioner, local(day, 10, 30), status=Appointment.Status.CANCELLED)  # cancelled don't count

    with pytest.raises(IntegrityError, match=services.OVERLAP_CONSTRAINT), transaction.atomic():
        appointment_for(practitioner, local(day, 10, 30))

    assert Appointment.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_bookings_for_one_slot_exactly_one_wins(clinic, practitioner, day, monkeypatch):
    """Both threads pass the service's check before either inserts: only the database can stop the second."""
    clients = [ClientFactory(clinic=clinic, first_name=name, last_name="Racer") for name in ("Ada", "Bea")]
    start = local(day, 10)

    def booking_of(client):
        return lambda: services.appointment_book(
            clinic=clinic,
            client=client,
            practitioner=practitioner,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
        )

    outcomes = book_at_once(
        monkeypatch, selectors, "clashing_appointments", {c.first_name: booking_of(c) for c in clients}
    )

    assert sorted(outcomes) == ["Ada", "Bea"]
    winners = [name for name, outcome in outcomes.items() if outcome == "booked"]
    assert len(winners) == 1, outcomes
    loser = next(outcome for outcome in outcomes.values() if outcome != "booked")
    assert loser == [f"Priya already has an appointment from 10:00 to 11:00 on {short_date(day)} ({winners[0]} Racer)."]
    assert Appointment.objects.count() == 1


def test_practitioner_of_another_clinic_is_refused_by_the_service(clinic, jane, other_practitioner, day):
    with pytest.raises(ValueError):
        services.appointment_book(
            clinic=clinic,
            client=jane,
            practitioner=other_practitioner,
            starts_at=local(day, 10),
            ends_at=local(day, 11),
        )
    assert not Appointment.objects.exists()


def test_inactive_staff_are_not_offered_for_booking(practitioner_client, clinic):
    gone = UserFactory(username="gone", clinic=clinic, is_active=False)
    form = practitioner_client.get(reverse("appointments:book")).context["form"]
    assert gone not in set(form.fields["practitioner"].queryset)
