"""A practitioner's private calendar feed (docs/domain.md, rule 13): a secret address their
phone's calendar subscribes to, carrying only times, the client's first name and the
treatment; a reset makes the old address a 404. Read back with vobject, a parser other
than the icalendar library that writes it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import vobject
from django.urls import reverse

from appointments.models import Appointment, CalendarFeed
from tests.factories import AppointmentFactory, ClientFactory, ClientHealthFlagFactory, TreatmentTypeFactory


def make_address(http) -> str:
    """Press the button on the feed page; the address is on the page it leads to, once."""
    page = http.post(reverse("appointments:feed_settings"), follow=True).content.decode()
    return re.search(r'value="(http://testserver/feeds/[^"]+\.ics)"', page).group(1)


def path_of(address: str) -> str:
    return address.removeprefix("http://testserver")


def events(response) -> list:
    calendar = vobject.readOne(response.content.decode())
    return list(getattr(calendar, "vevent_list", []))


@pytest.fixture
def jane_at_ten(clinic, practitioner, day):
    jane = ClientFactory(
        clinic=clinic, first_name="Jane", last_name="Quillfeather", email="jane.q@example.org", phone="07700 900123"
    )
    ClientHealthFlagFactory(client=jane, flag="serious_back_injury")
    start = dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC)
    return AppointmentFactory(
        clinic=clinic,
        client=jane,
        practitioner=practitioner,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=45),
        notes="Lower back very sore after the fall",
    )


def test_the_feed_has_the_practitioners_appointments_with_first_names_and_no_health_data(
    practitioner_client, jane_at_ten, anon
):
    address = make_address(practitioner_client)

    response = anon.get(path_of(address))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    (event,) = events(response)
    assert event.summary.value == "Jane · Reflexology"
    assert event.dtstart.value == jane_at_ten.starts_at
    assert event.dtend.value == jane_at_ten.ends_at
    text = response.content.decode()
    for secret in ("Quillfeather", "jane.q@example.org", "900123", "Lower back", "back injury", "Serious"):
        assert secret not in text


def test_the_feed_leaves_out_cancelled_visits_and_other_practitioners_appointments(
    practitioner_client, jane_at_ten, owner, clinic, anon
):
    AppointmentFactory(clinic=clinic, practitioner=owner, client=ClientFactory(clinic=clinic, first_name="Owen"))
    AppointmentFactory(
        clinic=clinic,
        practitioner=jane_at_ten.practitioner,
        client=ClientFactory(clinic=clinic, first_name="Cara"),
        status=Appointment.Status.CANCELLED,
    )
    response = anon.get(path_of(make_address(practitioner_client)))

    assert [e.summary.value for e in events(response)] == ["Jane · Reflexology"]


def test_the_feed_names_the_treatment_type_when_there_is_one(practitioner_client, jane_at_ten, clinic, anon):
    jane_at_ten.treatment_type = TreatmentTypeFactory(clinic=clinic, name="Hand reflexology", duration_minutes=45)
    jane_at_ten.save()

    (event,) = events(anon.get(path_of(make_address(practitioner_client))))

    assert event.summary.value == "Jane · Hand reflexology"


def test_a_shared_cache_may_not_keep_the_feed(practitioner_client, anon):
    response = anon.get(path_of(make_address(practitioner_client)))

    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_the_address_is_stored_only_as_a_hash(practitioner_client, practitioner):
    address = make_address(practitioner_client)
    token = path_of(address).removeprefix("/feeds/").removesuffix(".ics")

    feed = CalendarFeed.objects.get(practitioner=practitioner)
    assert len(token) >= 40
    assert token not in feed.token_hash
    page = practitioner_client.get(reverse("appointments:feed_settings")).content.decode()
    assert token not in page  # shown once only
    assert "Reset the secret address" in page


def test_resetting_the_secret_makes_the_old_address_a_404(practitioner_client, jane_at_ten, anon):
    old = make_address(practitioner_client)
    new = make_address(practitioner_client)

    assert old != new
    assert anon.get(path_of(old)).status_code == 404
    assert anon.get(path_of(new)).status_code == 200
    assert CalendarFeed.objects.count() == 1


@pytest.mark.parametrize("token", ["wrong", "x" * 43, "%00", "a.b"])
def test_a_wrong_secret_is_a_404(practitioner_client, anon, token):
    make_address(practitioner_client)

    assert anon.get(f"/feeds/{token}.ics").status_code == 404


def test_a_practitioner_who_left_has_no_feed(practitioner_client, practitioner, anon):
    address = make_address(practitioner_client)
    practitioner.is_active = False
    practitioner.save()

    assert anon.get(path_of(address)).status_code == 404


def test_a_practitioner_of_another_clinic_gets_only_their_own_feed(
    practitioner_client, jane_at_ten, other_client, other_practitioner, anon
):
    mine = make_address(practitioner_client)
    theirs = make_address(other_client)

    assert events(anon.get(path_of(theirs))) == []
    assert "Jane" not in anon.get(path_of(theirs)).content.decode()
    assert len(events(anon.get(path_of(mine)))) == 1
    # Each reset touches only the person's own feed.
    make_address(other_client)
    assert anon.get(path_of(mine)).status_code == 200


def test_the_feed_page_offers_to_make_an_address_first(practitioner_client):
    page = practitioner_client.get(reverse("appointments:feed_settings")).content.decode()

    assert "You have no calendar address yet." in page
    assert "Make my calendar address" in page


def test_the_feed_takes_a_fixed_number_of_queries(
    practitioner_client, clinic, practitioner, anon, django_assert_num_queries, day
):
    address = make_address(practitioner_client)
    for hour in range(8, 14):
        start = dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)
        AppointmentFactory(
            clinic=clinic, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
        )

    # The feed with its practitioner and clinic; the appointments with first names.
    with django_assert_num_queries(2):
        response = anon.get(path_of(address))
    assert len(events(response)) == 6
