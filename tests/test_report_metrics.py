"""The reports' figures, hand-computed on a small clinic.

The clinic (Europe/London) is reported on for March 2025: Monday 3 to Sunday 30 March,
the week the clocks go forward. Five clients:

- Ana (Priya's): first session in January, two in March; relief at session 2.
- Ben (Priya's): new in March, three sessions (one with Sam covering, the last at 23:30
  on the range's last day); relief at session 3.
- Cara (Sam's): new, one session with no pain score.
- Dan (Sam's): last seen in February, so lapsed.
- Eve (Sam's): last seen in October, then at 00:00 on 31 March, just after the range.

Another clinic has a client with sessions, appointments and emails in March too; none
of it may show.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from appointments.models import Appointment
from outbox.models import Delivery
from reports.metrics import TABLES, build, headline
from reports.scope import Scope, scope_and_form, scope_from_request
from reports.tables import Percent
from routines.models import CheckIn
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    DeliveryFactory,
    PressureNoteFactory,
    ReflexZoneFactory,
    RoutineFactory,
    SignedSessionFactory,
    UserFactory,
)

LONDON = ZoneInfo("Europe/London")
MARCH_START, MARCH_END = dt.date(2025, 3, 3), dt.date(2025, 3, 30)
AFTERWARDS = dt.datetime(2025, 4, 15, 12, tzinfo=dt.UTC)


def at(day: str, time: str = "10:00") -> dt.datetime:
    """A clinic-local wall time."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=LONDON)


def session(client, practitioner, when, before=None, after=None, appointment=None):
    return SignedSessionFactory(
        clinic=client.clinic,
        client=client,
        practitioner=practitioner,
        started_at=when,
        pain_before=before,
        pain_after=after,
        appointment=appointment,
    )


def appointment(client, practitioner, when, status, created):
    appt = AppointmentFactory(
        clinic=client.clinic, client=client, practitioner=practitioner, starts_at=when, status=status
    )
    # created_at is auto_now_add: set the booking time afterwards.
    Appointment.objects.filter(pk=appt.pk).update(created_at=created)
    return appt


def email(routine, day: str, status=Delivery.Status.SENT, done=False, pain=None):
    delivery = DeliveryFactory(routine=routine, local_date=dt.date.fromisoformat(day), status=status)
    if done:
        CheckIn.objects.create(
            clinic=routine.clinic, client=routine.client, delivery=delivery, kind="done", local_date=delivery.local_date
        )
    if pain is not None:
        CheckIn.objects.create(
            clinic=routine.clinic,
            client=routine.client,
            delivery=delivery,
            kind="pain",
            pain=pain,
            local_date=delivery.local_date,
        )
    return delivery


def march(clinic, practitioner=None, now=AFTERWARDS) -> Scope:
    return Scope(clinic=clinic, start=MARCH_START, end=MARCH_END, practitioner=practitioner, now=now)


def rows(scope, slug):
    return TABLES[slug](scope).rows


@pytest.fixture
def sam(clinic):
    return UserFactory(username="sam", first_name="Sam", last_name="Second", clinic=clinic)


@pytest.fixture
def other_clinic_activity(other_clinic, other_practitioner):
    olga = ClientFactory(clinic=other_clinic, first_name="Olga", practitioner=other_practitioner)
    for day in ("2025-03-04", "2025-03-11", "2025-03-30"):
        s = session(olga, other_practitioner, at(day), 9, 1)
        zone = ReflexZoneFactory(clinic=other_clinic, code="spine", name="Their spine")
        PressureNoteFactory(session=s, zone=zone, response="tender")
        appointment(olga, other_practitioner, at(day, "09:00"), Appointment.Status.NO_SHOW, at("2025-03-01"))
    routine = RoutineFactory(clinic=other_clinic, client=olga, created_by=other_practitioner)
    email(routine, "2025-03-05", done=True, pain=9)
    email(routine, "2025-03-06", status=Delivery.Status.FAILED)
    return olga


