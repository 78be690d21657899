"""Consent honoured, in the browser (issue 10, items 1 and 3): the client stops the
emails from their phone, the practitioner sees it at the top of the client page, cannot
assign a new routine until they record the client's renewed consent; and a client with
injured feet gets a chart that opens on the hands and asks before a foot zone."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.health_flags import HealthFlag, flag_spec
from routines.links import checkin_url
from routines.models import Routine
from tests.browser.steps import Looker, log_in
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    ClientHealthFlagFactory,
    DeliveryFactory,
    ReflexZoneFactory,
    RoutineFactory,
    RoutineStepFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_stop_means_stop_until_the_practitioner_records_renewed_consent(page, open_page, clinic, practitioner):
    look = Looker()
    client = ClientFactory(clinic=clinic, first_name="Rosa", last_name="Reed", email="rosa@example.org")
    routine = RoutineFactory(clinic=clinic, client=client, created_by=practitioner)
    delivery = DeliveryFactory(routine=routine)

    # The client, on their phone, stops the emails from the link.
    phone = open_page({"width": 390, "height": 844})
    phone.goto(urlsplit(checkin_url(delivery, "stop")).path)
    expect(phone.get_by_role("heading", name="Stop these routine emails?")).to_be_visible()
    phone.get_by_role("button", name="Stop the emails").click()
    expect(phone.get_by_role("heading", name="Stop these routine emails?")).to_have_count(0)

    # The practitioner sees it at the top of the client page.
    log_in(page, "priya")
    page.goto(f"/clients/{client.pk}/")
    banner = page.locator("#consent-withdrawn")
    expect(banner).to_contain_text("Rosa stopped routine emails")
    expect(banner).to_contain_text("the stop link in a routine email")
    look(page)

    # A new routine cannot be assigned.
    draft = RoutineFactory(clinic=clinic, client=client, created_by=practitioner, status=Routine.Status.DRAFT)
    RoutineStepFactory(routine=draft, zone=ReflexZoneFactory(clinic=clinic))
    page.goto(f"/routines/{draft.pk}/")
    page.get_by_role("button", name="Assign to Rosa").click()
    expect(page.get_by_text("No routine can be assigned until you record their renewed consent").first).to_be_visible()
    assert Routine.objects.get(pk=draft.pk).status == Routine.Status.DRAFT

    # Rosa rang to say she wants the emails again: the practitioner records it.
    page.goto(f"/clients/{client.pk}/")
    page.get_by_role("link", name="Record renewed consent").click()
    look(page)
    page.get_by_label("What the client said").fill("Rang to say she would like the emails again.")
    page.get_by_role("button", name="Record renewed consent").click()
    expect(page.get_by_text("Renewed consent recorded")).to_be_visible()
    expect(page.locator("#consent-withdrawn")).to_have_count(0)

    page.goto(f"/routines/{draft.pk}/")
    page.get_by_role("button", name="Assign to Rosa").click()
    expect(page.locator("#routine-status")).to_have_text("Active")


def test_the_chart_of_a_client_with_injured_feet_opens_on_the_hands_and_asks_before_a_foot_zone(
    page, clinic, practitioner
):
    client = ClientFactory(clinic=clinic, first_name="Rosa", last_name="Reed")
    ClientHealthFlagFactory(client=client, flag=HealthFlag.FEET_INJURED)
    start = timezone.now() - dt.timedelta(minutes=30)
    appointment = AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )
    log_in(page, "priya")
    page.goto(f"/sessions/from-appointment/{appointment.pk}/")
    expect(page.locator("#rc-picker-pane-hand_palm")).to_be_visible()
    expect(page.locator("#rc-picker-pane-foot_sole")).to_be_hidden()

    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    page.locator("#rc-picker-tab-foot_sole").click()
    page.get_by_role("button", name="Lower back, right sole").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#zone-modal")).to_be_hidden()
    assert len(asked) == 1 and flag_spec(HealthFlag.FEET_INJURED).treatment in asked[0]

    # A hand zone opens the pressure note at once.
    page.locator("#rc-picker-tab-hand_palm").click()
    page.locator("#rc-picker-pane-hand_palm .rc-zone").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#zone-modal")).to_be_visible()
    assert len(asked) == 1
