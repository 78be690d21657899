"""The clinic's side of online booking: settings and treatments (owners), working hours and
time off (each practitioner their own, owners anyone's), and answering requests
(docs/domain.md, "Online booking")."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from appointments.models import Appointment, TimeOff, TreatmentType, WorkingHours
from booking.models import BookingHold, BookingSettings
from tests.factories import (
    AppointmentFactory,
    BookingHoldFactory,
    BookingSettingsFactory,
    TimeOffFactory,
    TreatmentTypeFactory,
    UserFactory,
    WorkingHoursFactory,
)

LONDON = ZoneInfo("Europe/London")


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


# --- Settings and treatments (owners) ----------------------------------------------------


def test_the_owner_turns_online_booking_on_in_request_mode(owner_client, clinic):
    response = owner_client.get(reverse("booking:settings"))
    assert "Take bookings online" in response.content.decode()
    response = owner_client.post(
        reverse("booking:settings"),
        {
            "online": "on",
            "mode": "request",
            "min_notice_hours": "24",
            "horizon_weeks": "6",
            "cancellation_notice_hours": "48",
            "slot_step_minutes": "15",
        },
    )
    assert response.status_code == 302
    saved = BookingSettings.objects.get(clinic=clinic)
    assert (saved.online, saved.mode, saved.min_notice_hours, saved.horizon_weeks) == (True, "request", 24, 6)
    assert (saved.cancellation_notice_hours, saved.slot_step_minutes) == (48, 15)


def test_the_owner_reads_that_requests_cover_new_bookings_and_a_move_from_an_email_is_at_once(owner_client):
    # docs/domain.md, "Changes from the email": a move takes effect at once, also where the clinic takes requests.
    page = owner_client.get(reverse("booking:settings")).content.decode()
    assert "Requests cover new bookings only" in page
    assert "moves a booked appointment from an email gets the new time at once" in page


def test_settings_out_of_range_get_a_message_and_save_nothing(owner_client, clinic):
    response = owner_client.post(
        reverse("booking:settings"),
        {"mode": "direct", "min_notice_hours": "12", "horizon_weeks": "0", "cancellation_notice_hours": "24"},
    )
    assert response.status_code == 200
    assert "Choose at least 1 week." in response.content.decode()
    assert not BookingSettings.objects.exists()


def test_a_practitioner_cannot_open_the_booking_settings(practitioner_client):
    assert practitioner_client.get(reverse("booking:settings")).status_code == 404
    assert practitioner_client.get(reverse("booking:types")).status_code == 404


def test_the_owner_adds_a_treatment_with_free_time_after_it(owner_client, clinic):
    response = owner_client.post(
        reverse("booking:type_add"),
        {
            "name": "Hand reflexology",
            "duration_minutes": "45",
            "buffer_after_minutes": "15",
            "active": "on",
            "order": "1",
        },
    )
    assert response.status_code == 302
    treatment = TreatmentType.objects.get(clinic=clinic)
    assert (treatment.name, treatment.duration_minutes, treatment.buffer_after_minutes) == ("Hand reflexology", 45, 15)


def test_a_treatment_name_is_used_once_per_clinic_and_a_length_must_make_sense(owner_client, clinic, other_clinic):
    TreatmentTypeFactory(clinic=clinic, name="Foot reflexology")
    TreatmentTypeFactory(clinic=other_clinic, name="Hand reflexology")
    response = owner_client.post(
        reverse("booking:type_add"), {"name": "foot reflexology", "duration_minutes": "2", "buffer_after_minutes": "0"}
    )
    page = response.content.decode()
    assert "The clinic already has a treatment of this name." in page
    assert "Choose at least 5 minutes." in page
    # Another clinic's name is no clash.
    response = owner_client.post(
        reverse("booking:type_add"), {"name": "Hand reflexology", "duration_minutes": "30", "buffer_after_minutes": "0"}
    )
    assert response.status_code == 302


def test_the_treatments_list_takes_a_fixed_number_of_queries(owner_client, clinic, django_assert_num_queries):
    for n in range(5):
        TreatmentTypeFactory(clinic=clinic, name=f"Treatment {n}")
    # Session, user, clinic, then the treatments.
    with django_assert_num_queries(4):
        response = owner_client.get(reverse("booking:types"))
    assert response.content.decode().count("minutes</td>") == 5


# --- Working hours and time off ------------------------------------------------------------


def _hours_post(rows: list[tuple[str, str, str]], existing: list[WorkingHours] = (), delete: set[int] = frozenset()):
    data = {"form-TOTAL_FORMS": str(len(existing) + len(rows)), "form-INITIAL_FORMS": str(len(existing))}
    for i, interval in enumerate(existing):
        data.update(
            {
                f"form-{i}-id": str(interval.pk),
                f"form-{i}-weekday": str(interval.weekday),
                f"form-{i}-starts": interval.starts.strftime("%H:%M"),
                f"form-{i}-ends": interval.ends.strftime("%H:%M"),
            }
        )
        if interval.pk in delete:
            data[f"form-{i}-DELETE"] = "on"
    for j, (weekday, starts, ends) in enumerate(rows, start=len(existing)):
        data.update({f"form-{j}-weekday": weekday, f"form-{j}-starts": starts, f"form-{j}-ends": ends})
    return data


def test_a_practitioner_sets_a_split_day_of_working_hours(practitioner_client, practitioner, clinic):
    url = reverse("booking:hours", kwargs={"pk": practitioner.pk})
    assert "My working hours" in practitioner_client.get(url).content.decode()
    response = practitioner_client.post(url, _hours_post([("1", "09:00", "12:00"), ("1", "14:00", "18:00")]))
    assert response.status_code == 302
    saved = list(WorkingHours.objects.filter(practitioner=practitioner).values_list("weekday", "starts", "ends"))
    assert saved == [(1, dt.time(9), dt.time(12)), (1, dt.time(14), dt.time(18))]
    assert all(h.clinic == clinic for h in WorkingHours.objects.all())


def test_overlapping_or_backwards_hours_get_a_message_and_save_nothing(practitioner_client, practitioner):
    url = reverse("booking:hours", kwargs={"pk": practitioner.pk})
    response = practitioner_client.post(url, _hours_post([("1", "09:00", "12:00"), ("1", "11:00", "13:00")]))
    assert "This overlaps another interval of the same day" in response.content.decode()
    response = practitioner_client.post(url, _hours_post([("2", "17:00", "09:00")]))
    assert "The end comes after the start" in response.content.decode()
    assert not WorkingHours.objects.exists()


def test_an_interval_is_removed_by_ticking_it(practitioner_client, practitioner, clinic):
    monday = WorkingHoursFactory(clinic=clinic, practitioner=practitioner, weekday=0)
    tuesday = WorkingHoursFactory(clinic=clinic, practitioner=practitioner, weekday=1)
    url = reverse("booking:hours", kwargs={"pk": practitioner.pk})
    response = practitioner_client.post(url, _hours_post([], existing=[monday, tuesday], delete={monday.pk}))
    assert response.status_code == 302
    assert list(WorkingHours.objects.all()) == [tuesday]


def test_a_practitioner_edits_only_their_own_hours_and_an_owner_anyones(
    practitioner_client, owner_client, practitioner, clinic
):
    colleague = UserFactory(clinic=clinic)
    TimeOffFactory(clinic=clinic, practitioner=colleague)
    for name in ("booking:hours", "booking:time_off_add"):
        url = reverse(name, kwargs={"pk": colleague.pk})
        assert practitioner_client.get(url).status_code == 404
        assert practitioner_client.post(url, _hours_post([("1", "09:00", "12:00")])).status_code == 404
        assert owner_client.get(url).status_code == 200
    away = TimeOff.objects.get()
    assert practitioner_client.post(reverse("booking:time_off_delete", kwargs={"pk": away.pk})).status_code == 404
    assert not WorkingHours.objects.exists() and TimeOff.objects.exists()


def test_another_clinics_practitioner_sees_none_of_this_clinics_hours_or_requests(
    other_client, practitioner, clinic, day
):
    WorkingHoursFactory(clinic=clinic, practitioner=practitioner)
    BookingHoldFactory(
        clinic=clinic, practitioner=practitioner, first_name="Zebedee", status=BookingHold.Status.REQUESTED
    )
    assert other_client.get(reverse("booking:hours", kwargs={"pk": practitioner.pk})).status_code == 404
    overview = other_client.get(reverse("booking:overview")).content.decode()
    assert "Zebedee" not in overview and "No requests are waiting." in overview


def test_whole_days_of_time_off_run_from_local_midnight_to_midnight(practitioner_client, practitioner, clinic):
    url = reverse("booking:time_off_add", kwargs={"pk": practitioner.pk})
    response = practitioner_client.post(url, {"start_day": "2026-07-20", "end_day": "2026-07-24", "reason": "Holiday"})
    assert response.status_code == 302
    away = TimeOff.objects.get()
    assert (away.starts_at, away.ends_at) == (at(dt.date(2026, 7, 20), 0), at(dt.date(2026, 7, 25), 0))
    hours_page = practitioner_client.get(reverse("booking:hours", kwargs={"pk": practitioner.pk}))
    assert "Holiday" not in hours_page.content.decode(), "past time off is not listed"  # July 2026 is past


def test_a_closed_afternoon_in_the_future_is_listed_and_can_be_removed(practitioner_client, practitioner, day):
    url = reverse("booking:time_off_add", kwargs={"pk": practitioner.pk})
    practitioner_client.post(
        url,
        {
            "start_day": day.isoformat(),
            "start_time": "13:00",
            "end_day": day.isoformat(),
            "end_time": "18:00",
            "reason": "Closed afternoon",
        },
    )
    away = TimeOff.objects.get()
    assert (away.starts_at, away.ends_at) == (at(day, 13), at(day, 18))
    page = practitioner_client.get(reverse("booking:hours", kwargs={"pk": practitioner.pk})).content.decode()
    assert "Closed afternoon" in page
    practitioner_client.post(reverse("booking:time_off_delete", kwargs={"pk": away.pk}))
    assert not TimeOff.objects.exists()


def test_time_off_at_a_time_the_clocks_skip_or_ending_before_it_starts_is_refused(practitioner_client, practitioner):
    url = reverse("booking:time_off_add", kwargs={"pk": practitioner.pk})
    response = practitioner_client.post(
        url, {"start_day": "2026-03-29", "start_time": "01:30", "end_day": "2026-03-29", "end_time": "05:00"}
    )
    assert "01:30 does not exist on that day: the clocks go forward." in response.content.decode()
    response = practitioner_client.post(url, {"start_day": "2026-05-02", "end_day": "2026-05-01"})
    assert "The time off ends after it starts." in response.content.decode()
    assert not TimeOff.objects.exists()


# --- Requests ----------------------------------------------------------------------------


@pytest.fixture
def request_hold(clinic, practitioner, day):
    clinic.email = "hello@calmfeet.example"
    clinic.save()
    BookingSettingsFactory(clinic=clinic, mode=BookingSettings.Mode.REQUEST)
    treatment = TreatmentTypeFactory(clinic=clinic, name="Foot reflexology")
    return BookingHoldFactory(
        clinic=clinic,
        practitioner=practitioner,
        treatment_type=treatment,
        starts_at=at(day, 9),
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.org",
        phone="+447700900123",
        status=BookingHold.Status.REQUESTED,
    )


def test_the_overview_lists_waiting_requests_in_a_fixed_number_of_queries(
    practitioner_client, request_hold, clinic, practitioner, day, django_assert_num_queries
):
    for hour in (10, 11, 14):
        BookingHoldFactory(
            clinic=clinic,
            practitioner=practitioner,
            treatment_type=request_hold.treatment_type,
            starts_at=at(day, hour),
            status=BookingHold.Status.REQUESTED,
        )
    # Session, user, clinic, the requests (with practitioner and treatment), the settings.
    with django_assert_num_queries(5):
        response = practitioner_client.get(reverse("booking:overview"))
    page = response.content.decode()
    assert page.count(">Accept</button>") == 4
    assert "Ada Lovelace" in page and "ada@example.org" in page


def test_accepting_a_request_books_it_and_sends_the_usual_confirmation(
    practitioner_client, practitioner, request_hold, outbox_sends
):
    with outbox_sends():
        response = practitioner_client.post(reverse("booking:request_accept", kwargs={"pk": request_hold.pk}))
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.client.full_name, appointment.practitioner, appointment.created_by) == (
        "Ada Lovelace",
        practitioner,
        practitioner,
    )
    # The usual confirmation and, for a new client, the intake link (issue 12, part 1).
    message, intake_link = sorted(mail.outbox, key=lambda m: "before your visit" in m.subject)
    assert message.to == intake_link.to == ["Ada Lovelace <ada@example.org>"]
    request_hold.refresh_from_db()
    assert (request_hold.status, request_hold.decided_by) == (BookingHold.Status.BOOKED, practitioner)


def test_declining_a_request_frees_the_time_and_tells_the_client_kindly(
    practitioner_client, request_hold, outbox_sends
):
    with outbox_sends():
        practitioner_client.post(reverse("booking:request_decline", kwargs={"pk": request_hold.pk}))
    (message,) = mail.outbox
    assert message.subject.startswith("About your request for")
    assert "can't offer you that time" in message.body and "/book/" in message.body
    assert message.reply_to == [f"{request_hold.clinic.name} <hello@calmfeet.example>"]
    assert not Appointment.objects.exists()
    request_hold.refresh_from_db()
    assert request_hold.status == BookingHold.Status.DECLINED


def test_a_request_whose_time_was_booked_meanwhile_cannot_be_accepted(
    practitioner_client, practitioner, request_hold, clinic, day
):
    AppointmentFactory(clinic=clinic, practitioner=practitioner, starts_at=at(day, 9), ends_at=at(day, 10))
    response = practitioner_client.post(reverse("booking:request_accept", kwargs={"pk": request_hold.pk}), follow=True)
    assert "requested time is no longer free" in response.content.decode()
    assert Appointment.objects.count() == 1
    request_hold.refresh_from_db()
    assert request_hold.status == BookingHold.Status.REQUESTED


def test_a_request_is_answered_once_and_only_by_its_practitioner_or_an_owner(
    practitioner_client, owner_client, request_hold, clinic
):
    colleague = UserFactory(clinic=clinic)
    from django.test import Client as HttpClient

    colleague_client = HttpClient()
    colleague_client.force_login(colleague)
    assert colleague_client.post(reverse("booking:request_decline", kwargs={"pk": request_hold.pk})).status_code == 404
    owner_client.post(reverse("booking:request_decline", kwargs={"pk": request_hold.pk}))
    response = practitioner_client.post(reverse("booking:request_accept", kwargs={"pk": request_hold.pk}), follow=True)
    assert "This request was already answered: declined by the clinic." in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_get_on_an_answer_address_changes_nothing(practitioner_client, request_hold):
    response = practitioner_client.get(reverse("booking:request_accept", kwargs={"pk": request_hold.pk}))
    assert response.status_code == 302
    request_hold.refresh_from_db()
    assert request_hold.status == BookingHold.Status.REQUESTED


def test_the_hours_page_takes_a_fixed_number_of_queries(
    practitioner_client, practitioner, clinic, day, django_assert_num_queries
):
    for weekday in range(5):
        WorkingHoursFactory(clinic=clinic, practitioner=practitioner, weekday=weekday)
    for n in range(3):
        TimeOffFactory(clinic=clinic, practitioner=practitioner, starts_at=at(day + dt.timedelta(days=n), 9))
    # Session, user, clinic, the member, the hours, the time off.
    with django_assert_num_queries(6):
        response = practitioner_client.get(reverse("booking:hours", kwargs={"pk": practitioner.pk}))
    page = response.content.decode()
    assert page.count('type="time"') == 2 * (5 + 2) and page.count(">Remove</button>") == 3