@pytest.fixture
def people(clinic, practitioner, sam):
    return {
        "ana": ClientFactory(clinic=clinic, first_name="Ana", last_name="Alves", practitioner=practitioner),
        "ben": ClientFactory(clinic=clinic, first_name="Ben", last_name="Baker", practitioner=practitioner),
        "cara": ClientFactory(clinic=clinic, first_name="Cara", last_name="Cole", practitioner=sam),
        "dan": ClientFactory(clinic=clinic, first_name="Dan", last_name="Dunn", practitioner=sam),
        "eve": ClientFactory(clinic=clinic, first_name="Eve", last_name="Evans", practitioner=sam),
    }


@pytest.fixture
def march_clinic(clinic, practitioner, sam, people, other_clinic_activity):
    ana, ben, cara, dan, eve = people.values()
    priya = practitioner
    A = Appointment.Status

    # Appointments (start, status, booked on).
    ana_4 = appointment(ana, priya, at("2025-03-04"), A.ATTENDED, at("2025-03-01"))
    ana_18 = appointment(ana, priya, at("2025-03-18"), A.ATTENDED, at("2025-03-04", "18:00"))  # rebooked on the day
    appointment(ana, priya, at("2025-04-01"), A.BOOKED, at("2025-03-25"))  # after the range
    ben_5 = appointment(ben, priya, at("2025-03-05", "09:00"), A.ATTENDED, at("2025-03-01"))
    ben_12 = appointment(ben, sam, at("2025-03-12", "09:00"), A.ATTENDED, at("2025-03-06"))  # booked the day after
    appointment(ben, priya, at("2025-03-19"), A.NO_SHOW, at("2025-03-12", "12:00"))  # rebooked on the day
    cara_25 = appointment(cara, sam, at("2025-03-25"), A.ATTENDED, at("2025-03-20"))
    appointment(cara, sam, at("2025-03-26"), A.CANCELLED, at("2025-03-25"))  # cancelled: not a rebooking
    appointment(cara, sam, at("2025-03-27"), A.BOOKED, at("2025-03-25"))  # rebooked on the day, never recorded
    appointment(dan, sam, at("2025-03-10"), A.NO_SHOW, at("2025-02-20"))

    # Sessions: pain before -> after.
    session(ana, priya, at("2025-01-10"), 8, 6)
    ana_s2 = session(ana, priya, at("2025-03-04"), 6, 4, ana_4)
    session(ana, priya, at("2025-03-18"), 5, 3, ana_18)
    ben_s1 = session(ben, priya, at("2025-03-05", "09:00"), 7, 5, ben_5)
    session(ben, sam, at("2025-03-12", "09:00"), 6, 5, ben_12)
    ben_s3 = session(ben, priya, at("2025-03-30", "23:30"), 4, 2)  # last day, 23:30 local (BST)
    session(cara, sam, at("2025-03-25"), None, None, cara_25)
    session(dan, sam, at("2025-02-20"), 5, 4)
    session(eve, sam, at("2024-10-01"), 6, 5)
    eve_late = session(eve, sam, at("2025-03-31", "00:00"), 6, 5)  # first minute after the range

    # Pressure notes.
    spine = ReflexZoneFactory(clinic=clinic, code="spine", name="Spine", reflex_map="foot_sole")
    shoulder = ReflexZoneFactory(clinic=clinic, code="shoulder", name="Shoulder", reflex_map="hand_palm")
    PressureNoteFactory(session=ana_s2, zone=spine, side="right", response="tender")
    PressureNoteFactory(session=ana_s2, zone=spine, side="left", response="none")
    PressureNoteFactory(session=ana_s2, zone=shoulder, side="right", response="gritty")
    PressureNoteFactory(session=ben_s1, zone=spine, side="right", response="very_tender")
    PressureNoteFactory(session=ben_s3, zone=shoulder, side="right", response="none")
    PressureNoteFactory(session=eve_late, zone=spine, side="right", response="tender")

    # Routine emails.
    ana_routine = RoutineFactory(clinic=clinic, client=ana, created_by=priya)
    email(ana_routine, "2025-02-28", done=True)  # before the range: counts for Ana's all-time adherence only
    email(ana_routine, "2025-03-05", done=True)
    email(ana_routine, "2025-03-06", done=True, pain=3)
    email(ana_routine, "2025-03-07")
    email(ana_routine, "2025-03-08", status=Delivery.Status.FAILED)
    email(ana_routine, "2025-03-09", status=Delivery.Status.SKIPPED)
    email(ana_routine, "2025-03-30", status=Delivery.Status.PENDING)
    ben_routine = RoutineFactory(clinic=clinic, client=ben, created_by=priya)
    email(ben_routine, "2025-03-13", pain=5)
    email(ben_routine, "2025-03-14")
    email(ben_routine, "2025-03-31")  # after the range
    # An appointment reminder is an email, but not a routine email.
    DeliveryFactory(
        routine=None,
        clinic=clinic,
        client=cara,
        kind=Delivery.Kind.REMINDER,
        appointment=cara_25,
        local_date=dt.date(2025, 3, 24),
    )
    return clinic


