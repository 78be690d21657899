"""Issue 10 in the browser: a course is booked as a course, and what needs attention is
in one place. Chromium against the live server; emails go through the real outbox (Celery
eager in the test process)."""

from __future__ import annotations

import datetime as dt
import re
from email import message_from_bytes, policy

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.steps import Looker, log_in
from tests.factories import AppointmentFactory, ClientFactory, TreatmentSessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def look():
    return Looker()


def _date_text(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def test_a_course_is_booked_as_a_course_and_the_page_and_the_email_list_every_date(
    page, clinic, practitioner, mailoutbox, look, outbox_sends_at_once
):
    client = ClientFactory(clinic=clinic, first_name="Cleo", last_name="Course", email="cleo@example.org")
    first = timezone.localdate() + dt.timedelta(days=(1 - timezone.localdate().weekday()) % 7 + 7)
    dates = [first + dt.timedelta(days=14 * n) for n in range(3)]

    log_in(page, "priya")
    page.goto(f"/appointments/course/?client={client.pk}")
    look(page)
    page.get_by_label("Date").fill(first.isoformat())
    page.get_by_label("Start time").fill("09:30")
    page.get_by_label("Number of sessions").fill("3")
    page.get_by_label("Every … days").fill("14")
    page.get_by_role("button", name="Book the course").click()

    expect(page.get_by_role("alert").first).to_contain_text("Booked a course of 3 sessions every 14 days")
    listed = page.locator("#course-dates")
    expect(listed.get_by_role("listitem")).to_have_count(3)
    for day in dates:
        expect(listed).to_contain_text(f"{_date_text(day)}, 09:30")
    look(page)

    [email] = mailoutbox
    assert email.to == ["Cleo Course <cleo@example.org>"]
    for day in dates:
        assert f"When: {_date_text(day)}, 09:30" in email.body
    parsed = message_from_bytes(email.message().as_bytes(), policy=policy.default)
    [calendar] = [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]
    assert calendar.get_content().count("BEGIN:VEVENT") == 3


def test_the_needs_attention_count_shows_in_the_navigation_and_leads_to_the_list(page, clinic, practitioner, look):
    client = ClientFactory(clinic=clinic, practitioner=practitioner, first_name="Dora", last_name="Draft")
    TreatmentSessionFactory(clinic=clinic, client=client, practitioner=practitioner, started_at=timezone.now())
    start = timezone.now() - dt.timedelta(hours=3)
    AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )

    log_in(page, "priya")
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("Needs attention"))
    expect(link.locator("#attention-count")).to_have_text("2")
    look(page)
    link.click()
    expect(page.get_by_role("heading", name="Needs attention", exact=True)).to_be_visible()
    unsigned = page.get_by_role("region", name=re.compile("Sessions waiting to be signed"))
    expect(unsigned).to_contain_text("Dora Draft")
    booked = page.get_by_role("region", name=re.compile("Past appointments still marked booked"))
    expect(booked).to_contain_text("Dora Draft")
    look(page)
    unsigned.get_by_role("link", name="Dora Draft").click()
    expect(page.locator("#session-status")).to_contain_text("Draft")
