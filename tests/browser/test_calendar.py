"""The calendars in Chromium (issue 12, section 5; issue 13, Wanted 2): the day's time grid
at desktop width, a column per practitioner with visits on their hours, a free slot that
opens the booking form filled in, a visit's details opened on a click; the week at tablet
width with today's column on screen, whatever day today is."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.launch import DESKTOP, TABLET, csp_violations
from tests.browser.steps import log_in_as
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    ClientHealthFlagFactory,
    TimeOffFactory,
    TreatmentTypeFactory,
    WorkingHoursFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def busy_day(clinic, owner, practitioner, day):
    TreatmentTypeFactory(clinic=clinic, name="Reflexology", duration_minutes=60)
    for person in (owner, practitioner):
        WorkingHoursFactory(
            clinic=clinic, practitioner=person, weekday=day.weekday(), starts=dt.time(9), ends=dt.time(17)
        )
    TimeOffFactory(
        clinic=clinic,
        practitioner=owner,
        starts_at=dt.datetime.combine(day, dt.time(13), tzinfo=LONDON),
        ends_at=dt.datetime.combine(day, dt.time(17), tzinfo=LONDON),
        reason="Training",
    )
    jane = ClientFactory(clinic=clinic, first_name="Jane", last_name="Doe")
    ClientHealthFlagFactory(client=jane, flag="serious_back_injury")
    start = dt.datetime.combine(day, dt.time(10), tzinfo=LONDON)
    AppointmentFactory(
        clinic=clinic, client=jane, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )
    return day


def test_the_day_grid_at_desktop_width_puts_visits_on_their_hours_and_books_from_a_free_slot(
    open_page, live_server, owner, busy_day
):
    page = open_page(DESKTOP)
    log_in_as(page, owner, base_url=live_server.url)
    page.goto(f"/appointments/?date={busy_day.isoformat()}&practitioner=all")

    mine = page.get_by_role("heading", name="Olivia Owner")
    priya = page.get_by_role("heading", name="Priya Practitioner")
    expect(priya).to_be_visible()
    assert mine.bounding_box()["x"] < priya.bounding_box()["x"]  # side by side, the owner's own first
    visit = page.get_by_role("link", name="10:00 Jane Doe")
    ten = page.locator(".rc-hour", has_text="10:00")
    # The visit starts level with the 10:00 line and is an hour (twelve rows) tall.
    assert abs(visit.bounding_box()["y"] - ten.bounding_box()["y"]) < 6
    expect(page.locator(".rc-off")).to_contain_text("Time off: Training")
    assert not csp_violations(page)
    assert_accessible(page)

    # The details of a visit open on a click, without leaving the calendar.
    visit.click()
    card = page.get_by_role("dialog")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Serious back injury")
    expect(card.get_by_role("link", name="Record session")).to_be_visible()
    assert_accessible(page, what="the appointment's card")
    card.get_by_role("button", name="Close").click()
    expect(card).to_be_hidden()

    page.get_by_role("link", name="11:00 free: book with Priya Practitioner").click()
    expect(page.get_by_role("heading", name="Book an appointment")).to_be_visible()
    expect(page.get_by_label("Date")).to_have_value(busy_day.isoformat())
    expect(page.get_by_label("Start time")).to_have_value("11:00")
    assert page.get_by_label("Practitioner").evaluate("s => s.options[s.selectedIndex].text") == "Priya Practitioner"
    assert not csp_violations(page)


def test_a_practitioner_who_chooses_a_treatment_on_the_booking_form_sees_its_length_chosen(
    open_page, live_server, owner, clinic
):
    """docs/domain.md, "The desk": the treatment's length, which they can still change."""
    TreatmentTypeFactory(clinic=clinic, name="Foot reflexology", duration_minutes=45)
    page = open_page(DESKTOP)
    log_in_as(page, owner, base_url=live_server.url)
    page.goto("/appointments/book/")

    expect(page.get_by_label("Length")).to_have_value("60")
    page.get_by_label("Treatment").select_option(label="Foot reflexology (45 min)")
    expect(page.get_by_label("Length")).to_have_value("45")
    page.get_by_label("Length").select_option(label="90 minutes")
    expect(page.get_by_label("Length")).to_have_value("90")
    assert not csp_violations(page)
    assert_accessible(page)


def test_the_week_at_tablet_width_keeps_todays_column_on_screen(open_page, live_server, owner, practitioner, clinic):
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    for n in range(7):
        for hour in (9, 11, 14, 16):
            start = dt.datetime.combine(monday + dt.timedelta(days=n), dt.time(hour), tzinfo=LONDON)
            AppointmentFactory(
                clinic=clinic, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
            )
    page = open_page(TABLET)
    log_in_as(page, owner, base_url=live_server.url)
    page.goto("/appointments/week/?practitioner=all")

    column = page.locator(".rc-today")
    expect(column).to_be_visible()
    box = column.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= TABLET["width"], box
    expect(column).to_contain_text("Today")
    scroll_width, client_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width
    assert_accessible(page)