# --- Sessions per week -------------------------------------------------------------------


def test_sessions_per_week_lists_every_monday_of_march_with_its_sessions(march_clinic):
    assert rows(march(march_clinic), "sessions-per-week") == [
        (dt.date(2025, 3, 3), 2),
        (dt.date(2025, 3, 10), 1),
        (dt.date(2025, 3, 17), 1),
        (dt.date(2025, 3, 24), 2),
    ]


def test_a_week_without_sessions_is_a_zero_row_not_a_gap(march_clinic):
    scope = Scope(clinic=march_clinic, start=dt.date(2025, 2, 17), end=dt.date(2025, 3, 9), now=AFTERWARDS)
    assert rows(scope, "sessions-per-week") == [
        (dt.date(2025, 2, 17), 1),  # Dan on 20 February
        (dt.date(2025, 2, 24), 0),
        (dt.date(2025, 3, 3), 2),
    ]


def test_a_session_at_2330_on_the_last_day_counts_and_one_at_midnight_after_does_not(march_clinic):
    scope = Scope(clinic=march_clinic, start=dt.date(2025, 3, 30), end=dt.date(2025, 3, 30), now=AFTERWARDS)
    assert rows(scope, "sessions-per-week") == [(dt.date(2025, 3, 24), 1)]
    next_day = Scope(clinic=march_clinic, start=dt.date(2025, 3, 31), end=dt.date(2025, 3, 31), now=AFTERWARDS)
    assert rows(next_day, "sessions-per-week") == [(dt.date(2025, 3, 31), 1)]  # Eve at 00:00


def test_weeks_start_on_monday_in_clinic_time_across_the_clocks_going_forward(clinic, practitioner):
    client = ClientFactory(clinic=clinic, practitioner=practitioner)
    # Sunday 30 March 2025 is 23 hours long in London. 00:30 BST on Monday 31 March is
    # still Sunday in UTC; 23:30 on Sunday 6 April is already... still Sunday in both.
    session(client, practitioner, at("2025-03-30", "00:30"))  # before the change, GMT
    session(client, practitioner, at("2025-03-30", "03:00"))  # after the change, BST
    session(client, practitioner, at("2025-03-31", "00:30"))  # 23:30 UTC on Sunday
    session(client, practitioner, at("2025-04-06", "23:30"))  # 22:30 UTC on Sunday
    scope = Scope(clinic=clinic, start=dt.date(2025, 3, 24), end=dt.date(2025, 4, 6), now=AFTERWARDS)
    assert rows(scope, "sessions-per-week") == [(dt.date(2025, 3, 24), 2), (dt.date(2025, 3, 31), 2)]


def test_weeks_follow_the_clinic_timezone_not_utc(practitioner, clinic):
    clinic.timezone = "Australia/Sydney"
    clinic.save()
    client = ClientFactory(clinic=clinic, practitioner=practitioner)
    sydney = ZoneInfo("Australia/Sydney")
    # 07:00 on Monday 10 March in Sydney is Sunday 9 March 20:00 UTC.
    session(client, practitioner, dt.datetime(2025, 3, 10, 7, tzinfo=sydney))
    scope = Scope(clinic=clinic, start=dt.date(2025, 3, 3), end=dt.date(2025, 3, 16), now=AFTERWARDS)
    assert rows(scope, "sessions-per-week") == [(dt.date(2025, 3, 3), 0), (dt.date(2025, 3, 10), 1)]


