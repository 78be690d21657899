"""Online booking in the browser: a new client books on the clinic's public page, on a
phone, and confirms from the email (docs/domain.md, "Online booking"). Chromium against
the live server; the email goes through the real outbox (Celery eager in the test process)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from appointments.models import Appointment
from outbox.models import Delivery
from tests.browser.steps import Looker, book_online, confirm_booking_from_email
from tests.factories import BookingSettingsFactory, TreatmentTypeFactory, WorkingHoursFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_client_books_online_and_confirms_from_the_email(
    open_page, clinic, practitioner, mailoutbox, outbox_sends_at_once
):
    look = Looker()
    BookingSettingsFactory(clinic=clinic, min_notice_hours=0)
    TreatmentTypeFactory(clinic=clinic, name="Foot reflexology", duration_minutes=60, buffer_after_minutes=15)
    TreatmentTypeFactory(clinic=clinic, name="Hand reflexology", duration_minutes=45)
    today = timezone.localdate()
    day = today + dt.timedelta(days=(-today.weekday()) % 7 + 1)  # the next Tuesday, tomorrow at the soonest
    WorkingHoursFactory(clinic=clinic, practitioner=practitioner, weekday=1, starts=dt.time(9), ends=dt.time(12))

    phone = open_page({"width": 390, "height": 844})
    person = {"first_name": "Nina", "last_name": "Newcomer", "email": "nina@example.org", "phone": "07700 900456"}
    book_online(
        phone, look, clinic.slug, treatment="Foot reflexology (60 minutes)", day=f"{day:%A} {day.day} {day:%B}",
        time="10:30", person=person,
    )  # fmt: skip
    assert not Appointment.objects.exists(), "nothing is booked before the link is followed"

    [verify] = mailoutbox
    assert verify.to == ["Nina Newcomer <nina@example.org>"]
    confirm_booking_from_email(phone, look, verify.body)

    appointment = Appointment.objects.get()
    assert appointment.client.full_name == "Nina Newcomer" and appointment.client.email == "nina@example.org"
    assert appointment.starts_at.astimezone(dt.UTC) == dt.datetime.combine(
        day, dt.time(10, 30), tzinfo=timezone.get_current_timezone()
    ).astimezone(dt.UTC)
    assert Delivery.objects.filter(appointment=appointment, kind=Delivery.Kind.CONFIRMATION).exists()
    confirmation = mailoutbox[-1]
    assert confirmation.to == ["Nina Newcomer <nina@example.org>"] and "10:30" in confirmation.subject
