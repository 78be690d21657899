"""Fixtures for the browser tests: the app on a live server, Debian's Chromium, pages.

`live_server` is pytest-django's: the app in a thread of this process, on a free
loopback port, against the test database. Tests that use it get a transactional
database, so what the test writes is committed and visible to the server thread and
to a Celery worker subprocess (tests/browser/test_journeys.py, on PostgreSQL).

`browser` is one Chromium for the whole run; `page` is a fresh context (no cookies)
per test, closed afterwards. A failing test leaves a screenshot of the page it was on
in var/browser-failures/. Every wait is bounded (tests/browser/launch.py).
"""

from __future__ import annotations

import os
import re

import pytest

from tests.browser.launch import ACTION_TIMEOUT_MS, BASE_DIR, DESKTOP, launch, missing_for_browser, new_page


@pytest.fixture(scope="session")
def browser():
    if missing_for_browser():
        # tests/conftest.py has already skipped (or failed) the test with the reason.
        pytest.skip(missing_for_browser())
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=ACTION_TIMEOUT_MS)

    # Playwright's sync API runs an event loop in this thread; Django would take the test's
    # own ORM calls for calls from async code and refuse them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


def _open_page(browser, live_server, request, viewport, number=0):
    page = new_page(browser, base_url=live_server.url, viewport=viewport)
    yield page
    if request.node.stash.get(_FAILED, False):
        folder = BASE_DIR / "var" / "browser-failures"
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:120] + (f"-{number}" if number else "")
        try:
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True, timeout=5_000)
            print(f"Screenshot of the failing page ({page.url}): {folder / name}.png")
        except Exception as error:  # the page may be gone; the test's own failure matters
            print(f"No screenshot: {error}")
    page.context.close()


@pytest.fixture
def page(browser, live_server, request):
    """A desktop-sized page (1366 x 900) with its own cookies, its base URL the live server."""
    yield from _open_page(browser, live_server, request, DESKTOP)


@pytest.fixture
def open_page(browser, live_server, request):
    """Open more pages, each with its own cookies (a second user, another width)."""
    opened = []

    def open_(viewport: dict | None = None):
        generator = _open_page(browser, live_server, request, viewport or DESKTOP, len(opened) + 1)
        opened.append(generator)
        return next(generator)

    yield open_
    for generator in opened:
        next(generator, None)
