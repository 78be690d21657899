"""booking/slots.py: free slots from working hours, time off, appointments, holds and the booking notice.

Docs/domain.md, "Online booking" and "Local time": working hours are wall-clock times in the
clinic's time zone, so a day the clocks change keeps 09:00 at 09:00 on the clock.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from appointments.models import Appointment
from booking.models import BookingHold
from booking.slots import free_slots
from tests.factories import (
    AppointmentFactory,
    BookingHoldFactory,
    BookingSettingsFactory,
    ClinicFactory,
    TimeOffFactory,
    TreatmentTypeFactory,
    UserFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = dt.date(2026, 6, 1)
# A moment well before every day below, so the booking notice never gets in the way
# (each test that is about the notice sets its own).
LONG_BEFORE = dt.datetime(2026, 1, 5, 12, tzinfo=UTC)


def at(day: dt.date, hour: int, minute: int = 0, tz=LONDON) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


def wall(slots, tz=LONDON) -> list[str]:
    return [s.starts_at.astimezone(tz).strftime("%H:%M") for s in slots]


@pytest.fixture
def setup(clinic, practitioner):
    BookingSettingsFactory(clinic=clinic, slot_step_minutes=30, horizon_weeks=52)
    hour = TreatmentTypeFactory(clinic=clinic, name="Reflexology", duration_minutes=60)
    return clinic, practitioner, hour


def hours(clinic, practitioner, day: dt.date, starts: str, ends: str):
    return WorkingHoursFactory(
        clinic=clinic,
        practitioner=practitioner,
        weekday=day.weekday(),
        starts=dt.time.fromisoformat(starts),
        ends=dt.time.fromisoformat(ends),
    )


def step_every(clinic, minutes: int) -> None:
    clinic.booking_settings.slot_step_minutes = minutes
    clinic.booking_settings.save()


def test_a_working_morning_offers_every_start_whose_treatment_ends_by_closing(setup):
    clinic, practitioner, hour = setup
    hours(clinic, practitioner, MONDAY, "09:00", "12:00")
    slots = free_slots(clinic, hour, start=MONDAY, days=1, now=LONG_BEFORE)
    assert wall(slots) == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    assert slots[0].practitioner == practitioner
    assert slots[0].starts_at == at(MONDAY, 9) and slots[0].ends_at == at(MONDAY, 10)


def test_a_day_with_a_morning_and_an_afternoon_offers_both_and_nothing_at_lunch(setup):
    clinic, practitioner, hour = setup
    hours(clinic, practitioner, MONDAY, "09:00", "10:00")
    hours(clinic, practitioner, MONDAY, "14:00", "15:30")
    assert wall(free_slots(clinic, hour, start=MONDAY, days=1, now=LONG_BEFORE)) == ["09:00", "14:00", "14:30"]


def test_a_day_without_working_hours_has_no_slots(setup):
    clinic, practitioner, hour = setup
    hours(clinic, practitioner, MONDAY, "09:00", "17:00")
    tuesday = MONDAY + dt.timedelta(days=1)
    assert free_slots(clinic, hour, start=tuesday, days=1, now=LONG_BEFORE) == []


def test_the_same_weekday_repeats_every_week(setup):
    clinic, practitioner, hour = setup
    hours(clinic, practitioner, MONDAY, "09:00", "10:00")
    slots = free_slots(clinic, hour, start=MONDAY, days=14, now=LONG_BEFORE)
    assert [s.starts_at for s in slots] == [at(MONDAY, 9), at(MONDAY + dt.timedelta(days=7), 9)]


# --- Daylight saving ------------------------------------------------------------------

LONDON_SPRING = dt.date(2026, 3, 29)  # Sunday: 01:00 GMT becomes 02:00 BST
LONDON_AUTUMN = dt.date(2026, 10, 25)  # Sunday: 02:00 BST becomes 01:00 GMT
NEW_YORK_SPRING = dt.date(2026, 3, 8)  # Sunday: 02:00 EST becomes 03:00 EDT
NEW_YORK_AUTUMN = dt.date(2026, 11, 1)  # Sunday: 02:00 EDT becomes 01:00 EST


@pytest.mark.parametrize(
    ("zone", "day", "utc_hour_before", "utc_hour_on"),
    [
        ("Europe/London", LONDON_SPRING, 9, 8),
        ("Europe/London", LONDON_AUTUMN, 8, 9),
        ("America/New_York", NEW_YORK_SPRING, 14, 13),
        ("America/New_York", NEW_YORK_AUTUMN, 13, 14),
    ],
)
def test_nine_oclock_stays_nine_on_the_clock_across_a_clock_change(setup, zone, day, utc_hour_before, utc_hour_on):
    clinic, practitioner, hour = setup
    clinic.timezone = zone
    clinic.save()
    saturday = day - dt.timedelta(days=1)
    hours(clinic, practitioner, saturday, "09:00", "10:00")
    hours(clinic, practitioner, day, "09:00", "10:00")
    slots = free_slots(clinic, hour, start=saturday, days=2, now=LONG_BEFORE)
    assert [s.starts_at for s in slots] == [
        dt.datetime.combine(saturday, dt.time(utc_hour_before), tzinfo=UTC),
        dt.datetime.combine(day, dt.time(utc_hour_on), tzinfo=UTC),
    ]
    assert wall(slots, ZoneInfo(zone)) == ["09:00", "09:00"]
    assert all(s.ends_at - s.starts_at == dt.timedelta(hours=1) for s in slots)


def test_hours_over_the_skipped_hour_in_spring_are_an_hour_shorter_in_london(setup):
    clinic, practitioner, hour = setup
    step_every(clinic, 60)
    hours(clinic, practitioner, LONDON_SPRING, "00:00", "04:00")
    slots = free_slots(clinic, hour, start=LONDON_SPRING, days=1, now=LONG_BEFORE)
    # 00:00 GMT to 04:00 BST is three real hours; 01:00 never shows on the clock.
    assert wall(slots) == ["00:00", "02:00", "03:00"]
    assert [s.starts_at.hour for s in slots] == [0, 1, 2]


def test_hours_over_the_repeated_hour_in_autumn_are_an_hour_longer_in_new_york(setup):
    clinic, practitioner, hour = setup
    clinic.timezone = "America/New_York"
    clinic.save()
    step_every(clinic, 60)
    hours(clinic, practitioner, NEW_YORK_AUTUMN, "00:00", "03:00")
    slots = free_slots(clinic, hour, start=NEW_YORK_AUTUMN, days=1, now=LONG_BEFORE)
    # 00:00 EDT to 03:00 EST is four real hours: 01:00 comes twice, each its own instant.
    assert wall(slots, NEW_YORK) == ["00:00", "01:00", "01:00", "02:00"]
    assert len({s.starts_at for s in slots}) == 4
    assert slots[-1].ends_at == dt.datetime(2026, 11, 1, 8, tzinfo=UTC)  # 03:00 EST


def test_working_hours_starting_in_the_skipped_hour_start_when_the_clocks_change(setup):
    clinic, practitioner, hour = setup
    hours(clinic, practitioner, LONDON_SPRING, "01:30", "03:00")
    # 01:30 never happens; by the one policy it means 02:00 BST (docs/domain.md, "Local time").
    assert wall(free_slots(clinic, hour, start=LONDON_SPRING, days=1, now=LONG_BEFORE)) == ["02:00"]


# --- What takes time away ------------------------------------------------------------


def test_time_off_removes_the_slots_it_touches(setup):
    clinic, practitioner, hour = setup
    hours(clinic, practitioner, MONDAY, "09:00", "13:00")
    TimeOffFactory(clinic=clinic, practitioner=practitioner, starts_at=at(MONDAY, 10), ends_at=at(MONDAY, 11, 30))
    assert wall(free_slots(clinic, hour, start=MONDAY, days=1, now=LONG_BEFORE)) == ["09:00", "11:30", "12:00"]


def test_time_off_over_several_days_closes_them_all(setup):
    clinic, practitioner, hour = setup
    for offset in range(3):
        hours(clinic, practitioner, MONDAY + dt.timedelta(days=offset), "09:00", "10:00")
    TimeOffFactory(
        clinic=clinic, practitioner=practitioner, starts_at=at(MONDAY, 0), ends_at=at(MONDAY + dt.timedelta(days=2), 0)
    )
    slots = free_slots(clinic, hour, start=MONDAY, days=3, now=LONG_BEFORE)
    assert [s.starts_at for s in slots] == [at(MONDAY + dt.timedelta(days=2), 9)]


def test_an_appointment_and_the_buffer_after_it_are_not_free(setup):
    clinic, practitioner, hour = setup
    hours(clinic, practitioner, MONDAY, "09:00", "13:00")
    with_buffer = TreatmentTypeFactory(clinic=clinic, name="Long", duration_minutes=60, buffer_after_minutes=15)
    AppointmentFactory(
        clinic=clinic,
        practitioner=practitioner,
        treatment_type=with_buffer,
        starts_at=at(MONDAY, 10),
        ends_at=at(MONDAY, 11),
    )
    # 11:00 is inside the 15 minutes after it; 09:00 ends as it starts.
    assert wall(free_slots(clinic, hour, start=MONDAY, days=1, now=LONG_BEFORE)) == ["09:00", "11:30", "12:00"]


def test_the_buffer_of_the_treatment_being_booked_must_fit_before_the_next_appointment(setup):
    clinic, practitioner, _ = setup
    hours(clinic, practitioner, MONDAY, "09:00", "12:00")
    tidy = TreatmentTypeFactory(clinic=clinic, name="With tidy-up", duration_minutes=60, buffer_after_minutes=30)
    AppointmentFactory(clinic=clinic, practitioner=practitioner, starts_at=at(MONDAY, 11), ends_at=at(MONDAY, 12))
    # 10:00-11:00 would leave no time for the 30 minutes after it.
    assert wall(free_slots(clinic, tidy, start=MONDAY, days=1, now=LONG_BEFORE)) == ["09:00", "09:30"]


def test_a_cancelled_appointment_frees_its_time_and_a_no_show_does_not(setup):
    clinic, practitioner, hour = setup
    hours(clinic, practitioner, MONDAY, "09:00", "11:00")
    AppointmentFactory(
        clinic=clinic,
        practitioner=practitioner,
        starts_at=at(MONDAY, 9),
        ends_at=at(MONDAY, 10),
        status=Appointment.Status.CANCELLED,
    )
    AppointmentFactory(
        clinic=clinic,
        practitioner=practitioner,
        starts_at=at(MONDAY, 10),
        ends_at=at(MONDAY, 11),
        status=Appointment.Status.NO_SHOW,
    )
    assert wall(free_slots(clinic, hour, start=MONDAY, days=1, now=LONG_BEFORE)) == ["09:00"]


def test_a_live_hold_and_an_open_request_block_and_expired_or_declined_holds_do_not(setup):
    clinic, practitioner, hour = setup
    hours(clinic, practitioner, MONDAY, "09:00", "13:00")
    hold = {"clinic": clinic, "practitioner": practitioner, "treatment_type": hour}
    after = LONG_BEFORE + dt.timedelta(minutes=5)
    BookingHoldFactory(**hold, starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 10), expires_at=after)
    BookingHoldFactory(**hold, starts_at=at(MONDAY, 10), ends_at=at(MONDAY, 11), expires_at=LONG_BEFORE)
    BookingHoldFactory(
        **hold,
        starts_at=at(MONDAY, 11),
        ends_at=at(MONDAY, 12),
        expires_at=LONG_BEFORE,
        status=BookingHold.Status.REQUESTED,
    )
    BookingHoldFactory(
        **hold, starts_at=at(MONDAY, 12), ends_at=at(MONDAY, 13), expires_at=after, status=BookingHold.Status.DECLINED
    )
    assert wall(free_slots(clinic, hour, start=MONDAY, days=1, now=LONG_BEFORE)) == ["10:00", "12:00"]


def test_another_practitioners_appointment_leaves_this_practitioner_free(setup):
    clinic, practitioner, hour = setup
    hours(clinic, practitioner, MONDAY, "09:00", "10:00")
    colleague = UserFactory(clinic=clinic)
    AppointmentFactory(clinic=clinic, practitioner=colleague, starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 10))
    assert wall(free_slots(clinic, hour, start=MONDAY, days=1, now=LONG_BEFORE)) == ["09:00"]


# --- Who, and the booking notice ------------------------------------------------------


def test_anyone_offers_each_practitioners_slots_and_one_practitioner_only_theirs(setup):
    clinic, practitioner, hour = setup
    colleague = UserFactory(clinic=clinic, first_name="Zoe")
    hours(clinic, practitioner, MONDAY, "09:00", "10:00")
    hours(clinic, colleague, MONDAY, "10:00", "11:00")
    anyone = free_slots(clinic, hour, start=MONDAY, days=1, now=LONG_BEFORE)
    assert [(s.practitioner, wall([s])[0]) for s in anyone] == [(practitioner, "09:00"), (colleague, "10:00")]
    only = free_slots(clinic, hour, practitioner=colleague, start=MONDAY, days=1, now=LONG_BEFORE)
    assert [s.practitioner for s in only] == [colleague]


def test_a_practitioner_who_has_left_is_not_offered(setup):
    clinic, practitioner, hour = setup
    hours(clinic, practitioner, MONDAY, "09:00", "10:00")
    practitioner.is_active = False
    practitioner.save()
    assert free_slots(clinic, hour, start=MONDAY, days=1, now=LONG_BEFORE) == []


def test_another_clinics_practitioner_and_hours_never_show(setup):
    clinic, practitioner, hour = setup
    other = ClinicFactory()
    stranger = UserFactory(clinic=other)
    WorkingHoursFactory(clinic=other, practitioner=stranger, weekday=MONDAY.weekday())
    assert free_slots(clinic, hour, start=MONDAY, days=1, now=LONG_BEFORE) == []
    assert free_slots(clinic, hour, practitioner=stranger, start=MONDAY, days=1, now=LONG_BEFORE) == []


def test_no_slot_is_sooner_than_the_notice_or_further_than_the_horizon(setup):
    clinic, practitioner, hour = setup
    clinic.booking_settings.min_notice_hours = 12
    clinic.booking_settings.horizon_weeks = 1
    clinic.booking_settings.save()
    for offset in range(9):
        hours(clinic, practitioner, MONDAY + dt.timedelta(days=offset), "09:00", "10:00")
    # Sunday 22:00: Monday 09:00 is eleven hours away; the next Monday 09:00 is 7 days 11 hours away.
    now = at(MONDAY, 22) - dt.timedelta(days=1)
    slots = free_slots(clinic, hour, start=MONDAY, days=9, now=now)
    assert [s.starts_at.date() for s in slots] == [MONDAY + dt.timedelta(days=d) for d in range(1, 7)]


def test_a_week_already_past_has_no_slots_and_costs_no_query(setup, django_assert_num_queries):
    clinic, practitioner, hour = setup
    hours(clinic, practitioner, MONDAY, "09:00", "10:00")
    settings = clinic.booking_settings
    later = at(MONDAY, 0) + dt.timedelta(days=8)
    with django_assert_num_queries(0):
        assert free_slots(clinic, hour, start=MONDAY, days=7, now=later, settings=settings) == []


def test_eight_weeks_of_slots_take_one_query_per_table(setup, django_assert_num_queries):
    clinic, practitioner, hour = setup
    colleague = UserFactory(clinic=clinic)
    for who in (practitioner, colleague):
        for weekday in range(5):
            hours(clinic, who, MONDAY + dt.timedelta(days=weekday), "09:00", "17:00")
        AppointmentFactory(clinic=clinic, practitioner=who, starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 10))
        TimeOffFactory(clinic=clinic, practitioner=who, starts_at=at(MONDAY, 12), ends_at=at(MONDAY, 14))
    BookingHoldFactory(clinic=clinic, practitioner=practitioner, treatment_type=hour, starts_at=at(MONDAY, 15))
    # Settings, working hours, time off, appointments, holds.
    with django_assert_num_queries(5):
        slots = free_slots(clinic, hour, start=MONDAY, days=56, now=LONG_BEFORE)
    assert len({s.starts_at.date() for s in slots}) == 40
