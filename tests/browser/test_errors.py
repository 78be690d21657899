"""Errors as a user meets them in the browser: each says what went wrong, where, in words."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from routines.links import make_token
from routines.models import CheckIn
from tests.browser.steps import Looker, log_in
from tests.factories import AppointmentFactory, ClientFactory, DeliveryFactory, RoutineFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def look():
    return Looker()


def test_a_double_booking_is_refused_with_the_clash_in_words(page, clinic, practitioner, look):
    tz = ZoneInfo(clinic.timezone)
    start = (timezone.now() + dt.timedelta(days=2)).astimezone(tz).replace(hour=10, minute=0, second=0, microsecond=0)
    booked = ClientFactory(clinic=clinic, first_name="Bea", last_name="Booked")
    AppointmentFactory(clinic=clinic, client=booked, practitioner=practitioner, starts_at=start)
    ClientFactory(clinic=clinic, practitioner=practitioner, first_name="Cal", last_name="Clash")

    log_in(page, "priya")
    page.goto("/appointments/book/")
    page.get_by_label("Client").select_option(label="Cal Clash")
    page.get_by_label("Date").fill(start.strftime("%Y-%m-%d"))
    page.get_by_label("Start time").fill("10:30")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_text("Priya already has an appointment from 10:00 to 11:00")).to_be_visible()
    expect(page.get_by_text("(Bea Booked)")).to_be_visible()
    expect(page.get_by_role("heading", name="Book an appointment")).to_be_visible()
    # What was typed is still there to correct.
    expect(page.get_by_label("Start time")).to_have_value("10:30")
    look(page)


def test_an_intake_with_bad_fields_shows_each_error_beside_its_field(page, practitioner, look):
    log_in(page, "priya")
    page.goto("/clients/add/")
    page.get_by_label("First name").fill("Ivy")
    page.get_by_label("Email address").fill("ivy-at-example")
    page.get_by_label("Home-routine emails arrive at").fill("")
    page.get_by_role("button", name="Add client").click()

    last_name = page.locator("#div_id_last_name")
    expect(last_name).to_contain_text("Enter the client's last name.")
    email = page.locator("#div_id_email")
    expect(email).to_contain_text("Enter a full email address, like name@example.org.")
    expect(page.get_by_label("Email address")).to_have_value("ivy-at-example")
    expect(page.get_by_label("First name")).to_have_value("Ivy")
    # The errors are tied to their fields for a screen reader, too.
    for field in ("Last name", "Email address"):
        expect(page.get_by_label(field)).to_have_attribute("aria-invalid", "true")
    look(page)


def test_another_clinics_client_shows_the_not_found_page(page, other_clinic, practitioner, look):
    stranger = ClientFactory(clinic=other_clinic, first_name="Sam", last_name="Stranger")
    log_in(page, "priya")
    response = page.goto(f"/clients/{stranger.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text("belongs to a clinic you are not part of")).to_be_visible()
    expect(page.get_by_text("Sam Stranger")).to_have_count(0)
    look(page, allow_error_page=True)
    page.get_by_role("link", name="Back to the clinic").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_tampered_email_link_shows_the_friendly_page_and_records_nothing(page, clinic, look):
    routine = RoutineFactory(clinic=clinic)
    delivery = DeliveryFactory(routine=routine)
    token = make_token(delivery, CheckIn.Kind.DONE)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")

    response = page.goto(f"/r/{tampered}/")
    assert response.status == 400
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    expect(page.get_by_text("Nothing was recorded.")).to_be_visible()
    look(page, allow_error_page=True)
    assert not CheckIn.objects.exists()
