"""Issue 12's whole journey in Chromium: a new client books online on their phone and
confirms from the email, fills in the intake that came with the confirmation, ticking a
condition that needs their doctor's permission; the practitioner reviews and accepts it,
prints the GP letter, records the GP's permission, and on the day records and signs the
first session. Each part's steps live in tests/browser/steps.py; this file only joins them
(docs/domain.md: "Online booking", and the rules on intake and medical permission)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import Appointment
from clients.health_flags import HealthFlag, flag_spec
from sessions.models import TreatmentSession
from tests.browser.steps import (
    Looker,
    ask_gp_and_record_permission,
    book_online,
    confirm_booking_from_email,
    fill_intake,
    intake_path_in,
    log_in,
    review_and_accept_intake,
)
from tests.factories import BookingSettingsFactory, TreatmentTypeFactory, WorkingHoursFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_a_new_client_books_online_fills_the_intake_and_is_treated_once_the_gp_permits(
    page, open_page, clinic, practitioner, mailoutbox, outbox_sends_at_once
):
    look = Looker()
    BookingSettingsFactory(clinic=clinic, min_notice_hours=0)
    TreatmentTypeFactory(clinic=clinic, name="Foot reflexology", duration_minutes=60)
    today = timezone.localdate()
    day = today + dt.timedelta(days=(-today.weekday()) % 7 + 1)  # the next Tuesday, tomorrow at the soonest
    WorkingHoursFactory(clinic=clinic, practitioner=practitioner, weekday=1, starts=dt.time(9), ends=dt.time(12))
    heart = flag_spec(HealthFlag.HEART_CONDITION)
    assert heart.is_medical  # "needs medical permission"

    # The client books on their phone and confirms from the email.
    phone = open_page(PHONE)
    person = {"first_name": "Noor", "last_name": "Nasser", "email": "noor@example.org", "phone": "07700 900789"}
    book_online(
        phone, look, clinic.slug, treatment="Foot reflexology (60 minutes)", day=f"{day:%A} {day.day} {day:%B}",
        time="10:00", person=person,
    )  # fmt: skip
    confirm_booking_from_email(phone, look, mailoutbox[-1].body)
    appointment = Appointment.objects.select_related("client").get()
    noor = appointment.client
    assert noor.full_name == "Noor Nasser"

    # A new client: the intake link comes by email with the booking; she answers it on her phone.
    [intake_email] = [m for m in mailoutbox if "/i/" in m.body]
    fill_intake(
        phone,
        look,
        intake_path_in(intake_email.body),
        name=("Noor", "Nasser"),
        flags=[heart.client_question],
        gp=("Dr Amara Okafor", "Riverside Surgery"),
    )

    # The practitioner accepts what she sent; the condition now asks for the GP's permission.
    log_in(page, "priya")
    review_and_accept_intake(page, look, noor)
    expect(page.locator(".flag-badges")).to_contain_text(heart.label)
    ask_gp_and_record_permission(page, look, noor, gp_name="Dr Amara Okafor", gp_practice="Riverside Surgery")

    # The day of the visit: the practitioner records the first session from the appointment and signs it.
    now = timezone.now()
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=now - dt.timedelta(minutes=50), ends_at=now + dt.timedelta(minutes=10)
    )
    page.goto(f"/appointments/{appointment.pk}/")
    look(page)
    page.get_by_role("link", name="Record session").click()
    expect(page.get_by_role("heading", name="Record session")).to_be_visible()
    page.get_by_role("group", name="Pain before the session").get_by_text("6", exact=True).click()
    page.get_by_label("Focus of the session").fill("Relaxation")
    page.get_by_role("group", name="Pain after the session").get_by_text("3", exact=True).click()
    page.get_by_role("button", name="Save session").click()
    look(page)
    page.get_by_role("link", name="Sign…").click()
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.locator("#session-status")).to_contain_text("Signed by Priya Practitioner")
    session = TreatmentSession.objects.get(appointment=appointment)
    assert session.is_signed and not session.clearance_override