# --- Clients ---------------------------------------------------------------------------


def test_clients_counts_active_new_returning_and_lapsed(march_clinic):
    table = TABLES["clients"](march(march_clinic))
    assert [row[:2] for row in table.rows] == [("Active", 3), ("New", 2), ("Returning", 1), ("Lapsed", 1)]
    assert all(row[2] for row in table.rows), "every measure says what it means"


def test_a_client_last_seen_more_than_90_days_before_the_range_is_not_lapsed(clinic, practitioner):
    client = ClientFactory(clinic=clinic, practitioner=practitioner)
    session(client, practitioner, at("2024-12-02"))  # 91 days before 3 March
    assert rows(march(clinic), "clients") == []
    session(client, practitioner, at("2024-12-03"))  # 90 days before
    assert [r[:2] for r in rows(march(clinic), "clients")][-1] == ("Lapsed", 1)


# --- Practitioners ---------------------------------------------------------------------


def test_practitioners_shows_sessions_clients_and_appointment_outcomes_per_practitioner(march_clinic):
    assert rows(march(march_clinic), "practitioners") == [
        ("Priya Practitioner", 4, 2, 3, 1, 0, Percent(25.0)),
        ("Sam Second", 2, 2, 2, 1, 1, Percent(20.0)),
    ]


# --- Appointments ----------------------------------------------------------------------


def test_appointments_shows_outcomes_over_past_appointments_and_rebooked_over_attended(march_clinic):
    assert rows(march(march_clinic), "appointments") == [
        ("Attended", 5, Percent(55.6)),
        ("No-show", 2, Percent(22.2)),
        ("Cancelled", 1, Percent(11.1)),
        ("Not recorded", 1, Percent(11.1)),
        ("Rebooked", 3, Percent(60.0)),
    ]


def test_booked_appointments_still_ahead_are_left_out_of_the_rates(march_clinic):
    # On 27 March at 09:00 Cara's 10:00 appointment has not happened yet.
    scope = march(march_clinic, now=at("2025-03-27", "09:00"))
    table = rows(scope, "appointments")
    assert table[:4] == [
        ("Attended", 5, Percent(62.5)),
        ("No-show", 2, Percent(25.0)),
        ("Cancelled", 1, Percent(12.5)),
        ("Not recorded", 0, Percent(0.0)),
    ]


def test_a_rebooking_made_the_next_day_does_not_count_as_rebooked(clinic, practitioner):
    client = ClientFactory(clinic=clinic, practitioner=practitioner)
    appointment(client, practitioner, at("2025-03-04"), Appointment.Status.ATTENDED, at("2025-03-01"))
    appointment(client, practitioner, at("2025-03-11"), Appointment.Status.ATTENDED, at("2025-03-05", "00:00"))
    assert rows(march(clinic), "appointments")[-1] == ("Rebooked", 0, Percent(0.0))


def test_a_rebooking_at_2330_local_on_a_summer_day_counts_as_the_same_day(clinic, practitioner):
    client = ClientFactory(clinic=clinic, practitioner=practitioner)
    appointment(client, practitioner, at("2025-06-03"), Appointment.Status.ATTENDED, at("2025-06-01"))
    # 23:30 BST is 22:30 UTC: the same local day.
    appointment(client, practitioner, at("2025-06-10"), Appointment.Status.BOOKED, at("2025-06-03", "23:30"))
    scope = Scope(clinic=clinic, start=dt.date(2025, 6, 2), end=dt.date(2025, 6, 8), now=at("2025-07-01"))
    assert rows(scope, "appointments")[-1] == ("Rebooked", 1, Percent(100.0))


# --- Routines --------------------------------------------------------------------------


def test_routines_counts_emails_by_outcome_adherence_and_at_home_pain(march_clinic):
    assert rows(march(march_clinic), "routines") == [
        ("Emails due", 8),
        ("Sent", 5),
        ("Failed", 1),
        ("Not sent", 1),
        ("Still waiting", 1),
        ("Adherence", Percent(40.0)),
        ("Pain check-ins", 2),
        ("Mean at-home pain", 4.0),
    ]


# --- Outcomes --------------------------------------------------------------------------


