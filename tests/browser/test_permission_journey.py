"""Medical permission in the browser (issue 12, part 2; docs/domain.md, rule 16): a client
with a flag that needs medical permission cannot have a session recorded without a reason;
the practitioner asks the GP from the client page, prints the letter, records the GP's
permission, and then records the session with no override asked for."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.health_flags import HealthFlag
from sessions.models import TreatmentSession
from tests.browser.steps import Looker, ask_gp_and_record_permission, log_in
from tests.factories import AppointmentFactory, ClientFactory, ClientHealthFlagFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_practitioner_prints_the_gp_letter_records_permission_and_then_records_the_session(
    page, clinic, practitioner
):
    look = Looker()
    client = ClientFactory(clinic=clinic, practitioner=practitioner, first_name="Rosa", last_name="Reed")
    ClientHealthFlagFactory(client=client, flag=HealthFlag.PREGNANCY)
    start = timezone.now() - dt.timedelta(minutes=20)
    appointment = AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )
    log_in(page, "priya")

    # Before: recording the session asks why she is treating without permission.
    page.goto(f"/sessions/from-appointment/{appointment.pk}/")
    expect(page.locator("#clearance-override")).to_contain_text("“Pregnancy” on record, which needs medical permission")
    look(page)

    ask_gp_and_record_permission(page, look, client)

    # After: the warning and the override are gone, and the session saves.
    page.goto(f"/sessions/from-appointment/{appointment.pk}/")
    expect(page.get_by_role("heading", name="Record session")).to_be_visible()
    expect(page.locator("#clearance-override")).to_have_count(0)
    expect(page.get_by_text("Waiting for medical permission")).to_have_count(0)
    page.get_by_label("Focus of the session").fill("Relaxation")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("Session recorded for Rosa Reed")).to_be_visible()
    assert TreatmentSession.objects.get().clearance_override == ""
