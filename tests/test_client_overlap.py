"""One client cannot be in two overlapping appointments, with any practitioners (issue 10, item 8).

The services check first and name the clash; on PostgreSQL an exclusion constraint per
client (appointments migration 0005) has the last word, as for practitioners."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.localtime import short_date
from appointments import selectors, services
from appointments.models import Appointment
from tests.factories import ClientFactory, UserFactory
from tests.races import book_at_once
from tests.test_appointments import appointment_for, booking, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def jane(clinic):
    return ClientFactory(clinic=clinic, first_name="Jane", last_name="Doe")


@pytest.fixture
def sam(clinic):
    return UserFactory(username="sam", first_name="Sam", last_name="Second", clinic=clinic)


def test_a_client_cannot_be_booked_into_two_overlapping_appointments_with_different_practitioners(
    practitioner_client, practitioner, sam, jane, day
):
    appointment_for(sam, local(day, 10), client=jane)
    response = practitioner_client.post(reverse("appointments:book"), booking(jane, practitioner, day, "10:30"))
    page = response.content.decode()
    assert f"Jane Doe already has an appointment from 10:00 to 11:00 on {short_date(day)} (with Sam)." in page
    assert Appointment.objects.filter(client=jane).count() == 1


def test_a_client_can_be_booked_straight_after_another_appointment(practitioner_client, practitioner, sam, jane, day):
    appointment_for(sam, local(day, 10), client=jane)
    response = practitioner_client.post(reverse("appointments:book"), booking(jane, practitioner, day, "11:00"))
    assert response.status_code == 302
    assert Appointment.objects.filter(client=jane).count() == 2


def test_a_course_that_overlaps_the_clients_other_appointment_is_refused_whole(
    practitioner_client, practitioner, sam, jane, day
):
    appointment_for(sam, local(day + dt.timedelta(days=7), 10), client=jane)
    response = practitioner_client.post(
        reverse("appointments:course_book"), booking(jane, practitioner, day, "10:00", sessions=3, interval_days=7)
    )
    assert "Jane Doe already has an appointment from 10:00 to 11:00" in response.content.decode()
    assert Appointment.objects.filter(client=jane).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_client_exclusion_constraint_refuses_an_overlapping_row_written_directly(
    clinic, practitioner, sam, jane, day
):
    appointment_for(practitioner, local(day, 10), client=jane)
    appointment_for(sam, local(day, 11), client=jane)  # touching is fine
    third = UserFactory(username="tess", clinic=clinic)
    appointment_for(third, local(day, 10, 30), client=jane, status=Appointment.Status.CANCELLED)

    with pytest.raises(IntegrityError, match=services.CLIENT_OVERLAP_CONSTRAINT), transaction.atomic():
        appointment_for(third, local(day, 10, 30), client=jane)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_bookings_of_one_client_with_two_practitioners_exactly_one_wins(
    clinic, practitioner, sam, jane, day, monkeypatch
):
    """Both threads pass the service's check before either inserts: only the database can stop the second."""
    start = local(day, 10)

    def booking_with(who):
        return lambda: services.appointment_book(
            clinic=clinic, client=jane, practitioner=who, starts_at=start, ends_at=start + dt.timedelta(hours=1)
        )

    outcomes = book_at_once(
        monkeypatch, selectors, "client_clashes", {w.first_name: booking_with(w) for w in (practitioner, sam)}
    )

    assert sorted(outcomes) == ["Priya", "Sam"]
    winners = [name for name, outcome in outcomes.items() if outcome == "booked"]
    assert len(winners) == 1, outcomes
    loser = next(outcome for outcome in outcomes.values() if outcome != "booked")
    assert loser == [
        f"Jane Doe already has an appointment from 10:00 to 11:00 on {short_date(day)} (with {winners[0]})."
    ]
    assert Appointment.objects.count() == 1
