"""Every main page in Chromium: it opens, axe-core finds nothing serious, it fits a tablet.

One clinic in use (tests/browser/data.py), every main page of it (tests/browser/pages.py):
the staff pages as the owner, the check-in and sign-in pages as nobody. Each test goes
through all of them and reports every page that fails, not just the first.
"""

from __future__ import annotations

import pytest

from tests.browser.axe import axe_violations, blocking_violations, describe
from tests.browser.data import clinic_in_use
from tests.browser.launch import TABLET, csp_violations
from tests.browser.pages import main_pages
from tests.browser.steps import log_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPECTED_STATUS = {"not-found": 404, "checkin-tampered": 400, "intake-tampered": 400}


@pytest.fixture
def pages(clinic, owner, practitioner):
    clinic_in_use(clinic=clinic, practitioner=practitioner)
    pages = main_pages(clinic)
    # The list finds its examples by query: one not found would silently go unchecked.
    names = {p.name for p in pages}
    assert {
        "client",
        "session",
        "session-edit",
        "session-record",
        "routine-draft",
        "appointment",
        "staff-edit",
    } <= names
    return pages


def visit(open_page, live_server, owner, pages, viewport=None):
    """Yield (main page, browser page, response) for each main page, logged in as its `who`."""
    signed_in, anonymous = open_page(viewport), open_page(viewport)
    log_in_as(signed_in, owner, base_url=live_server.url)
    for main in pages:
        page = signed_in if main.who == "owner" else anonymous
        response = page.goto(main.path)
        page.wait_for_load_state("load")
        yield main, page, response


def test_every_main_page_opens_with_no_serious_or_critical_accessibility_violation(
    open_page, live_server, owner, pages
):
    problems = []
    for main, page, response in visit(open_page, live_server, owner, pages):
        expected = EXPECTED_STATUS.get(main.name, 200)
        if response.status != expected:
            problems.append(f"--- {main.name} ({main.path}): HTTP {response.status}, expected {expected}")
            continue
        if blocking := blocking_violations(page):
            problems.append(f"--- {main.name} ({main.path})\n{describe(blocking)}")
    assert not problems, "\n".join(problems)


def test_no_main_page_has_anything_refused_by_its_content_security_policy(open_page, live_server, owner, pages):
    """The strict policy (no inline script or style) is on, and no page needs more."""
    problems = []
    for main, page, response in visit(open_page, live_server, owner, pages):
        if "script-src 'self'" not in (response.headers.get("content-security-policy") or ""):
            problems.append(f"{main.name} ({main.path}): no strict Content-Security-Policy header")
        # Interactive bits run after load (the zone picker, the session form); let them.
        page.wait_for_load_state("networkidle")
        problems += [f"{main.name} ({main.path}): {v}" for v in csp_violations(page)]
    assert not problems, "\n".join(problems)


def test_no_main_page_scrolls_sideways_at_tablet_width(open_page, live_server, owner, pages):
    problems = []
    for main, page, _response in visit(open_page, live_server, owner, pages, viewport=TABLET):
        scroll_width, client_width = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if scroll_width > client_width:
            problems.append(f"{main.name} ({main.path}): {scroll_width} px wide in {client_width} px")
    assert not problems, "\n".join(problems)


def test_screen_readers_reach_the_zone_buttons_of_the_session_picker(open_page, live_server, owner, pages):
    """The picker's charts are groups of buttons, not images (an image hides its children)."""
    by_name = {p.name: p for p in pages}
    for _main, page, _response in visit(open_page, live_server, owner, [by_name["session-record"]]):
        assert page.locator('svg.rc-chart[role="group"] [role="button"]').count() > 0
        assert page.locator('svg.rc-chart[role="img"] [role="button"]').count() == 0
        assert not [v["id"] for v in axe_violations(page) if v["id"] == "nested-interactive"]
