"""The intake form in Chromium: the hint that points at the physician's clearance fields.

Which flags ask for a clearance comes from their specs (clients/health_flags.py), through
the fields' data-clearance-flags; the script names the ticked flag and hides the hint once
a clearance is written (docs/domain.md, rule 9).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ticking_serious_back_injury_asks_for_the_clearance_until_one_is_written(page, practitioner):
    log_in(page, "priya")
    page.goto("/clients/add/")
    hint = page.get_by_role("status").filter(has_text="please record the physician's referral or clearance")
    expect(hint).to_be_hidden()

    page.get_by_label("Serious back injury").check()
    expect(hint).to_be_visible()
    expect(hint).to_have_text("Serious back injury: please record the physician's referral or clearance below.")

    page.get_by_label("Physician's referral or clearance", exact=True).fill("Dr Okafor: gentle work is fine.")
    expect(hint).to_be_hidden()