def test_pain_by_session_number_numbers_sessions_in_the_clients_whole_history(march_clinic):
    assert rows(march(march_clinic), "pain-by-session-number") == [
        (1, 2, 7.0, 5.0),  # Ben's first and Cara's (no score)
        (2, 2, 6.0, 4.5),  # Ana's second (her first was in January) and Ben's
        (3, 2, 4.5, 2.5),
    ]


def test_sessions_after_the_ninth_share_the_10_plus_row(clinic, practitioner):
    client = ClientFactory(clinic=clinic, practitioner=practitioner)
    for i in range(12):
        session(client, practitioner, at("2025-03-03") + dt.timedelta(days=2 * i), 8 - i // 2, 4)
    table = rows(march(clinic), "pain-by-session-number")
    assert [r[0] for r in table] == [1, 2, 3, 4, 5, 6, 7, 8, 9, "10+"]
    # Sessions 10, 11, 12 scored 4, 3, 3 before.
    assert table[-1] == ("10+", 3, 3.3, 4.0)


def test_two_sessions_at_the_same_minute_get_consecutive_numbers(clinic, practitioner):
    client = ClientFactory(clinic=clinic, practitioner=practitioner)
    session(client, practitioner, at("2025-03-04"), 6, 4)
    session(client, practitioner, at("2025-03-04"), 6, 4)
    assert [r[:2] for r in rows(march(clinic), "pain-by-session-number")] == [(1, 1), (2, 1)]


def test_first_to_latest_compares_the_pain_clients_came_in_with(march_clinic):
    assert rows(march(march_clinic), "first-to-latest") == [
        ("Clients", 2),
        ("Mean first pain", 7.5),
        ("Mean latest pain", 4.5),
        ("Mean change", -3.0),
        ("Improved", 2),
        ("Same", 0),
        ("Worse", 0),
    ]


def test_first_to_latest_counts_clients_who_got_worse_or_stayed_the_same(clinic, practitioner):
    worse, same, once = (ClientFactory(clinic=clinic, practitioner=practitioner) for _ in range(3))
    session(worse, practitioner, at("2025-02-01"), 3, 2)
    session(worse, practitioner, at("2025-03-10"), 6, 2)
    session(same, practitioner, at("2025-03-10"), 5, 2)
    session(same, practitioner, at("2025-03-11"), None, 2)  # no score: not the latest scored
    session(same, practitioner, at("2025-03-12"), 5, 2)
    session(once, practitioner, at("2025-03-12"), 5, 2)  # one scored session only
    assert rows(march(clinic), "first-to-latest") == [
        ("Clients", 2),
        ("Mean first pain", 4.0),
        ("Mean latest pain", 5.5),
        ("Mean change", 1.5),
        ("Improved", 0),
        ("Same", 1),
        ("Worse", 1),
    ]


def test_sessions_to_relief_counts_each_active_client_once(march_clinic):
    assert rows(march(march_clinic), "sessions-to-relief") == [
        (1, 0),
        (2, 1),  # Ana: pain after 4 at session 2, half of the 8 she first came in with
        (3, 1),  # Ben: pain after 2 at session 3
        (4, 0),
        (5, 0),
        (6, 0),
        (7, 0),
        (8, 0),
        (9, 0),
        ("10+", 0),
        ("Not yet", 1),  # Cara
    ]


def test_relief_after_the_range_is_not_yet_relief(clinic, practitioner):
    client = ClientFactory(clinic=clinic, practitioner=practitioner)
    session(client, practitioner, at("2025-03-10"), 8, 6)
    session(client, practitioner, at("2025-04-02"), 8, 1)
    assert rows(march(clinic), "sessions-to-relief")[-1] == ("Not yet", 1)


def test_adherence_bands_group_clients_by_done_over_sent_all_time(march_clinic):
    assert rows(march(march_clinic), "adherence-bands") == [
        ("No routine emails", 1, 0, None),  # Cara
        ("Under 25%", 1, 1, 3.0),  # Ben: 0 of 2
        ("25-74%", 0, 0, None),
        ("75% or more", 1, 1, 2.0),  # Ana: 3 of 4, counting February's
    ]


def test_adherence_band_edges_25_and_75_percent_go_up(clinic, practitioner):
    def client_with(sent: int, done: int):
        client = ClientFactory(clinic=clinic, practitioner=practitioner)
        session(client, practitioner, at("2025-03-10"), 8, 7)
        routine = RoutineFactory(clinic=clinic, client=client, created_by=practitioner)
        for i in range(sent):
            email(routine, f"2025-03-{11 + i}", done=i < done)

    client_with(4, 1)  # 25%
    client_with(4, 3)  # 75%
    client_with(5, 1)  # 20%
    assert [r[:2] for r in rows(march(clinic), "adherence-bands")] == [
        ("No routine emails", 0),
        ("Under 25%", 1),
        ("25-74%", 1),
        ("75% or more", 1),
    ]


# --- Zones -----------------------------------------------------------------------------


def test_zones_lists_the_most_worked_zones_with_their_tender_rate(march_clinic):
    assert rows(march(march_clinic), "zones") == [
        ("Spine", "Foot sole", 3, 2, Percent(66.7)),
        ("Shoulder", "Hand palm", 2, 1, Percent(50.0)),
    ]


def test_zones_keeps_the_top_20(clinic, practitioner):
    client = ClientFactory(clinic=clinic, practitioner=practitioner)
    s = session(client, practitioner, at("2025-03-04"))
    for i in range(22):
        zone = ReflexZoneFactory(clinic=clinic, code=f"z{i:02}", name=f"Zone {i:02}")
        for side in ("right", "left")[: 1 + (i < 3)]:
            PressureNoteFactory(session=s, zone=zone, side=side)
    names = [r[0] for r in rows(march(clinic), "zones")]
    assert len(names) == 20
    assert names[:3] == ["Zone 00", "Zone 01", "Zone 02"]  # worked on both sides


# --- Scope -----------------------------------------------------------------------------


def test_a_practitioner_sees_only_their_own_clients(march_clinic, practitioner):
    scope = march(march_clinic, practitioner=practitioner)
    tables = build(scope)
    assert tables["sessions-per-week"].rows == [
        (dt.date(2025, 3, 3), 2),
        (dt.date(2025, 3, 10), 1),
        (dt.date(2025, 3, 17), 1),
        (dt.date(2025, 3, 24), 1),
    ]
    assert [r[:2] for r in tables["clients"].rows] == [("Active", 2), ("New", 1), ("Returning", 1), ("Lapsed", 0)]
    # Sam covered one of Ben's sessions: he shows, with only that.
    assert tables["practitioners"].rows == [
        ("Priya Practitioner", 4, 2, 3, 1, 0, Percent(25.0)),
        ("Sam Second", 1, 1, 1, 0, 0, Percent(0.0)),
    ]
    assert tables["appointments"].rows[0] == ("Attended", 4, Percent(80.0))
    assert tables["sessions-to-relief"].rows[1:3] == [(2, 1), (3, 1)]
    assert tables["sessions-to-relief"].rows[-1] == ("Not yet", 0)
    assert tables["zones"].rows == [
        ("Spine", "Foot sole", 3, 2, Percent(66.7)),
        ("Shoulder", "Hand palm", 2, 1, Percent(50.0)),
    ]
    assert tables["routines"].value("Emails due") == 8


def test_a_practitioner_of_sams_clients_only_sees_cara(march_clinic, sam):
    tables = build(march(march_clinic, practitioner=sam))
    assert [r[:2] for r in tables["clients"].rows] == [("Active", 1), ("New", 1), ("Returning", 0), ("Lapsed", 1)]
    assert tables["routines"].rows == []
    assert tables["zones"].rows == []


def test_every_table_of_a_busy_month_has_rows_of_the_columns_it_declares(march_clinic):
    # Each computation's rows are checked against its declaration as it runs (a missing or
    # undeclared column raises); every table has rows here, so every computation was checked.
    for slug, table in build(march(march_clinic)).items():
        assert table.rows, slug
        assert table.columns == [c.title for c in TABLES[slug].columns]
        assert {len(row) for row in table.rows} == {len(table.columns)}, slug


def test_another_clinics_data_is_never_counted(march_clinic, other_clinic):
    theirs = build(march(other_clinic))
    assert sum(theirs["sessions-per-week"].column("Sessions")) == 3
    assert theirs["clients"].value("Active") == 1
    assert theirs["appointments"].rows[1] == ("No-show", 3, Percent(100.0))
    assert theirs["routines"].value("Emails due") == 2
    assert theirs["zones"].rows == [("Their spine", "Foot sole", 3, 3, Percent(100.0))]


def test_an_empty_clinic_gets_empty_tables_and_no_divisions_by_zero(clinic):
    tables = build(march(clinic))
    assert list(tables) == list(TABLES)
    for table in tables.values():
        assert table.rows == [], table.slug
        assert table.note, table.slug
    cards = headline(march(clinic), tables)
    assert {k: c.value for k, c in cards.items()} == {
        "sessions": 0,
        "active_clients": 0,
        "no_show_rate": None,
        "adherence": None,
    }
    assert cards["no_show_rate"].text == "—"


def test_a_clinic_with_exactly_one_session(clinic, practitioner):
    client = ClientFactory(clinic=clinic, practitioner=practitioner)
    session(client, practitioner, at("2025-03-12"), 6, 3)
    tables = build(march(clinic))
    assert tables["sessions-per-week"].rows == [
        (dt.date(2025, 3, 3), 0),
        (dt.date(2025, 3, 10), 1),
        (dt.date(2025, 3, 17), 0),
        (dt.date(2025, 3, 24), 0),
    ]
    assert [r[:2] for r in tables["clients"].rows] == [("Active", 1), ("New", 1), ("Returning", 0), ("Lapsed", 0)]
    assert tables["practitioners"].rows == [("Priya Practitioner", 1, 1, 0, 0, 0, None)]
    assert tables["appointments"].rows == []
    assert tables["routines"].rows == []
    assert tables["pain-by-session-number"].rows == [(1, 1, 6.0, 3.0)]
    assert tables["first-to-latest"].rows == []
    assert tables["sessions-to-relief"].rows[0] == (1, 1)  # 3 is half of 6
    assert tables["adherence-bands"].rows[0] == ("No routine emails", 1, 1, 1.0)
    assert tables["zones"].rows == []
    cards = headline(march(clinic), tables)
    assert (cards["sessions"].value, cards["active_clients"].value, cards["no_show_rate"].text) == (1, 1, "—")


def test_headline_reads_the_cards_off_the_tables(march_clinic, django_assert_num_queries):
    scope = march(march_clinic)
    tables = build(scope)
    with django_assert_num_queries(0):
        cards = headline(scope, tables)
    assert {k: c.text for k, c in cards.items()} == {
        "sessions": "6",
        "active_clients": "3",
        "no_show_rate": "22.2%",
        "adherence": "40.0%",
    }


# --- Queries ---------------------------------------------------------------------------

BUILD_QUERIES = 10


def test_build_makes_a_fixed_number_of_queries(march_clinic, django_assert_num_queries):
    with django_assert_num_queries(BUILD_QUERIES):
        build(march(march_clinic))


def test_build_makes_no_more_queries_when_the_data_grows(march_clinic, practitioner, django_assert_num_queries):
    zone = ReflexZoneFactory(clinic=march_clinic, code="more")
    extra = UserFactory(clinic=march_clinic)  # their own diary: no clash with the fixture's appointments
    for i in range(15):
        client = ClientFactory(clinic=march_clinic, practitioner=practitioner)
        routine = RoutineFactory(clinic=march_clinic, client=client, created_by=practitioner)
        for week in range(3):
            s = session(client, practitioner, at(f"2025-03-{4 + 7 * week:02}"), 7, 3)
            PressureNoteFactory(session=s, zone=zone, response="tender")
            when = at(f"2025-03-{5 + 7 * week:02}", f"{6 + i:02}:00")
            appointment(client, extra, when, "attended", at("2025-03-01"))
            email(routine, f"2025-03-{6 + 7 * week:02}", done=week > 0, pain=week)
    with django_assert_num_queries(BUILD_QUERIES):
        tables = build(march(march_clinic))
    assert tables["clients"].value("Active") == 18


@pytest.mark.parametrize("slug", list(TABLES))
def test_each_table_makes_at_most_two_queries(march_clinic, slug, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        TABLES[slug](march(march_clinic))


# --- The filter ------------------------------------------------------------------------


def request_for(user, query: str = ""):
    from django.test import RequestFactory

    request = RequestFactory().get(f"/reports/?{query}")
    request.user, request.clinic = user, user.clinic
    return request


def frozen_today(monkeypatch, day: dt.date):
    monkeypatch.setattr("reports.scope.clinic_today", lambda clinic: day)


def test_the_default_range_is_this_week_and_the_three_before(owner, monkeypatch):
    frozen_today(monkeypatch, dt.date(2025, 3, 27))  # a Thursday
    scope, form = scope_and_form(request_for(owner))
    assert (scope.start, scope.end, scope.practitioner) == (dt.date(2025, 3, 3), dt.date(2025, 3, 27), None)
    assert not form.errors


@pytest.mark.parametrize(
    ("today", "preset", "start"),
    [
        (dt.date(2025, 3, 27), "4w", dt.date(2025, 3, 3)),
        (dt.date(2025, 3, 27), "quarter", dt.date(2025, 1, 1)),
        (dt.date(2025, 11, 24), "quarter", dt.date(2025, 10, 1)),
        (dt.date(2025, 3, 27), "year", dt.date(2025, 1, 1)),
        (dt.date(2025, 1, 1), "year", dt.date(2025, 1, 1)),
    ],
)
def test_presets_are_the_last_four_whole_weeks_this_quarter_or_this_year_up_to_today(
    owner, monkeypatch, today, preset, start
):
    frozen_today(monkeypatch, today)
    scope = scope_from_request(request_for(owner, f"range={preset}"))
    assert (scope.start, scope.end) == (start, today)


def test_a_custom_range_is_used_as_given(owner):
    scope, form = scope_and_form(request_for(owner, "range=custom&start=2025-03-03&end=2025-03-30"))
    assert (scope.start, scope.end) == (MARCH_START, MARCH_END)
    assert scope.start_at == dt.datetime(2025, 3, 3, tzinfo=LONDON)
    assert scope.end_at == dt.datetime(2025, 3, 31, tzinfo=LONDON)
    assert not form.errors


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("range=custom&start=2025-03-30&end=2025-03-03", "end", "The last day is before the first day."),
        ("range=custom&start=2020-01-01&end=2025-03-03", "end", "Choose a range of at most three years."),
        ("range=custom&start=2025-02-30&end=2025-03-03", "start", "Enter a date like 2026-03-03."),
        ("range=custom&end=2025-03-03", "start", "Choose the first day of the range."),
        ("range=decade", "range", "Choose a period from the list."),
    ],
)
def test_a_bad_range_is_a_message_by_the_field_and_falls_back_to_the_default(owner, monkeypatch, query, field, message):
    frozen_today(monkeypatch, dt.date(2025, 3, 27))
    scope, form = scope_and_form(request_for(owner, query))
    assert form.errors[field] == [message]
    assert (scope.start, scope.end) == (dt.date(2025, 3, 3), dt.date(2025, 3, 27))


def test_dates_without_a_preset_are_a_custom_range(owner):
    scope = scope_from_request(request_for(owner, "start=2025-03-03&end=2025-03-30"))
    assert (scope.start, scope.end) == (MARCH_START, MARCH_END)


def test_an_owner_may_narrow_the_report_to_one_practitioner(owner, practitioner):
    scope = scope_from_request(request_for(owner, f"practitioner={practitioner.pk}"))
    assert scope.practitioner == practitioner


def test_a_practitioner_of_another_clinic_is_refused_and_ignored(owner, other_practitioner):
    scope, form = scope_and_form(request_for(owner, f"practitioner={other_practitioner.pk}"))
    assert scope.practitioner is None
    assert form.errors["practitioner"] == ["Choose a practitioner of this clinic."]


def test_a_practitioner_always_gets_their_own_clients_whatever_the_query_says(practitioner, owner):
    scope, form = scope_and_form(request_for(practitioner, f"practitioner={owner.pk}"))
    assert scope.practitioner == practitioner
    assert "practitioner" not in form.fields
