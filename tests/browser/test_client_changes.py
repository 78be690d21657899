"""Issue 12, part 4 in the browser: a returning client moves their appointment from the
reminder email and the practitioner sees it; a cancellation inside the notice period is
refused politely. Chromium against the live server; emails go through the real outbox
(Celery eager, in the process that queues them)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.email_kinds import create_reminders
from appointments.models import Appointment
from outbox.mailer import send_deliveries
from outbox.models import Delivery
from tests.browser.steps import Looker, log_in, move_appointment_from_email, open_cancel_link
from tests.factories import AppointmentFactory, ClientFactory
from tests.test_client_changes import PHONE, open_online

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def look():
    return Looker()


@pytest.fixture
def theo(clinic, practitioner):
    clinic.name, clinic.phone = "Willow Reflexology", PHONE
    clinic.save()
    open_online(clinic, practitioner)
    return ClientFactory(
        clinic=clinic, practitioner=practitioner, first_name="Theo", last_name="Quill", email="theo@example.org"
    )


def _reminder(mailoutbox, now: dt.datetime):
    """What the dispatch pass does: the reminders due, sent by the outbox."""
    produced = create_reminders(now)
    send_deliveries(Delivery.objects.filter(kind=Delivery.Kind.REMINDER).values_list("pk", flat=True))
    assert produced.created == 1
    [message] = [m for m in mailoutbox if m.subject.startswith("Reminder")]
    return message


def test_a_returning_client_moves_their_appointment_from_the_reminder_and_the_practitioner_sees_it(
    page, open_page, clinic, practitioner, theo, mailoutbox, look, outbox_sends_at_once
):
    # Booked two days ago for the day after later, 10:00 in the clinic's time: the
    # reminder goes 24 hours ahead; the client acts on it more than 24 hours ahead.
    later = timezone.localdate() + dt.timedelta(days=2)
    start = dt.datetime.combine(later, dt.time(10), tzinfo=timezone.get_current_timezone())
    visit = AppointmentFactory(
        clinic=clinic, client=theo, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )
    Appointment.objects.filter(pk=visit.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    reminder = _reminder(mailoutbox, now=start - dt.timedelta(hours=23))
    assert "Move to another time:" in reminder.body

    move_appointment_from_email(page, look, reminder, day=f"{later:%A} {later.day} {later:%B}", to_time="15:00")
    expect(page.locator("#change-appointment")).to_contain_text("15:00 to 16:00")
    moved = [m for m in mailoutbox if m.subject.startswith("Moved")]
    assert len(moved) == 1 and "15:00 to 16:00" in moved[0].body

    staff = open_page()
    log_in(staff, "priya")
    staff.goto("/attention/")
    changes = staff.get_by_role("region", name=re.compile("Appointments clients moved or cancelled"))
    expect(changes).to_contain_text("Theo Quill")
    expect(changes).to_contain_text("Moved by the client from their email")
    look(staff)
    changes.get_by_role("link", name="Theo Quill").click()
    expect(staff.get_by_text(re.compile(r"15:00–16:00"))).to_be_visible()
    look(staff)


def test_a_cancellation_inside_the_notice_period_is_refused_politely_with_the_clinics_phone(
    page, clinic, practitioner, theo, mailoutbox, look, outbox_sends_at_once
):
    start = (timezone.now() + dt.timedelta(hours=20)).replace(second=0, microsecond=0)
    visit = AppointmentFactory(
        clinic=clinic, client=theo, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )
    Appointment.objects.filter(pk=visit.pk).update(created_at=timezone.now() - dt.timedelta(days=7))
    reminder = _reminder(mailoutbox, now=timezone.now())

    open_cancel_link(page, look, reminder)
    expect(page.get_by_role("heading", name="Please call us to change this appointment")).to_be_visible()
    expect(page.locator("#too-late")).to_contain_text("less than 24 hours away")
    expect(page.get_by_role("link", name=PHONE).first).to_be_visible()
    expect(page.get_by_role("button", name="Cancel my appointment")).to_have_count(0)
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED
    assert not [m for m in mailoutbox if m.subject.startswith("Cancelled")]
