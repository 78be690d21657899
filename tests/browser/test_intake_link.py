"""The client fills in their intake from an emailed link on a phone, and the practitioner
reviews and accepts it (issue 12, section 1; docs/domain.md, rule 15), in Chromium. The
steps live in tests/browser/steps.py, for the issue's whole journey (booking, intake, GP letter)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from clients.health_flags import HealthFlag, flag_spec
from clients.models import Client
from tests.browser.steps import Looker, fill_intake, log_in, review_and_accept_intake, send_intake_link
from tests.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_the_client_fills_the_intake_on_a_phone_with_a_flag_needing_permission_and_the_practitioner_accepts_it(
    page, open_page, clinic, practitioner, mailoutbox, outbox_sends_at_once
):
    look = Looker()
    rosa = ClientFactory(
        clinic=clinic,
        practitioner=practitioner,
        first_name="Rosa",
        last_name="Reed",
        email="rosa@example.org",
        consent_treatment=False,
        consent_treatment_at=None,
        consent_email=False,
        consent_email_at=None,
    )
    pregnancy = flag_spec(HealthFlag.PREGNANCY)

    log_in(page, "priya")
    path = send_intake_link(page, look, rosa, mailoutbox)

    phone = open_page(PHONE)
    fill_intake(
        phone,
        look,
        path,
        name=("Rosa", "Reed"),
        flags=[pregnancy.client_question],
        gp=("Dr Ama Mensah", "Riverside Surgery, Bristol"),
    )
    assert [m.subject for m in mailoutbox][-1] == f"{clinic.name}: a copy of the consent you signed"
    # Nothing is in the record until the practitioner accepts it.
    assert not Client.objects.get(pk=rosa.pk).flag_codes

    review_and_accept_intake(page, look, rosa)
    expect(page.locator(".flag-badges")).to_contain_text(pregnancy.label)
    expect(page.get_by_text("Dr Ama Mensah, Riverside Surgery, Bristol")).to_be_visible()
    expect(page.get_by_text("Given on")).to_have_count(1)  # consent to treatment, from the client's signature
    look(page)

    # The link works once.
    phone.goto(path)
    expect(phone.get_by_role("heading", name="Your answers are already sent")).to_be_visible()
    look(phone)
